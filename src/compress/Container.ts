/**
 * The compressed-file format (docs/compression-format.md): a 12-byte header,
 * independently compressed blocks each behind a 13-byte record, and an end
 * record with the original size and SHA-256. This module encodes those
 * pieces and reads them back with every check the format asks for; the
 * pipelines that run the blocks through a codec are in Compress.ts.
 */
import { Effect } from "effect"
import type { FileError } from "../adapters/fs/Files.ts"
import type { ByteReader } from "../fileio/ByteReader.ts"
import { type Codec, CODECS, codecOfId, levelProblem } from "./Codecs.ts"
import {
  CompressedBlockCorrupt,
  CompressedFileTruncated,
  MalformedCompressionHeader,
  NotACompressedFile,
  UnknownCompressionCodec,
  UnsupportedCompressionVersion
} from "./Errors.ts"

/** "SVCOMPR\0". Like the version byte after it, frozen for every version. */
export const MAGIC = Uint8Array.of(0x53, 0x56, 0x43, 0x4f, 0x4d, 0x50, 0x52, 0x00)
export const VERSION = 1
export const HEADER_BYTES = 12
export const RECORD_BYTES = 13
export const SHA256_BYTES = 32
/** The end record: its kind byte, the original size (u64) and the SHA-256. */
export const END_BYTES = 1 + 8 + SHA256_BYTES

export const MIN_BLOCK_LOG2 = 16
export const MAX_BLOCK_LOG2 = 24
export const MIN_BLOCK_SIZE = 2 ** MIN_BLOCK_LOG2
export const MAX_BLOCK_SIZE = 2 ** MAX_BLOCK_LOG2

export const BlockKind = {
  /** The end record: the trailer follows. */
  end: 0x00,
  /** Data compressed with the header's codec, shorter than its original. */
  encoded: 0x01,
  /** Data stored as it is: the codec would not have shrunk it. */
  raw: 0x02
} as const

export interface Header {
  readonly codec: Codec
  readonly level: number
  readonly blockSize: number
}

export const encodeHeader = (codec: Codec, level: number, blockSize: number): Uint8Array => {
  const header = new Uint8Array(HEADER_BYTES)
  header.set(MAGIC, 0)
  header[8] = VERSION
  header[9] = CODECS[codec].id
  header[10] = level
  header[11] = Math.log2(blockSize)
  return header
}

export const encodeRecord = (kind: number, originalLength: number, storedLength: number, crc: number): Uint8Array => {
  const record = new Uint8Array(RECORD_BYTES)
  const view = new DataView(record.buffer)
  record[0] = kind
  view.setUint32(1, originalLength)
  view.setUint32(5, storedLength)
  view.setUint32(9, crc)
  return record
}

export const encodeEnd = (originalSize: number, sha256: Uint8Array): Uint8Array => {
  const end = new Uint8Array(END_BYTES)
  const view = new DataView(end.buffer)
  end[0] = BlockKind.end
  view.setBigUint64(1, BigInt(originalSize))
  end.set(sha256, 9)
  return end
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")

export type HeaderError =
  | NotACompressedFile
  | UnsupportedCompressionVersion
  | UnknownCompressionCodec
  | MalformedCompressionHeader
  | CompressedFileTruncated
  | FileError

/** Reads and checks the header: magic, version, codec, level, block size, in that order. */
export const readHeader = (reader: ByteReader): Effect.Effect<Header, HeaderError> =>
  Effect.gen(function*() {
    const magic = yield* reader.read(MAGIC.byteLength)
    if (magic.byteLength < MAGIC.byteLength || !magic.every((byte, i) => byte === MAGIC[i])) {
      // A short input that is a prefix of the magic is a truncated file, anything else is not ours.
      if (magic.byteLength > 0 && magic.byteLength < MAGIC.byteLength && magic.every((byte, i) => byte === MAGIC[i])) {
        return yield* Effect.fail(new CompressedFileTruncated({ offset: magic.byteLength, reason: "the input ends inside the magic" }))
      }
      return yield* Effect.fail(new NotACompressedFile({ found: hex(magic) }))
    }
    const rest = yield* reader.read(HEADER_BYTES - MAGIC.byteLength)
    if (rest.byteLength >= 1 && rest[0] !== VERSION) {
      return yield* Effect.fail(new UnsupportedCompressionVersion({ version: rest[0]!, supported: VERSION }))
    }
    if (rest.byteLength < HEADER_BYTES - MAGIC.byteLength) {
      return yield* Effect.fail(
        new CompressedFileTruncated({ offset: MAGIC.byteLength + rest.byteLength, reason: `the input ends inside the ${HEADER_BYTES}-byte header` })
      )
    }
    const codec = codecOfId(rest[1]!)
    if (codec === undefined) return yield* Effect.fail(new UnknownCompressionCodec({ id: rest[1]! }))
    const level = rest[2]!
    const levelWrong = levelProblem(codec, level)
    if (levelWrong !== undefined) return yield* Effect.fail(new MalformedCompressionHeader({ field: "level", reason: `is wrong: ${levelWrong}` }))
    const blockLog = rest[3]!
    if (blockLog < MIN_BLOCK_LOG2 || blockLog > MAX_BLOCK_LOG2) {
      return yield* Effect.fail(
        new MalformedCompressionHeader({
          field: "blockSizeLog2",
          reason: `is ${blockLog}, outside ${MIN_BLOCK_LOG2}–${MAX_BLOCK_LOG2} (blocks of 64 KiB – 16 MiB)`
        })
      )
    }
    return { codec, level, blockSize: 2 ** blockLog }
  })

export interface DataRecord {
  readonly _tag: "Data"
  readonly index: number
  /** Where the record starts in the compressed file. */
  readonly offset: number
  readonly raw: boolean
  readonly originalLength: number
  readonly crc: number
  readonly stored: Uint8Array
}

export interface EndRecord {
  readonly _tag: "End"
  readonly offset: number
  readonly originalSize: number
  readonly sha256: Uint8Array
}

/**
 * Reads block `index`'s record and data, or the end record and trailer,
 * checking each length against the header before reading what it covers:
 * a damaged length can neither hang on a huge read nor allocate past a block.
 */
export const readRecord = (
  reader: ByteReader,
  index: number,
  header: Header
): Effect.Effect<DataRecord | EndRecord, CompressedFileTruncated | CompressedBlockCorrupt | FileError> =>
  Effect.gen(function*() {
    const offset = reader.position()
    const truncated = (reason: string) => Effect.fail(new CompressedFileTruncated({ offset: reader.position(), reason }))
    const corrupt = (reason: string) => Effect.fail(new CompressedBlockCorrupt({ block: index, offset, reason }))
    const kind = yield* reader.read(1)
    if (kind.byteLength === 0) {
      return yield* truncated(index === 0 ? "the input ends after the header, before any block or the end record" : `the input ends after block ${index - 1}, before the end record`)
    }
    if (kind[0] === BlockKind.end) {
      const trailer = yield* reader.read(END_BYTES - 1)
      if (trailer.byteLength < END_BYTES - 1) return yield* truncated(`the input ends inside the ${END_BYTES}-byte end record`)
      const size = new DataView(trailer.buffer, trailer.byteOffset, 8).getBigUint64(0)
      if (size > BigInt(Number.MAX_SAFE_INTEGER)) {
        return yield* Effect.fail(new CompressedBlockCorrupt({ block: index, offset, reason: `the end record's original size ${size} is impossible` }))
      }
      return { _tag: "End", offset, originalSize: Number(size), sha256: trailer.subarray(8) } satisfies EndRecord
    }
    if (kind[0] !== BlockKind.encoded && kind[0] !== BlockKind.raw) {
      return yield* corrupt(`unknown block kind 0x${kind[0]!.toString(16).padStart(2, "0")} (0x01 encoded, 0x02 raw, 0x00 end)`)
    }
    const raw = kind[0] === BlockKind.raw || header.codec === "store"
    const rest = yield* reader.read(RECORD_BYTES - 1)
    if (rest.byteLength < RECORD_BYTES - 1) return yield* truncated(`the input ends inside block ${index}'s ${RECORD_BYTES}-byte record`)
    const view = new DataView(rest.buffer, rest.byteOffset, rest.byteLength)
    const originalLength = view.getUint32(0)
    const storedLength = view.getUint32(4)
    const crc = view.getUint32(8)
    if (originalLength === 0 || originalLength > header.blockSize) {
      return yield* corrupt(`its record gives an original length of ${originalLength} bytes, outside 1–${header.blockSize} (the block size)`)
    }
    if (raw && storedLength !== originalLength) {
      return yield* corrupt(`a raw block must store its ${originalLength} original bytes, but its record gives ${storedLength}`)
    }
    if (!raw && (storedLength === 0 || storedLength >= originalLength)) {
      return yield* corrupt(`an encoded block must be shorter than its ${originalLength} original bytes, but its record gives ${storedLength}`)
    }
    const stored = yield* reader.read(storedLength)
    if (stored.byteLength < storedLength) {
      return yield* truncated(`the input ends ${stored.byteLength} bytes into block ${index}'s ${storedLength} bytes of data`)
    }
    return { _tag: "Data", index, offset, raw, originalLength, crc, stored } satisfies DataRecord
  })
