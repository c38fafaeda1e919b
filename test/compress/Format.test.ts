/**
 * The compressed-file format end to end in memory: round trips over sizes,
 * codecs, levels and piece sizes, and every way a damaged or cut file is
 * refused (docs/compression-format.md §6).
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import * as fc from "fast-check"
import * as Compress from "../../src/compress/Compress.ts"
import { BLOCK, compressed, concat, decompressed, failureOf, outcomeTag, randomBytes, textBytes } from "./support.ts"

const HEADER = 12
const RECORD = 13
const END = 41

interface Record {
  readonly offset: number
  readonly kind: number
  readonly originalLength: number
  readonly storedLength: number
}

/** The block records of a compressed file, read straight from the bytes as the format document lays them out. */
const recordsOf = (file: Uint8Array): Array<Record> => {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength)
  const records: Array<Record> = []
  for (let offset = HEADER; file[offset] !== 0;) {
    const record = { offset, kind: file[offset]!, originalLength: view.getUint32(offset + 1), storedLength: view.getUint32(offset + 5) }
    records.push(record)
    offset += RECORD + record.storedLength
  }
  return records
}

const endOf = (record: Record) => record.offset + RECORD + record.storedLength

/** Sizes around the block edges. */
const edgeSize = fc.oneof(
  fc.constantFrom(0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK, 3 * BLOCK + 7),
  fc.integer({ min: 0, max: 4 * BLOCK })
)

const contentOf = (kind: "text" | "random" | "mixed", size: number, seed: number): Uint8Array =>
  kind === "text"
    ? textBytes(size, seed)
    : kind === "random"
    ? randomBytes(size, `round-trip/${seed}`)
    : concat([textBytes(Math.floor(size / 2), seed), randomBytes(size - Math.floor(size / 2), `mixed/${seed}`)])

describe("round trip", () => {
  it.effect("gives back exactly the input, whatever its size, content, codec, level, concurrency and piece sizes", () =>
    Effect.gen(function*() {
      const run = Effect.runPromiseWith(yield* Effect.context<never>())
      const choice = fc.oneof(
        fc.constant({}),
        fc.constantFrom<Compress.CompressOptions>(
          { codec: "zstd", level: 1 },
          { codec: "zstd", level: 7 },
          { codec: "brotli", level: 1 },
          { codec: "brotli", level: 9 },
          { codec: "gzip", level: 1 },
          { codec: "gzip", level: 9 },
          { codec: "store" }
        )
      )
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            edgeSize,
            fc.constantFrom("text", "random", "mixed") as fc.Arbitrary<"text" | "random" | "mixed">,
            fc.integer({ min: 0, max: 1000 }),
            choice,
            fc.integer({ min: 1, max: 4 }),
            fc.integer({ min: 1, max: 100_000 }),
            fc.integer({ min: 1, max: 100_000 }),
            (size, kind, seed, options, concurrency, writePiece, readPiece) =>
              run(Effect.gen(function*() {
                const input = contentOf(kind, size, seed)
                const { file, result } = yield* compressed(input, { ...options, concurrency }, writePiece)
                const blocks = Math.ceil(size / BLOCK)
                assert.strictEqual(result.originalBytes, size)
                assert.strictEqual(result.compressedBytes, file.byteLength)
                assert.strictEqual(result.blocks.total, blocks)
                // Nothing grows by more than the framing: a block that would not shrink is kept raw.
                assert.isAtMost(file.byteLength, size + HEADER + END + RECORD * blocks)
                assert.deepStrictEqual([...file.subarray(0, 9)], [0x53, 0x56, 0x43, 0x4f, 0x4d, 0x50, 0x52, 0x00, 1])
                assert.deepStrictEqual([file[9], file[10], file[11]], [Compress.CODECS[result.strategy.codec].id, result.strategy.level, 16])
                const { exit, written } = yield* decompressed(file, { concurrency }, readPiece)
                assert.deepStrictEqual(Exit.map(exit, (r) => [r.originalBytes, r.compressedBytes, r.blocks]), Exit.succeed([size, file.byteLength, result.blocks]))
                assert.deepStrictEqual(written, input)
              }))
          ),
          { numRuns: 40 }
        )
      )
    }))

  it.effect("an input that stalls does not hold back blocks already verified: they are written while the next is awaited", () =>
    Effect.gen(function*() {
      const text = textBytes(3 * BLOCK, 5)
      const { file } = yield* compressed(text, { codec: "zstd", level: 3 })
      const [first, second] = recordsOf(file)
      // The first block whole, then part of the second; the rest only when the test says so.
      const cut = second!.offset + 5
      const go = yield* Deferred.make<void>()
      const firstWritten = yield* Deferred.make<void>()
      const written: Array<Uint8Array> = []
      const run = Effect.runPromiseWith(yield* Effect.context<never>())
      async function* pieces() {
        yield file.subarray(0, cut)
        await run(Deferred.await(go))
        yield file.subarray(cut)
      }
      const writer = async (bytes: Uint8Array) => {
        written.push(bytes.slice())
        await run(Deferred.succeed(firstWritten, undefined))
      }
      const fiber = yield* Effect.forkChild(Compress.decompress(pieces(), writer, { concurrency: 4 }))
      yield* Deferred.await(firstWritten)
      assert.deepStrictEqual(concat(written), text.subarray(0, first!.originalLength))
      yield* Deferred.succeed(go, undefined)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.originalBytes, text.byteLength)
      assert.deepStrictEqual(concat(written), text)
    }))

  it.effect("an empty input is a header and an end record that decompress to nothing", () =>
    Effect.gen(function*() {
      const { file, result } = yield* compressed(new Uint8Array(0))
      assert.strictEqual(file.byteLength, HEADER + END)
      assert.deepStrictEqual([result.strategy.rule, result.strategy.codec, result.blocks.total], ["empty", "store", 0])
      const { exit, written } = yield* decompressed(file)
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(written.byteLength, 0)
    }))

  it.effect("text shrinks several times; random data and already-compressed blocks are kept raw, not grown", () =>
    Effect.gen(function*() {
      const text = yield* compressed(textBytes(4 * BLOCK))
      assert.isAbove(text.result.ratio, 3)
      assert.deepStrictEqual(text.result.blocks, { total: 4, encoded: 4, raw: 0 })
      // A text start chooses zstd, but the random blocks after it are kept raw by the per-block check.
      const mixed = yield* compressed(concat([textBytes(2 * BLOCK), randomBytes(2 * BLOCK)]))
      assert.strictEqual(mixed.result.strategy.codec, "zstd")
      assert.deepStrictEqual(mixed.result.blocks, { total: 4, encoded: 2, raw: 2 })
      // With the per-block check off, zstd tries the random blocks, and keeps them raw because they did not shrink.
      const tried = yield* compressed(randomBytes(2 * BLOCK), { codec: "zstd", highEntropyBits: 8.5 })
      assert.deepStrictEqual(tried.result.blocks, { total: 2, encoded: 0, raw: 2 })
      assert.strictEqual(tried.file.byteLength, 2 * BLOCK + HEADER + END + 2 * RECORD)
    }))

  it.effect("reports progress after each block, ending at the input's size", () =>
    Effect.gen(function*() {
      const input = textBytes(2 * BLOCK + 100)
      const seen: Array<number> = []
      const { file } = yield* compressed(input, { onProgress: (n) => seen.push(n) })
      assert.deepStrictEqual(seen, [BLOCK, 2 * BLOCK, 2 * BLOCK + 100])
      const read: Array<number> = []
      yield* decompressed(file, { onProgress: (n) => read.push(n) })
      const records = recordsOf(file)
      assert.deepStrictEqual(read, [...records.map(endOf), file.byteLength])
    }))

  it.effect("refuses options outside what the format allows, before reading any input", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Compress.CompressOptions, string]> = [
        [{ blockSize: 100_000 }, "invalid block size: 100000 is not a power of two from 65536 to 16777216 (64 KiB – 16 MiB)"],
        [{ blockSize: 2 ** 25 }, "invalid block size: 33554432 is not a power of two from 65536 to 16777216 (64 KiB – 16 MiB)"],
        [{ level: 15, table: [{ kind: "text", codec: "gzip", level: 9, why: "" }] }, 'invalid level: gzip level 15 is outside 1–9 (the strategy table\'s rule for "text" uses gzip)'],
        [{ codec: "gzip", level: 0 }, "invalid level: gzip level 0 is outside 1–9"],
        [{ table: [{ kind: "text", codec: "zstd", level: 22, why: "" }] }, 'invalid strategy table: rule 0 ("text"): zstd level 22 is outside 1–19'],
        [{ table: [{ kind: "text", codec: "lzma" as Compress.Codec, level: 1, why: "" }] }, 'invalid strategy table: rule 0 ("text"): "lzma" is not a codec'],
        [{ concurrency: 0 }, "invalid concurrency: 0 is not a whole number from 1 to 64"]
      ]
      for (const [options, message] of cases) {
        let pulled = false
        async function* input() {
          pulled = true
          yield new Uint8Array(1)
        }
        const error = failureOf(yield* Effect.exit(Compress.compress(input(), async () => {}, options)))
        assert.deepStrictEqual([error._tag, error.message], ["InvalidCompressOption", message])
        assert.isFalse(pulled)
      }
    }))
})

describe("damaged and truncated files", () => {
  const input = textBytes(3 * BLOCK + 1000, 11)
  const original = Effect.map(compressed(input, { codec: "zstd", level: 3 }), ({ file }) => file)

  const refusal = (file: Uint8Array) =>
    Effect.map(decompressed(file), ({ exit, written }) => {
      const error = failureOf(exit) as { readonly _tag: string; readonly message: string }
      return { tag: error._tag, message: error.message, written }
    })

  const patched = (file: Uint8Array, offset: number, bytes: ReadonlyArray<number>) => {
    const copy = file.slice()
    copy.set(bytes, offset)
    return copy
  }

  it.effect("a bad magic, a newer version, an unknown codec or an impossible header field is named as such", () =>
    Effect.gen(function*() {
      const file = yield* original
      const cases: ReadonlyArray<readonly [Uint8Array, string, string]> = [
        [new Uint8Array(0), "NotACompressedFile", "not a SigmaVault compressed file: the input is empty"],
        [patched(file, 0, [0x50, 0x4b]), "NotACompressedFile", 'not a SigmaVault compressed file: expected the magic 5356434f4d505200 ("SVCOMPR\\0"), found 504b434f4d505200'],
        [patched(file, 8, [2]), "UnsupportedCompressionVersion", "unsupported compressed-file version 2: this release reads version 1; the file was written by a newer SigmaVault"],
        [patched(file, 8, [0]), "UnsupportedCompressionVersion", "unsupported compressed-file version 0: this release reads version 1"],
        [patched(file, 9, [9]), "UnknownCompressionCodec", "unknown compression codec id 9 in the header: this release knows 0 (store), 1 (zstd), 2 (brotli) and 3 (gzip); the file was written by a newer SigmaVault or is damaged"],
        [patched(file, 10, [25]), "MalformedCompressionHeader", "malformed compressed-file header: level is wrong: zstd level 25 is outside 1–19"],
        [patched(file, 11, [30]), "MalformedCompressionHeader", "malformed compressed-file header: blockSizeLog2 is 30, outside 16–24 (blocks of 64 KiB – 16 MiB)"]
      ]
      for (const [bytes, tag, message] of cases) {
        const { written, ...error } = yield* refusal(bytes)
        assert.deepStrictEqual(error, { tag, message })
        assert.strictEqual(written.byteLength, 0)
      }
    }))

  it.effect("a file cut anywhere is 'truncated at byte N', N being where it was cut", () =>
    Effect.gen(function*() {
      const file = yield* original
      const run = Effect.runPromiseWith(yield* Effect.context<never>())
      const [first] = recordsOf(file)
      const named: ReadonlyArray<readonly [number, string]> = [
        [5, "compressed file truncated at byte 5: the input ends inside the magic"],
        [10, "compressed file truncated at byte 10: the input ends inside the 12-byte header"],
        [HEADER, "compressed file truncated at byte 12: the input ends after the header, before any block or the end record"],
        [HEADER + 5, "compressed file truncated at byte 17: the input ends inside block 0's 13-byte record"],
        [HEADER + RECORD + 10, `compressed file truncated at byte 35: the input ends 10 bytes into block 0's ${first!.storedLength} bytes of data`],
        [endOf(first!), `compressed file truncated at byte ${endOf(first!)}: the input ends after block 0, before the end record`],
        [file.byteLength - 1, `compressed file truncated at byte ${file.byteLength - 1}: the input ends inside the 41-byte end record`]
      ]
      for (const [cut, message] of named) {
        const error = yield* refusal(file.subarray(0, cut))
        assert.deepStrictEqual([error.tag, error.message], ["CompressedFileTruncated", message])
      }
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.integer({ min: 1, max: file.byteLength - 1 }), (cut) =>
            run(Effect.gen(function*() {
              const error = yield* refusal(file.subarray(0, cut))
              assert.strictEqual(error.tag, "CompressedFileTruncated")
              assert.match(error.message, new RegExp(`^compressed file truncated at byte ${cut}: `))
            }))),
          { numRuns: 60 }
        )
      )
    }))

  it.effect("a changed byte in a block's data makes that block corrupt, and nothing of it or after it is written", () =>
    Effect.gen(function*() {
      const file = yield* original
      const records = recordsOf(file)
      const second = records[1]!
      const damaged = file.slice()
      damaged[second.offset + RECORD + Math.floor(second.storedLength / 2)]! ^= 0x55
      const { message, tag, written } = yield* refusal(damaged)
      assert.strictEqual(tag, "CompressedBlockCorrupt")
      assert.match(message, new RegExp(`^block 1 \\(at byte ${second.offset}\\) is corrupt: `))
      // Only the verified block before it was handed out.
      assert.deepStrictEqual(written, input.subarray(0, BLOCK))
    }))

  it.effect("a changed byte in a raw block fails its CRC-32", () =>
    Effect.gen(function*() {
      const { file } = yield* compressed(randomBytes(2 * BLOCK, "raw"))
      const [first] = recordsOf(file)
      assert.strictEqual(first!.kind, 2)
      const damaged = file.slice()
      damaged[first!.offset + RECORD + 100]! ^= 1
      const { message, tag } = yield* refusal(damaged)
      assert.strictEqual(tag, "CompressedBlockCorrupt")
      assert.match(message, /^block 0 \(at byte 12\) is corrupt: the CRC-32 of its raw bytes is [0-9a-f]{8}, its record says [0-9a-f]{8}$/)
    }))

  it.effect("an inconsistent block record is corrupt, checked before its data is read", () =>
    Effect.gen(function*() {
      const file = yield* original
      const [first] = recordsOf(file)
      const at = first!.offset
      const cases: ReadonlyArray<readonly [Uint8Array, string]> = [
        [patched(file, at, [7]), "unknown block kind 0x07 (0x01 encoded, 0x02 raw, 0x00 end)"],
        [patched(file, at + 1, [0, 1, 0, 1]), "its record gives an original length of 65537 bytes, outside 1–65536 (the block size)"],
        [patched(file, at + 1, [0, 0, 0, 0]), "its record gives an original length of 0 bytes, outside 1–65536 (the block size)"],
        [patched(file, at + 5, [0, 1, 0, 0]), "an encoded block must be shorter than its 65536 original bytes, but its record gives 65536"],
        [patched(file, at, [2]), `a raw block must store its 65536 original bytes, but its record gives ${first!.storedLength}`]
      ]
      for (const [bytes, reason] of cases) {
        const error = yield* refusal(bytes)
        assert.deepStrictEqual([error.tag, error.message], ["CompressedBlockCorrupt", `block 0 (at byte 12) is corrupt: ${reason}`])
      }
      // A wrong CRC in the record, over data that decodes fine.
      const crcWrong = yield* refusal(patched(file, at + 9, [0, 0, 0, 0]))
      assert.match(crcWrong.message, /^block 0 \(at byte 12\) is corrupt: the CRC-32 of its decompressed bytes is [0-9a-f]{8}, its record says 00000000$/)
    }))

  it.effect("a removed block is a size mismatch, swapped blocks a checksum mismatch, and so are a changed trailer's fields", () =>
    Effect.gen(function*() {
      const file = yield* original
      const [first, second] = recordsOf(file)
      const block0 = file.subarray(first!.offset, endOf(first!))
      const block1 = file.subarray(second!.offset, endOf(second!))
      const rest = file.subarray(endOf(second!))
      const head = file.subarray(0, HEADER)
      const size = input.byteLength
      const removed = yield* refusal(concat([head, block0, rest]))
      assert.deepStrictEqual([removed.tag, removed.message], [
        "CompressedSizeMismatch",
        `size mismatch: the trailer records ${size} original bytes but the blocks hold ${size - BLOCK}; blocks were removed or added`
      ])
      const swapped = yield* refusal(concat([head, block1, block0, rest]))
      assert.strictEqual(swapped.tag, "CompressedChecksumMismatch")
      assert.match(swapped.message, /^checksum mismatch: the trailer records SHA-256 [0-9a-f]{64} but the decompressed data hashes to [0-9a-f]{64}; blocks were reordered/)
      const endAt = file.byteLength - END
      const sizeChanged = yield* refusal(patched(file, endAt + 8, [file[endAt + 8]! ^ 1]))
      assert.strictEqual(sizeChanged.tag, "CompressedSizeMismatch")
      const shaChanged = yield* refusal(patched(file, file.byteLength - 1, [file[file.byteLength - 1]! ^ 1]))
      assert.strictEqual(shaChanged.tag, "CompressedChecksumMismatch")
    }))

  it.effect("bytes after the end record are refused", () =>
    Effect.gen(function*() {
      const file = yield* original
      const error = yield* refusal(concat([file, Uint8Array.of(0)]))
      assert.deepStrictEqual([error.tag, error.message], [
        "CompressedTrailingData",
        `trailing data after the trailer: the compressed file should end at byte ${file.byteLength} but continues`
      ])
    }))

  it.effect("the intact file still decompresses (the damage above is what fails)", () =>
    Effect.gen(function*() {
      const { exit, written } = yield* decompressed(yield* original)
      assert.strictEqual(outcomeTag(exit), "success")
      assert.deepStrictEqual(written, input)
    }))
})
