import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, layer } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import { generateKeyPair, generateSigningKeyPair } from "../../src/keys/KeyPair.ts"
import { encodePublicKey } from "../../src/keys/PublicKey.ts"
import {
  calibrateScrypt,
  readSecretKeyFile,
  readSecretKeyFileInfo,
  type ScryptParams,
  type SecretKeyToWrite,
  writeSecretKeyFile
} from "../../src/keys/SecretKeyFile.ts"

/** Parameters are stored in the file, so tests can seal cheaply. */
const FAST: ScryptParams = { N: 2 ** 10, r: 8, p: 1 }
const pair = generateKeyPair(new Uint8Array(32).fill(7))
const sealed = (passphrase: string | Uint8Array = "correct horse battery staple"): SecretKeyToWrite => ({
  secretKey: pair.secretKey,
  protection: { passphrase, scrypt: FAST },
  created: new Date("2025-06-01T12:00:00.000Z")
})

const tempDir = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "sigmavault-keys-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)
const readText = (file: string) => Effect.promise(() => fs.readFile(file, "utf8"))
const put = (file: string, text: string, mode = 0o600) => Effect.promise(() => fs.writeFile(file, text, { mode }))
const modeOf = (file: string) => Effect.promise(() => fs.stat(file).then((stat) => stat.mode & 0o777))

layer(FilesLive.layer)("sealed secret key files", (it) => {
  it.effect("seal and unseal round-trip; the file is 0600 and shows the public key and creation time", () =>
    Effect.gen(function*() {
      const file = path.join(yield* tempDir, "me.key")
      const written = yield* writeSecretKeyFile(file, sealed())
      assert.strictEqual(yield* modeOf(file), 0o600)
      assert.strictEqual(written.mode, 0o600)
      const text = yield* readText(file)
      const lines = text.trimEnd().split("\n")
      assert.deepStrictEqual(lines.slice(0, 3), [
        "# SigmaVault secret key (x-wing), sealed with a passphrase",
        `# public key: ${encodePublicKey(pair.publicKey)}`,
        "# created: 2025-06-01T12:00:00.000Z"
      ])
      assert.strictEqual(lines.length, 4)
      const line = JSON.parse(lines[3]!)
      assert.deepInclude(line.kdf, { name: "scrypt", N: 1024, r: 8, p: 1 })
      assert.notProperty(line, "secretKey")

      const read = yield* readSecretKeyFile(file, "correct horse battery staple")
      assert.deepStrictEqual(read.secretKey, pair.secretKey)
      assert.deepStrictEqual(read.publicKey, pair.publicKey)
      assert.strictEqual(read.publicKeyText, encodePublicKey(pair.publicKey))
      assert.isTrue(read.sealed)
      assert.deepStrictEqual(read.scrypt, FAST)
      assert.strictEqual(read.created.toISOString(), "2025-06-01T12:00:00.000Z")
    }).pipe(Effect.scoped))

  it.effect("a wrong passphrase and a missing one are told apart", () =>
    Effect.gen(function*() {
      const file = path.join(yield* tempDir, "me.key")
      yield* writeSecretKeyFile(file, sealed())
      const wrong = yield* Effect.flip(readSecretKeyFile(file, "correct horse battery stapler"))
      assert.strictEqual(wrong._tag, "WrongPassphrase")
      assert.include(wrong.message, `wrong passphrase for ${file}`)
      const missing = yield* Effect.flip(readSecretKeyFile(file, undefined))
      assert.strictEqual(missing._tag, "PassphraseRequired")
      const info = yield* readSecretKeyFileInfo(file)
      assert.isTrue(info.sealed)
      assert.deepStrictEqual(info.publicKey, pair.publicKey)
    }).pipe(Effect.scoped))

  it.effect("a passphrase typed as composed or decomposed Unicode opens the same file", () =>
    Effect.gen(function*() {
      const file = path.join(yield* tempDir, "me.key")
      yield* writeSecretKeyFile(file, sealed("caf\u00e9 cr\u00e8me"))
      const read = yield* readSecretKeyFile(file, "cafe\u0301 cre\u0300me")
      assert.deepStrictEqual(read.secretKey, pair.secretKey)
    }).pipe(Effect.scoped))

  it.effect("refuses an empty passphrase rather than sealing with nothing", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const error = yield* Effect.flip(writeSecretKeyFile(path.join(dir, "me.key"), sealed("")))
      assert.strictEqual(error._tag, "EmptyPassphrase")
      assert.deepStrictEqual(yield* Effect.promise(() => fs.readdir(dir)), [])
    }).pipe(Effect.scoped))

  it.effect("moving the sealed key under another public key, or altering it, fails authentication", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "me.key")
      yield* writeSecretKeyFile(file, sealed())
      const text = yield* readText(file)
      const other = encodePublicKey(generateKeyPair(new Uint8Array(32).fill(8)).publicKey)
      const swapped = path.join(dir, "swapped.key")
      yield* put(swapped, text.replaceAll(encodePublicKey(pair.publicKey), other))
      assert.strictEqual((yield* Effect.flip(readSecretKeyFile(swapped, "correct horse battery staple")))._tag, "WrongPassphrase")

      const line = JSON.parse(text.trimEnd().split("\n")[3]!)
      const flipped = line.sealedKey[5] === "A" ? "B" : "A"
      line.sealedKey = line.sealedKey.slice(0, 5) + flipped + line.sealedKey.slice(6)
      const altered = path.join(dir, "altered.key")
      yield* put(altered, JSON.stringify(line))
      assert.strictEqual((yield* Effect.flip(readSecretKeyFile(altered, "correct horse battery staple")))._tag, "WrongPassphrase")
    }).pipe(Effect.scoped))
})

layer(FilesLive.layer)("unsealed secret key files", (it) => {
  it.effect("are written only when asked, and say so plainly", () =>
    Effect.gen(function*() {
      const file = path.join(yield* tempDir, "host.key")
      const info = yield* writeSecretKeyFile(file, { secretKey: pair.secretKey, protection: { unsealed: true } })
      assert.isFalse(info.sealed)
      const text = yield* readText(file)
      assert.isTrue(text.startsWith("# SigmaVault secret key (x-wing), NOT SEALED: anyone who can read this file can use the key\n"))
      assert.include(text, `"protection":"none","secretKey":"`)
      const read = yield* readSecretKeyFile(file, undefined)
      assert.deepStrictEqual(read.secretKey, pair.secretKey)
      assert.isFalse(read.sealed)
    }).pipe(Effect.scoped))

  it.effect("there is no default protection: leaving it out is a type error and dies", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      // @ts-expect-error protection is required
      const missing: SecretKeyToWrite = { secretKey: pair.secretKey }
      const defect = yield* Effect.exit(writeSecretKeyFile(path.join(dir, "a.key"), missing)).pipe(
        Effect.map((exit) => (exit._tag === "Failure" ? Cause.squash(exit.cause) : undefined))
      )
      assert.include(String(defect), "protection must be { passphrase } or { unsealed: true }")
      const notTrue = { secretKey: pair.secretKey, protection: { unsealed: false } } as unknown as SecretKeyToWrite
      assert.isTrue(Exit.isFailure(yield* Effect.exit(writeSecretKeyFile(path.join(dir, "b.key"), notTrue))))
      assert.deepStrictEqual(yield* Effect.promise(() => fs.readdir(dir)), [])
    }).pipe(Effect.scoped))

  it.effect("hold ML-DSA-65 signing seeds too", () =>
    Effect.gen(function*() {
      const file = path.join(yield* tempDir, "signing.key")
      const signing = generateSigningKeyPair(new Uint8Array(32).fill(9))
      yield* writeSecretKeyFile(file, { kind: "ml-dsa-65", secretKey: signing.seed, protection: { unsealed: true } })
      const read = yield* readSecretKeyFile(file, undefined)
      assert.strictEqual(read.kind, "ml-dsa-65")
      assert.isTrue(read.publicKeyText.startsWith("svspk1"))
      assert.deepStrictEqual(read.publicKey, signing.publicKey)
      assert.deepStrictEqual(read.secretKey, signing.seed)
    }).pipe(Effect.scoped))
})

layer(FilesLive.layer)("writing never overwrites", (it) => {
  it.effect("refuses an existing key file, or any file, and leaves it as it was", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "me.key")
      yield* writeSecretKeyFile(file, sealed())
      const before = yield* readText(file)
      const error = yield* Effect.flip(
        writeSecretKeyFile(file, { secretKey: generateKeyPair().secretKey, protection: { unsealed: true } })
      )
      assert.strictEqual(error._tag, "SecretKeyFileExists")
      assert.include(error.message, `refusing to overwrite ${file}`)
      assert.strictEqual(yield* readText(file), before)

      const notes = path.join(dir, "notes.txt")
      yield* put(notes, "hello")
      assert.strictEqual((yield* Effect.flip(writeSecretKeyFile(notes, sealed())))._tag, "SecretKeyFileExists")
      assert.strictEqual(yield* readText(notes), "hello")
    }).pipe(Effect.scoped))
})

layer(FilesLive.layer)("reading refuses what it should", (it) => {
  it.effect("a key file group or others may read, sealed or not, naming the fix", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      for (const [name, key] of [["sealed.key", sealed()], ["plain.key", { secretKey: pair.secretKey, protection: { unsealed: true } }]] as const) {
        const file = path.join(dir, name)
        yield* writeSecretKeyFile(file, key)
        yield* Effect.promise(() => fs.chmod(file, 0o644))
        const error = yield* Effect.flip(readSecretKeyFile(file, "correct horse battery staple"))
        assert.strictEqual(error._tag, "SecretKeyFilePermissions")
        assert.include(error.message, "mode 0644")
        assert.include(error.message, `chmod 600 ${file}`)
      }
    }).pipe(Effect.scoped))

  it.effect("files that are not key files, saying what they look like", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const cases: ReadonlyArray<[string, string]> = [
        [`${encodePublicKey(pair.publicKey)}\n`, "it holds a public key"],
        ["AGE-SECRET-KEY-1QQQQ\n", "age identity"],
        ["", "empty"],
        ["hello world\n", "expected \"# SigmaVault secret key"],
        ['{"format":"something-else"}\n', "expected"],
        ["\u0000\u0001binary", "binary"]
      ]
      for (const [index, [text, reason]] of cases.entries()) {
        const file = path.join(dir, `case-${index}.key`)
        yield* put(file, text)
        const error = yield* Effect.flip(readSecretKeyFile(file, "x"))
        assert.strictEqual(error._tag, "NotASecretKeyFile", text)
        assert.include(error.message, reason)
      }
      assert.strictEqual((yield* Effect.flip(readSecretKeyFile(path.join(dir, "absent.key"), "x")))._tag, "SecretKeyFileNotFound")
    }).pipe(Effect.scoped))

  it.effect("a file from a newer release, before anything else about it", () =>
    Effect.gen(function*() {
      const file = path.join(yield* tempDir, "future.key")
      yield* put(file, `# SigmaVault secret key\n{"format":"sigmavault-secret-key","version":2,"whatever":true}\n`)
      const error = yield* Effect.flip(readSecretKeyFile(file, "x"))
      assert.strictEqual(error._tag, "SecretKeyFileVersionTooNew")
      assert.include(error.message, "written by a newer SigmaVault")
    }).pipe(Effect.scoped))

  it.effect("a damaged key file is corrupt, not a wrong passphrase", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const good = path.join(dir, "good.key")
      yield* writeSecretKeyFile(good, sealed())
      const text = yield* readText(good)
      const plain = path.join(dir, "plain.key")
      yield* writeSecretKeyFile(plain, { secretKey: pair.secretKey, protection: { unsealed: true } })
      const plainText = yield* readText(plain)
      const otherSecret = Buffer.from(generateKeyPair(new Uint8Array(32).fill(3)).secretKey).toString("base64url")
      const cases: ReadonlyArray<[string, string]> = [
        [text.slice(0, text.length - 200), "not valid JSON"],
        [text.split("\n").slice(0, 3).join("\n"), "the key line is missing"],
        [`${text}extra line\n`, "unexpected text on line 5"],
        [text.replace(/"N":1024/, '"N":1000'), "not a power of two"],
        [text.replace(/"N":1024/, `"N":${2 ** 24}`), "more than 1 GiB"],
        [text.replace(/"p":1/, '"p":"1"'), "unexpected shape"],
        [text.replace(/"salt":"[^"]+"/, '"salt":"AAAA"'), "kdf.salt is not 16 bytes"],
        [text.replace(/"created":"[^"]+"/, '"created":"yesterday"'), "not a date"],
        [withTypoInPublicKey(text), "checksum mismatch"],
        [plainText.replace(/"secretKey":"[^"]+"/, `"secretKey":"${otherSecret}"`), "does not belong to the public key"]
      ]
      for (const [index, [damaged, reason]] of cases.entries()) {
        const file = path.join(dir, `damaged-${index}.key`)
        yield* put(file, damaged)
        const error = yield* Effect.flip(readSecretKeyFile(file, "correct horse battery staple"))
        assert.strictEqual(error._tag, "SecretKeyFileCorrupt", `case ${index}: ${error.message}`)
        assert.include(error.message, reason)
      }
    }).pipe(Effect.scoped))
})

/** The key file with one character of its JSON line's public key changed. */
const withTypoInPublicKey = (text: string) => {
  const lines = text.trimEnd().split("\n")
  const line = JSON.parse(lines[3]!)
  const key: string = line.publicKey
  line.publicKey = key.slice(0, 100) + (key[100] === "A" ? "B" : "A") + key.slice(101)
  return [...lines.slice(0, 3), JSON.stringify(line)].join("\n")
}

layer(FilesLive.layer)("calibrateScrypt", (it) => {
  it.effect("doubles N from 2^14 until a derivation takes the target, reporting each step", () =>
    Effect.gen(function*() {
      // A machine where 2^14 takes 70 ms and time doubles with N.
      const time = (params: ScryptParams) => Effect.succeed((params.N / 2 ** 14) * 70)
      const result = yield* calibrateScrypt(250, { time })
      assert.deepStrictEqual(result.params, { N: 2 ** 16, r: 8, p: 1 })
      assert.deepStrictEqual(result.samples, [
        { N: 2 ** 14, millis: 70 },
        { N: 2 ** 15, millis: 140 },
        { N: 2 ** 16, millis: 280 }
      ])
      const capped = yield* calibrateScrypt(1e9, { time, maxN: 2 ** 17 })
      assert.strictEqual(capped.params.N, 2 ** 17)
      assert.strictEqual(capped.samples.length, 4)
    }))
})
