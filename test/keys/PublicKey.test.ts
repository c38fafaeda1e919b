import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import * as fc from "fast-check"
import { generateKeyPair, generateSigningKeyPair } from "../../src/keys/KeyPair.ts"
import {
  decodePublicKey,
  decodeSigningPublicKey,
  encodePublicKey,
  encodeSigningPublicKey,
  type InvalidPublicKey,
  keyIdOf,
  parseRecipients,
  PUBLIC_KEY_PREFIX
} from "../../src/keys/PublicKey.ts"

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
const seed = (byte: number) => new Uint8Array(32).fill(byte)
const alice = generateKeyPair(seed(1)).publicKey
const bob = generateKeyPair(seed(2)).publicKey
const aliceText = encodePublicKey(alice)
const bobText = encodePublicKey(bob)

const failureOf = (result: Result.Result<Uint8Array, InvalidPublicKey>): InvalidPublicKey => {
  if (Result.isSuccess(result)) throw new Error("expected the text to be rejected")
  return result.failure
}

describe("public key text form", () => {
  it("round-trips any 1,216-byte key through svpk1… text of a fixed length", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1216, maxLength: 1216 }), (key) => {
        const text = encodePublicKey(key)
        assert.isTrue(text.startsWith(PUBLIC_KEY_PREFIX))
        assert.strictEqual(text.length, 1632)
        assert.deepStrictEqual(Result.getOrThrow(decodePublicKey(text)), key)
      }),
      { numRuns: 50 }
    )
  })

  it("round-trips ML-DSA-65 signing keys as svspk1…, and keeps the two kinds apart", () => {
    const signing = generateSigningKeyPair(seed(3)).publicKey
    const text = encodeSigningPublicKey(signing)
    assert.isTrue(text.startsWith("svspk1"))
    assert.deepStrictEqual(Result.getOrThrow(decodeSigningPublicKey(text)), signing)
    assert.include(failureOf(decodePublicKey(text)).message, "ML-DSA-65 signing key")
    assert.include(failureOf(decodeSigningPublicKey(aliceText)).message, "X-Wing encryption key")
  })

  it("ignores whitespace around the key, as a pasted line has", () => {
    assert.deepStrictEqual(Result.getOrThrow(decodePublicKey(`  ${aliceText}\r\n`)), alice)
  })

  it("catches every single-character substitution", () => {
    for (let i = 0; i < aliceText.length; i++) {
      for (const replacement of ALPHABET) {
        if (replacement === aliceText[i]) continue
        const changed = aliceText.slice(0, i) + replacement + aliceText.slice(i + 1)
        if (Result.isSuccess(decodePublicKey(changed))) assert.fail(`changing character ${i + 1} to ${replacement} went unnoticed`)
      }
    }
  })

  it("catches every truncation, deletion and insertion of one character", () => {
    for (let length = 0; length < aliceText.length; length++) {
      assert.isTrue(Result.isFailure(decodePublicKey(aliceText.slice(0, length))))
    }
    for (let i = 0; i < aliceText.length; i++) {
      assert.isTrue(Result.isFailure(decodePublicKey(aliceText.slice(0, i) + aliceText.slice(i + 1))))
      assert.isTrue(Result.isFailure(decodePublicKey(aliceText.slice(0, i) + "A" + aliceText.slice(i))))
    }
  })

  it("says which problem it found", () => {
    const truncated = failureOf(decodePublicKey(aliceText.slice(0, 1000)))
    assert.strictEqual(truncated.problem, "length")
    assert.include(truncated.message, "a truncated copy?")

    const typo = aliceText.slice(0, 100) + (aliceText[100] === "A" ? "B" : "A") + aliceText.slice(101)
    const mismatch = failureOf(decodePublicKey(typo))
    assert.strictEqual(mismatch.problem, "checksum")
    assert.strictEqual(mismatch.message, "not a SigmaVault public key: checksum mismatch (a typo or a truncated copy?)")

    const wrapped = failureOf(decodePublicKey(`${aliceText.slice(0, 64)}\n${aliceText.slice(64)}`))
    assert.strictEqual(wrapped.problem, "character")
    assert.include(wrapped.message, "character 65")
    assert.include(wrapped.message, "line-wrapped")

    assert.include(failureOf(decodePublicKey(aliceText.slice(0, 20) + "!" + aliceText.slice(21))).message, "character 21 is \"!\"")
    assert.strictEqual(failureOf(decodePublicKey("")).problem, "empty")
    assert.include(failureOf(decodePublicKey("age1qyqszqgpqyqszqgpqyqszqgpqyqszqgp")).message, "age recipient")
    assert.include(failureOf(decodePublicKey(aliceText.toUpperCase())).message, "lowercase svpk1")
    assert.include(failureOf(decodePublicKey("ssh-ed25519 AAAA")).message, "expected text starting with svpk1")
  })

  it("names a key by the first 8 bytes of SHA-256 of its bytes, in hex", () => {
    const expected = createHash("sha256").update(alice).digest("hex").slice(0, 16)
    assert.strictEqual(keyIdOf(alice), expected)
    assert.notStrictEqual(keyIdOf(alice), keyIdOf(bob))
  })
})

describe("recipients files", () => {
  it("reads one key per line, skipping comments and blank lines, keeping trailing comments as labels", () => {
    const text = `\uFEFF# team keys\r\n\r\n${aliceText}   # alice\r\n  ${bobText}\n\n# ${aliceText} (retired)\n${aliceText}\n`
    const recipients = Result.getOrThrow(parseRecipients(text, "team.txt"))
    assert.deepStrictEqual(
      recipients.map((r) => ({ id: r.id, line: r.line, label: r.label })),
      [
        { id: keyIdOf(alice), line: 3, label: "alice" },
        { id: keyIdOf(bob), line: 4, label: undefined }
      ]
    )
    assert.deepStrictEqual(recipients[0]!.publicKey, alice)
    assert.isFalse("label" in recipients[1]!)
  })

  it("accepts a file with no keys; the caller decides whether that is an error", () => {
    assert.deepStrictEqual(Result.getOrThrow(parseRecipients("# nobody yet\n\n")), [])
  })

  it("names the file and line of a bad key and says what is wrong with it", () => {
    const text = `# keys\n${aliceText}\n${bobText.slice(0, 800)}\n`
    const result = parseRecipients(text, "team.txt")
    assert.isTrue(Result.isFailure(result))
    if (Result.isFailure(result)) {
      assert.strictEqual(result.failure.line, 3)
      assert.match(result.failure.message, /^team\.txt line 3: not a SigmaVault public key: .*a truncated copy\?/)
    }
    const twoKeys = parseRecipients(`${aliceText} ${bobText}\n`, "team.txt")
    assert.isTrue(Result.isFailure(twoKeys) && twoKeys.failure.message.startsWith("team.txt line 1: expected one key per line"))
  })
})
