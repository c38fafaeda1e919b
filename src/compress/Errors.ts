/**
 * The expected failures of compression and of the compressed-file format
 * (docs/compression-format.md §6). Each message names what was wrong and
 * where, so the CLI can print it as is.
 */
import { Schema } from "effect"
import { FileError } from "../adapters/fs/Files.ts"

/** Empty input, or input that does not start with the compressed-file magic. */
export class NotACompressedFile extends Schema.TaggedError<NotACompressedFile>()("NotACompressedFile", {
  /** The first bytes found, in hex (empty for empty input). */
  found: Schema.String
}) {
  override get message() {
    return this.found === ""
      ? "not a SigmaVault compressed file: the input is empty"
      : `not a SigmaVault compressed file: expected the magic 5356434f4d505200 ("SVCOMPR\\0"), found ${this.found}`
  }
}

/** A version byte this release does not read. */
export class UnsupportedCompressionVersion extends Schema.TaggedError<UnsupportedCompressionVersion>()("UnsupportedCompressionVersion", {
  version: Schema.Number,
  supported: Schema.Number
}) {
  override get message() {
    return this.version > this.supported
      ? `unsupported compressed-file version ${this.version}: this release reads version ${this.supported}; the file was written by a newer SigmaVault`
      : `unsupported compressed-file version ${this.version}: this release reads version ${this.supported}`
  }
}

/** A codec id in the header that this release does not know. */
export class UnknownCompressionCodec extends Schema.TaggedError<UnknownCompressionCodec>()("UnknownCompressionCodec", {
  id: Schema.Number
}) {
  override get message() {
    return `unknown compression codec id ${this.id} in the header: this release knows 0 (store), 1 (zstd), 2 (brotli) and 3 (gzip); the file was written by a newer SigmaVault or is damaged`
  }
}

/** A header field outside the range the format allows. */
export class MalformedCompressionHeader extends Schema.TaggedError<MalformedCompressionHeader>()("MalformedCompressionHeader", {
  /** The field, as named in the format document: "level", "blockSizeLog2". */
  field: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `malformed compressed-file header: ${this.field} ${this.reason}`
  }
}

/** The input ends before the format allows it to. */
export class CompressedFileTruncated extends Schema.TaggedError<CompressedFileTruncated>()("CompressedFileTruncated", {
  /** Where the input ended: its length in bytes. */
  offset: Schema.Number,
  reason: Schema.String
}) {
  override get message() {
    return `compressed file truncated at byte ${this.offset}: ${this.reason}`
  }
}

/** A block whose record is inconsistent, whose data does not decode, or whose checksum does not match. */
export class CompressedBlockCorrupt extends Schema.TaggedError<CompressedBlockCorrupt>()("CompressedBlockCorrupt", {
  /** The block's position, from 0. */
  block: Schema.Number,
  /** Byte offset of the block's record in the compressed file. */
  offset: Schema.Number,
  reason: Schema.String
}) {
  override get message() {
    return `block ${this.block} (at byte ${this.offset}) is corrupt: ${this.reason}`
  }
}

/** The blocks add up to another length than the trailer records. */
export class CompressedSizeMismatch extends Schema.TaggedError<CompressedSizeMismatch>()("CompressedSizeMismatch", {
  /** The original size the trailer records. */
  expected: Schema.Number,
  /** The bytes the blocks decompressed to. */
  actual: Schema.Number
}) {
  override get message() {
    return `size mismatch: the trailer records ${this.expected} original bytes but the blocks hold ${this.actual}; blocks were removed or added`
  }
}

/** Every block decoded, but the whole does not hash to the trailer's SHA-256. */
export class CompressedChecksumMismatch extends Schema.TaggedError<CompressedChecksumMismatch>()("CompressedChecksumMismatch", {
  expected: Schema.String,
  actual: Schema.String
}) {
  override get message() {
    return `checksum mismatch: the trailer records SHA-256 ${this.expected} but the decompressed data hashes to ${this.actual}; blocks were reordered or swapped in from another file, or the trailer was changed`
  }
}

/** Bytes follow the trailer. */
export class CompressedTrailingData extends Schema.TaggedError<CompressedTrailingData>()("CompressedTrailingData", {
  /** Where the trailer ends and the extra bytes begin. */
  offset: Schema.Number
}) {
  override get message() {
    return `trailing data after the trailer: the compressed file should end at byte ${this.offset} but continues`
  }
}

/** An argument outside what the codecs or the format allow (codec, level, block size, strategy table). */
export class InvalidCompressOption extends Schema.TaggedError<InvalidCompressOption>()("InvalidCompressOption", {
  option: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `invalid ${this.option}: ${this.reason}`
  }
}

/** A codec failed on a single buffer (`compressBytes`, `decompressBytes`), or could not be loaded. */
export class CompressionCodecFailed extends Schema.TaggedError<CompressionCodecFailed>()("CompressionCodecFailed", {
  codec: Schema.String,
  operation: Schema.Literals(["load", "compress", "decompress"]),
  reason: Schema.String
}) {
  override get message() {
    return `${this.codec} could not ${this.operation}: ${this.reason}`
  }
}

/** The output file exists and overwriting was not asked for. */
export class CompressOutputExists extends Schema.TaggedError<CompressOutputExists>()("CompressOutputExists", {
  file: Schema.String
}) {
  override get message() {
    return `${this.file} already exists; not overwriting it (remove it or choose another output)`
  }
}

/** Failures of reading a compressed file: its format and its integrity. */
export type CompressedFormatError =
  | NotACompressedFile
  | UnsupportedCompressionVersion
  | UnknownCompressionCodec
  | MalformedCompressionHeader
  | CompressedFileTruncated
  | CompressedBlockCorrupt
  | CompressedSizeMismatch
  | CompressedChecksumMismatch
  | CompressedTrailingData

export type CompressError = InvalidCompressOption | CompressionCodecFailed | FileError
export type DecompressError = CompressedFormatError | CompressionCodecFailed | FileError

/**
 * `CODE: message` for a codec's exception (zlib's Z_DATA_ERROR, say), so a
 * log line says which it was. An errno exception's message already starts
 * with its code ("EPIPE: broken pipe, write"): the code is not said twice.
 */
export const reasonOf = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error)
  const code = (error as { readonly code?: unknown }).code
  return typeof code === "string" && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message
}

/** Every compression error's schema, for the protocols of agents that pass them on as rejections. */
export const COMPRESS_ERRORS = [
  NotACompressedFile,
  UnsupportedCompressionVersion,
  UnknownCompressionCodec,
  MalformedCompressionHeader,
  CompressedFileTruncated,
  CompressedBlockCorrupt,
  CompressedSizeMismatch,
  CompressedChecksumMismatch,
  CompressedTrailingData,
  InvalidCompressOption,
  CompressionCodecFailed,
  CompressOutputExists,
  FileError
] as const
