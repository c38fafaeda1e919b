import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, layer } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as Vault from "../../src/vault/Vault.ts"
import { CHUNK, concat, failureOf, fixedPieces, headerLength, keyPairOf, outcomeTag, patterned, recorder, TAG } from "./support.ts"

const alice = keyPairOf("sigmavault/vault/test/alice")
const bob = keyPairOf("sigmavault/vault/test/bob")

/** A fresh directory under the OS temp dir, removed when the test's scope closes. */
const tempDir = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "sigmavault-vault-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)

const put = (file: string, bytes: Uint8Array | string) => Effect.promise(() => fs.writeFile(file, bytes))
const bytesOf = (file: string) => Effect.promise(() => fs.readFile(file).then((buffer) => new Uint8Array(buffer)))
const list = (dir: string) => Effect.promise(() => fs.readdir(dir).then((names) => names.sort()))
const modeOf = (file: string) => Effect.promise(() => fs.stat(file).then((stat) => stat.mode & 0o777))

const plaintext = patterned(3 * CHUNK - 5)

/** `dir` with `plain` (the plaintext) and `plain.svault` (it encrypted to alice and bob). */
const prepared = Effect.gen(function*() {
  const dir = yield* tempDir
  const plain = path.join(dir, "plain")
  const sealed = path.join(dir, "plain.svault")
  yield* put(plain, plaintext)
  yield* Vault.encryptFile(plain, sealed, [alice.publicKey, bob.publicKey], { chunkSize: CHUNK })
  return { dir, plain, sealed }
})

layer(FilesLive.layer)("Vault files", (it) => {
  it.effect("encrypts a file and decrypts it again, leaving no temporary files", () =>
    Effect.gen(function*() {
      const { dir, sealed } = yield* prepared
      const out = path.join(dir, "plain.out")
      const result = yield* Vault.decryptFile(sealed, out, [bob.secretKey])
      assert.deepStrictEqual(result, { plaintextBytes: plaintext.byteLength, recipientIndex: 1, identityIndex: 0 })
      assert.deepStrictEqual(yield* bytesOf(out), plaintext)
      assert.strictEqual((yield* bytesOf(sealed)).byteLength, headerLength(2) + plaintext.byteLength + 3 * TAG)
      assert.deepStrictEqual(yield* list(dir), ["plain", "plain.out", "plain.svault"])
      // Decrypted plaintext is readable by its owner only.
      assert.strictEqual((yield* modeOf(out)) & 0o077, 0)
    }))

  it.effect("refuses to overwrite an existing output unless forced", () =>
    Effect.gen(function*() {
      const { dir, plain, sealed } = yield* prepared
      const out = path.join(dir, "existing")
      yield* put(out, "keep me")
      for (const attempt of [
        Effect.asVoid(Vault.decryptFile(sealed, out, [alice.secretKey])),
        Effect.asVoid(Vault.encryptFile(plain, out, [alice.publicKey]))
      ]) {
        const error = failureOf(yield* Effect.exit(attempt))
        assert.deepStrictEqual([error._tag, error.message], [
          "VaultOutputExists",
          `${out} already exists; not overwriting it (remove it or choose another output)`
        ])
        assert.strictEqual(new TextDecoder().decode(yield* bytesOf(out)), "keep me")
      }
      yield* Vault.decryptFile(sealed, out, [alice.secretKey], { force: true })
      assert.deepStrictEqual(yield* bytesOf(out), plaintext)
      assert.deepStrictEqual(yield* list(dir), ["existing", "plain", "plain.svault"])
    }))

  it.effect("a failed decryption leaves no output file, and an existing one untouched", () =>
    Effect.gen(function*() {
      const { dir, sealed } = yield* prepared
      const good = yield* bytesOf(sealed)
      const damaged = good.slice()
      damaged[headerLength(2) + 2 * (CHUNK + TAG) + 10]! ^= 1
      const cases: ReadonlyArray<readonly [string, Uint8Array, Uint8Array, string]> = [
        ["last chunk changed", damaged, alice.secretKey, "VaultChunkAuthFailed"],
        ["cut before the final chunk", good.slice(0, headerLength(2) + 2 * (CHUNK + TAG)), alice.secretKey, "VaultTruncated"],
        ["wrong key", good, keyPairOf("sigmavault/vault/test/mallory").secretKey, "NoMatchingRecipient"]
      ]
      for (const [what, bytes, identity, tag] of cases) {
        const input = path.join(dir, "bad.svault")
        yield* put(input, bytes)
        const out = path.join(dir, "out")
        assert.strictEqual(outcomeTag(yield* Effect.exit(Vault.decryptFile(input, out, [identity]))), tag, what)
        assert.deepStrictEqual(yield* list(dir), ["bad.svault", "plain", "plain.svault"], what)
        yield* put(out, "previous")
        assert.strictEqual(outcomeTag(yield* Effect.exit(Vault.decryptFile(input, out, [identity], { force: true }))), tag, what)
        assert.strictEqual(new TextDecoder().decode(yield* bytesOf(out)), "previous", what)
        yield* Effect.promise(() => fs.rm(out))
      }
    }))

  it.effect("a missing input is an I/O error naming the file, and creates nothing", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const missing = path.join(dir, "missing")
      const error = failureOf(yield* Effect.exit(Vault.encryptFile(missing, path.join(dir, "out"), [alice.publicKey])))
      assert.deepStrictEqual([error._tag, error.message], ["FileError", `cannot open ${missing}: no such file or directory`])
      assert.deepStrictEqual(yield* list(dir), [])
    }))

  it.effect("invalid arguments fail before any file is created", () =>
    Effect.gen(function*() {
      const { dir, plain, sealed } = yield* prepared
      const badRecipient = yield* Effect.exit(Vault.encryptFile(plain, path.join(dir, "a"), [alice.publicKey.slice(0, 100)]))
      assert.strictEqual(outcomeTag(badRecipient), "InvalidVaultKey")
      const badIdentity = yield* Effect.exit(Vault.decryptFile(sealed, path.join(dir, "b"), [new Uint8Array(5)]))
      assert.strictEqual(outcomeTag(badIdentity), "InvalidVaultKey")
      assert.deepStrictEqual(yield* list(dir), ["plain", "plain.svault"])
    }))

  it.effect("can encrypt a file in place when forced", () =>
    Effect.gen(function*() {
      const { dir, plain } = yield* prepared
      yield* Vault.encryptFile(plain, plain, [alice.publicKey], { force: true })
      const out = path.join(dir, "back")
      yield* Vault.decryptFile(plain, out, [alice.secretKey])
      assert.deepStrictEqual(yield* bytesOf(out), plaintext)
    }))

  it.effect("\"-\" reads standard input and writes standard output", () =>
    Effect.gen(function*() {
      const { dir, sealed } = yield* prepared
      const stdout = recorder()
      const result = yield* Vault.decryptFile("-", "-", [alice.secretKey], {
        stdin: fixedPieces(yield* bytesOf(sealed), 5000),
        stdout: stdout.writer
      })
      assert.strictEqual(result.plaintextBytes, plaintext.byteLength)
      assert.deepStrictEqual(concat(stdout.pieces), plaintext)

      const encrypted = recorder()
      yield* Vault.encryptFile("-", "-", [bob.publicKey], { stdin: fixedPieces(plaintext, 777), stdout: encrypted.writer })
      const out = path.join(dir, "from-stdin")
      yield* put(path.join(dir, "piped.svault"), concat(encrypted.pieces))
      yield* Vault.decryptFile(path.join(dir, "piped.svault"), out, [bob.secretKey])
      assert.deepStrictEqual(yield* bytesOf(out), plaintext)
    }))

  it.effect("a file input is cut into the same chunks as a stream, at and around chunk boundaries", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 1]) {
        const bytes = patterned(size, size)
        const plain = path.join(dir, `plain-${size}`)
        const sealed = path.join(dir, `sealed-${size}`)
        yield* put(plain, bytes)
        const fromFile = yield* Vault.encryptFile(plain, sealed, [alice.publicKey], { chunkSize: CHUNK })
        const fromStream = yield* Vault.encryptFile("-", "-", [alice.publicKey], {
          chunkSize: CHUNK,
          stdin: fixedPieces(bytes, 1000),
          stdout: recorder().writer
        })
        assert.deepStrictEqual(fromFile, fromStream, `${size} bytes`)
        // One chunk per started CHUNK bytes, and one (empty) for an empty input: no empty chunk after a full one.
        const chunks = Math.max(1, Math.ceil(size / CHUNK))
        assert.strictEqual(fromFile.ciphertextBytes, headerLength(1) + size + chunks * TAG, `${size} bytes`)
        const out = path.join(dir, `out-${size}`)
        assert.strictEqual((yield* Vault.decryptFile(sealed, out, [alice.secretKey])).plaintextBytes, size)
        assert.deepStrictEqual(yield* bytesOf(out), bytes, `${size} bytes`)
        // Cut at the end of the first chunk, or one byte longer: refused as the same bytes from a stream are.
        const whole = yield* bytesOf(sealed)
        const damaged: ReadonlyArray<readonly [Uint8Array, string]> = [
          [whole.subarray(0, headerLength(1) + CHUNK + TAG), size > CHUNK ? "VaultTruncated" : "success"],
          [concat([whole, Uint8Array.of(0)]), size > 0 && size % CHUNK === 0 ? "VaultTrailingData" : "VaultChunkAuthFailed"]
        ]
        for (const [bytes, expected] of damaged) {
          yield* put(sealed, bytes)
          const fromFileOutcome = outcomeTag(yield* Effect.exit(Vault.decryptFile(sealed, `${out}-damaged`, [alice.secretKey])))
          const fromStreamOutcome = outcomeTag(
            yield* Effect.exit(Vault.decryptFile("-", "-", [alice.secretKey], { stdin: fixedPieces(bytes, 999), stdout: recorder().writer }))
          )
          assert.deepStrictEqual([fromFileOutcome, fromStreamOutcome], [expected, expected], `${size} bytes, ${bytes.byteLength} of ${whole.byteLength}`)
          yield* Effect.promise(() => fs.rm(`${out}-damaged`, { force: true }))
        }
      }
    }))

  it.effect("\"-\" is refused where no standard stream was handed in (as in the daemon)", () =>
    Effect.gen(function*() {
      const { dir, sealed } = yield* prepared
      const noInput = failureOf(yield* Effect.exit(Vault.encryptFile("-", path.join(dir, "out"), [alice.publicKey])))
      assert.strictEqual(noInput.message, "cannot read standard input: \"-\" names no input here: no standard input was handed in")
      const noOutput = failureOf(yield* Effect.exit(Vault.decryptFile(sealed, "-", [alice.secretKey])))
      assert.strictEqual(noOutput.message, "cannot write standard output: \"-\" names no output here: no standard output was handed in")
      assert.deepStrictEqual(yield* list(dir), ["plain", "plain.svault"])
    }))

  it.effect("an interrupted encryption removes its temporary file", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const stalled = yield* Deferred.make<void>()
      // Two chunks' worth of input, then a stdin that never delivers more.
      async function* stdin() {
        yield patterned(CHUNK)
        yield patterned(CHUNK)
        Deferred.doneUnsafe(stalled, Exit.void)
        await new Promise<never>(() => {})
      }
      const out = path.join(dir, "out.svault")
      const fiber = yield* Effect.forkChild(Vault.encryptFile("-", out, [alice.publicKey], { chunkSize: CHUNK, stdin: stdin() }))
      yield* Deferred.await(stalled)
      const [temporary] = yield* list(dir)
      assert.match(temporary ?? "", /^out\.svault\.tmp-\d+-[0-9a-f]{12}$/)
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(yield* list(dir), [])
    }))
})
