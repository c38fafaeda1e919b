import * as fs from "node:fs/promises"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect, Result } from "effect"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as fc from "fast-check"
import * as Repository from "../../src/chunkstore/Repository.ts"
import type { RepoCipher, SealedKind } from "../../src/chunkstore/Cipher.ts"
import { type TreeEntry, writeSnapshot } from "../../src/chunkstore/Snapshots.ts"
import { identityCipher } from "../../src/chunkstore/Cipher.ts"
import { entropyCodec } from "../../src/chunkstore/Codec.ts"
import {
  FIXED_TIME,
  listFiles,
  observeTree,
  randomData,
  SMALL_CHUNKS,

  smallStore,
  tempDir,
  textData,
  type TreeSpec,
  writeTree
} from "./support.ts"

const packBytesOnDisk = (storeDir: string) =>
  Effect.promise(async () => {
    let total = 0
    for (const name of await fs.readdir(path.join(storeDir, "packs"))) total += (await fs.stat(path.join(storeDir, "packs", name))).size
    return total
  })

/** A clock that moves a second per call, so every snapshot has its own time. */
const ticking = () => {
  let t = FIXED_TIME.getTime()
  return () => new Date((t += 1000))
}

layer(FilesLive.layer)("store init and open", (it) => {
  it.effect("creates a store once, opens it, and refuses what is not one", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const store = path.join(dir, "store")
      yield* Repository.init(store, { chunker: SMALL_CHUNKS })
      assert.deepStrictEqual(yield* listFiles(store), ["config", "packs", "snapshots"])
      const mode = (yield* Effect.promise(() => fs.stat(path.join(store, "config")))).mode & 0o777
      assert.strictEqual(mode, 0o600)

      const again = yield* Effect.flip(Repository.init(store))
      assert.strictEqual(again._tag, "RepoAlreadyExists")
      assert.match(again.message, /already holds a store/)

      const busy = path.join(dir, "busy")
      yield* writeTree(busy, [{ type: "file", path: "x", bytes: new Uint8Array(1), mode: 0o644, mtime: 1 }])
      const notEmpty = yield* Effect.flip(Repository.init(busy))
      assert.strictEqual(notEmpty._tag, "RepoAlreadyExists")
      assert.match(notEmpty.message, /not empty/)

      const missing = yield* Effect.flip(Repository.open(path.join(dir, "nowhere")))
      assert.strictEqual(missing._tag, "RepoNotFound")
      assert.match(missing.message, /no SigmaVault store at .*nowhere/)

      const opened = yield* Repository.open(store)
      assert.deepStrictEqual(opened.info.chunker, SMALL_CHUNKS)
      assert.strictEqual(opened.info.cipher, "identity")

      const wrongCipher = yield* Effect.flip(Repository.open(store, { cipher: { ...identityCipher, name: "vault-v1" } }))
      assert.strictEqual(wrongCipher._tag, "InvalidStoreOption")
      assert.match(wrongCipher.message, /created with the identity cipher, not vault-v1/)

      const badChunker = yield* Effect.flip(Repository.init(path.join(dir, "other"), { chunker: { minSize: 4096, avgSize: 10_000, maxSize: 65_536 } }))
      assert.strictEqual(badChunker._tag, "InvalidStoreOption")

      yield* Effect.promise(() => fs.writeFile(path.join(store, "config"), "{ not json"))
      const corrupt = yield* Effect.flip(Repository.open(store))
      assert.strictEqual(corrupt._tag, "RepoCorrupt")
    }).pipe(Effect.scoped))

  it.effect("two stores give the same plaintext unrelated chunk ids (keyed hashing)", () =>
    Effect.gen(function*() {
      const first = yield* smallStore()
      const second = yield* smallStore()
      const src = path.join(first.dir, "src")
      yield* writeTree(src, [{ type: "file", path: "same.bin", bytes: randomData("shared", 100_000), mode: 0o644, mtime: 1 }])
      const idsOf = (repo: Repository.Repository) =>
        Effect.gen(function*() {
          const added = yield* repo.add([src])
          const snapshot = yield* repo.snapshot(added.snapshot)
          return snapshot.entries.flatMap((entry) => (entry.type === "file" ? entry.chunks : []))
        })
      const a = yield* idsOf(first.repo)
      const b = yield* idsOf(second.repo)
      assert.isAbove(a.length, 2)
      assert.strictEqual(a.length, b.length)
      assert.deepStrictEqual(a.filter((id) => b.includes(id)), [])
    }).pipe(Effect.scoped))
})

/** Random small trees: nested directories, files (empty, tiny, several chunks; random or text), symlinks. */
const treeArbitrary = fc
  .array(
    fc.record({
      dirs: fc.array(fc.constantFrom("a", "b", "sub dir", "ünï", "日本"), { maxLength: 3 }),
      name: fc.constantFrom("f", "g", "x y.txt", ".hidden", "-dash", "ß.bin", "h"),
      kind: fc.constantFrom("file", "file", "file", "symlink", "dir"),
      size: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 150_000 })),
      text: fc.boolean(),
      mode: fc.constantFrom(0o644, 0o600, 0o755, 0o400, 0o640, 0o4755),
      dirMode: fc.constantFrom(0o755, 0o700, 0o750),
      target: fc.constantFrom("f", "../up", "/absolute/elsewhere", "dangling"),
      mtime: fc.integer({ min: 0, max: 2_000_000_000 })
    }),
    { maxLength: 10 }
  )
  .map((items) => {
    const entries = new Map<string, TreeSpec>()
    items.forEach((item, i) => {
      let prefix = ""
      for (const dir of item.dirs) {
        prefix = prefix === "" ? dir : `${prefix}/${dir}`
        const existing = entries.get(prefix)
        if (existing !== undefined && existing.type !== "dir") return
        if (existing === undefined) entries.set(prefix, { type: "dir", path: prefix, mode: item.dirMode, mtime: item.mtime })
      }
      const leaf = prefix === "" ? item.name : `${prefix}/${item.name}`
      if (entries.has(leaf)) return
      const seed = `tree-${i}-${item.size}`
      entries.set(
        leaf,
        item.kind === "file"
          ? { type: "file", path: leaf, bytes: item.text ? textData(seed, item.size) : randomData(seed, item.size), mode: item.mode, mtime: item.mtime }
          : item.kind === "dir"
          ? { type: "dir", path: leaf, mode: item.dirMode, mtime: item.mtime }
          : { type: "symlink", path: leaf, target: item.target, mtime: item.mtime }
      )
    })
    return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : 1))
  })

layer(FilesLive.layer)("store round trip", (it) => {
  it.effect("restores any tree byte for byte, with its modes and times", () =>
    Effect.gen(function*() {
      const { dir, repo } = yield* smallStore({ now: ticking() })
      const run = Effect.runPromiseWith(yield* Effect.context<never>())
      let round = 0
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(treeArbitrary, async (tree) => {
            const work = path.join(dir, `round-${round++}`)
            const src = path.join(work, "src")
            await run(writeTree(src, tree))
            const added = await run(repo.add([src]))
            assert.strictEqual(added.files, tree.filter((entry) => entry.type === "file").length)
            assert.deepStrictEqual(added.warnings, [])
            const out = path.join(work, "out")
            await run(repo.restore(added.snapshot, out))
            assert.deepStrictEqual(await run(observeTree(path.join(out, "src"))), await run(observeTree(src)))
          }),
          { numRuns: 20, seed: 3 }
        )
      )
      const report = yield* repo.verify()
      assert.isTrue(report.ok, JSON.stringify(report))
      assert.strictEqual(report.snapshots, 20)
    }).pipe(Effect.scoped))

  it.effect("adds several roots, each under its own name, and a single file", () =>
    Effect.gen(function*() {
      const { dir, repo } = yield* smallStore()
      yield* writeTree(path.join(dir, "one"), [{ type: "file", path: "a.txt", bytes: textData("one", 5000), mode: 0o644, mtime: 10 }])
      yield* writeTree(path.join(dir, "two"), [{ type: "file", path: "b.bin", bytes: randomData("two", 90_000), mode: 0o600, mtime: 20 }])
      const added = yield* repo.add([path.join(dir, "one"), path.join(dir, "two", "b.bin")])
      const snapshot = yield* repo.snapshot(added.snapshot.slice(0, 6))
      assert.deepStrictEqual(snapshot.entries.map((entry) => `${entry.type}:${entry.path}`), ["dir:one", "file:one/a.txt", "file:b.bin"])
      const out = path.join(dir, "out")
      yield* repo.restore(added.snapshot, out)
      assert.deepStrictEqual(yield* observeTree(path.join(out, "one")), yield* observeTree(path.join(dir, "one")))
      assert.deepStrictEqual(
        (yield* Effect.promise(() => fs.readFile(path.join(out, "b.bin")))).equals(Buffer.from(randomData("two", 90_000))),
        true
      )
      const clash = yield* Effect.flip(repo.add([path.join(dir, "one"), path.join(dir, "elsewhere", "one")]))
      assert.strictEqual(clash._tag, "InvalidStoreOption")
      assert.match(clash.message, /both be stored as "one"/)
    }).pipe(Effect.scoped))

  it.effect("each chunk keeps its codec: a store written with gzip restores and verifies with the default codec", () =>
    Effect.gen(function*() {
      const { dir, repo } = yield* smallStore({ codec: entropyCodec({ codec: "gzip", level: 9 }) })
      const src = path.join(dir, "src")
      yield* writeTree(src, [
        { type: "file", path: "log.txt", bytes: textData("log", 80_000), mode: 0o644, mtime: 1 },
        { type: "file", path: "photo.jpg", bytes: randomData("photo", 80_000), mode: 0o644, mtime: 2 }
      ])
      const added = yield* repo.add([src])
      const reopened = yield* Repository.open(repo.dir)
      assert.isTrue((yield* reopened.verify()).ok)
      yield* reopened.restore(added.snapshot, path.join(dir, "out"))
      assert.deepStrictEqual(yield* observeTree(path.join(dir, "out", "src")), yield* observeTree(src))
    }).pipe(Effect.scoped))

  it.effect("skips what it cannot store (a socket, the store itself) with a warning, and stores the rest", () =>
    Effect.gen(function*() {
      const { dir, repo } = yield* smallStore()
      const src = path.join(dir, "src")
      yield* writeTree(src, [{ type: "file", path: "keep.txt", bytes: textData("keep", 1000), mode: 0o644, mtime: 5 }])
      const server = net.createServer()
      yield* Effect.acquireRelease(
        Effect.promise(() => new Promise<void>((resolve) => server.listen(path.join(src, "control.sock"), resolve))),
        () => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
      )
      const added = yield* repo.add([src])
      assert.strictEqual(added.files, 1)
      assert.deepStrictEqual(added.warnings, [{ path: "src/control.sock", reason: "skipped: a socket is not stored" }])
      // Nor does it back the store up into itself.
      const withStore = yield* repo.add([dir])
      assert.deepStrictEqual(withStore.warnings.map((warning) => [warning.path, warning.reason]), [
        [`${path.basename(dir)}/src/control.sock`, "skipped: a socket is not stored"],
        [`${path.basename(dir)}/store`, "skipped: this is the store itself"]
      ])
    }).pipe(Effect.scoped))
})

layer(FilesLive.layer)("store dedup and stats", (it) => {
  it.effect("a second snapshot of a nearly identical tree stores little", () =>
    Effect.gen(function*() {
      const { dir, repo } = yield* smallStore({ now: ticking() })
      const files = Array.from({ length: 8 }, (_, i): TreeSpec => ({
        type: "file",
        path: `file-${i}`,
        bytes: i % 2 === 0 ? randomData(`dedup-${i}`, 120_000) : textData(`dedup-${i}`, 120_000),
        mode: 0o644,
        mtime: 1000 + i
      }))
      const src = path.join(dir, "src")
      yield* writeTree(src, files)
      const first = yield* repo.add([src])
      const storedFirst = (yield* repo.stats()).storedBytes

      // Edit one file in the middle, append to another, add a small new one.
      const edited = randomData("dedup-0", 120_000)
      yield* Effect.promise(() =>
        fs.writeFile(path.join(src, "file-0"), Buffer.concat([edited.subarray(0, 60_000), Buffer.from("inserted!"), edited.subarray(60_000)]))
      )
      yield* Effect.promise(() => fs.appendFile(path.join(src, "file-3"), "appended line\n"))
      yield* Effect.promise(() => fs.writeFile(path.join(src, "new.txt"), textData("new", 10_000)))
      const second = yield* repo.add([src])
      const stats = yield* repo.stats()

      assert.isAbove(second.dedupChunks, 0.85 * (second.dedupChunks + second.newChunks))
      const growth = stats.storedBytes - storedFirst
      assert.isBelow(growth, 0.12 * second.bytes, `stored size grew by ${growth} for a ${second.bytes}-byte snapshot`)
      assert.strictEqual(stats.logicalBytes, first.bytes + second.bytes)
      assert.isAbove(stats.dedupRatio, 1.7)
      assert.strictEqual(stats.storedBytes, yield* packBytesOnDisk(repo.dir))
    }).pipe(Effect.scoped))

  it.effect("stats add up: logical, unique, stored, and the ratios between them", () =>
    Effect.gen(function*() {
      const { dir, repo } = yield* smallStore({ now: ticking() })
      const random = randomData("stats", 200_000)
      const text = textData("stats", 100_000)
      const src = path.join(dir, "src")
      yield* writeTree(src, [
        { type: "file", path: "a.bin", bytes: random, mode: 0o644, mtime: 1 },
        { type: "file", path: "copy-of-a.bin", bytes: random, mode: 0o644, mtime: 2 },
        { type: "file", path: "c.txt", bytes: text, mode: 0o644, mtime: 3 }
      ])
      const empty = yield* repo.stats()
      assert.deepStrictEqual(
        [empty.snapshots, empty.logicalBytes, empty.storedBytes, empty.dedupRatio, empty.compressionRatio],
        [0, 0, 0, 1, 1]
      )

      yield* repo.add([src])
      const one = yield* repo.stats()
      assert.strictEqual(one.snapshots, 1)
      assert.strictEqual(one.files, 3)
      assert.strictEqual(one.logicalBytes, 500_000)
      assert.strictEqual(one.uniqueBytes, 300_000)
      assert.closeTo(one.dedupRatio, 5 / 3, 1e-9)
      // The random data is stored as is (plus record headers), the text shrinks by more than half.
      assert.isAbove(one.compressedBytes, 200_000)
      assert.isBelow(one.compressedBytes, 200_000 + 50_000)
      assert.closeTo(one.compressionRatio, one.uniqueBytes / one.compressedBytes, 1e-9)
      assert.strictEqual(one.storedBytes, yield* packBytesOnDisk(repo.dir))
      assert.isAbove(one.storedBytes, one.compressedBytes)
      assert.strictEqual(one.reclaimableBytes, 0)
      assert.closeTo(one.totalRatio, one.logicalBytes / one.storedBytes, 1e-9)

      yield* repo.add([src])
      const two = yield* repo.stats()
      assert.strictEqual(two.snapshots, 2)
      assert.strictEqual(two.logicalBytes, 1_000_000)
      assert.strictEqual(two.uniqueBytes, 300_000)
      assert.strictEqual(two.storedBytes, one.storedBytes)
      assert.closeTo(two.dedupRatio, 10 / 3, 1e-9)
    }).pipe(Effect.scoped))
})

layer(FilesLive.layer)("store restore refusals", (it) => {
  it.effect("refuses to restore over existing files unless asked, and then replaces them", () =>
    Effect.gen(function*() {
      const { dir, repo } = yield* smallStore()
      const src = path.join(dir, "src")
      yield* writeTree(src, [
        { type: "dir", path: "d", mode: 0o755, mtime: 100 },
        { type: "file", path: "d/a.txt", bytes: textData("a", 30_000), mode: 0o644, mtime: 101 },
        { type: "file", path: "z.txt", bytes: textData("z", 100), mode: 0o644, mtime: 102 }
      ])
      const added = yield* repo.add([src])
      const out = path.join(dir, "out")
      yield* repo.restore(added.snapshot, out)
      const restored = path.join(out, "src", "d", "a.txt")
      yield* Effect.promise(() => fs.writeFile(restored, "changed by the user"))
      yield* Effect.promise(() => fs.rm(path.join(out, "src", "z.txt")))

      const refused = yield* Effect.flip(repo.restore(added.snapshot, out))
      assert.strictEqual(refused._tag, "RestoreTargetExists")
      assert.match(refused.message, /refusing to restore over .*a\.txt/)
      // Refused before anything was written: the user's change stands and the missing file stays missing.
      assert.strictEqual(yield* Effect.promise(() => fs.readFile(restored, "utf8")), "changed by the user")
      assert.deepStrictEqual(yield* listFiles(path.join(out, "src")), ["d"])

      yield* repo.restore(added.snapshot, out, { overwrite: true })
      assert.deepStrictEqual(yield* observeTree(path.join(out, "src")), yield* observeTree(src))
    }).pipe(Effect.scoped))

  it.effect("fails with SnapshotNotFound for an unknown id", () =>
    Effect.gen(function*() {
      const { dir, repo } = yield* smallStore()
      const missing = yield* Effect.flip(repo.restore("0123456789abcdef", path.join(dir, "out")))
      assert.strictEqual(missing._tag, "SnapshotNotFound")
      assert.strictEqual((yield* Effect.flip(repo.forget("nope")))._tag, "SnapshotNotFound")
    }).pipe(Effect.scoped))

  const hostile: ReadonlyArray<{ readonly name: string; readonly entries: ReadonlyArray<TreeEntry>; readonly reason: RegExp }> = [
    { name: "a '..' path", entries: [{ type: "file", path: "../escaped", mode: 0o644, mtime: "0", size: 0, chunks: [] }], reason: /'\.\.'/ },
    { name: "an absolute path", entries: [{ type: "file", path: "/tmp/escaped", mode: 0o644, mtime: "0", size: 0, chunks: [] }], reason: /absolute/ },
    {
      name: "'..' inside a path",
      entries: [
        { type: "dir", path: "a", mode: 0o755, mtime: "0" },
        { type: "file", path: "a/../../escaped", mode: 0o644, mtime: "0", size: 0, chunks: [] }
      ],
      reason: /'\.\.'/
    },
    {
      name: "a file under a symlink",
      entries: [
        { type: "symlink", path: "link", mode: 0o777, mtime: "0", target: "/tmp" },
        { type: "file", path: "link/escaped", mode: 0o644, mtime: "0", size: 0, chunks: [] }
      ],
      reason: /is a symlink in the snapshot/
    },
    { name: "an empty component", entries: [{ type: "file", path: "a//b", mode: 0o644, mtime: "0", size: 0, chunks: [] }], reason: /empty or '\.'/ },
    { name: "a parent that is not in the snapshot", entries: [{ type: "file", path: "x/y", mode: 0o644, mtime: "0", size: 0, chunks: [] }], reason: /not a directory of the snapshot/ },
    {
      name: "a path listed twice",
      entries: [
        { type: "file", path: "twice", mode: 0o644, mtime: "0", size: 0, chunks: [] },
        { type: "file", path: "twice", mode: 0o644, mtime: "0", size: 0, chunks: [] }
      ],
      reason: /lists it twice/
    }
  ]
  for (const { entries, name, reason } of hostile) {
    it.effect(`refuses a snapshot with ${name} and writes nothing`, () =>
      Effect.gen(function*() {
        const { dir, repo } = yield* smallStore()
        const id = yield* writeSnapshot(repo.dir, { time: FIXED_TIME.toISOString(), host: "evil", roots: ["/"], entries }, identityCipher)
        const target = path.join(dir, "jail", "target")
        const refused = yield* Effect.flip(repo.restore(id, target))
        assert.strictEqual(refused._tag, "UnsafePath")
        assert.match(refused.message, reason)
        assert.deepStrictEqual(yield* listFiles(dir), ["store"])
      }).pipe(Effect.scoped))
  }

  it.effect("refuses to restore through a symlink already in the target", () =>
    Effect.gen(function*() {
      const { dir, repo } = yield* smallStore()
      const src = path.join(dir, "src")
      yield* writeTree(src, [{ type: "file", path: "a.txt", bytes: textData("a", 100), mode: 0o644, mtime: 1 }])
      const added = yield* repo.add([src])
      const target = path.join(dir, "target")
      const elsewhere = path.join(dir, "elsewhere")
      yield* Effect.promise(() => fs.mkdir(target))
      yield* Effect.promise(() => fs.mkdir(elsewhere))
      yield* Effect.promise(() => fs.symlink(elsewhere, path.join(target, "src")))
      for (const overwrite of [false, true]) {
        const refused = yield* Effect.flip(repo.restore(added.snapshot, target, { overwrite }))
        assert.strictEqual(refused._tag, "UnsafePath")
        assert.deepStrictEqual(yield* listFiles(elsewhere), [])
      }
    }).pipe(Effect.scoped))
})

layer(FilesLive.layer)("store lock", (it) => {
  const lockFile = (storeDir: string, record: object) =>
    Effect.promise(() => fs.writeFile(path.join(storeDir, "lock"), JSON.stringify(record)))

  it.effect("a live writer's lock makes writers fail with RepoLocked; a dead one's is taken over", () =>
    Effect.gen(function*() {
      const { dir, repo } = yield* smallStore()
      const src = path.join(dir, "src")
      yield* writeTree(src, [{ type: "file", path: "a.txt", bytes: textData("a", 100), mode: 0o644, mtime: 1 }])
      const held = { pid: process.pid, host: os.hostname(), operation: "gc", since: "2025-01-01T00:00:00.000Z", nonce: "someone-else" }
      yield* lockFile(repo.dir, held)
      const locked = yield* Effect.flip(repo.add([src]))
      assert.strictEqual(locked._tag, "RepoLocked")
      assert.match(locked.message, new RegExp(`locked by gc \\(pid ${process.pid} on host`))
      assert.strictEqual((yield* Effect.flip(repo.gc()))._tag, "RepoLocked")
      assert.strictEqual((yield* Effect.flip(repo.forget("x")))._tag, "RepoLocked")

      // Another host's lock is respected even if its pid means nothing here.
      yield* lockFile(repo.dir, { ...held, pid: 4_194_305, host: "other-host" })
      assert.strictEqual((yield* Effect.flip(repo.add([src])))._tag, "RepoLocked")

      // pid 4194305 is above Linux's pid_max: a crashed process of this host.
      yield* lockFile(repo.dir, { ...held, pid: 4_194_305 })
      yield* repo.add([src])
      assert.notInclude(yield* listFiles(repo.dir), "lock")
    }).pipe(Effect.scoped))
})

/** A toy cipher with 4 bytes of overhead that binds the kind: enough to prove every byte goes through the seam. */
const KINDS: ReadonlyArray<SealedKind> = ["chunk-header", "chunk", "pack-trailer", "index", "snapshot"]
const toyCipher: RepoCipher = {
  name: "toy-xor",
  overhead: 4,
  seal: (kind, plaintext) => {
    const out = new Uint8Array(plaintext.byteLength + 4)
    out.set([0x54, 0x4f, 0x59, KINDS.indexOf(kind)], 0)
    for (let i = 0; i < plaintext.byteLength; i++) out[i + 4] = plaintext[i]! ^ 0xa5
    return out
  },
  open: (kind, sealed) => {
    if (sealed[0] !== 0x54 || sealed[3] !== KINDS.indexOf(kind)) return Result.fail(`not sealed as ${kind}`)
    return Result.succeed(sealed.subarray(4).map((byte) => byte ^ 0xa5))
  }
}

layer(FilesLive.layer)("store cipher seam", (it) => {
  it.effect("every pack, index and snapshot byte passes through the cipher", () =>
    Effect.gen(function*() {
      const { dir, repo } = yield* smallStore({ cipher: toyCipher, now: ticking() })
      const secret = randomData("plaintext", 70_000)
      const src = path.join(dir, "src")
      yield* writeTree(src, [
        { type: "file", path: "secret.bin", bytes: secret, mode: 0o600, mtime: 7 },
        { type: "file", path: "notes.txt", bytes: textData("notes", 50_000), mode: 0o600, mtime: 8 }
      ])
      const added = yield* repo.add([src])
      const out = path.join(dir, "out")
      yield* repo.restore(added.snapshot, out)
      assert.deepStrictEqual(yield* observeTree(path.join(out, "src")), yield* observeTree(src))
      assert.isTrue((yield* repo.verify()).ok)

      // No plaintext on disk: not the file's bytes, not the chunk ids, not the snapshot's paths.
      const snapshot = yield* repo.snapshot(added.snapshot)
      const ids = snapshot.entries.flatMap((entry) => (entry.type === "file" ? entry.chunks : []))
      const needles = [Buffer.from(secret.subarray(30_000, 30_064)), Buffer.from(ids[0]!, "hex"), Buffer.from("secret.bin")]
      const files = [path.join(repo.dir, "index"), path.join(repo.dir, "snapshots", added.snapshot)]
      for (const name of yield* listFiles(path.join(repo.dir, "packs"))) files.push(path.join(repo.dir, "packs", name))
      for (const file of files) {
        const bytes = yield* Effect.promise(() => fs.readFile(file))
        for (const needle of needles) assert.strictEqual(bytes.indexOf(needle), -1, `${file} holds plaintext`)
      }
      // And the store opens only with that cipher.
      assert.strictEqual((yield* Effect.flip(Repository.open(repo.dir)))._tag, "InvalidStoreOption")
      const reopened = yield* Repository.open(repo.dir, { cipher: toyCipher })
      assert.strictEqual((yield* reopened.list()).length, 1)
    }).pipe(Effect.scoped))
})

