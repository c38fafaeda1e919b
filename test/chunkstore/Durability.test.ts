import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect, Exit, Result } from "effect"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import { identityCipher } from "../../src/chunkstore/Cipher.ts"
import { decodeIndex } from "../../src/chunkstore/Index.ts"
import * as Repository from "../../src/chunkstore/Repository.ts"
import { FIXED_TIME, listFiles, observeTree, randomData, smallStore, textData, type TreeSpec, writeTree } from "./support.ts"

const ticking = () => {
  let t = FIXED_TIME.getTime()
  return () => new Date((t += 1000))
}

const file = (name: string, bytes: Uint8Array, mtime = 1000): TreeSpec => ({ type: "file", path: name, bytes, mode: 0o644, mtime })

/** A store with two snapshots: "shared.bin" in both, "only-second.bin" in the second. */
const twoSnapshots = Effect.gen(function*() {
  const { dir, repo } = yield* smallStore({ now: ticking() })
  const src = path.join(dir, "src")
  yield* writeTree(src, [file("shared.bin", randomData("shared", 150_000)), file("notes.txt", textData("notes", 60_000))])
  const first = yield* repo.add([src])
  const onlySecond = randomData("only-second", 150_000)
  yield* writeTree(src, [file("only-second.bin", onlySecond)])
  const second = yield* repo.add([src])
  return { dir, repo, src, first: first.snapshot, second: second.snapshot, onlySecond }
})

const packPaths = (storeDir: string) =>
  Effect.map(listFiles(path.join(storeDir, "packs")), (names) => names.map((name) => path.join(storeDir, "packs", name)))

/** The pack holding `needle` verbatim (random data is stored uncompressed and the cipher is the identity) and where. */
const findInPacks = (storeDir: string, needle: Uint8Array) =>
  Effect.gen(function*() {
    for (const pack of yield* packPaths(storeDir)) {
      const bytes = yield* Effect.promise(() => fs.readFile(pack))
      const at = bytes.indexOf(Buffer.from(needle))
      if (at >= 0) return { pack, at }
    }
    return yield* Effect.die(new Error("needle not found in any pack"))
  })

const flipBit = (file: string, at: number) =>
  Effect.promise(async () => {
    const bytes = await fs.readFile(file)
    bytes[at] = bytes[at]! ^ 0x10
    await fs.writeFile(file, bytes)
  })

/** What a crash leaves that an interruption cleans up: a dead writer's lock and a half-written temporary pack. */
const crashDebris = (storeDir: string) =>
  Effect.promise(async () => {
    const dead = { pid: 4_194_305, host: os.hostname(), operation: "add", since: FIXED_TIME.toISOString(), nonce: "crashed" }
    await fs.writeFile(path.join(storeDir, "lock"), JSON.stringify(dead))
    await fs.writeFile(path.join(storeDir, "packs", "pack.tmp-4194305-deadbeef0000"), "SVPACK\0\0 half a pack")
  })

/** The index file's packs and entries, sorted: what it says, whatever the order it says it in. */
const indexListing = (storeDir: string) =>
  Effect.gen(function*() {
    const bytes = yield* Effect.promise(() => fs.readFile(path.join(storeDir, "index")))
    const decoded = decodeIndex(new Uint8Array(bytes), identityCipher)
    if (Result.isFailure(decoded)) return yield* Effect.die(new Error(decoded.failure))
    const index = decoded.success
    return index
      .packs()
      .map((pack) => {
        const entries = Array.from({ length: pack.count }, (_, i) => {
          const entry = index.entryAt(pack.first + i)
          return `${Buffer.from(entry.id).toString("hex")}@${entry.offset}+${entry.length}/${entry.rawLength}`
        })
        return `${pack.name} ${pack.size}: ${entries.join(" ")}`
      })
      .sort()
  })

const restoresIdentically = (repo: Repository.Repository, snapshot: string, src: string, target: string) =>
  Effect.gen(function*() {
    yield* repo.restore(snapshot, target)
    assert.deepStrictEqual(yield* observeTree(path.join(target, path.basename(src))), yield* observeTree(src))
  })

layer(FilesLive.layer)("verify", (it) => {
  it.effect("passes on an intact store", () =>
    Effect.gen(function*() {
      const { repo } = yield* twoSnapshots
      const report = yield* repo.verify()
      assert.isTrue(report.ok)
      assert.strictEqual(report.snapshots, 2)
      assert.isAbove(report.chunks, 10)
      assert.strictEqual(report.unreferencedChunks, 0)
    }).pipe(Effect.scoped))

  it.effect("pinpoints a flipped bit in a pack: the damaged file, in the snapshot that has it, and only there", () =>
    Effect.gen(function*() {
      const { dir, onlySecond, repo, second } = yield* twoSnapshots
      const { at, pack } = yield* findInPacks(repo.dir, onlySecond.subarray(70_000, 70_064))
      yield* flipBit(pack, at + 10)

      const report = yield* repo.verify()
      assert.isFalse(report.ok)
      assert.deepStrictEqual(report.damagedFiles.map((damaged) => [damaged.snapshot, damaged.path]), [[second, "src/only-second.bin"]])
      assert.strictEqual(report.damagedFiles[0]!.reasons.length, 1)
      assert.match(report.damagedFiles[0]!.reasons[0]!, /content does not match its id/)
      assert.strictEqual(report.damagedChunks.length, 1)
      assert.deepStrictEqual(report.damagedPacks.map((damaged) => damaged.pack), [path.basename(pack, ".pack")])
      assert.match(report.damagedPacks[0]!.reason, /SHA-256 .* not its name/)
      assert.deepStrictEqual(report.damagedSnapshots, [])

      // A restore of that snapshot fails naming the pack; the other snapshot still restores.
      const failed = yield* Effect.flip(repo.restore(second, path.join(dir, "out-second")))
      assert.strictEqual(failed._tag, "RepoCorrupt")
      assert.include(failed.message, path.basename(pack))
      assert.match(failed.message, /only-second\.bin/)
    }).pipe(Effect.scoped))

  it.effect("reports a missing pack and a damaged snapshot instead of failing", () =>
    Effect.gen(function*() {
      const { first, onlySecond, repo, second } = yield* twoSnapshots
      const { pack } = yield* findInPacks(repo.dir, onlySecond.subarray(70_000, 70_064))
      yield* Effect.promise(() => fs.rm(pack))
      yield* Effect.promise(() => fs.appendFile(path.join(repo.dir, "snapshots", first), "trailing junk"))

      const report = yield* repo.verify()
      assert.isFalse(report.ok)
      assert.deepStrictEqual(report.damagedSnapshots.map((damaged) => damaged.snapshot), [first])
      assert.match(report.damagedSnapshots[0]!.reason, /checksum mismatch/)
      assert.isTrue(report.damagedPacks.some((damaged) => damaged.pack === path.basename(pack, ".pack") && /missing/.test(damaged.reason)))
      assert.isTrue(report.damagedFiles.some((damaged) => damaged.snapshot === second && damaged.path === "src/only-second.bin"))
    }).pipe(Effect.scoped))
})

layer(FilesLive.layer)("interrupted add", (it) => {
  it.effect("interrupted at each durable step in turn: no snapshot, verify passes, and gc reclaims the orphans", () =>
    Effect.gen(function*() {
      const stepsSeen: Array<string> = []
      for (let crashAt = 1;; crashAt++) {
        const outcome = yield* Effect.scoped(Effect.gen(function*() {
          const { dir, first, repo, src } = yield* twoSnapshots
          const before = yield* repo.list()
          yield* writeTree(src, [file("big-new.bin", randomData("big-new", 400_000)), file("more.txt", textData("more", 100_000))])
          let calls = 0
          let step = ""
          const exit = yield* Effect.exit(
            repo.add([src], { checkpoint: (done) => (++calls === crashAt ? Effect.sync(() => (step = done)).pipe(Effect.andThen(Effect.interrupt)) : Effect.void) })
          )
          if (Exit.isSuccess(exit)) return "finished" as const
          assert.isTrue(Exit.hasInterrupts(exit))
          stepsSeen.push(step)
          yield* crashDebris(repo.dir)

          const reopened = yield* Repository.open(repo.dir)
          assert.deepStrictEqual(yield* reopened.list(), before)
          const report = yield* reopened.verify()
          assert.isTrue(report.ok, JSON.stringify(report))
          assert.isAbove(report.unreferencedChunks, 0)
          assert.isAbove((yield* reopened.stats()).reclaimableBytes, 0)

          // The store goes on: gc reclaims the orphans (and clears the crash's debris), the old snapshots restore.
          const collected = yield* reopened.gc()
          assert.isAbove(collected.chunksRemoved, 0)
          assert.strictEqual((yield* reopened.stats()).reclaimableBytes, 0)
          assert.deepStrictEqual((yield* listFiles(path.join(repo.dir, "packs"))).filter((name) => !name.endsWith(".pack")), [])
          assert.isTrue((yield* reopened.verify()).ok)
          yield* reopened.restore(first, path.join(dir, "out-first"))
          const added = yield* reopened.add([src])
          yield* restoresIdentically(reopened, added.snapshot, src, path.join(dir, "out-new"))
          return "crashed" as const
        }))
        if (outcome === "finished") break
      }
      assert.includeMembers(stepsSeen, ["pack-written", "index-written"])
      assert.isAtLeast(stepsSeen.filter((step) => step === "pack-written").length, 2)
    }))

  it.effect("a failure (not just an interruption) midway leaves no snapshot and no temporary pack", () =>
    Effect.gen(function*() {
      const { repo, src } = yield* twoSnapshots
      yield* writeTree(src, [file("big-new.bin", randomData("big-new", 600_000))])
      const before = yield* repo.list()
      const exit = yield* Effect.exit(repo.add([src], { checkpoint: () => Effect.die(new Error("disk unplugged")) }))
      assert.isTrue(Exit.isFailure(exit))
      assert.deepStrictEqual(yield* repo.list(), before)
      assert.deepStrictEqual((yield* listFiles(path.join(repo.dir, "packs"))).filter((name) => !name.endsWith(".pack")), [])
      assert.notInclude(yield* listFiles(repo.dir), "lock")
      assert.isTrue((yield* repo.verify()).ok)
    }).pipe(Effect.scoped))
})

layer(FilesLive.layer)("gc", (it) => {
  it.effect("reclaims what forgotten snapshots alone used, and keeps every live file restorable", () =>
    Effect.gen(function*() {
      const { dir, first, repo, second, src } = yield* twoSnapshots
      const beforeBytes = (yield* repo.stats()).storedBytes
      yield* repo.forget(second)
      const result = yield* repo.gc()
      assert.isAbove(result.chunksRemoved, 0)
      assert.isBelow(result.bytesAfter, result.bytesBefore)
      const stats = yield* repo.stats()
      assert.isBelow(stats.storedBytes, beforeBytes - 140_000)
      assert.strictEqual(stats.reclaimableBytes, 0)
      assert.isTrue((yield* repo.verify()).ok)
      yield* Effect.promise(() => fs.rm(path.join(src, "only-second.bin")))
      yield* restoresIdentically(repo, first, src, path.join(dir, "out"))

      // Nothing left to do: a second gc changes nothing.
      const again = yield* repo.gc()
      assert.deepStrictEqual([again.packsRewritten, again.packsDeleted, again.chunksRemoved], [0, 0, 0])
    }).pipe(Effect.scoped))

  it.effect("refuses to run when a snapshot cannot be read, deleting nothing", () =>
    Effect.gen(function*() {
      const { first, repo, second } = yield* twoSnapshots
      yield* repo.forget(second)
      yield* Effect.promise(() => fs.writeFile(path.join(repo.dir, "snapshots", first), "garbage"))
      const packs = yield* listFiles(path.join(repo.dir, "packs"))
      const refused = yield* Effect.flip(repo.gc())
      assert.strictEqual(refused._tag, "RepoCorrupt")
      assert.match(refused.message, /deleted nothing/)
      assert.deepStrictEqual(yield* listFiles(path.join(repo.dir, "packs")), packs)
    }).pipe(Effect.scoped))

  it.effect("leaves a pack whose trailer is damaged alone, and says so", () =>
    Effect.gen(function*() {
      const { onlySecond, repo, second } = yield* twoSnapshots
      const { pack } = yield* findInPacks(repo.dir, onlySecond.subarray(70_000, 70_064))
      yield* repo.forget(second)
      const size = (yield* Effect.promise(() => fs.stat(pack))).size
      yield* flipBit(pack, size - 20)
      const result = yield* repo.gc()
      assert.deepStrictEqual(result.skipped.map((skipped) => skipped.pack), [path.basename(pack, ".pack")])
      assert.match(result.skipped[0]!.reason, /trailer does not check/)
      assert.isTrue(yield* Effect.promise(() => fs.stat(pack).then(() => true)))
    }).pipe(Effect.scoped))

  it.effect("interrupted at each durable step in turn: the store verifies, nothing live is lost, and the next gc finishes the job", () =>
    Effect.gen(function*() {
      const stepsSeen: Array<string> = []
      for (let crashAt = 1;; crashAt++) {
        const outcome = yield* Effect.scoped(Effect.gen(function*() {
          const { dir, first, repo, second, src } = yield* twoSnapshots
          // Dead data of two kinds: whole packs (doomed.bin) and part of a pack (notes.txt, packed with shared.bin).
          yield* writeTree(src, [file("doomed.bin", randomData("doomed", 400_000))])
          const doomed = (yield* repo.add([src])).snapshot
          yield* Effect.promise(() => fs.rm(path.join(src, "notes.txt")))
          yield* Effect.promise(() => fs.rm(path.join(src, "doomed.bin")))
          const third = (yield* repo.add([src])).snapshot
          for (const id of [first, second, doomed]) yield* repo.forget(id)

          let calls = 0
          let step = ""
          const exit = yield* Effect.exit(
            repo.gc({ checkpoint: (done) => (++calls === crashAt ? Effect.sync(() => (step = done)).pipe(Effect.andThen(Effect.interrupt)) : Effect.void) })
          )
          if (Exit.isSuccess(exit)) return "finished" as const
          assert.isTrue(Exit.hasInterrupts(exit))
          stepsSeen.push(step)
          yield* crashDebris(repo.dir)

          const reopened = yield* Repository.open(repo.dir)
          const report = yield* reopened.verify()
          assert.isTrue(report.ok, `after a crash at "${step}": ${JSON.stringify(report)}`)
          yield* restoresIdentically(reopened, third, src, path.join(dir, "out-crashed"))

          yield* reopened.gc()
          const after = yield* reopened.verify()
          assert.isTrue(after.ok, `after a crash at "${step}" and another gc: ${JSON.stringify(after)}`)
          assert.strictEqual(after.unreferencedChunks, 0)
          assert.strictEqual((yield* reopened.stats()).reclaimableBytes, 0)
          yield* restoresIdentically(reopened, third, src, path.join(dir, "out-after"))
          return "crashed" as const
        }))
        if (outcome === "finished") break
      }
      // Every kind of step was crashed at, including between two pack deletions.
      assert.includeMembers(stepsSeen, ["packs-written", "index-written", "pack-deleted"])
      assert.isAtLeast(stepsSeen.filter((step) => step === "pack-deleted").length, 2)
    }))
})

layer(FilesLive.layer)("index recovery", (it) => {
  it.effect("a deleted index is rebuilt from the packs when the store is opened", () =>
    Effect.gen(function*() {
      const { dir, repo, second, src } = yield* twoSnapshots
      const original = yield* indexListing(repo.dir)
      yield* Effect.promise(() => fs.rm(path.join(repo.dir, "index")))
      const reopened = yield* Repository.open(repo.dir)
      // Written back on open, listing the same packs and chunks (perhaps in another order).
      assert.deepStrictEqual(yield* indexListing(repo.dir), original)
      assert.strictEqual((yield* reopened.list()).length, 2)
      yield* restoresIdentically(reopened, second, src, path.join(dir, "out"))
    }).pipe(Effect.scoped))

  it.effect("a damaged index is replaced in memory, noted by verify, and rewritten by rebuild-index", () =>
    Effect.gen(function*() {
      const { dir, repo, second, src } = yield* twoSnapshots
      yield* flipBit(path.join(repo.dir, "index"), 40)
      const report = yield* repo.verify()
      assert.isTrue(report.ok)
      assert.isTrue(report.notes.some((note) => /index is corrupt: checksum mismatch.*rebuilt from \d+ packs/.test(note)), JSON.stringify(report.notes))
      yield* restoresIdentically(repo, second, src, path.join(dir, "out"))
      const rebuilt = yield* repo.rebuildIndex()
      assert.isAbove(rebuilt.chunks, 10)
      assert.deepStrictEqual(rebuilt.damagedPacks, [])
      assert.deepStrictEqual((yield* repo.verify()).notes, [])
    }).pipe(Effect.scoped))

  it.effect("a pack whose trailer is damaged is still indexed, by scanning its records", () =>
    Effect.gen(function*() {
      const { dir, onlySecond, repo, second, src } = yield* twoSnapshots
      const { pack } = yield* findInPacks(repo.dir, onlySecond.subarray(70_000, 70_064))
      const size = (yield* Effect.promise(() => fs.stat(pack))).size
      yield* flipBit(pack, size - 20) // inside the trailer
      yield* Effect.promise(() => fs.rm(path.join(repo.dir, "index")))
      const reopened = yield* Repository.open(repo.dir)
      const report = yield* reopened.verify()
      // The pack is flagged (its bytes changed), but every chunk in it is intact, so no file is damaged.
      assert.deepStrictEqual(report.damagedFiles, [])
      assert.deepStrictEqual(report.damagedChunks, [])
      assert.isTrue(report.damagedPacks.some((damaged) => damaged.pack === path.basename(pack, ".pack")))
      yield* restoresIdentically(reopened, second, src, path.join(dir, "out"))
    }).pipe(Effect.scoped))
})
