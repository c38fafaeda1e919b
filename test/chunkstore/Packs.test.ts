import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect, Result } from "effect"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import { chunkIdOf } from "../../src/chunkstore/ChunkId.ts"
import { identityCipher } from "../../src/chunkstore/Cipher.ts"
import { defaultCodec, entropyCodec, strategyCodec } from "../../src/chunkstore/Codec.ts"
import { type Codec, compressBytes } from "../../src/compress/Codecs.ts"
import { ChunkIndex, decodeIndex, encodeIndex } from "../../src/chunkstore/Index.ts"
import {
  decodeChunkHeader,
  encodeChunkHeader,
  openChunk,
  openPackWriter,
  type PackEntry,
  packFileName,
  readPack,
  readPackTrailer,
  scanRecords
} from "../../src/chunkstore/Packs.ts"
import { randomData, tempDir, textData } from "./support.ts"

const key = randomData("pack-test-key", 32)
const context = { cipher: identityCipher, chunkIdKey: key }

layer(FilesLive.layer)("pack files", (it) => {
  it.effect("a pack lists its chunks in its trailer, a scan of its records finds the same, and each chunk opens", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const chunks = [textData("p0", 20_000), randomData("p1", 30_000), new Uint8Array(0), textData("p3", 1)]
      const pack = yield* Effect.scoped(Effect.gen(function*() {
        const writer = yield* openPackWriter(dir, identityCipher)
        for (const chunk of chunks) {
          const choice = defaultCodec.choose(chunk)
          const stored = yield* compressBytes(choice.codec, choice.level, chunk)
          yield* writer.append({ id: chunkIdOf(key, chunk), codec: choice.codec, level: choice.level, rawLength: chunk.byteLength }, stored)
        }
        return yield* writer.finish()
      }))
      assert.deepStrictEqual(yield* Effect.promise(() => fs.readdir(dir)), [packFileName(pack.name)])
      const file = path.join(dir, packFileName(pack.name))
      const trailer = yield* readPackTrailer(file, identityCipher)
      assert.strictEqual(trailer.size, pack.size)
      assert.deepStrictEqual(Result.getOrThrow(trailer.entries), pack.entries)
      const bytes = yield* readPack(file)
      const scanned = scanRecords(bytes, identityCipher)
      assert.isUndefined(scanned.stopped)
      assert.deepStrictEqual(scanned.entries, pack.entries)
      for (const [i, entry] of pack.entries.entries()) {
        const plain = yield* openChunk(bytes.subarray(entry.offset, entry.offset + entry.length), entry.id, context)
        assert.deepStrictEqual(plain, chunks[i])
      }
      // The wrong id, or a flipped bit in the stored bytes, is damage.
      const first = pack.entries[0]!
      const record = bytes.slice(first.offset, first.offset + first.length)
      const wrongId = yield* Effect.flip(openChunk(record, pack.entries[1]!.id, context))
      assert.match(wrongId.reason, /not this one/)
      record[record.byteLength - 3]! ^= 1
      const flipped = yield* Effect.flip(openChunk(record, first.id, context))
      assert.strictEqual(flipped._tag, "ChunkDamaged")
    }).pipe(Effect.scoped))

  it.effect("an unfinished pack leaves no file behind", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.scoped(Effect.gen(function*() {
        const writer = yield* openPackWriter(dir, identityCipher)
        yield* writer.append({ id: chunkIdOf(key, new Uint8Array(1)), codec: "store", level: 0, rawLength: 1 }, new Uint8Array(1))
        assert.strictEqual((yield* Effect.promise(() => fs.readdir(dir))).length, 1)
      }))
      assert.deepStrictEqual(yield* Effect.promise(() => fs.readdir(dir)), [])
    }).pipe(Effect.scoped))

  it("a chunk header checks itself", () => {
    const header = { id: randomData("id", 32), codec: "brotli", level: -3, rawLength: 123_456, storedLength: 7890 }
    const bytes = encodeChunkHeader(header)
    assert.deepStrictEqual(Result.getOrThrow(decodeChunkHeader(bytes)), header)
    for (const at of [0, 33, 48, 55, 63]) {
      const damaged = bytes.slice()
      damaged[at]! ^= 0x40
      assert.isTrue(Result.isFailure(decodeChunkHeader(damaged)), `a flip at byte ${at} went unnoticed`)
    }
    assert.throws(() => encodeChunkHeader({ ...header, codec: "Not A Codec Name" }), RangeError)
  })
})

layer(FilesLive.layer)("chunk codecs", (it) => {
  it("the default stores random data as is and compresses text with brotli 1; sigmavault store's strategy uses zstd for text", () => {
    assert.deepStrictEqual(defaultCodec.choose(randomData("e", 100_000)), { codec: "store", level: 0 })
    assert.deepStrictEqual(defaultCodec.choose(textData("e", 100_000)), { codec: "brotli", level: 1 })
    assert.deepStrictEqual(entropyCodec({ codec: "gzip" }).choose(textData("e", 100_000)), { codec: "gzip", level: 6 })
    assert.deepStrictEqual(strategyCodec().choose(randomData("e", 100_000)), { codec: "store", level: 0 })
    assert.deepStrictEqual(strategyCodec().choose(textData("e", 100_000)), { codec: "zstd", level: 3 })
  })

  it.effect("every chunk opens with the codec its header names, whichever policy wrote it; an unknown codec or a chunk longer than recorded is damage", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const text = textData("codec", 50_000)
      const id = chunkIdOf(key, text)
      const choices: ReadonlyArray<readonly [Codec, number]> = [["brotli", 1], ["gzip", 9], ["zstd", 5], ["store", 0]]
      const pack = yield* Effect.scoped(Effect.gen(function*() {
        const writer = yield* openPackWriter(dir, identityCipher)
        for (const [codec, level] of choices) {
          yield* writer.append({ id, codec, level, rawLength: text.byteLength }, yield* compressBytes(codec, level, text))
        }
        yield* writer.append({ id, codec: "lz77-from-mars", level: 0, rawLength: text.byteLength }, text)
        // A chunk that decodes to far more than its header records, as a hostile pack could hold.
        yield* writer.append({ id, codec: "brotli", level: 1, rawLength: 1000 }, yield* compressBytes("brotli", 1, new Uint8Array(1_000_000)))
        return yield* writer.finish()
      }))
      const bytes = yield* readPack(path.join(dir, packFileName(pack.name)))
      const open = (entry: PackEntry) => openChunk(bytes.subarray(entry.offset, entry.offset + entry.length), id, context)
      for (const entry of pack.entries.slice(0, choices.length)) assert.deepStrictEqual(yield* open(entry), text)
      const unknown = yield* Effect.flip(open(pack.entries[choices.length]!))
      assert.match(unknown.reason, /cannot decompress "lz77-from-mars" chunks/)
      const bomb = yield* Effect.flip(open(pack.entries[choices.length + 1]!))
      assert.match(bomb.reason, /^brotli decompression failed: /)
    }).pipe(Effect.scoped))
})

layer(FilesLive.layer)("chunk index", (it) => {
  const entry = (seed: string, offset: number): PackEntry => ({ id: randomData(seed, 32), offset, length: 100 + offset, rawLength: 1000 + offset })

  it("finds every chunk, keeps the first copy of a duplicate, answers new chunks through its Bloom filter, and round-trips", () => {
    const index = ChunkIndex.empty(10)
    const packs = Array.from({ length: 20 }, (_, p) => ({
      name: Buffer.from(randomData(`pack-${p}`, 32)).toString("hex"),
      entries: Array.from({ length: 500 }, (_, i) => entry(`chunk-${p}-${i}`, 16 + i * 1000))
    }))
    for (const pack of packs) index.addPack(pack.name, 1e6, pack.entries)
    // A later pack holding copies of pack 0's first ten chunks (as an interrupted gc leaves).
    const copies = packs[0]!.entries.slice(0, 10).map((e, i) => ({ ...e, offset: 16 + i * 7 }))
    index.addPack("f".repeat(64), 999, copies)
    index.addPack("f".repeat(64), 999, copies) // listed again: no change

    assert.strictEqual(index.chunkCount, 10_000)
    assert.strictEqual(index.entryCount, 10_010)
    for (const pack of packs) {
      for (const e of pack.entries) {
        assert.deepStrictEqual(index.locate(e.id), { pack: pack.name, offset: e.offset, length: e.length, rawLength: e.rawLength })
        assert.isFalse(index.isNew(e.id))
      }
    }
    let fresh = 0
    for (let i = 0; i < 5000; i++) if (index.isNew(randomData(`unknown-${i}`, 32))) fresh++
    assert.strictEqual(fresh, 5000)
    // Sized for 1% false positives, the Bloom filter sent only a few "maybe"s on to the table.
    assert.isBelow(index.bloomFalsePositives, 150)
    assert.isFalse(index.isPrimary(10_000))
    assert.isTrue(index.isPrimary(0))

    const bytes = new Uint8Array(Buffer.concat(encodeIndex(index, identityCipher)))
    const decoded = Result.getOrThrow(decodeIndex(bytes, identityCipher))
    assert.deepStrictEqual(decoded.packs(), index.packs())
    for (let n = 0; n < index.entryCount; n += 97) assert.deepStrictEqual(decoded.entryAt(n), index.entryAt(n))
    bytes[100]! ^= 1
    assert.match(Result.getOrThrow(Result.flip(decodeIndex(bytes, identityCipher))), /checksum mismatch/)
  })
})
