import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as fc from "fast-check"
import * as Vault from "../../src/vault/Vault.ts"
import {
  CHUNK,
  chunksOf,
  concat,
  decryptOutcome,
  encryptBytes,
  failureOf,
  fixedPieces,
  headerLength,
  keyPairOf,
  outcomeTag,
  patterned,
  recorder,
  TAG
} from "./support.ts"

const people = Array.from({ length: 5 }, (_, index) => keyPairOf(`sigmavault/vault/test/person-${index}`))
const stranger = keyPairOf("sigmavault/vault/test/stranger")

/** Sizes around the chunk edges, where the final-chunk rules bite. */
const edgeSize = (chunkSize: number) =>
  fc.oneof(
    fc.constantFrom(0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 2 * chunkSize, 3 * chunkSize + 7),
    fc.integer({ min: 0, max: 4 * chunkSize })
  )

describe("Vault round trip", () => {
  it.effect("every recipient gets back exactly what was encrypted, whatever the size, chunk size and piece sizes", () =>
    Effect.gen(function*() {
      const run = Effect.runPromiseWith(yield* Effect.context<never>())
      const chunkSize = fc.oneof(fc.constant(CHUNK), fc.integer({ min: CHUNK, max: CHUNK + 40_000 }))
      const cuts = fc.array(fc.integer({ min: 0, max: 5 * CHUNK }), { maxLength: 6 })
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            chunkSize.chain((size) => fc.tuple(fc.constant(size), edgeSize(size))),
            fc.integer({ min: 1, max: 5 }),
            fc.integer({ min: 0, max: 255 }),
            cuts,
            cuts,
            ([chunkSize, size], recipientCount, seed, encryptCuts, decryptCuts) =>
              run(Effect.gen(function*() {
                const plaintext = patterned(size, seed)
                const recipients = people.slice(0, recipientCount)
                const vaultFile = yield* encryptBytes(plaintext, recipients.map((person) => person.publicKey), { chunkSize }, encryptCuts)
                const chunks = Math.max(1, Math.ceil(size / chunkSize))
                assert.strictEqual(vaultFile.byteLength, headerLength(recipientCount) + size + TAG * chunks)
                // The header says which chunk size was used.
                assert.strictEqual(new DataView(vaultFile.buffer, vaultFile.byteOffset).getUint32(9), chunkSize)
                for (const [index, person] of recipients.entries()) {
                  const { exit, written } = yield* decryptOutcome(vaultFile, [person.secretKey], decryptCuts)
                  assert.deepStrictEqual(
                    Exit.map(exit, (result) => result.recipientIndex),
                    Exit.succeed(index)
                  )
                  assert.deepStrictEqual(concat(written), plaintext)
                  // Released one whole chunk at a time.
                  assert.deepStrictEqual(written, chunksOf(plaintext, chunks, chunkSize))
                }
              }))
          ),
          { numRuns: 30 }
        )
      )
    }))

  it.effect("an empty input becomes one empty final chunk and decrypts to nothing", () =>
    Effect.gen(function*() {
      const vaultFile = yield* encryptBytes(new Uint8Array(0), [people[0]!.publicKey])
      assert.strictEqual(vaultFile.byteLength, headerLength(1) + TAG)
      const { exit, written } = yield* decryptOutcome(vaultFile, [people[0]!.secretKey])
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(concat(written).byteLength, 0)
    }))

  it.effect("a plaintext of whole chunks ends with a full final chunk, not an extra empty one", () =>
    Effect.gen(function*() {
      const vaultFile = yield* encryptBytes(patterned(2 * CHUNK), [people[0]!.publicKey])
      assert.strictEqual(vaultFile.byteLength, headerLength(1) + 2 * (CHUNK + TAG))
    }))

  it.effect("reports sizes, which stanza opened and which of several keys opened it", () =>
    Effect.gen(function*() {
      const plaintext = patterned(CHUNK + 5)
      const sink = recorder()
      const encrypted = yield* Vault.encrypt(fixedPieces(plaintext, 1000), sink.write, [people[1]!.publicKey, people[2]!.publicKey], {
        chunkSize: CHUNK
      })
      const vaultFile = concat(sink.pieces)
      assert.deepStrictEqual(encrypted, { plaintextBytes: CHUNK + 5, ciphertextBytes: vaultFile.byteLength })
      const decrypted = yield* Vault.decrypt(fixedPieces(vaultFile, 4096), async () => {}, [
        stranger.secretKey,
        people[2]!.secretKey,
        people[1]!.secretKey
      ])
      assert.deepStrictEqual(decrypted, { plaintextBytes: CHUNK + 5, recipientIndex: 0, identityIndex: 2 })
    }))

  it.effect("reports progress after each chunk, ending at the total", () =>
    Effect.gen(function*() {
      const plaintext = patterned(2 * CHUNK + 10)
      const encryptSeen: Array<number> = []
      const sink = recorder()
      yield* Vault.encrypt(fixedPieces(plaintext, 7000), sink.write, [people[0]!.publicKey], {
        chunkSize: CHUNK,
        onProgress: (bytes) => encryptSeen.push(bytes)
      })
      const decryptSeen: Array<number> = []
      yield* Vault.decrypt(fixedPieces(concat(sink.pieces), 7000), async () => {}, [people[0]!.secretKey], {
        onProgress: (bytes) => decryptSeen.push(bytes)
      })
      assert.deepStrictEqual(encryptSeen, [CHUNK, 2 * CHUNK, 2 * CHUNK + 10])
      assert.deepStrictEqual(decryptSeen, [CHUNK, 2 * CHUNK, 2 * CHUNK + 10])
    }))

  it.effect("uses the default chunk size when none is given", () =>
    Effect.gen(function*() {
      const sink = recorder()
      yield* Vault.encrypt(fixedPieces(patterned(10), 10), sink.write, [people[0]!.publicKey])
      const header = sink.pieces[0]!
      assert.strictEqual(new DataView(header.buffer, header.byteOffset).getUint32(9), Vault.DEFAULT_CHUNK_SIZE)
    }))
})

describe("Vault streaming", () => {
  /** A source of `total` bytes in `piece`-byte pieces that counts what was pulled from it. */
  const countingSource = (total: number, piece: number) => {
    const state = { pulled: 0, closed: false }
    async function* pieces() {
      try {
        for (let start = 0; start < total; start += piece) {
          const size = Math.min(piece, total - start)
          state.pulled += size
          yield patterned(size, start & 0xff)
        }
      } finally {
        state.closed = true
      }
    }
    return { state, pieces: pieces() }
  }

  it.effect("encryption reads at most one input piece beyond the chunk it is writing", () =>
    Effect.gen(function*() {
      const piece = 10_000
      const source = countingSource(10 * CHUNK + 123, piece)
      let sealedPlaintext = 0
      let worstLead = 0
      let headerSeen = false
      yield* Vault.encrypt(source.pieces, async (bytes) => {
        if (!headerSeen) {
          headerSeen = true
          return
        }
        sealedPlaintext += bytes.byteLength - TAG
        worstLead = Math.max(worstLead, source.state.pulled - sealedPlaintext)
      }, [people[0]!.publicKey], { chunkSize: CHUNK })
      assert.isAtMost(worstLead, piece)
      assert.strictEqual(sealedPlaintext, 10 * CHUNK + 123)
    }))

  it.effect("decryption reads at most one input piece beyond the chunk it is releasing", () =>
    Effect.gen(function*() {
      const plaintext = patterned(10 * CHUNK + 123)
      const vaultFile = yield* encryptBytes(plaintext, [people[0]!.publicKey])
      const piece = 10_000
      let pulled = 0
      async function* pieces() {
        for (let start = 0; start < vaultFile.byteLength; start += piece) {
          const slice = vaultFile.slice(start, start + piece)
          pulled += slice.byteLength
          yield slice
        }
      }
      let consumed = headerLength(1)
      let worstLead = 0
      yield* Vault.decrypt(pieces(), async (bytes) => {
        consumed += bytes.byteLength + TAG
        worstLead = Math.max(worstLead, pulled - consumed)
      }, [people[0]!.secretKey])
      assert.isAtMost(worstLead, piece)
    }))

  it.effect("stops reading its source when decryption fails early", () =>
    Effect.gen(function*() {
      const source = countingSource(20 * CHUNK, CHUNK)
      const exit = yield* Effect.exit(Vault.decrypt(source.pieces, async () => {}, [people[0]!.secretKey]))
      assert.strictEqual(outcomeTag(exit), "NotAVaultFile")
      assert.isTrue(source.state.closed)
      assert.strictEqual(source.state.pulled, CHUNK)
    }))

  it.effect("a failing write stops encryption with the writer's reason", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Vault.encrypt(fixedPieces(patterned(3 * CHUNK), CHUNK), async () => {
          throw new Error("disk full")
        }, [people[0]!.publicKey], { chunkSize: CHUNK })
      )
      const error = failureOf(exit)
      assert.strictEqual(error._tag, "FileError")
      assert.match(error.message, /cannot write the output stream: disk full/)
    }))
})

describe("Vault arguments", () => {
  const encryptTo = (recipients: ReadonlyArray<Uint8Array>, options: Vault.EncryptOptions = {}) =>
    Effect.exit(Vault.encrypt(fixedPieces(patterned(10), 10), async () => {}, recipients, options))

  it.effect("rejects chunk sizes outside 64 KiB – 1 MiB", () =>
    Effect.gen(function*() {
      for (const chunkSize of [CHUNK - 1, 1024 * 1024 + 1, CHUNK + 0.5, Number.NaN, 0]) {
        const error = failureOf(yield* encryptTo([people[0]!.publicKey], { chunkSize }))
        assert.strictEqual(error._tag, "InvalidVaultOption", String(chunkSize))
        assert.match(error.message, /^invalid chunk size: /)
      }
      for (const chunkSize of [CHUNK, 1024 * 1024]) {
        assert.isTrue(Exit.isSuccess(yield* encryptTo([people[0]!.publicKey], { chunkSize })))
      }
    }))

  it.effect("needs 1 to 255 recipients", () =>
    Effect.gen(function*() {
      assert.match(failureOf(yield* encryptTo([])).message, /at least one recipient/)
      const many = Array.from({ length: 256 }, () => people[0]!.publicKey)
      assert.match(failureOf(yield* encryptTo(many)).message, /256 given, a vault file holds at most 255/)
    }))

  it.effect("names the recipient whose public key is the wrong length or not an X-Wing key", () =>
    Effect.gen(function*() {
      const short = failureOf(yield* encryptTo([people[0]!.publicKey, people[1]!.publicKey.slice(1)]))
      assert.deepStrictEqual([short._tag, short.message], [
        "InvalidVaultKey",
        "recipient 1 is not an X-Wing public key: 1215 bytes, expected 1216"
      ])
      const invalid = failureOf(yield* encryptTo([new Uint8Array(1216).fill(0xff)]))
      assert.strictEqual(invalid._tag, "InvalidVaultKey")
      assert.match(invalid.message, /^recipient 0 is not an X-Wing public key: /)
    }))

  it.effect("names the identity that is not a 32-byte secret key, and needs at least one", () =>
    Effect.gen(function*() {
      const vaultFile = yield* encryptBytes(patterned(10), [people[0]!.publicKey])
      const wrongLength = failureOf((yield* decryptOutcome(vaultFile, [people[0]!.secretKey, new Uint8Array(2400)])).exit)
      assert.deepStrictEqual([wrongLength._tag, wrongLength.message], [
        "InvalidVaultKey",
        "identity 1 is not an X-Wing secret key: 2400 bytes, expected 32"
      ])
      const none = failureOf((yield* decryptOutcome(vaultFile, [])).exit)
      assert.deepStrictEqual([none._tag, none.message], ["InvalidVaultOption", "invalid identities: at least one secret key is needed"])
    }))

  it.effect("asks the random option for exactly what the format needs, in order", () =>
    Effect.gen(function*() {
      const asked: Array<number> = []
      yield* encryptTo([people[0]!.publicKey, people[1]!.publicKey], {
        random: (n) => {
          asked.push(n)
          return new Uint8Array(n).fill(asked.length)
        }
      })
      assert.deepStrictEqual(asked, [32, 32, 64, 64])
    }))
})
