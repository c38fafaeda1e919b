import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as fc from "fast-check"
import * as Compress from "../../src/compress/Compress.ts"
import { CompressionCodecFailed, reasonOf } from "../../src/compress/Errors.ts"
import { declaredContentSize, frameEnd, hasNativeZstd, zstdImplementation } from "../../src/compress/internal/zstd.ts"
import { failureOf, randomBytes, textBytes, utf8, zstdCli } from "./support.ts"

const LEVELS: ReadonlyArray<readonly [Compress.Codec, ReadonlyArray<number>]> = [
  ["zstd", [1, 3, 9, 19]],
  ["brotli", [0, 5, 11]],
  ["gzip", [1, 6, 9]],
  ["store", [0]]
]

describe("compressBytes / decompressBytes", () => {
  it.effect("every codec at low, middle and top levels gives the bytes back, and shrinks text", () =>
    Effect.gen(function*() {
      const text = textBytes(100_000, 5)
      for (const [codec, levels] of LEVELS) {
        for (const level of levels) {
          const packed = yield* Compress.compressBytes(codec, level, text)
          if (codec === "store") assert.strictEqual(packed.byteLength, text.byteLength)
          else assert.isBelow(packed.byteLength, text.byteLength / 2, `${codec} ${level}`)
          assert.deepStrictEqual(yield* Compress.decompressBytes(codec, packed, text.byteLength), text, `${codec} ${level}`)
        }
      }
    }))

  it.effect("round-trips any bytes, including empty and single-byte buffers", () =>
    Effect.gen(function*() {
      const run = Effect.runPromiseWith(yield* Effect.context<never>())
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.constantFrom<Compress.Codec>("zstd", "brotli", "gzip", "store"),
            fc.oneof(fc.uint8Array({ maxLength: 3 }), fc.uint8Array({ maxLength: 5_000 }), fc.integer({ min: 0, max: 50_000 }).map((n) => textBytes(n))),
            (codec, bytes) =>
              run(Effect.gen(function*() {
                const level = Compress.CODECS[codec].defaultLevel
                const packed = yield* Compress.compressBytes(codec, level, bytes)
                assert.deepStrictEqual(yield* Compress.decompressBytes(codec, packed, bytes.byteLength), bytes)
              }))
          ),
          { numRuns: 60 }
        )
      )
    }))

  it.effect("refuses unknown codecs and out-of-range levels, naming the range", () =>
    Effect.gen(function*() {
      const bytes = utf8("hello")
      const cases: ReadonlyArray<readonly [Effect.Effect<unknown, { readonly _tag: string; readonly message: string }>, string]> = [
        [Compress.compressBytes("zstd", 20, bytes), "invalid level: zstd level 20 is outside 1–19"],
        [Compress.compressBytes("zstd", 0, bytes), "invalid level: zstd level 0 is outside 1–19"],
        [Compress.compressBytes("brotli", 12, bytes), "invalid level: brotli level 12 is outside 0–11"],
        [Compress.compressBytes("gzip", 2.5, bytes), "invalid level: gzip level 2.5 is outside 1–9"],
        [Compress.compressBytes("store", 1, bytes), "invalid level: store takes only level 0, not 1"],
        [Compress.compressBytes("lz4" as Compress.Codec, 1, bytes), 'invalid codec: "lz4" is not one of store, zstd, brotli, gzip'],
        [Compress.decompressBytes("lz4" as Compress.Codec, bytes, 5), 'invalid codec: "lz4" is not one of store, zstd, brotli, gzip']
      ]
      for (const [attempt, message] of cases) {
        const error = failureOf(yield* Effect.exit(attempt))
        assert.deepStrictEqual([error._tag, error.message], ["InvalidCompressOption", message])
      }
    }))

  it.effect("damaged data and a wrong expected length fail with CompressionCodecFailed, never with more bytes", () =>
    Effect.gen(function*() {
      const text = textBytes(20_000, 2)
      for (const codec of ["zstd", "brotli", "gzip"] as const) {
        const packed = yield* Compress.compressBytes(codec, Compress.CODECS[codec].defaultLevel, text)
        const damaged = packed.slice()
        damaged[Math.floor(damaged.byteLength / 2)]! ^= 0xff
        const attempts = [
          ["damaged", Compress.decompressBytes(codec, damaged, text.byteLength)],
          ["too short expected", Compress.decompressBytes(codec, packed, text.byteLength - 1)],
          ["too long expected", Compress.decompressBytes(codec, packed, text.byteLength + 1)],
          ["cut", Compress.decompressBytes(codec, packed.subarray(0, packed.byteLength - 3), text.byteLength)]
        ] as const
        for (const [what, attempt] of attempts) {
          const exit = yield* Effect.exit(attempt)
          // A flipped byte may decode to other bytes of the right length (brotli and zstd carry no checksum):
          // the container's per-block CRC-32 catches that. What must never happen is more or fewer bytes.
          if (what === "damaged" && Exit.isSuccess(exit)) {
            assert.strictEqual(exit.value.byteLength, text.byteLength, `${codec} ${what}`)
            continue
          }
          const error = failureOf(exit)
          assert.strictEqual(error._tag, "CompressionCodecFailed", `${codec} ${what}`)
          assert.match(error.message, new RegExp(`^${codec} could not decompress: `), `${codec} ${what}`)
        }
      }
    }))
})

describe("a codec's failure in words", () => {
  it("names an errno once, and a zlib code before zlib's words", () => {
    const errno = Object.assign(new Error("EPIPE: broken pipe, write"), { code: "EPIPE" })
    const zlib = Object.assign(new Error("incorrect header check"), { code: "Z_DATA_ERROR" })
    const said = (error: unknown) => new CompressionCodecFailed({ codec: "gzip", operation: "decompress", reason: reasonOf(error) }).message
    assert.deepStrictEqual([said(errno), said(zlib), said(new Error("no code")), said("a string")], [
      "gzip could not decompress: EPIPE: broken pipe, write",
      "gzip could not decompress: Z_DATA_ERROR: incorrect header check",
      "gzip could not decompress: no code",
      "gzip could not decompress: a string"
    ])
  })
})

describe("zstd on this runtime", () => {
  it("reports which implementation it uses: WebAssembly on Node 20, node:zlib where zstd is native (Bun's own under Bun)", () => {
    assert.strictEqual(zstdImplementation(), hasNativeZstd() ? "node:zlib (native)" : "WebAssembly (@bokuweb/zstd-wasm 0.0.27)")
  })

  it("frameEnd finds where a frame ends from its block headers: one frame, two, a checksum, a cut", () => {
    const text = textBytes(300_000, 9)
    // Raw, RLE and compressed blocks, with and without the content checksum.
    for (const input of [text, new Uint8Array(200_000), randomBytes(150_000)]) {
      for (const args of [["-c", "-q", "-3"], ["-c", "-q", "-3", "--no-check"]]) {
        const frame = zstdCli(args, input)
        assert.strictEqual(frameEnd(frame), frame.byteLength)
        const two = new Uint8Array(frame.byteLength * 2)
        two.set(frame, 0)
        two.set(frame, frame.byteLength)
        assert.strictEqual(frameEnd(two), frame.byteLength)
        assert.strictEqual(frameEnd(frame.subarray(0, frame.byteLength - 1)), undefined)
      }
    }
    assert.strictEqual(frameEnd(randomBytes(64)), undefined)
  })

  it.effect("writes standard frames: the zstd command-line tool decompresses them", () =>
    Effect.gen(function*() {
      const text = textBytes(300_000, 4)
      for (const level of [1, 3, 19]) {
        const packed = yield* Compress.compressBytes("zstd", level, text)
        assert.strictEqual(declaredContentSize(packed), text.byteLength)
        assert.deepStrictEqual(zstdCli(["-d", "-c", "-q"], packed), text)
      }
    }))

  it.effect("reads the zstd command-line tool's frames, with and without a recorded content size", () =>
    Effect.gen(function*() {
      const text = textBytes(200_000, 6)
      // From standard input the tool does not know the size, so the frame records none.
      const streamed = zstdCli(["-c", "-q", "-3"], text)
      assert.strictEqual(declaredContentSize(streamed), "unknown")
      assert.deepStrictEqual(yield* Compress.decompressBytes("zstd", streamed, text.byteLength), text)
      const sized = zstdCli(["-c", "-q", "-19", "--content-size", "--stream-size=200000"], text)
      assert.strictEqual(declaredContentSize(sized), text.byteLength)
      assert.deepStrictEqual(yield* Compress.decompressBytes("zstd", sized, text.byteLength), text)
      // A frame that declares another size than expected is refused before decoding.
      const error = failureOf(yield* Effect.exit(Compress.decompressBytes("zstd", sized, 1_000)))
      assert.strictEqual(error._tag, "CompressionCodecFailed")
    }))

  it("declaredContentSize reads every size field width and rejects what is not a frame", () => {
    const frame = (descriptor: number, ...rest: Array<number>) => Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, descriptor, ...rest, 0, 0, 0)
    assert.strictEqual(declaredContentSize(frame(0x20, 200)), 200) // single segment, 1-byte size
    assert.strictEqual(declaredContentSize(frame(0x40, 0x58, 0x01, 0x10)), 0x1001 + 256) // window byte, 2-byte size + 256
    assert.strictEqual(declaredContentSize(frame(0xa0, 0x01, 0x02, 0x03, 0x04)), 0x04030201)
    assert.strictEqual(declaredContentSize(frame(0xe0, 1, 0, 0, 0, 1, 0, 0, 0)), 2 ** 32 + 1)
    assert.strictEqual(declaredContentSize(frame(0x00, 0x58)), "unknown")
    assert.strictEqual(declaredContentSize(frame(0x28)), "invalid") // reserved bit set
    assert.strictEqual(declaredContentSize(randomBytes(40)), "invalid")
    assert.strictEqual(declaredContentSize(Uint8Array.of(0x28, 0xb5)), "invalid")
  })
})
