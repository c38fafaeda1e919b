/**
 * Pack files: chunks appended one after another into files of a few tens of
 * MiB, each file self-describing (docs/store-format.md §5). Layout, integers
 * little-endian:
 *
 *   0     8 bytes  magic "SVPACK\0\0"
 *   8     u32      format version (1)
 *   12    u32      reserved (0)
 *   16    records, back to back; record i is
 *           seal("chunk-header", header)    64 + overhead bytes
 *           seal("chunk", stored bytes)     storedLength bytes (overhead included)
 *   …     seal("pack-trailer", trailer)     the trailer: per record, u32 offset ‖ its 64-byte header
 *   end-16 u32     sealed trailer length
 *   end-12 u32     record count
 *   end-8  8 bytes magic "SVPKEND\0"
 *
 * The 64-byte chunk header: id (32) ‖ codec name (16, ASCII, NUL-padded) ‖
 * level (i8) ‖ reserved (3) ‖ raw length (u32) ‖ stored length (u32) ‖
 * check (u32: the first four bytes of SHA-256 of the 60 bytes before it).
 *
 * A pack is written under a temporary name, fsynced and renamed to
 * `<SHA-256 of the whole file, hex>.pack`: a pack that exists is complete,
 * and its name checks its bytes. The trailer makes indexing a pack two small
 * reads; the headers let a pack whose trailer is damaged be indexed by a
 * scan.
 */
import { createHash, type Hash } from "node:crypto"
import * as path from "node:path"
import { Effect, Exit, Result, Schema, Scope, Semaphore } from "effect"
import { FileError, type FileReader, Files } from "../adapters/fs/Files.ts"
import { CODEC_NAMES, decodeWith, isCodec } from "../compress/Codecs.ts"
import { CHUNK_ID_BYTES, chunkIdOf, sameId } from "./ChunkId.ts"
import type { RepoCipher } from "./Cipher.ts"
import { toHex } from "./internal/fs.ts"

export const PACK_MAGIC: Uint8Array = new TextEncoder().encode("SVPACK\0\0")
export const PACK_FOOTER_MAGIC: Uint8Array = new TextEncoder().encode("SVPKEND\0")
export const PACK_VERSION = 1
export const PACK_PREAMBLE_BYTES = 16
export const PACK_FOOTER_BYTES = 16
export const CHUNK_HEADER_BYTES = 64
const TRAILER_ENTRY_BYTES = 4 + CHUNK_HEADER_BYTES
const CODEC_NAME_BYTES = 16
const MAX_U32 = 0xffffffff
const WRITE_BATCH_BYTES = 4 * 1024 * 1024

/** What a pack records about one chunk. */
export interface ChunkHeader {
  readonly id: Uint8Array
  readonly codec: string
  readonly level: number
  /** The chunk's length before compression. */
  readonly rawLength: number
  /** The length of the sealed stored bytes that follow the header. */
  readonly storedLength: number
}

/** Where a chunk is in its pack. */
export interface PackEntry {
  readonly id: Uint8Array
  /** Byte offset of the record (its sealed header) in the pack. */
  readonly offset: number
  /** The whole record: sealed header and sealed stored bytes. */
  readonly length: number
  readonly rawLength: number
}

export interface PackFile {
  /** The SHA-256 of the file, hex: the file is `<name>.pack`. */
  readonly name: string
  readonly size: number
  readonly entries: ReadonlyArray<PackEntry>
}

/** A chunk whose bytes do not check out; the reason says how. */
export class ChunkDamaged extends Schema.TaggedError<ChunkDamaged>()("ChunkDamaged", {
  reason: Schema.String
}) {
  override get message() {
    return this.reason
  }
}

export const PACK_NAME = /^([0-9a-f]{64})\.pack$/
export const packFileName = (name: string): string => `${name}.pack`

const VALID_CODEC = /^[a-z0-9][a-z0-9._-]{0,15}$/

const headerCheck = (bytes: Uint8Array): number =>
  createHash("sha256").update(bytes.subarray(0, CHUNK_HEADER_BYTES - 4)).digest().readUInt32LE(0)

export const encodeChunkHeader = (header: ChunkHeader): Uint8Array => {
  if (!VALID_CODEC.test(header.codec)) {
    throw new RangeError(`codec name ${JSON.stringify(header.codec)} is not 1–16 of a-z 0-9 . _ - (a bug in the chunk codec)`)
  }
  if (!Number.isInteger(header.level) || header.level < -128 || header.level > 127) {
    throw new RangeError(`codec level ${header.level} does not fit a signed byte (a bug in the chunk codec)`)
  }
  const bytes = new Uint8Array(CHUNK_HEADER_BYTES)
  const view = new DataView(bytes.buffer)
  bytes.set(header.id, 0)
  bytes.set(new TextEncoder().encode(header.codec), CHUNK_ID_BYTES)
  view.setInt8(48, header.level)
  view.setUint32(52, header.rawLength, true)
  view.setUint32(56, header.storedLength, true)
  view.setUint32(60, headerCheck(bytes), true)
  return bytes
}

export const decodeChunkHeader = (bytes: Uint8Array): Result.Result<ChunkHeader, string> => {
  if (bytes.byteLength !== CHUNK_HEADER_BYTES) return Result.fail(`chunk header is ${bytes.byteLength} bytes, not ${CHUNK_HEADER_BYTES}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint32(60, true) !== headerCheck(bytes)) return Result.fail("chunk header check does not match")
  const nameBytes = bytes.subarray(CHUNK_ID_BYTES, CHUNK_ID_BYTES + CODEC_NAME_BYTES)
  const end = nameBytes.indexOf(0)
  const codec = new TextDecoder().decode(end === -1 ? nameBytes : nameBytes.subarray(0, end))
  if (!VALID_CODEC.test(codec)) return Result.fail(`chunk header names the codec ${JSON.stringify(codec)}`)
  return Result.succeed({
    id: bytes.slice(0, CHUNK_ID_BYTES),
    codec,
    level: view.getInt8(48),
    rawLength: view.getUint32(52, true),
    storedLength: view.getUint32(56, true)
  })
}

const sealedHeaderBytes = (cipher: RepoCipher) => CHUNK_HEADER_BYTES + cipher.overhead

const preamble = (): Uint8Array => {
  const bytes = new Uint8Array(PACK_PREAMBLE_BYTES)
  bytes.set(PACK_MAGIC, 0)
  new DataView(bytes.buffer).setUint32(8, PACK_VERSION, true)
  return bytes
}

export interface PackWriter {
  /** Bytes written so far. */
  readonly size: number
  readonly count: number
  /** Appends a chunk: `stored` is its compressed (or raw, for "store") bytes. */
  readonly append: (chunk: Omit<ChunkHeader, "storedLength">, stored: Uint8Array) => Effect.Effect<PackEntry, FileError>
  /** Appends a record copied verbatim from another pack (gc), with its opened header. */
  readonly appendRecord: (header: ChunkHeader, record: Uint8Array) => Effect.Effect<PackEntry, FileError>
  /** Writes the trailer, fsyncs, and renames the pack to its content name; the writer is done. */
  readonly finish: () => Effect.Effect<PackFile, FileError>
}

/**
 * A writer of one new pack in `packsDir`, under a temporary name until
 * `finish`. If the scope closes before `finish`, the temporary file is
 * deleted: an unfinished pack never becomes visible.
 */
export const openPackWriter = (packsDir: string, cipher: RepoCipher): Effect.Effect<PackWriter, FileError, Files | Scope.Scope> =>
  Effect.gen(function*() {
    // Named by its content only when finished: until then it is the port's temporary file of "pack".
    const output = yield* (yield* Files).openAtomic(path.join(packsDir, "pack"), { replace: true })
    const hash: Hash = createHash("sha256")
    const trailer: Array<Uint8Array> = []
    const entries: Array<PackEntry> = []
    let size = 0
    // Records are copied into one buffer and written a few MiB at a time: a write per record cost a
    // second per 200 MB, and the copy lets a caller reuse its chunk buffer as soon as append returns.
    const buffer = new Uint8Array(WRITE_BATCH_BYTES)
    let buffered = 0
    const flush = () =>
      Effect.suspend(() => {
        if (buffered === 0) return Effect.void
        const bytes = buffer.subarray(0, buffered)
        return Effect.ensuring(output.write(bytes), Effect.sync(() => (buffered = 0)))
      })
    const put = (pieces: ReadonlyArray<Uint8Array>): Effect.Effect<void, FileError> =>
      Effect.gen(function*() {
        for (const piece of pieces) {
          hash.update(piece)
          size += piece.byteLength
          let at = 0
          while (at < piece.byteLength) {
            const take = Math.min(piece.byteLength - at, buffer.byteLength - buffered)
            buffer.set(piece.subarray(at, at + take), buffered)
            buffered += take
            at += take
            if (buffered === buffer.byteLength) yield* flush()
          }
        }
      })
    yield* put([preamble()])

    const record = (header: ChunkHeader, pieces: ReadonlyArray<Uint8Array>, length: number) =>
      Effect.gen(function*() {
        if (size + length > MAX_U32) return yield* Effect.die(new RangeError("a pack cannot pass 4 GiB: its offsets are 32-bit"))
        const entry: PackEntry = { id: header.id, offset: size, length, rawLength: header.rawLength }
        const trailerEntry = new Uint8Array(TRAILER_ENTRY_BYTES)
        new DataView(trailerEntry.buffer).setUint32(0, entry.offset, true)
        trailerEntry.set(encodeChunkHeader(header), 4)
        yield* put(pieces)
        trailer.push(trailerEntry)
        entries.push(entry)
        return entry
      })

    const append = (chunk: Omit<ChunkHeader, "storedLength">, stored: Uint8Array) =>
      Effect.suspend(() => {
        const sealedPayload = cipher.seal("chunk", stored)
        const header: ChunkHeader = { ...chunk, storedLength: sealedPayload.byteLength }
        const sealedHeader = cipher.seal("chunk-header", encodeChunkHeader(header))
        return record(header, [sealedHeader, sealedPayload], sealedHeader.byteLength + sealedPayload.byteLength)
      })

    const appendRecord = (header: ChunkHeader, bytes: Uint8Array) => record(header, [bytes], bytes.byteLength)

    const finish = () =>
      Effect.gen(function*() {
        const body = new Uint8Array(trailer.length * TRAILER_ENTRY_BYTES)
        trailer.forEach((entry, i) => body.set(entry, i * TRAILER_ENTRY_BYTES))
        const sealed = cipher.seal("pack-trailer", body)
        const footer = new Uint8Array(PACK_FOOTER_BYTES)
        const view = new DataView(footer.buffer)
        view.setUint32(0, sealed.byteLength, true)
        view.setUint32(4, trailer.length, true)
        footer.set(PACK_FOOTER_MAGIC, 8)
        yield* put([sealed, footer])
        yield* flush()
        const name = hash.digest("hex")
        yield* output.commit({ as: path.join(packsDir, packFileName(name)) })
        return { name, size, entries: entries.slice() }
      })

    return {
      get size() {
        return size
      },
      get count() {
        return entries.length
      },
      append,
      appendRecord,
      finish
    }
  })

/**
 * A pack writer with a scope of its own, for a caller that writes packs one
 * after another: close the scope after `finish`, or to drop an unfinished pack.
 */
export const openPackWriterScope = (
  packsDir: string,
  cipher: RepoCipher
): Effect.Effect<{ readonly writer: PackWriter; readonly scope: Scope.Closeable }, FileError, Files> =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const writer = yield* openPackWriter(packsDir, cipher).pipe(Scope.provide(scope), Effect.onError(() => Scope.close(scope, Exit.void)))
    return { writer, scope }
  })

/** The entries a pack's trailer lists, checked against the pack's size; or why they cannot be trusted. */
export const parseTrailer = (
  footerAndTrailer: Uint8Array,
  packSize: number,
  cipher: RepoCipher
): Result.Result<ReadonlyArray<PackEntry>, string> => {
  const total = footerAndTrailer.byteLength
  if (total < PACK_FOOTER_BYTES) return Result.fail(`${total} bytes cannot hold a pack footer`)
  const footer = footerAndTrailer.subarray(total - PACK_FOOTER_BYTES)
  const view = new DataView(footer.buffer, footer.byteOffset, footer.byteLength)
  if (!PACK_FOOTER_MAGIC.every((byte, i) => footer[8 + i] === byte)) return Result.fail("the footer magic is missing")
  const sealedLength = view.getUint32(0, true)
  const count = view.getUint32(4, true)
  const trailerStart = total - PACK_FOOTER_BYTES - sealedLength
  if (trailerStart < 0) return Result.fail(`the trailer is said to be ${sealedLength} bytes, more than the pack holds`)
  const opened = cipher.open("pack-trailer", footerAndTrailer.subarray(trailerStart, total - PACK_FOOTER_BYTES))
  if (Result.isFailure(opened)) return Result.fail(`the trailer does not open: ${opened.failure}`)
  const body = opened.success
  if (body.byteLength !== count * TRAILER_ENTRY_BYTES) {
    return Result.fail(`the trailer holds ${body.byteLength} bytes, not ${count} entries of ${TRAILER_ENTRY_BYTES}`)
  }
  const entries: Array<PackEntry> = []
  const bodyView = new DataView(body.buffer, body.byteOffset, body.byteLength)
  const recordsEnd = packSize - PACK_FOOTER_BYTES - sealedLength
  let expected = PACK_PREAMBLE_BYTES
  for (let i = 0; i < count; i++) {
    const at = i * TRAILER_ENTRY_BYTES
    const offset = bodyView.getUint32(at, true)
    const header = decodeChunkHeader(body.subarray(at + 4, at + TRAILER_ENTRY_BYTES))
    if (Result.isFailure(header)) return Result.fail(`trailer entry ${i}: ${header.failure}`)
    const length = sealedHeaderBytes(cipher) + header.success.storedLength
    if (offset !== expected || offset + length > recordsEnd) {
      return Result.fail(`trailer entry ${i} places a ${length}-byte record at byte ${offset}, where none fits`)
    }
    entries.push({ id: header.success.id, offset, length, rawLength: header.success.rawLength })
    expected = offset + length
  }
  if (expected !== recordsEnd) return Result.fail(`the records end at byte ${expected} but the trailer starts at byte ${recordsEnd}`)
  return Result.succeed(entries)
}

/** Checks the preamble of a pack. */
export const checkPreamble = (bytes: Uint8Array): Result.Result<void, string> => {
  if (bytes.byteLength < PACK_PREAMBLE_BYTES) return Result.fail(`the pack is ${bytes.byteLength} bytes, shorter than its preamble`)
  if (!PACK_MAGIC.every((byte, i) => bytes[i] === byte)) return Result.fail("bad magic: not a SigmaVault pack")
  const version = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true)
  if (version !== PACK_VERSION) {
    return Result.fail(
      version > PACK_VERSION
        ? `pack format version ${version} is newer than this release reads (${PACK_VERSION})`
        : `unknown pack format version ${version}`
    )
  }
  return Result.void
}

/**
 * The records of a whole pack found by walking their headers from the
 * start: how a pack whose trailer is damaged is still indexed. Stops at the
 * first header that does not check, saying where.
 */
export const scanRecords = (
  bytes: Uint8Array,
  cipher: RepoCipher
): { readonly entries: ReadonlyArray<PackEntry>; readonly stopped: string | undefined } => {
  const entries: Array<PackEntry> = []
  const preambleOk = checkPreamble(bytes)
  if (Result.isFailure(preambleOk)) return { entries, stopped: preambleOk.failure }
  const headerBytes = sealedHeaderBytes(cipher)
  let offset = PACK_PREAMBLE_BYTES
  for (;;) {
    if (offset + headerBytes > bytes.byteLength) return { entries, stopped: `no room for a record at byte ${offset}` }
    const opened = cipher.open("chunk-header", bytes.subarray(offset, offset + headerBytes))
    const header = Result.isSuccess(opened) ? decodeChunkHeader(opened.success) : Result.fail(opened.failure)
    // The trailer follows the last record; anything else that does not parse is damage.
    if (Result.isFailure(header)) return { entries, stopped: entries.length > 0 && looksLikeTail(bytes, offset) ? undefined : `at byte ${offset}: ${header.failure}` }
    const length = headerBytes + header.success.storedLength
    if (offset + length > bytes.byteLength) return { entries, stopped: `record at byte ${offset} runs past the end of the pack` }
    entries.push({ id: header.success.id, offset, length, rawLength: header.success.rawLength })
    offset += length
  }
}

/** Whether the bytes from `offset` are exactly a trailer and footer, as after the last record. */
const looksLikeTail = (bytes: Uint8Array, offset: number): boolean => {
  if (bytes.byteLength - offset < PACK_FOOTER_BYTES) return false
  const footer = bytes.subarray(bytes.byteLength - PACK_FOOTER_BYTES)
  const sealedLength = new DataView(footer.buffer, footer.byteOffset, footer.byteLength).getUint32(0, true)
  return offset + sealedLength + PACK_FOOTER_BYTES === bytes.byteLength
}

/**
 * The entries of the pack `file` from its trailer: two small reads, not the
 * whole pack. A failed read is a `FileError`; a trailer that does not
 * check is a `Result` failure with the reason.
 */
export const readPackTrailer = (
  file: string,
  cipher: RepoCipher
): Effect.Effect<{ readonly size: number; readonly entries: Result.Result<ReadonlyArray<PackEntry>, string> }, FileError, Files> =>
  Effect.scoped(Effect.gen(function*() {
    const reader = yield* (yield* Files).openRead(file)
    const { size } = reader.info
    if (size < PACK_PREAMBLE_BYTES + PACK_FOOTER_BYTES) {
      return { size, entries: Result.fail(`the pack is ${size} bytes, too short for a preamble and a footer`) }
    }
    const start = new Uint8Array(PACK_PREAMBLE_BYTES)
    yield* reader.readAt(start, 0)
    const preambleOk = checkPreamble(start)
    if (Result.isFailure(preambleOk)) return { size, entries: Result.fail(preambleOk.failure) }
    const footer = new Uint8Array(PACK_FOOTER_BYTES)
    yield* reader.readAt(footer, size - PACK_FOOTER_BYTES)
    const sealedLength = new DataView(footer.buffer).getUint32(0, true)
    const tailLength = Math.min(size - PACK_PREAMBLE_BYTES, sealedLength + PACK_FOOTER_BYTES)
    const tail = new Uint8Array(tailLength)
    yield* reader.readAt(tail, size - tailLength)
    return { size, entries: parseTrailer(tail, size, cipher) }
  }))

export const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")

export interface ChunkReadContext {
  readonly cipher: RepoCipher
  readonly chunkIdKey: Uint8Array
}

/** The header and still-compressed stored bytes of one record. */
export const openRecord = (
  record: Uint8Array,
  cipher: RepoCipher
): Result.Result<{ readonly header: ChunkHeader; readonly stored: Uint8Array }, string> => {
  const headerBytes = sealedHeaderBytes(cipher)
  if (record.byteLength < headerBytes) return Result.fail(`the record is ${record.byteLength} bytes, shorter than a chunk header`)
  const opened = cipher.open("chunk-header", record.subarray(0, headerBytes))
  if (Result.isFailure(opened)) return Result.fail(`chunk header does not open: ${opened.failure}`)
  const header = decodeChunkHeader(opened.success)
  if (Result.isFailure(header)) return Result.fail(header.failure)
  if (headerBytes + header.success.storedLength !== record.byteLength) {
    return Result.fail(`the header says ${header.success.storedLength} stored bytes, the index ${record.byteLength - headerBytes}`)
  }
  const stored = cipher.open("chunk", record.subarray(headerBytes))
  if (Result.isFailure(stored)) return Result.fail(`chunk does not open: ${stored.failure}`)
  return Result.succeed({ header: header.success, stored: stored.success })
}

/**
 * The plaintext of the chunk `id` from its record: opened, decompressed, and
 * its keyed hash recomputed. Any mismatch is `ChunkDamaged`.
 */
export const openChunk = (
  record: Uint8Array,
  id: Uint8Array,
  context: ChunkReadContext
): Effect.Effect<Uint8Array, ChunkDamaged> =>
  Effect.gen(function*() {
    const opened = openRecord(record, context.cipher)
    if (Result.isFailure(opened)) return yield* Effect.fail(new ChunkDamaged({ reason: opened.failure }))
    const { header, stored } = opened.success
    if (!sameId(header.id, id)) {
      return yield* Effect.fail(new ChunkDamaged({ reason: `the record holds chunk ${toHex(header.id).slice(0, 16)}…, not this one` }))
    }
    if (!isCodec(header.codec)) {
      return yield* Effect.fail(new ChunkDamaged({ reason: `this release cannot decompress ${JSON.stringify(header.codec)} chunks (it reads ${CODEC_NAMES.join(", ")})` }))
    }
    // decodeWith yields exactly rawLength bytes or fails: a damaged or hostile chunk cannot balloon memory.
    const plain = yield* Effect.mapError(decodeWith(header.codec, stored, header.rawLength), (error) =>
      new ChunkDamaged({ reason: `${header.codec} decompression failed: ${error.reason}` }))
    if (!sameId(chunkIdOf(context.chunkIdKey, plain), id)) {
      return yield* Effect.fail(new ChunkDamaged({ reason: "content does not match its id (keyed hash mismatch)" }))
    }
    return plain
  })

/**
 * Random-access reads of records, keeping a few packs open; safe to use from
 * concurrent fibers (a pack is opened once, and closed only when no read is
 * using it). Closes everything with its scope.
 */
export interface PackReader {
  readonly read: (pack: string, offset: number, length: number) => Effect.Effect<Uint8Array, FileError>
}

export const makePackReader = (packsDir: string, keepOpen = 8): Effect.Effect<PackReader, never, Files | Scope.Scope> =>
  Effect.gen(function*() {
    const files = yield* Files
    interface Open {
      readonly reader: FileReader
      readonly scope: Scope.Closeable
      users: number
    }
    const open = new Map<string, Open>()
    const lock = Semaphore.makeUnsafe(1)
    const fileOf = (pack: string) => path.join(packsDir, packFileName(pack))
    yield* Effect.addFinalizer(() => Effect.forEach([...open.values()], ({ scope }) => Scope.close(scope, Exit.void), { discard: true }))
    /** Closes the least recently used packs no read is using, down to `keepOpen`. */
    const evict = Effect.gen(function*() {
      for (const [pack, entry] of open) {
        if (open.size <= keepOpen) return
        if (entry.users > 0) continue
        open.delete(pack)
        yield* Scope.close(entry.scope, Exit.void)
      }
    })
    const acquire = (pack: string) =>
      Semaphore.withPermit(
        lock,
        Effect.gen(function*() {
          let entry = open.get(pack)
          if (entry === undefined) {
            const scope = yield* Scope.make()
            const reader = yield* files.openRead(fileOf(pack)).pipe(Scope.provide(scope), Effect.onError(() => Scope.close(scope, Exit.void)))
            entry = { reader, scope, users: 0 }
          } else open.delete(pack)
          open.set(pack, entry) // most recently used last
          entry.users++
          yield* evict
          return entry
        })
      )
    const release = (entry: Open) => Effect.sync(() => void entry.users--)
    return {
      read: (pack, offset, length) =>
        Effect.acquireUseRelease(acquire(pack), ({ reader }) =>
          Effect.gen(function*() {
            const bytes = new Uint8Array(length)
            if ((yield* reader.readAt(bytes, offset)) < length) {
              return yield* new FileError({
                reason: "Other",
                operation: "read pack",
                path: fileOf(pack),
                detail: `the pack ends before byte ${offset + length} (record at byte ${offset})`
              })
            }
            return bytes
          }), release)
    }
  })

/** The whole pack `file`. */
export const readPack = (file: string): Effect.Effect<Uint8Array, FileError, Files> => Files.use((files) => files.readFile(file))
