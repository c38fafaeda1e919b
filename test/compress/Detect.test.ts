import * as zlib from "node:zlib"
import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Compress from "../../src/compress/Compress.ts"
import { entropyOf, HIGH_ENTROPY_BITS } from "../../src/compress/Detect.ts"
import { jpegBytes, mp4Bytes, pngBytes, randomBytes, tarBytes, textBytes, utf8, webpBytes, zipBytes, zstdCli } from "./support.ts"

const concatText = (lines: ReadonlyArray<string>) => utf8(lines.join("\n") + "\n")

const json = utf8(JSON.stringify({ pools: Array.from({ length: 200 }, (_, i) => ({ name: `tank${i}`, health: "ONLINE", used: i * 1024 })) }, null, 2))
const log = concatText(Array.from({ length: 200 }, (_, i) =>
  `2026-03-0${1 + (i % 9)}T12:${String(i % 60).padStart(2, "0")}:00Z INFO pulse: scrub of tank${i % 3} at ${i}%`))
const csv = concatText(["name,size,used,health", ...Array.from({ length: 100 }, (_, i) => `tank${i},${i * 4096},${i * 100},ONLINE`)])
const xml = utf8(`<?xml version="1.0"?>\n<pools>${"<pool name=\"tank\" health=\"ONLINE\"/>\n".repeat(100)}</pools>\n`)
const prose = utf8("SigmaVault keeps your files. ".repeat(300) + "Ünïcødé is text too — ✓\n")

describe("detect", () => {
  it.effect("names compressed formats made for real at test time: gzip, zstd, PNG, ZIP, our own container", () =>
    Effect.gen(function*() {
      const text = textBytes(50_000)
      const cases: ReadonlyArray<readonly [string, Uint8Array, string]> = [
        ["gzip", new Uint8Array(zlib.gzipSync(text)), "magic 1F 8B"],
        ["zstd", zstdCli(["-c", "-q"], text), "magic 28 B5 2F FD"],
        ["zstd", yield* Compress.compressBytes("zstd", 3, text), "magic 28 B5 2F FD"],
        ["png", pngBytes(), "magic 89 50 4E 47"],
        ["zip", zipBytes(), "magic 50 4B 03 04"],
        ["jpeg", jpegBytes(), "magic FF D8 FF"],
        ["mp4", mp4Bytes(), "magic 66 74 79 70 at byte 4"],
        ["webp", webpBytes(), "magic 52 49 46 46 + 57 45 42 50 at byte 8"]
      ]
      for (const [format, sample, evidence] of cases) {
        const detection = Compress.detect(sample)
        assert.deepStrictEqual([detection.format, detection.kind, detection.evidence], [format, "already-compressed", evidence], format)
      }
    }))

  it("names every format of the signature table from its magic alone", () => {
    for (const signature of Compress.SIGNATURES) {
      const sample = new Uint8Array(600)
      for (const { bytes, offset } of signature.magic) sample.set(bytes, offset)
      const detection = Compress.detect(sample)
      // Several signatures share a format (three kinds of ZIP); the first that matches names it.
      assert.strictEqual(detection.format, signature.format, signature.label)
      assert.strictEqual(detection.kind, signature.kind, signature.label)
    }
  })

  it("tells kinds of text apart, and counts valid UTF-8 with accents and symbols as text", () => {
    const cases: ReadonlyArray<readonly [string, Uint8Array]> = [["json", json], ["log", log], ["csv", csv], ["xml", xml], ["text", prose]]
    for (const [format, sample] of cases) {
      const detection = Compress.detect(sample)
      assert.deepStrictEqual([detection.format, detection.kind], [format, "text"], format)
      assert.match(detection.evidence, /^valid UTF-8, 0 control bytes, /)
      assert.isBelow(detection.entropy, 6)
    }
    // A multi-byte character cut by the end of the sample is still text.
    const cut = prose.subarray(0, prose.byteLength - 3)
    assert.strictEqual(Compress.detect(cut).kind, "text")
  })

  it("takes random bytes as high-entropy, and other binaries (an ELF executable, a tar) as other", () => {
    const random = Compress.detect(randomBytes(64 * 1024))
    assert.deepStrictEqual([random.format, random.kind], ["unknown", "high-entropy"])
    assert.isAtLeast(random.entropy, 7.9)
    const elf = Compress.detect(new Uint8Array(readFileSync(process.execPath).subarray(0, 64 * 1024)))
    assert.deepStrictEqual([elf.format, elf.kind, elf.evidence], ["elf", "other", "magic 7F 45 4C 46"])
    assert.deepStrictEqual([Compress.detect(tarBytes()).format, Compress.detect(tarBytes()).kind], ["tar", "other"])
    // Binary without a magic and with little entropy: NUL bytes and a repeating pattern.
    const binary = new Uint8Array(10_000).map((_, i) => (i % 16 === 0 ? 0 : i % 5))
    assert.deepStrictEqual([Compress.detect(binary).format, Compress.detect(binary).kind], ["unknown", "other"])
    assert.deepStrictEqual(Compress.detect(new Uint8Array(0)), { format: "empty", kind: "empty", label: "empty input", entropy: 0, evidence: "no bytes" })
  })

  it("the high-entropy threshold is the caller's to move", () => {
    const sample = randomBytes(4096).map((byte) => byte & 0x7f | 0x80) // 7 bits/byte, not UTF-8
    assert.approximately(entropyOf(sample), 7, 0.1)
    assert.strictEqual(Compress.detect(sample).kind, "other")
    assert.strictEqual(Compress.detect(sample, { highEntropyBits: 6.5 }).kind, "high-entropy")
    assert.strictEqual(HIGH_ENTROPY_BITS, 7.5)
  })

  it("entropy is 0 for one repeated byte and 8 for every byte equally often", () => {
    assert.strictEqual(entropyOf(new Uint8Array(1000).fill(65)), 0)
    assert.strictEqual(entropyOf(Uint8Array.from({ length: 256 * 4 }, (_, i) => i & 0xff)), 8)
  })
})

describe("chooseStrategy", () => {
  it("stores what is compressed or random, compresses text and other data with zstd 3, and says why", () => {
    assert.deepStrictEqual(Compress.chooseStrategy(Compress.detect(pngBytes())), {
      detected: "png",
      rule: "already-compressed",
      codec: "store",
      level: 0,
      reason: "PNG image (magic 89 50 4E 47): already compressed"
    })
    const text = Compress.chooseStrategy(Compress.detect(log))
    const other = Compress.chooseStrategy(Compress.detect(tarBytes()))
    assert.deepStrictEqual([text.rule, text.codec, text.level], ["text", "zstd", 3])
    assert.match(text.reason, /^log text \(valid UTF-8, .*\): text: zstd's default level compresses it several times$/)
    assert.deepStrictEqual([other.rule, other.codec, other.level], ["other", "zstd", 3])
    assert.strictEqual(other.reason, "tar archive (magic 75 73 74 61 at byte 257): balanced default")
    const random = Compress.chooseStrategy(Compress.detect(randomBytes(10_000)))
    assert.deepStrictEqual([random.rule, random.codec], ["high-entropy", "store"])
    assert.match(random.reason, /^unrecognised high-entropy data \(\d\.\d+ bits\/byte ≥ 7\.5, no known magic\): looks random/)
  })

  it("follows a caller's table, first match first, by format before kind, and stores when nothing matches", () => {
    const table: Compress.StrategyTable = [
      { kind: "json", codec: "brotli", level: 9, why: "JSON goes over the wire as brotli" },
      { kind: "text", codec: "gzip", level: 9, why: "everyone reads gzip" },
      { kind: "zip", codec: "zstd", level: 1, why: "recompress archives anyway" }
    ]
    const pick = (sample: Uint8Array) => {
      const { codec, level, rule } = Compress.chooseStrategy(Compress.detect(sample), table)
      return [rule, codec, level]
    }
    assert.deepStrictEqual(pick(json), ["json", "brotli", 9])
    assert.deepStrictEqual(pick(log), ["text", "gzip", 9])
    assert.deepStrictEqual(pick(zipBytes()), ["zip", "zstd", 1])
    const none = Compress.chooseStrategy(Compress.detect(pngBytes()), table)
    assert.deepStrictEqual([none.rule, none.codec, none.level], ["fallback", "store", 0])
    assert.strictEqual(none.reason, "PNG image (magic 89 50 4E 47): no rule of the strategy table matches, so stored")
    const anything = Compress.chooseStrategy(Compress.detect(pngBytes()), [{ kind: "*", codec: "gzip", level: 1, why: "always gzip" }])
    assert.deepStrictEqual([anything.rule, anything.codec], ["*", "gzip"])
  })

  it("overrides: a codec forces compression, a level adjusts the chosen codec but never un-stores", () => {
    const png = Compress.detect(pngBytes())
    assert.deepStrictEqual(Compress.chooseStrategy(png, Compress.DEFAULT_STRATEGY, { codec: "zstd" }), {
      detected: "png",
      rule: "override",
      codec: "zstd",
      level: 3,
      reason: "PNG image (magic 89 50 4E 47): zstd level 3 as asked"
    })
    const forced = Compress.chooseStrategy(png, Compress.DEFAULT_STRATEGY, { codec: "brotli", level: 2 })
    assert.deepStrictEqual([forced.codec, forced.level], ["brotli", 2])
    const levelled = Compress.chooseStrategy(Compress.detect(log), Compress.DEFAULT_STRATEGY, { level: 12 })
    assert.deepStrictEqual([levelled.rule, levelled.codec, levelled.level], ["text", "zstd", 12])
    assert.match(levelled.reason, /compresses it several times; level 12 as asked$/)
    const stored = Compress.chooseStrategy(png, Compress.DEFAULT_STRATEGY, { level: 12 })
    assert.deepStrictEqual([stored.codec, stored.level], ["store", 0])
    assert.match(stored.reason, /level 12 not used \(name a codec to force compression\)$/)
  })

  it("the default table is plain data a caller can extend", () => {
    assert.deepStrictEqual(Compress.DEFAULT_STRATEGY.map((rule) => [rule.kind, rule.codec, rule.level]), [
      ["empty", "store", 0],
      ["already-compressed", "store", 0],
      ["high-entropy", "store", 0],
      ["text", "zstd", 3],
      ["other", "zstd", 3]
    ])
    const table = [{ kind: "log", codec: "zstd", level: 12, why: "logs are kept for years" } as const, ...Compress.DEFAULT_STRATEGY]
    assert.deepStrictEqual(Compress.chooseStrategy(Compress.detect(log), table).level, 12)
    assert.deepStrictEqual(Compress.chooseStrategy(Compress.detect(json), table).level, 3)
  })
})
