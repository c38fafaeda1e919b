/**
 * The encrypted store (vault-v1, docs/store-format.md §10): what it writes
 * reveals no plaintext, every flipped or cut byte of a pack, the index or a
 * snapshot is detected, a wrong key is named as such (not as corruption),
 * and a piece sealed as one kind is refused as any other.
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect, Exit, Result } from "effect"
import * as fc from "fast-check"
import type { Files } from "../../src/adapters/fs/Files.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import type { SealedKind } from "../../src/chunkstore/Cipher.ts"
import * as Repository from "../../src/chunkstore/Repository.ts"
import { vaultCipher } from "../../src/chunkstore/VaultCipher.ts"
import { keyPairOf } from "../vault/support.ts"
import { FIXED_TIME, listFiles, observeTree, randomData, SMALL_CHUNKS, SMALL_PACK, smallStore, tempDir, textData, writeTree } from "./support.ts"

const alice = keyPairOf("sigmavault/store/test/alice")
const bob = keyPairOf("sigmavault/store/test/bob")
const mallory = keyPairOf("sigmavault/store/test/mallory")

const KINDS: ReadonlyArray<SealedKind> = ["chunk-header", "chunk", "pack-trailer", "index", "snapshot"]

const tagOf = <A, E>(exit: Exit.Exit<A, E>): string =>
  Exit.isSuccess(exit) ? "Success" : String((exit.cause.reasons[0] as { error?: { _tag?: string } } | undefined)?.error?._tag ?? "Defect")

const messageOf = <A, E>(exit: Exit.Exit<A, E>): string =>
  Exit.isSuccess(exit) ? "" : String((exit.cause.reasons[0] as { error?: { message?: string } } | undefined)?.error?.message)

/** An encrypted store (to alice and bob) holding two snapshots spread over several packs. */
const encryptedStore = Effect.gen(function*() {
  const { dir, repo } = yield* smallStore({ recipients: [alice.publicKey, bob.publicKey] })
  const src = path.join(dir, "src")
  yield* writeTree(src, [
    { type: "file", path: "random.bin", bytes: randomData("enc-random", 300_000), mode: 0o644, mtime: 1000 },
    { type: "file", path: "text.txt", bytes: textData("enc-text", 200_000), mode: 0o600, mtime: 2000 }
  ])
  const first = yield* repo.add([src])
  yield* writeTree(src, [{ type: "file", path: "more.bin", bytes: randomData("enc-more", 100_000), mode: 0o644, mtime: 3000 }])
  const second = yield* repo.add([src])
  return { dir, repo, src, snapshots: [first.snapshot, second.snapshot] as const }
})

const open = (dir: string, secretKeys: NonNullable<Repository.OpenOptions["secretKeys"]> = [alice.secretKey]) => Repository.open(dir, { secretKeys })

/** Every file of the store, to put back after a mutation. */
const readAll = (storeDir: string) =>
  Effect.promise(async () => {
    const files = new Map<string, Uint8Array>()
    for (const sub of ["", "packs", "snapshots"]) {
      for (const name of await fs.readdir(path.join(storeDir, sub))) {
        const file = path.join(storeDir, sub, name)
        if ((await fs.stat(file)).isFile()) files.set(file, new Uint8Array(await fs.readFile(file)))
      }
    }
    return files
  })

layer(FilesLive.layer)("encrypted store", (it) => {
  it.effect("round-trips with either recipient's key, and its files hold neither plaintext nor the chunk-id key", () =>
    Effect.gen(function*() {
      const { dir, repo, src, snapshots } = yield* encryptedStore
      assert.strictEqual(repo.info.cipher, "vault-v1")
      assert.strictEqual(repo.info.keyIds.length, 2)
      for (const key of [alice.secretKey, bob.secretKey]) {
        const store = yield* open(repo.dir, [mallory.secretKey, key])
        const out = path.join(dir, `out-${store.info.keyIds.length}-${Math.random()}`)
        yield* store.restore(snapshots[1], out)
        assert.deepStrictEqual(yield* observeTree(path.join(out, "src")), yield* observeTree(src))
        assert.isTrue((yield* store.verify()).ok)
      }
      const config = JSON.parse(yield* Effect.promise(() => fs.readFile(path.join(repo.dir, "config"), "utf8"))) as Record<string, unknown>
      assert.strictEqual(config["version"], 2)
      assert.notProperty(config, "chunkIdKey")
      // Random data is stored as it is (not compressed): in an identity store its bytes would be in a pack.
      const probe = Buffer.from(randomData("enc-random", 300_000).subarray(100_000, 100_032))
      for (const [file, bytes] of yield* readAll(repo.dir)) {
        assert.strictEqual(Buffer.from(bytes).indexOf(probe), -1, `${file} holds plaintext`)
      }
    }).pipe(Effect.scoped))

  it.effect("a wrong key, no key and a malformed key each get their own error; a tampered config is corrupt", () =>
    Effect.gen(function*() {
      const { repo } = yield* encryptedStore
      const wrong = yield* Effect.exit(open(repo.dir, [mallory.secretKey]))
      assert.strictEqual(tagOf(wrong), "WrongStoreKey")
      assert.match(messageOf(wrong), /^wrong key for store .*: it is encrypted to key [0-9a-f]{16}, [0-9a-f]{16}, and the key given \([0-9a-f]{16}\) cannot open it$/)
      assert.strictEqual(tagOf(yield* Effect.exit(open(repo.dir, []))), "StoreKeyRequired")
      assert.match(messageOf(yield* Effect.exit(open(repo.dir, []))), /is encrypted \(to key .*\): opening it needs one of those secret keys/)
      assert.strictEqual(tagOf(yield* Effect.exit(open(repo.dir, [new Uint8Array(5)]))), "InvalidStoreOption")
      assert.strictEqual(tagOf(yield* Effect.exit(Repository.open(repo.dir))), "StoreKeyRequired")
      // A key given with its public key (as the keyring keeps it) opens without deriving it; a mismatched pair is a wrong key.
      assert.strictEqual(tagOf(yield* Effect.exit(open(repo.dir, [{ secretKey: bob.secretKey, publicKey: bob.publicKey }]))), "Success")
      assert.strictEqual(tagOf(yield* Effect.exit(open(repo.dir, [{ secretKey: mallory.secretKey, publicKey: alice.publicKey }]))), "WrongStoreKey")

      const configFile = path.join(repo.dir, "config")
      const original = yield* Effect.promise(() => fs.readFile(configFile, "utf8"))
      const edits: ReadonlyArray<(c: Record<string, any>) => void> = [
        (c) => (c.packSize = c.packSize * 2),
        (c) => (c.chunker.avgSize = c.chunker.avgSize * 2),
        (c) => (c.created = "2030-01-01T00:00:00.000Z"),
        (c) => (c.encryption.recipients = c.encryption.recipients.slice(0, 1))
      ]
      for (const edit of edits) {
        const config = JSON.parse(original) as Record<string, unknown>
        edit(config)
        yield* Effect.promise(() => fs.writeFile(configFile, JSON.stringify(config)))
        const exit = yield* Effect.exit(open(repo.dir))
        assert.strictEqual(tagOf(exit), "RepoCorrupt", String(edit))
        assert.match(messageOf(exit), /config was altered/)
      }
      const cleartext = JSON.parse(original) as Record<string, unknown>
      cleartext["cipher"] = "identity"
      yield* Effect.promise(() => fs.writeFile(configFile, JSON.stringify(cleartext)))
      assert.strictEqual(tagOf(yield* Effect.exit(Repository.open(repo.dir))), "RepoCorrupt")
      yield* Effect.promise(() => fs.writeFile(configFile, original))
      assert.isTrue((yield* (yield* open(repo.dir)).verify()).ok)
    }).pipe(Effect.scoped))

  it.effect("any flipped bit in a pack, the index or a snapshot is detected; restore never returns altered bytes", () =>
    Effect.gen(function*() {
      const { dir, repo, src, snapshots } = yield* encryptedStore
      const original = yield* readAll(repo.dir)
      const names = [...original.keys()].filter((file) => file.includes("/packs/") || file.includes("/snapshots/") || file.endsWith("/index"))
      const expected = yield* observeTree(src)
      const run = Effect.runPromiseWith(yield* Effect.context<Files>())
      let round = 0
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...names),
            fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
            fc.integer({ min: 0, max: 7 }),
            fc.boolean(),
            async (file, where, bit, truncate) => {
              const bytes = original.get(file)!
              const at = Math.floor(where * bytes.byteLength)
              const damaged = truncate ? bytes.slice(0, at) : bytes.slice()
              if (!truncate) damaged[at] = damaged[at]! ^ (1 << bit)
              await fs.writeFile(file, damaged)
              try {
                const store = await run(open(repo.dir))
                const report = await run(store.verify())
                const what = `${truncate ? "cut at" : `bit ${bit} flipped at`} byte ${at} of ${file}`
                if (file.endsWith("/index")) {
                  assert.isTrue(report.notes.some((note) => /index/.test(note)), `${what}: ${JSON.stringify(report.notes)}`)
                } else {
                  assert.isFalse(report.ok, what)
                }
                const out = path.join(dir, `tamper-${round++}`)
                const restored = await run(Effect.exit(store.restore(snapshots[1], out)))
                if (Exit.isSuccess(restored)) assert.deepStrictEqual(await run(observeTree(path.join(out, "src"))), expected, what)
                else if (tagOf(restored) === "FileError") assert.match(messageOf(restored), /the pack ends before byte/, what) // a cut pack
                else assert.strictEqual(tagOf(restored), "RepoCorrupt", `${what}: ${messageOf(restored)}`)
              } finally {
                await fs.writeFile(file, bytes)
              }
            }
          ),
          { numRuns: 120, seed: 18 }
        )
      )
      assert.isTrue((yield* (yield* open(repo.dir)).verify()).ok)
    }).pipe(Effect.scoped))

  it.effect("a snapshot whose body is another kind's sealed piece is refused, even with a valid checksum", () =>
    Effect.gen(function*() {
      const { repo, snapshots } = yield* encryptedStore
      const snapshotFile = path.join(repo.dir, "snapshots", snapshots[0])
      const index = new Uint8Array(yield* Effect.promise(() => fs.readFile(path.join(repo.dir, "index"))))
      const snapshot = new Uint8Array(yield* Effect.promise(() => fs.readFile(snapshotFile)))
      // The index's sealed body under the snapshot's preamble, with the trailing SHA-256 recomputed.
      const forged = Buffer.concat([snapshot.subarray(0, 16), index.subarray(16, index.byteLength - 32)])
      const { createHash } = yield* Effect.promise(() => import("node:crypto"))
      yield* Effect.promise(() => fs.writeFile(snapshotFile, Buffer.concat([forged, createHash("sha256").update(forged).digest()])))
      const exit = yield* Effect.exit((yield* open(repo.dir)).snapshot(snapshots[0]))
      assert.strictEqual(tagOf(exit), "RepoCorrupt")
      assert.match(messageOf(exit), /snapshot does not authenticate/)
    }).pipe(Effect.scoped))

  it.effect("the vault cipher refuses a piece sealed as another kind, in another store or with another key", () =>
    Effect.sync(() => {
      const key = new Uint8Array(32).fill(7)
      const cipher = vaultCipher(key, "a".repeat(32))
      fc.assert(
        fc.property(fc.constantFrom(...KINDS), fc.constantFrom(...KINDS), fc.uint8Array({ maxLength: 300 }), (sealedAs, openedAs, plain) => {
          const sealed = cipher.seal(sealedAs, plain)
          assert.strictEqual(sealed.byteLength, plain.byteLength + cipher.overhead)
          const opened = cipher.open(openedAs, sealed)
          if (sealedAs === openedAs) assert.deepStrictEqual(Result.getOrThrow(opened), plain)
          else assert.isTrue(Result.isFailure(opened))
          assert.isTrue(Result.isFailure(vaultCipher(key, "b".repeat(32)).open(sealedAs, sealed)))
          assert.isTrue(Result.isFailure(vaultCipher(new Uint8Array(32).fill(8), "a".repeat(32)).open(sealedAs, sealed)))
          // The nonce is fresh every time: sealing twice never gives the same bytes.
          assert.notDeepEqual(cipher.seal(sealedAs, plain), sealed)
        }),
        { numRuns: 200, seed: 18 }
      )
    }))

  it.effect("identity stores still open: version 1 configs, and version 2 ones made with the explicit identity cipher", () =>
    Effect.gen(function*() {
      const { dir, repo } = yield* smallStore()
      assert.strictEqual(repo.info.cipher, "identity")
      const configFile = path.join(repo.dir, "config")
      const config = JSON.parse(yield* Effect.promise(() => fs.readFile(configFile, "utf8"))) as Record<string, unknown>
      config["version"] = 1
      yield* Effect.promise(() => fs.writeFile(configFile, JSON.stringify(config)))
      const src = path.join(dir, "v1src")
      yield* writeTree(src, [{ type: "file", path: "a", bytes: textData("v1", 50_000), mode: 0o644, mtime: 5 }])
      const store = yield* Repository.open(repo.dir)
      const added = yield* store.add([src])
      yield* store.restore(added.snapshot, path.join(dir, "v1out"))
      assert.deepStrictEqual(yield* observeTree(path.join(dir, "v1out", "v1src")), yield* observeTree(src))
      // An identity store given keys is still just opened; an encrypted one asked to open as identity is refused.
      assert.strictEqual(tagOf(yield* Effect.exit(Repository.open(repo.dir, { secretKeys: [alice.secretKey] }))), "Success")
      const other = yield* tempDir
      const encrypted = yield* Repository.init(path.join(other, "s"), { recipients: [alice.publicKey], chunker: SMALL_CHUNKS, packSize: SMALL_PACK, now: () => FIXED_TIME })
      const asIdentity = yield* Effect.exit(Repository.open(encrypted.dir, { cipher: Repository.identityCipher }))
      assert.strictEqual(tagOf(asIdentity), "InvalidStoreOption")
      assert.deepStrictEqual((yield* listFiles(encrypted.dir)).sort(), ["config", "packs", "snapshots"])
      const bad = yield* Effect.exit(Repository.init(path.join(other, "t"), { recipients: [new Uint8Array(10)] }))
      assert.strictEqual(tagOf(bad), "InvalidStoreOption")
    }).pipe(Effect.scoped))
})
