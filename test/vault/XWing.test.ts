/**
 * The vault's X-Wing (ML-KEM-768 from noble, X25519 from node:crypto) gives
 * the bytes of @noble/post-quantum's `ml_kem768_x25519`, the reference the
 * format names (docs/vault-format.md §1): the same public keys, ciphertexts
 * and shared secrets for any seed and randomness, and the same refusals.
 */
import { assert, describe, it } from "@effect/vitest"
import { ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js"
import * as fc from "fast-check"
import * as XWing from "../../src/vault/XWing.ts"

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex")

describe("X-Wing", () => {
  it("matches ml_kem768_x25519 for random seeds and randomness", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (recipientSeed, otherSeed, randomness) => {
          const reference = ml_kem768_x25519.keygen(recipientSeed)
          const expanded = XWing.expand(recipientSeed)
          assert.strictEqual(hex(expanded.publicKey), hex(reference.publicKey))
          const ours = XWing.encapsulate(reference.publicKey, randomness)
          const theirs = ml_kem768_x25519.encapsulate(reference.publicKey, randomness)
          assert.strictEqual(hex(ours.cipherText), hex(theirs.cipherText))
          assert.strictEqual(hex(ours.sharedSecret), hex(theirs.sharedSecret))
          assert.strictEqual(hex(XWing.decapsulate(ours.cipherText, expanded)), hex(theirs.sharedSecret))
          // Another key decapsulates to what the reference gives it too (ML-KEM's implicit rejection).
          assert.strictEqual(
            hex(XWing.decapsulate(ours.cipherText, XWing.expand(otherSeed))),
            hex(ml_kem768_x25519.decapsulate(ours.cipherText, otherSeed))
          )
        }
      ),
      { numRuns: 20 }
    )
  })

  it("refuses a low-order X25519 point where the reference does", () => {
    const { publicKey, secretKey } = ml_kem768_x25519.keygen(new Uint8Array(32).fill(7))
    const lowOrder = publicKey.slice()
    lowOrder.fill(0, 1184)
    const randomness = new Uint8Array(64).fill(1)
    assert.throws(() => ml_kem768_x25519.encapsulate(lowOrder, randomness))
    assert.throws(() => XWing.encapsulate(lowOrder, randomness))
    const { cipherText } = XWing.encapsulate(publicKey, randomness)
    const badShare = cipherText.slice()
    badShare.fill(0, 1088)
    assert.throws(() => ml_kem768_x25519.decapsulate(badShare, secretKey))
    assert.throws(() => XWing.decapsulate(badShare, XWing.expand(secretKey)))
  })

  it("refuses an ML-KEM key with a coefficient out of range, as the reference does", () => {
    const { publicKey } = ml_kem768_x25519.keygen(new Uint8Array(32).fill(9))
    const bad = publicKey.slice()
    // The first 12-bit coefficient set to 4095 > q = 3329.
    bad[0] = 0xff
    bad[1] = bad[1]! | 0x0f
    const randomness = new Uint8Array(64).fill(2)
    assert.throws(() => ml_kem768_x25519.encapsulate(bad, randomness))
    assert.throws(() => XWing.encapsulate(bad, randomness))
  })
})
