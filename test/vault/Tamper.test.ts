/**
 * Every way of damaging a vault file fails with its own error, and a
 * decryption never hands `write` anything but whole chunks that
 * authenticated, in order (docs/vault-format.md §7, §8).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { VaultChunkAuthFailed, VaultTrailingData, VaultTruncated } from "../../src/vault/Errors.ts"
import { wrapFileKey } from "../../src/vault/Recipients.ts"
import {
  CHUNK,
  chunksOf,
  concat,
  decryptOutcome,
  encryptBytes,
  failureOf,
  headerLength,
  keyPairOf,
  outcomeTag,
  patterned,
  STANZA,
  TAG
} from "./support.ts"

const alice = keyPairOf("sigmavault/vault/test/alice")
const bob = keyPairOf("sigmavault/vault/test/bob")
const carol = keyPairOf("sigmavault/vault/test/carol")

const SEALED = CHUNK + TAG
const H1 = headerLength(1)

/** Byte range of chunk `index` in a one-recipient vault file. */
const chunkAt = (index: number) => H1 + index * SEALED

const flip = (bytes: Uint8Array, offset: number, mask = 0x01) => {
  const copy = bytes.slice()
  copy[offset] = copy[offset]! ^ mask
  return copy
}

/** The file with chunk pieces rearranged: `order` lists which original chunk goes where. */
const rearranged = (vaultFile: Uint8Array, chunkCount: number, order: ReadonlyArray<number>) => {
  const chunk = (index: number) => vaultFile.slice(chunkAt(index), index === chunkCount - 1 ? vaultFile.byteLength : chunkAt(index + 1))
  return concat([vaultFile.slice(0, H1), ...order.map(chunk)])
}

/** Decrypts as alice and checks the error tag and that only `released` chunks of `plaintext` came out. */
const expectFailure = (vaultFile: Uint8Array, plaintext: Uint8Array, tag: string, released: number, what: string) =>
  Effect.gen(function*() {
    const { exit, written } = yield* decryptOutcome(vaultFile, [alice.secretKey])
    assert.strictEqual(outcomeTag(exit), tag, what)
    assert.deepStrictEqual(written, chunksOf(plaintext, released), `${what}: released plaintext`)
    return failureOf(exit)
  })

// Four chunks, the last one short; and two chunks, the last one full.
const shortFinal = patterned(3 * CHUNK + 1000, 1)
const fullFinal = patterned(2 * CHUNK, 2)

describe("Vault tamper: header", () => {
  it.effect("a change to any header byte fails before any plaintext is released, with the error for that field", () =>
    Effect.gen(function*() {
      const plaintext = patterned(100)
      const vaultFile = yield* encryptBytes(plaintext, [alice.publicKey])
      const expected = (offset: number): string => {
        if (offset < 8) return "NotAVaultFile"
        if (offset === 8) return "UnsupportedVaultVersion"
        // Chunk size 0x00010000: flipping the low bit of bytes 9 or 10 leaves the 64 KiB – 1 MiB range.
        if (offset === 9 || offset === 10) return "MalformedVaultHeader"
        if (offset === 13) return "MalformedVaultHeader" // 1 recipient becomes 0
        if (offset < 46) return "VaultHeaderAuthFailed" // chunk size still in range, or the payload salt
        if (offset < 46 + STANZA) return "NoMatchingRecipient" // the only stanza no longer opens
        return "VaultHeaderAuthFailed" // the MAC itself
      }
      const seen = new Map<string, number>()
      for (let offset = 0; offset < H1; offset++) {
        const { exit, written } = yield* decryptOutcome(flip(vaultFile, offset), [alice.secretKey])
        const tag = outcomeTag(exit)
        assert.strictEqual(tag, expected(offset), `byte ${offset}`)
        assert.strictEqual(written.length, 0, `byte ${offset}: nothing released`)
        seen.set(tag, (seen.get(tag) ?? 0) + 1)
      }
      assert.deepStrictEqual(Object.fromEntries(seen), {
        NotAVaultFile: 8,
        UnsupportedVaultVersion: 1,
        MalformedVaultHeader: 3,
        VaultHeaderAuthFailed: 2 + 32 + 32,
        NoMatchingRecipient: STANZA
      })
    }))

  it.effect("each header failure names what was wrong", () =>
    Effect.gen(function*() {
      const vaultFile = yield* encryptBytes(patterned(100), [alice.publicKey])
      const messageOf = (bytes: Uint8Array) =>
        Effect.map(decryptOutcome(bytes, [alice.secretKey]), ({ exit }) => failureOf(exit).message)
      assert.strictEqual(
        yield* messageOf(new TextEncoder().encode("hello world, not encrypted")),
        "not a SigmaVault encrypted file: expected the magic 53565641554c5400 (\"SVVAULT\\0\"), found 68656c6c6f20776f"
      )
      assert.strictEqual(yield* messageOf(new Uint8Array(0)), "not a SigmaVault encrypted file: the input is empty")
      const version2 = vaultFile.slice()
      version2[8] = 2
      assert.strictEqual(
        yield* messageOf(version2),
        "unsupported vault format version 2: this release reads version 1; the file was written by a newer SigmaVault"
      )
      const hugeChunks = vaultFile.slice()
      new DataView(hugeChunks.buffer).setUint32(9, 4 * 1024 * 1024)
      assert.strictEqual(
        yield* messageOf(hugeChunks),
        "malformed vault header: chunkSize is 4194304, outside 65536–1048576 bytes"
      )
      const noRecipients = vaultFile.slice()
      noRecipients[13] = 0
      assert.strictEqual(yield* messageOf(noRecipients), "malformed vault header: recipientCount is 0, at least 1 is needed")
      const moreRecipients = vaultFile.slice()
      moreRecipients[13] = 200
      assert.match(yield* messageOf(moreRecipients), /^vault file truncated at byte \d+: the input ends inside the header \(200 recipient stanzas and the MAC\)$/)
      assert.match(yield* messageOf(flip(vaultFile, 20)), /^vault header authentication failed: /)
      assert.strictEqual(
        yield* messageOf(flip(vaultFile, 50)),
        "no matching recipient: the file's only recipient stanza does not open with the given key; the file was not encrypted to it, or the stanza for it was damaged"
      )
    }))

  it.effect("a header cut short anywhere is reported as truncated, except an empty input", () =>
    Effect.gen(function*() {
      const plaintext = patterned(100)
      const vaultFile = yield* encryptBytes(plaintext, [alice.publicKey])
      yield* expectFailure(vaultFile.slice(0, 0), plaintext, "NotAVaultFile", 0, "empty")
      for (const length of [1, 4, 7, 8, 9, 12, 13, 14, 45, 46, 100, 46 + STANZA, H1 - 1]) {
        const error = yield* expectFailure(vaultFile.slice(0, length), plaintext, "VaultTruncated", 0, `cut at ${length}`)
        assert.strictEqual((error as VaultTruncated).offset, length, `cut at ${length}`)
      }
    }))
})

describe("Vault tamper: recipient stanzas", () => {
  const twoFiles = Effect.gen(function*() {
    const plaintext = patterned(3000)
    return {
      plaintext,
      a: yield* encryptBytes(plaintext, [alice.publicKey, bob.publicKey]),
      b: yield* encryptBytes(patterned(3000, 9), [alice.publicKey, bob.publicKey])
    }
  })
  const H2 = headerLength(2)
  const stanza = (file: Uint8Array, index: number) => file.slice(46 + index * STANZA, 46 + (index + 1) * STANZA)
  const withStanzas = (file: Uint8Array, stanzas: ReadonlyArray<Uint8Array>) => {
    const fixed = file.slice(0, 46)
    fixed[13] = stanzas.length
    return concat([fixed, ...stanzas, file.slice(H2 - 32)])
  }
  const tagFor = (file: Uint8Array, identity: Uint8Array) =>
    Effect.map(decryptOutcome(file, [identity]), ({ exit, written }) => {
      assert.strictEqual(written.length, 0)
      return outcomeTag(exit)
    })

  it.effect("a stanza swapped in from another file fails header authentication for every recipient", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoFiles
      const swapped = concat([b.slice(0, 46), stanza(b, 0), stanza(a, 1), b.slice(H2 - 32)])
      assert.strictEqual(yield* tagFor(swapped, alice.secretKey), "VaultHeaderAuthFailed")
      assert.strictEqual(yield* tagFor(swapped, bob.secretKey), "VaultHeaderAuthFailed")
    }))

  it.effect("stripping or reordering stanzas fails header authentication", () =>
    Effect.gen(function*() {
      const { a } = yield* twoFiles
      const stripped = withStanzas(a, [stanza(a, 0)])
      assert.strictEqual(yield* tagFor(stripped, alice.secretKey), "VaultHeaderAuthFailed")
      assert.strictEqual(yield* tagFor(stripped, bob.secretKey), "NoMatchingRecipient")
      const reordered = withStanzas(a, [stanza(a, 1), stanza(a, 0)])
      assert.strictEqual(yield* tagFor(reordered, alice.secretKey), "VaultHeaderAuthFailed")
      assert.strictEqual(yield* tagFor(reordered, bob.secretKey), "VaultHeaderAuthFailed")
    }))

  it.effect("a stanza added by someone without the file key fails header authentication, even for its own recipient", () =>
    Effect.gen(function*() {
      const { a } = yield* twoFiles
      const forged = wrapFileKey(new Uint8Array(32).fill(7), carol.publicKey, 2, new Uint8Array(64).fill(3))
      assert.isTrue(forged._tag === "Success")
      if (forged._tag !== "Success") return
      const added = withStanzas(a, [stanza(a, 0), stanza(a, 1), forged.success])
      assert.strictEqual(yield* tagFor(added, carol.secretKey), "VaultHeaderAuthFailed")
      assert.strictEqual(yield* tagFor(added, alice.secretKey), "VaultHeaderAuthFailed")
    }))

  it.effect("another file's header on this payload fails at the first chunk", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoFiles
      const mixed = concat([b.slice(0, H2), a.slice(H2)])
      const { exit, written } = yield* decryptOutcome(mixed, [alice.secretKey])
      assert.strictEqual(outcomeTag(exit), "VaultChunkAuthFailed")
      assert.strictEqual(written.length, 0)
    }))

  it.effect("a key the file was not encrypted to finds no stanza; the right key among wrong ones does", () =>
    Effect.gen(function*() {
      const { a, plaintext } = yield* twoFiles
      const wrong = yield* decryptOutcome(a, [carol.secretKey])
      assert.strictEqual(outcomeTag(wrong.exit), "NoMatchingRecipient")
      assert.strictEqual(wrong.written.length, 0)
      assert.strictEqual(
        failureOf(wrong.exit).message,
        "no matching recipient: none of the file's 2 recipient stanzas opens with the given key; the file was not encrypted to it, or the stanza for it was damaged"
      )
      const several = yield* decryptOutcome(a, [carol.secretKey, bob.secretKey])
      assert.strictEqual(outcomeTag(several.exit), "success")
      assert.deepStrictEqual(concat(several.written), plaintext)
    }))
})

describe("Vault tamper: payload", () => {
  it.effect("a changed byte anywhere in a chunk fails that chunk and releases only the chunks before it", () =>
    Effect.gen(function*() {
      const vaultFile = yield* encryptBytes(shortFinal, [alice.publicKey])
      for (let index = 0; index < 4; index++) {
        const end = index === 3 ? vaultFile.byteLength : chunkAt(index + 1)
        for (const offset of [chunkAt(index), chunkAt(index) + 1000, end - TAG, end - 1]) {
          const error = yield* expectFailure(flip(vaultFile, offset), shortFinal, "VaultChunkAuthFailed", index, `chunk ${index} byte ${offset}`)
          const failed = error as VaultChunkAuthFailed
          assert.deepStrictEqual([failed.chunk, failed.offset, failed.final], [index, chunkAt(index), index === 3])
        }
      }
    }))

  it.effect("a file cut at a chunk boundary before the final chunk is truncated", () =>
    Effect.gen(function*() {
      const vaultFile = yield* encryptBytes(shortFinal, [alice.publicKey])
      const atHeader = yield* expectFailure(vaultFile.slice(0, H1), shortFinal, "VaultTruncated", 0, "no chunks")
      assert.match(atHeader.message, /truncated at byte 1246: the input ends after the header, before any chunk/)
      for (const kept of [1, 2, 3]) {
        // The last complete chunk authenticates only as a non-final one, so it is held back.
        const error = yield* expectFailure(vaultFile.slice(0, chunkAt(kept)), shortFinal, "VaultTruncated", kept - 1, `${kept} chunks`)
        assert.strictEqual(
          error.message,
          `vault file truncated at byte ${chunkAt(kept)}: the input ends after chunk ${kept - 1}, before the final chunk`
        )
      }
    }))

  it.effect("a file cut inside a chunk is truncated when too little is left for a tag, else that chunk fails", () =>
    Effect.gen(function*() {
      const vaultFile = yield* encryptBytes(shortFinal, [alice.publicKey])
      for (let index = 0; index < 4; index++) {
        const size = index === 3 ? 1000 + TAG : SEALED
        for (const left of [1, 15, 16, 17, Math.floor(size / 2), size - 1]) {
          const cut = vaultFile.slice(0, chunkAt(index) + left)
          // 16 bytes is only a whole chunk as an empty file's sole chunk; after data it is a cut.
          const tag = left < TAG || (left === TAG && index > 0) ? "VaultTruncated" : "VaultChunkAuthFailed"
          const error = yield* expectFailure(cut, shortFinal, tag, index, `chunk ${index}, ${left} bytes left`)
          if (error._tag === "VaultChunkAuthFailed") {
            assert.isTrue(error.final)
            assert.match(error.message, /or the file was cut short inside it$/)
          }
        }
      }
    }))

  it.effect("dropped, swapped and duplicated chunks fail at the first chunk out of place", () =>
    Effect.gen(function*() {
      const vaultFile = yield* encryptBytes(shortFinal, [alice.publicKey])
      const cases: ReadonlyArray<readonly [string, ReadonlyArray<number>, string, number]> = [
        ["drop chunk 0", [1, 2, 3], "VaultChunkAuthFailed", 0],
        ["drop chunk 1", [0, 2, 3], "VaultChunkAuthFailed", 1],
        ["drop chunk 2", [0, 1, 3], "VaultChunkAuthFailed", 2],
        ["drop the final chunk", [0, 1, 2], "VaultTruncated", 2],
        ["swap chunks 0 and 1", [1, 0, 2, 3], "VaultChunkAuthFailed", 0],
        ["swap chunks 1 and 2", [0, 2, 1, 3], "VaultChunkAuthFailed", 1],
        ["swap chunks 2 and 3", [0, 1, 3, 2], "VaultChunkAuthFailed", 2],
        ["duplicate chunk 0", [0, 0, 1, 2, 3], "VaultChunkAuthFailed", 1],
        ["duplicate chunk 2", [0, 1, 2, 2, 3], "VaultChunkAuthFailed", 3],
        ["duplicate the short final chunk", [0, 1, 2, 3, 3], "VaultChunkAuthFailed", 3]
      ]
      for (const [what, order, tag, released] of cases) {
        const error = yield* expectFailure(rearranged(vaultFile, 4, order), shortFinal, tag, released, what)
        if (error._tag === "VaultChunkAuthFailed") assert.strictEqual(error.chunk, released, what)
      }
    }))

  it.effect("data after a full final chunk is trailing data; the final chunk is not released", () =>
    Effect.gen(function*() {
      const vaultFile = yield* encryptBytes(fullFinal, [alice.publicKey])
      const end = vaultFile.byteLength
      for (const extra of [Uint8Array.of(0), patterned(100), vaultFile.slice(chunkAt(1))]) {
        const error = yield* expectFailure(concat([vaultFile, extra]), fullFinal, "VaultTrailingData", 1, `${extra.byteLength} extra bytes`)
        assert.strictEqual((error as VaultTrailingData).offset, end)
        assert.strictEqual(error.message, `trailing data after the final chunk: the vault file should end at byte ${end} but continues`)
      }
    }))

  it.effect("data after a short final chunk makes that chunk fail", () =>
    Effect.gen(function*() {
      const vaultFile = yield* encryptBytes(shortFinal, [alice.publicKey])
      yield* expectFailure(concat([vaultFile, Uint8Array.of(0)]), shortFinal, "VaultChunkAuthFailed", 3, "one extra byte")
      yield* expectFailure(concat([vaultFile, patterned(CHUNK)]), shortFinal, "VaultChunkAuthFailed", 3, "a chunk's worth extra")
    }))

  it.effect("an empty file's chunk cannot be dropped, and a non-empty file cannot be cut down to an empty chunk", () =>
    Effect.gen(function*() {
      const empty = yield* encryptBytes(new Uint8Array(0), [alice.publicKey])
      yield* expectFailure(empty.slice(0, H1), new Uint8Array(0), "VaultTruncated", 0, "empty file without its chunk")
      const flipped = yield* expectFailure(flip(empty, H1 + 3), new Uint8Array(0), "VaultChunkAuthFailed", 0, "empty chunk changed")
      assert.isTrue((flipped as VaultChunkAuthFailed).final)
      const oneByte = yield* encryptBytes(Uint8Array.of(42), [alice.publicKey])
      yield* expectFailure(oneByte.slice(0, H1 + TAG), Uint8Array.of(42), "VaultChunkAuthFailed", 0, "cut to a tag's length")
    }))
})
