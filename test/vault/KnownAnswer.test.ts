/**
 * Known answers: fixed keys and randomness give fixed bytes, so a change that
 * would stop old vault files from decrypting fails here. The stored vectors
 * and how they were made: test/fixtures/vault/README.md.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { gcm } from "@noble/ciphers/aes.js"
import { hkdf } from "@noble/hashes/hkdf.js"
import { hmac } from "@noble/hashes/hmac.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js"
import { Effect, Exit } from "effect"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as Vault from "../../src/vault/Vault.ts"
import { concat, decryptOutcome, encryptBytes, keyPairOf, seededRandom, seedOf } from "./support.ts"
import { HELLO, RECIPIENT_1, vectorInputs } from "./vectors.ts"

const fixtures = path.join(import.meta.dirname, "../fixtures/vault")

interface StoredVector {
  readonly name: string
  readonly plaintextLength: number
  readonly plaintextSha256: string
  readonly ciphertextLength: number
  readonly ciphertextSha256: string
  readonly ciphertextHex?: string
}

const stored = Effect.promise(() =>
  fs.readFile(path.join(fixtures, "vectors.json"), "utf8").then((text) =>
    new Map((JSON.parse(text) as { vectors: ReadonlyArray<StoredVector> }).vectors.map((vector) => [vector.name, vector]))
  )
)

const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, "hex"))

describe("Vault known answers", () => {
  it.effect("fixed keys and randomness give the stored ciphertext bytes", () =>
    Effect.gen(function*() {
      const vectors = yield* stored
      assert.strictEqual(vectors.size, vectorInputs.length)
      for (const input of vectorInputs) {
        const expected = vectors.get(input.name)!
        const ciphertext = yield* encryptBytes(
          input.plaintext(),
          input.recipients.map((label) => keyPairOf(label).publicKey),
          { chunkSize: input.chunkSize, random: seededRandom(input.random) }
        )
        assert.strictEqual(ciphertext.byteLength, expected.ciphertextLength, input.name)
        assert.strictEqual(sha256Hex(ciphertext), expected.ciphertextSha256, input.name)
        if (expected.ciphertextHex !== undefined) {
          assert.strictEqual(Buffer.from(ciphertext).toString("hex"), expected.ciphertextHex, input.name)
        }
      }
    }))

  it.effect("the stored ciphertexts decrypt for every recipient", () =>
    Effect.gen(function*() {
      const vectors = yield* stored
      for (const input of vectorInputs) {
        const expected = vectors.get(input.name)!
        const ciphertext = expected.ciphertextHex !== undefined
          ? fromHex(expected.ciphertextHex)
          : yield* encryptBytes(input.plaintext(), input.recipients.map((label) => keyPairOf(label).publicKey), {
            chunkSize: input.chunkSize,
            random: seededRandom(input.random)
          })
        for (const [index, label] of input.recipients.entries()) {
          const { exit, written } = yield* decryptOutcome(ciphertext, [keyPairOf(label).secretKey])
          assert.deepStrictEqual(Exit.map(exit, (result) => result.recipientIndex), Exit.succeed(index), input.name)
          const plaintext = concat(written)
          assert.strictEqual(plaintext.byteLength, expected.plaintextLength, input.name)
          assert.strictEqual(sha256Hex(plaintext), expected.plaintextSha256, input.name)
        }
      }
    }))

  it.effect("decryptFile reads the stored fixture file", () =>
    Effect.acquireUseRelease(
      Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "sigmavault-vault-kat-"))),
      (dir) =>
        Effect.gen(function*() {
          const out = path.join(dir, "hello.txt")
          const result = yield* Vault.decryptFile(path.join(fixtures, "hello.svault"), out, [seedOf(RECIPIENT_1)]).pipe(
            Effect.provide(FilesLive.layer)
          )
          assert.deepStrictEqual(result, { plaintextBytes: HELLO.byteLength, recipientIndex: 0, identityIndex: 0 })
          assert.deepStrictEqual(new Uint8Array(yield* Effect.promise(() => fs.readFile(out))), HELLO)
        }),
      (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
    ))

  it("the X-Wing implementation matches draft-connolly-cfrg-xwing-kem-08, Appendix C, vector 1", () => {
    const secretKey = fromHex("7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26")
    const eseed = fromHex(
      "3cb1eea988004b93103cfb0aeefd2a686e01fa4a58e8a3639ca8a1e3f9ae57e235b8cc873c23dc62b8d260169afa2f75ab916a58d974918835d25e6a435085b2"
    )
    const { publicKey } = ml_kem768_x25519.keygen(secretKey)
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex")
    assert.strictEqual(hex(publicKey.subarray(0, 36)), "e2236b35a8c24b39b10aa1323a96a919a2ced88400633a7b07131713fc14b2b5b19cfc3d")
    assert.strictEqual(hex(publicKey.subarray(-28)), "eff389b27dce59844570216223593d4ba32d9abac8cd049040ef6534")
    const { cipherText, sharedSecret } = ml_kem768_x25519.encapsulate(publicKey, eseed)
    assert.strictEqual(hex(cipherText.subarray(0, 36)), "b83aa828d4d62b9a83ceffe1d3d3bb1ef31264643c070c5798927e41fb07914a273f8f96")
    assert.strictEqual(hex(sharedSecret), "d2df0522128f09dd8e2c92b1e905c793d8f57a54c3da25861f10bf4ca613e384")
    assert.strictEqual(hex(ml_kem768_x25519.decapsulate(cipherText, secretKey)), hex(sharedSecret))
  })

  it.effect("a decoder written from docs/vault-format.md alone, with another AES-GCM, reads the stored vector", () =>
    Effect.gen(function*() {
      const bytes = fromHex((yield* stored).get("hello")!.ciphertextHex!)
      const ascii = (text: string) => new TextEncoder().encode(text)
      const view = new DataView(bytes.buffer, bytes.byteOffset)
      // §3.1
      assert.strictEqual(new TextDecoder().decode(bytes.subarray(0, 8)), "SVVAULT\0")
      assert.strictEqual(bytes[8], 1)
      const chunkSize = view.getUint32(9)
      assert.strictEqual(chunkSize, 65536)
      assert.strictEqual(bytes[13], 1)
      const salt = bytes.subarray(14, 46)
      // §3.2 and §4
      const ct = bytes.subarray(46, 46 + 1120)
      const wrapped = bytes.subarray(46 + 1120, 46 + 1168)
      const secretKey = seedOf(RECIPIENT_1)
      const publicKey = ml_kem768_x25519.getPublicKey(secretKey)
      const ss = ml_kem768_x25519.decapsulate(ct, secretKey)
      const wrapKey = hkdf(sha256, ss, undefined, concat([ascii("sigmavault/vault/v1/wrap-key"), ct, publicKey]), 32)
      const fileKey = gcm(wrapKey, new Uint8Array(12)).decrypt(wrapped)
      // §3.3 and §5
      const macKey = hkdf(sha256, fileKey, undefined, ascii("sigmavault/vault/v1/header-mac"), 32)
      assert.deepStrictEqual(hmac(sha256, macKey, bytes.subarray(0, 46 + 1168)), bytes.subarray(46 + 1168, 46 + 1168 + 32))
      // §3.4 and §6: one chunk, so chunk 0 is the final one.
      const payloadKey = hkdf(sha256, fileKey, salt, ascii("sigmavault/vault/v1/payload-key"), 32)
      const nonce = new Uint8Array(12)
      nonce[11] = 1
      assert.deepStrictEqual(gcm(payloadKey, nonce).decrypt(bytes.subarray(46 + 1168 + 32)), HELLO)
    }))
})
