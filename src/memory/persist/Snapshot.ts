/**
 * A MNEMONIC snapshot: one file holding a collection's state as a JSON header
 * plus named binary sections (record bytes, Bloom bits, LSH tables, an HNSW
 * index dump). The journal holds what happened since.
 *
 * Layout (integers little-endian):
 *
 *   offset 0       8 bytes   magic "SVMNEMO\0"
 *   offset 8       u32       format version (this release writes and reads 1)
 *   offset 12      u32       header length H
 *   offset 16      H bytes   header, UTF-8 JSON:
 *                            {"sections":[{"name":"…","length":N},…],"header":<caller's value>}
 *   offset 16+H    …         the sections' bytes, in table order, back to back
 *   end - 32       32 bytes  SHA-256 of every byte before it
 *
 * The magic, the version at offset 8 and the trailing SHA-256 are frozen for
 * every future version; only what lies between may change. That lets the
 * reader check integrity before trusting the version field, so a damaged file
 * is reported as corrupt rather than as "written by a newer SigmaVault".
 *
 * A write is the Files port's atomic write (temporary file, fsync, rename,
 * directory fsync): after a crash `path` holds the old or the new snapshot,
 * never a mix. A crash can leave the temporary file behind; the reader never
 * looks at it and the port's `removeStaleTemporaries` deletes it.
 */
import { createHash } from "node:crypto"
import { Effect, Exit, Option, Result, Schema } from "effect"
import { type FileError, Files, unlessMissing } from "../../adapters/fs/Files.ts"

/** The format this release writes and the newest it reads. */
export const SNAPSHOT_VERSION = 1
export const SNAPSHOT_MAGIC: Uint8Array = new TextEncoder().encode("SVMNEMO\0")

const PREAMBLE_BYTES = 16
const CHECKSUM_BYTES = 32
const MAX_U32 = 0xffffffff

export interface SnapshotSection {
  readonly name: string
  readonly bytes: Uint8Array
}

export interface SnapshotContents {
  /** Any JSON value; it comes back as JSON.parse(JSON.stringify(header)). */
  readonly header: unknown
  readonly sections: ReadonlyArray<SnapshotSection>
}

export interface LoadedSnapshot {
  readonly header: unknown
  /** Views into one buffer holding the whole file: copy a section to keep it apart from the rest. */
  readonly sections: ReadonlyMap<string, Uint8Array>
}

/** The file exists but is not a snapshot this code wrote intact. */
export class SnapshotCorrupt extends Schema.TaggedError<SnapshotCorrupt>()("SnapshotCorrupt", {
  file: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `snapshot ${this.file} is corrupt: ${this.reason}`
  }
}

/** An intact snapshot in a format newer than this release reads. */
export class SnapshotVersionTooNew extends Schema.TaggedError<SnapshotVersionTooNew>()("SnapshotVersionTooNew", {
  file: Schema.String,
  version: Schema.Number,
  supported: Schema.Number
}) {
  override get message() {
    return `snapshot ${this.file} has format version ${this.version}, newer than this release supports (${this.supported}); it was written by a newer SigmaVault`
  }
}

/**
 * Magic, version, header length and header. A header JSON cannot hold, or two
 * sections with one name, is a bug in the caller, not a condition to handle:
 * it dies naming the file.
 */
const encodePreamble = (file: string, snapshot: SnapshotContents): Effect.Effect<Uint8Array> => {
  const names = new Set<string>()
  for (const section of snapshot.sections) {
    if (names.has(section.name)) {
      return Effect.die(new Error(`writeSnapshot ${file}: two sections are named ${JSON.stringify(section.name)}`))
    }
    names.add(section.name)
  }
  const header = Result.try(() => JSON.stringify(snapshot.header) as string | undefined)
  if (Result.isFailure(header) || header.success === undefined) {
    const why = Result.isFailure(header) ? String(header.failure) : `a ${typeof snapshot.header} has no JSON form`
    return Effect.die(new Error(`writeSnapshot ${file}: the header is not JSON-serializable (${why})`))
  }
  const table = snapshot.sections.map((section) => ({ name: section.name, length: section.bytes.byteLength }))
  const text = new TextEncoder().encode(`{"sections":${JSON.stringify(table)},"header":${header.success}}`)
  if (text.byteLength > MAX_U32) {
    return Effect.die(new Error(`writeSnapshot ${file}: the header is ${text.byteLength} bytes, more than 4 GiB`))
  }
  const preamble = new Uint8Array(PREAMBLE_BYTES + text.byteLength)
  const view = new DataView(preamble.buffer)
  preamble.set(SNAPSHOT_MAGIC, 0)
  view.setUint32(8, SNAPSHOT_VERSION, true)
  view.setUint32(12, text.byteLength, true)
  preamble.set(text, PREAMBLE_BYTES)
  return Effect.succeed(preamble)
}

/**
 * Replaces the snapshot at `file` atomically. The directory must exist. The
 * sections are hashed and written where they are, so a large section is
 * never copied into a second buffer.
 */
export const writeSnapshot = (file: string, snapshot: SnapshotContents): Effect.Effect<void, FileError, Files> =>
  Effect.gen(function*() {
    const preamble = yield* encodePreamble(file, snapshot)
    const hash = createHash("sha256").update(preamble)
    for (const section of snapshot.sections) hash.update(section.bytes)
    const pieces = [preamble, ...snapshot.sections.map((section) => section.bytes), new Uint8Array(hash.digest())]
    yield* (yield* Files).writeAtomic(file, pieces, { replace: true })
  })

/** None when there is no snapshot at `file` yet. */
export const readSnapshot = (
  file: string
): Effect.Effect<Option.Option<LoadedSnapshot>, SnapshotCorrupt | SnapshotVersionTooNew | FileError, Files> =>
  Effect.gen(function*() {
    const bytes = yield* unlessMissing((yield* Files).readFile(file))
    if (bytes === undefined) return Option.none()
    const decoded = decodeSnapshot(file, bytes)
    return Result.isSuccess(decoded) ? Option.some(decoded.success) : yield* Effect.fail(decoded.failure)
  })

const SectionTable = Schema.Struct({
  sections: Schema.Array(
    Schema.Struct({ name: Schema.String, length: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)) })
  ),
  header: Schema.Unknown
})
const decodeSectionTable = Schema.decodeUnknownExit(SectionTable)

type SectionTable = typeof SectionTable.Type

const parseSectionTable = (bytes: Uint8Array, start: number, end: number): Result.Result<SectionTable, string> => {
  const parsed = Result.try(() => JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(start, end))) as unknown)
  if (Result.isFailure(parsed)) return Result.fail("header not JSON")
  const table = decodeSectionTable(parsed.success)
  if (Exit.isFailure(table) || !Object.hasOwn(table.value, "header")) {
    return Result.fail(`section table inconsistent: expected {"sections":[{"name","length"},…],"header":…} in the header`)
  }
  return Result.succeed(table.value)
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i])

const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")

/** Checks a whole snapshot file, most telling reason first. Never throws. */
const decodeSnapshot = (
  file: string,
  bytes: Uint8Array
): Result.Result<LoadedSnapshot, SnapshotCorrupt | SnapshotVersionTooNew> => {
  const corrupt = (reason: string) => Result.fail(new SnapshotCorrupt({ file, reason }))
  const size = bytes.byteLength
  const magic = bytes.subarray(0, SNAPSHOT_MAGIC.byteLength)
  if (!sameBytes(magic, SNAPSHOT_MAGIC.subarray(0, magic.byteLength))) {
    return corrupt(`bad magic: expected ${hex(SNAPSHOT_MAGIC)} ("SVMNEMO\\0"), found ${hex(magic)}`)
  }
  if (size < PREAMBLE_BYTES + CHECKSUM_BYTES) {
    return corrupt(
      `truncated at byte ${size}: a snapshot has at least ${PREAMBLE_BYTES + CHECKSUM_BYTES} bytes (magic, version, header length, checksum)`
    )
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = view.getUint32(8, true)
  const headerLength = view.getUint32(12, true)
  const headerEnd = PREAMBLE_BYTES + headerLength
  const bodyEnd = size - CHECKSUM_BYTES
  const stored = bytes.subarray(bodyEnd)
  const computed = createHash("sha256").update(bytes.subarray(0, bodyEnd)).digest()

  if (!sameBytes(stored, computed)) {
    // A crash cannot tear the renamed file, but a copy or a failing disk can cut it short:
    // say so when the (version 1) header still describes a longer file.
    if (version === SNAPSHOT_VERSION) {
      if (headerEnd > size) {
        return corrupt(`truncated at byte ${size}: the header is said to end at byte ${headerEnd}`)
      }
      const table = parseSectionTable(bytes, PREAMBLE_BYTES, headerEnd)
      if (Result.isSuccess(table)) {
        const expected = headerEnd + table.success.sections.reduce((sum, section) => sum + section.length, 0) + CHECKSUM_BYTES
        if (expected > size) return corrupt(`truncated at byte ${size}: the header describes a ${expected}-byte file`)
      } else if (headerEnd > bodyEnd) {
        return corrupt(`truncated at byte ${size}: no room for the checksum after the header ending at byte ${headerEnd}`)
      }
    }
    return corrupt(
      `checksum mismatch: SHA-256 of bytes 0..${bodyEnd} is ${hex(computed).slice(0, 16)}…, the file records ${hex(stored).slice(0, 16)}…`
    )
  }

  if (version > SNAPSHOT_VERSION) {
    return Result.fail(new SnapshotVersionTooNew({ file, version, supported: SNAPSHOT_VERSION }))
  }
  if (version < 1) return corrupt(`unknown format version ${version}`)
  if (headerEnd > bodyEnd) {
    return corrupt(`section table inconsistent: the header is said to end at byte ${headerEnd}, past the checksum at byte ${bodyEnd}`)
  }
  const table = parseSectionTable(bytes, PREAMBLE_BYTES, headerEnd)
  if (Result.isFailure(table)) return corrupt(table.failure)

  const sections = new Map<string, Uint8Array>()
  let offset = headerEnd
  for (const section of table.success.sections) {
    if (sections.has(section.name)) {
      return corrupt(`section table inconsistent: two sections are named ${JSON.stringify(section.name)}`)
    }
    if (offset + section.length > bodyEnd) {
      return corrupt(
        `section table inconsistent: section ${JSON.stringify(section.name)} (${section.length} bytes at byte ${offset}) runs past the checksum at byte ${bodyEnd}`
      )
    }
    sections.set(section.name, bytes.subarray(offset, offset + section.length))
    offset += section.length
  }
  if (offset !== bodyEnd) {
    return corrupt(`section table inconsistent: the sections end at byte ${offset} but the checksum starts at byte ${bodyEnd}`)
  }
  return Result.succeed({ header: table.success.header, sections })
}
