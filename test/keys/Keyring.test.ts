import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { sha256 } from "@noble/hashes/sha2.js"
import { ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Result, type Scope } from "effect"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import type { KeyringError, KeyringShape } from "../../src/keys/Keyring.ts"
import { verifySignature } from "../../src/keys/KeyPair.ts"
import * as KeyringLive from "../../src/keys/KeyringLive.ts"
import * as KeyringTest from "../../src/keys/KeyringTest.ts"
import { decodePublicKey, keyIdOf } from "../../src/keys/PublicKey.ts"
import { writeSecretKeyFile } from "../../src/keys/SecretKeyFile.ts"

const tempDir = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "sigmavault-keyring-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)

/** Seeds from a counter, so every run makes the same keys. */
const seeded = (label: string) => {
  let counter = 0
  return (length: number) => sha256(new TextEncoder().encode(`${label}:${counter++}`)).slice(0, length)
}

const open = (dir: string, label = "keys") => KeyringLive.openKeyring(dir, { randomBytes: seeded(label) })
const modeOf = (file: string) => Effect.promise(() => fs.stat(file).then((stat) => stat.mode & 0o777))
const names = (dir: string) => Effect.promise(() => fs.readdir(dir).then((all) => all.sort()))
const readText = (file: string) => Effect.promise(() => fs.readFile(file, "utf8"))
const put = (file: string, text: string) => Effect.promise(() => fs.writeFile(file, text, { mode: 0o600 }))
const message = new TextEncoder().encode("ledger head 42")

/** Behaviour both implementations share. */
const contract = (name: string, make: Effect.Effect<KeyringShape, KeyringError, Scope.Scope>) =>
  describe(`${name}: the shared contract`, () => {
    it.effect("starts empty; list and secretKeys never create a key", () =>
      Effect.gen(function*() {
        const keyring = yield* make
        assert.deepStrictEqual(yield* keyring.list, [])
        assert.deepStrictEqual(yield* keyring.secretKeys, [])
        assert.deepStrictEqual(yield* keyring.list, [])
      }).pipe(Effect.scoped))

    it.effect("creates the default key on first use and exports its public key", () =>
      Effect.gen(function*() {
        const keyring = yield* make
        const first = yield* keyring.ensureDefault
        assert.isTrue(first.isDefault)
        assert.strictEqual(first.kind, "x-wing")
        assert.deepStrictEqual(yield* keyring.ensureDefault, first)
        assert.strictEqual(yield* keyring.exportPublic(), first.publicKey)
        assert.strictEqual(keyIdOf(Result.getOrThrow(decodePublicKey(first.publicKey))), first.id)
      }).pipe(Effect.scoped))

    it.effect("exportPublic() on an empty keyring creates the first key", () =>
      Effect.gen(function*() {
        const keyring = yield* make
        const text = yield* keyring.exportPublic()
        assert.deepStrictEqual((yield* keyring.list).map((key) => [key.publicKey, key.isDefault]), [[text, true]])
      }).pipe(Effect.scoped))

    it.effect("rotate makes a new default and keeps old keys for decryption, default first", () =>
      Effect.gen(function*() {
        const keyring = yield* make
        const first = yield* keyring.ensureDefault
        const second = yield* keyring.rotate
        const third = yield* keyring.rotate
        assert.notStrictEqual(second.id, first.id)

        const listed = yield* keyring.list
        assert.deepStrictEqual(listed.map((key) => [key.id, key.isDefault]), [[first.id, false], [second.id, false], [third.id, true]])
        assert.strictEqual(yield* keyring.exportPublic(), third.publicKey)
        assert.strictEqual(yield* keyring.exportPublic(first.id), first.publicKey)
        const unknown = yield* Effect.flip(keyring.exportPublic("0123456789abcdef"))
        assert.strictEqual(unknown._tag, "KeyNotFound")
        assert.include(unknown.message, "no key with id 0123456789abcdef")

        const secrets = yield* keyring.secretKeys
        assert.deepStrictEqual(secrets.map((key) => key.id), [third.id, second.id, first.id])
        // What was encrypted to the first key still opens with the secret kept for it.
        const { cipherText, sharedSecret } = ml_kem768_x25519.encapsulate(Result.getOrThrow(decodePublicKey(first.publicKey)))
        assert.deepStrictEqual(ml_kem768_x25519.decapsulate(cipherText, secrets[2]!.secretKey), sharedSecret)
      }).pipe(Effect.scoped))

    it.effect("has one ML-DSA-65 signing key, made on first use, that signs and verifies", () =>
      Effect.gen(function*() {
        const keyring = yield* make
        const key = yield* keyring.signingKey
        assert.strictEqual(key.publicKey.byteLength, 1952)
        assert.strictEqual(key.secretKey.byteLength, 4032)
        assert.strictEqual(key.id, keyIdOf(key.publicKey))
        assert.deepStrictEqual(yield* keyring.list, [])
        assert.deepStrictEqual((yield* keyring.signingKey).publicKey, key.publicKey)

        const signature = yield* keyring.sign(message)
        assert.strictEqual(signature.byteLength, 3309)
        assert.isTrue(yield* keyring.verify(message, signature))
        assert.isFalse(yield* keyring.verify(new TextEncoder().encode("ledger head 43"), signature))
        assert.isFalse(yield* keyring.verify(message, signature.subarray(1)))
        assert.isTrue(verifySignature({ publicKey: yield* keyring.signingPublicKey, message, signature: key.sign(message) }))
      }).pipe(Effect.scoped))
  })

contract("KeyringLive", Effect.flatMap(tempDir, (dir) => open(dir).pipe(Effect.provide(FilesLive.layer))))
contract("KeyringTest", KeyringTest.make())

layer(FilesLive.layer)("KeyringLive on disk", (it) => {
  it.effect("creates its directory 0700 with an empty index", () =>
    Effect.gen(function*() {
      const dir = path.join(yield* tempDir, "state", "keys")
      const keyring = yield* open(dir)
      assert.strictEqual(keyring.directory, dir)
      assert.strictEqual(yield* modeOf(dir), 0o700)
      assert.deepStrictEqual(yield* names(dir), ["index.json"])
      assert.strictEqual(yield* modeOf(path.join(dir, "index.json")), 0o600)
    }).pipe(Effect.scoped))

  it.effect("keeps each key unsealed in its own mode-0600 file, and everything survives reopening", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const keyring = yield* open(dir)
      const first = yield* keyring.ensureDefault
      const second = yield* keyring.rotate
      const signing = yield* keyring.signingKey
      assert.deepStrictEqual(yield* names(dir), [
        "index.json",
        `ml-dsa-65-${signing.id}.key`,
        `x-wing-${first.id}.key`,
        `x-wing-${second.id}.key`
      ])
      for (const name of (yield* names(dir)).filter((file) => file.endsWith(".key"))) {
        assert.strictEqual(yield* modeOf(path.join(dir, name)), 0o600)
        assert.include(yield* readText(path.join(dir, name)), "NOT SEALED")
      }

      const reopened = yield* open(dir, "other")
      assert.deepStrictEqual(yield* reopened.list, yield* keyring.list)
      assert.deepStrictEqual(yield* reopened.secretKeys, yield* keyring.secretKeys)
      assert.deepStrictEqual(yield* reopened.signingPublicKey, signing.publicKey)
    }).pipe(Effect.scoped))

  it.effect("a key file left by a crash before its index write is ignored; the old default stands", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const first = yield* (yield* open(dir)).ensureDefault
      const before = yield* readText(path.join(dir, "index.json"))
      // The state a crash between "write key file" and "write index" leaves, plus a torn temporary index.
      const orphan = seeded("orphan")(32)
      const orphanId = keyIdOf(ml_kem768_x25519.getPublicKey(orphan))
      yield* writeSecretKeyFile(path.join(dir, `x-wing-${orphanId}.key`), { secretKey: orphan, protection: { unsealed: true } })
      yield* put(path.join(dir, "index.json.tmp-1-0000000000ab"), "{\"format\":\"sigmav")

      const keyring = yield* open(dir)
      assert.deepStrictEqual((yield* keyring.list).map((key) => [key.id, key.isDefault]), [[first.id, true]])
      assert.deepStrictEqual((yield* keyring.secretKeys).map((key) => key.id), [first.id])
      assert.strictEqual(yield* readText(path.join(dir, "index.json")), before)
      assert.notInclude(yield* names(dir), "index.json.tmp-1-0000000000ab")
    }).pipe(Effect.scoped))
})

layer(FilesLive.layer)("keyring errors", (it) => {
  it.effect("a corrupt index is named with what is wrong with it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const keyring = yield* open(dir)
      const first = yield* keyring.ensureDefault
      const index = path.join(dir, "index.json")
      const good = JSON.parse(yield* readText(index))

      yield* put(index, "{\"format\":\"sigmavault-keyring\",\"vers")
      let error = yield* Effect.flip(open(dir))
      assert.strictEqual(error._tag, "KeyringCorrupt")
      assert.include(error.message, `keyring index ${index} is corrupt: not valid JSON`)
      assert.strictEqual((yield* Effect.flip(keyring.list))._tag, "KeyringCorrupt")

      yield* put(index, JSON.stringify({ ...good, default: "ffffffffffffffff" }))
      error = yield* Effect.flip(open(dir))
      assert.include(error.message, "the default \"ffffffffffffffff\" is none of the listed keys")

      yield* put(index, JSON.stringify({ ...good, keys: [{ ...good.keys[0], file: "../../etc/passwd" }] }))
      error = yield* Effect.flip(open(dir))
      assert.include(error.message, "unexpected shape")

      yield* put(index, JSON.stringify({ ...good, version: 2 }))
      error = yield* Effect.flip(open(dir))
      assert.strictEqual(error._tag, "KeyringVersionTooNew")

      yield* put(index, JSON.stringify(good))
      assert.strictEqual((yield* (yield* open(dir)).ensureDefault).id, first.id)
    }).pipe(Effect.scoped))

  it.effect("a lost index beside key files is refused, not silently replaced", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const first = yield* (yield* open(dir)).ensureDefault
      yield* Effect.promise(() => fs.rm(path.join(dir, "index.json")))
      const error = yield* Effect.flip(open(dir))
      assert.strictEqual(error._tag, "KeyringCorrupt")
      assert.include(error.message, `x-wing-${first.id}.key`)
      assert.include(error.message, "restore it from a backup")
      assert.notInclude(yield* names(dir), "index.json")
    }).pipe(Effect.scoped))

  it.effect("a missing key file is named on open and on use", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const keyring = yield* open(dir)
      const first = yield* keyring.ensureDefault
      yield* keyring.rotate
      const file = path.join(dir, `x-wing-${first.id}.key`)
      yield* Effect.promise(() => fs.rm(file))
      const onOpen = yield* Effect.flip(open(dir))
      assert.strictEqual(onOpen._tag, "KeyFileMissing")
      assert.include(onOpen.message, `keyring key ${first.id} is listed in the index, but its file ${file} is missing`)
      const onUse = yield* Effect.flip(keyring.secretKeys)
      assert.strictEqual(onUse._tag, "KeyFileMissing")
    }).pipe(Effect.scoped))

  it.effect("permissions: a directory others may enter, a key file others may read", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const keyring = yield* open(dir)
      const first = yield* keyring.ensureDefault
      const file = path.join(dir, `x-wing-${first.id}.key`)
      yield* Effect.promise(() => fs.chmod(file, 0o644))
      const loose = yield* Effect.flip(keyring.secretKeys)
      assert.strictEqual(loose._tag, "KeyFileUnusable")
      assert.include(loose.message, `chmod 600 ${file}`)
      yield* Effect.promise(() => fs.chmod(file, 0o600))

      yield* Effect.promise(() => fs.chmod(dir, 0o755))
      const open755 = yield* Effect.flip(open(dir))
      assert.strictEqual(open755._tag, "KeyringPermissions")
      assert.include(open755.message, `mode 0755`)
      assert.include(open755.message, `chmod 700 ${dir}`)
    }).pipe(Effect.scoped))

  it.effect("a key file swapped for another key is caught by its id", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const keyring = yield* open(dir)
      const first = yield* keyring.ensureDefault
      const second = yield* keyring.rotate
      const firstFile = path.join(dir, `x-wing-${first.id}.key`)
      yield* Effect.promise(() => fs.copyFile(path.join(dir, `x-wing-${second.id}.key`), firstFile))
      const error = yield* Effect.flip(keyring.list)
      assert.strictEqual(error._tag, "KeyFileUnusable")
      assert.include(error.message, `it holds x-wing key ${second.id}, not the key the index names`)
    }).pipe(Effect.scoped))
})
