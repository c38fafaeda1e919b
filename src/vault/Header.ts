/**
 * The vault header: fixed part, recipient stanzas and the HMAC over both
 * (docs/vault-format.md §3.1–§3.3, §5, §7.1).
 *
 *   offset 0    8 B        magic "SVVAULT\0"
 *   offset 8    u8         version (1)
 *   offset 9    u32 BE     chunk size C, 64 KiB – 1 MiB
 *   offset 13   u8         recipient count N, 1 – 255
 *   offset 14   32 B       payload salt
 *   offset 46   N × 1168 B recipient stanzas
 *   then        32 B       HMAC-SHA-256 of every byte before it
 */
import { hmac } from "@noble/hashes/hmac.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { Effect } from "effect"
import type { FileError } from "../adapters/fs/Files.ts"
import type { ByteReader } from "../fileio/ByteReader.ts"
import { MalformedVaultHeader, NotAVaultFile, UnsupportedVaultVersion, VaultTruncated } from "./Errors.ts"
import { headerMacKeyOf } from "./KeySchedule.ts"
import { STANZA_BYTES } from "./Recipients.ts"

/** "SVVAULT\0"; frozen for every version, like the version byte after it. */
export const MAGIC: Uint8Array = new TextEncoder().encode("SVVAULT\0")
/** The format this release writes and the only one it reads. */
export const VERSION = 1
export const MIN_CHUNK_SIZE = 64 * 1024
export const MAX_CHUNK_SIZE = 1024 * 1024
export const MAX_RECIPIENTS = 255
export const SALT_BYTES = 32
export const MAC_BYTES = 32
/** Magic, version, chunk size, recipient count, salt. */
export const FIXED_BYTES = 46

export const headerLength = (recipients: number): number => FIXED_BYTES + recipients * STANZA_BYTES + MAC_BYTES

export interface Header {
  readonly chunkSize: number
  readonly salt: Uint8Array
  readonly stanzas: ReadonlyArray<Uint8Array>
  /** The header bytes the MAC covers (everything before it). */
  readonly authenticated: Uint8Array
  readonly mac: Uint8Array
  readonly byteLength: number
}

const macOf = (fileKey: Uint8Array, authenticated: Uint8Array): Uint8Array =>
  hmac(sha256, headerMacKeyOf(fileKey), authenticated)

/** The complete header; stanzas already hold the file key wrapped for each recipient. */
export const encodeHeader = (
  chunkSize: number,
  salt: Uint8Array,
  stanzas: ReadonlyArray<Uint8Array>,
  fileKey: Uint8Array
): Uint8Array => {
  const header = new Uint8Array(headerLength(stanzas.length))
  const view = new DataView(header.buffer)
  header.set(MAGIC, 0)
  header[8] = VERSION
  view.setUint32(9, chunkSize)
  header[13] = stanzas.length
  header.set(salt, 14)
  stanzas.forEach((stanza, index) => header.set(stanza, FIXED_BYTES + index * STANZA_BYTES))
  const macOffset = header.byteLength - MAC_BYTES
  header.set(macOf(fileKey, header.subarray(0, macOffset)), macOffset)
  return header
}

/** Constant-time, so a forger learns nothing from how long a mismatch takes. */
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.byteLength !== b.byteLength) return false
  let difference = 0
  for (let i = 0; i < a.byteLength; i++) difference |= a[i]! ^ b[i]!
  return difference === 0
}

/** Whether the header's MAC verifies under `fileKey`. */
export const verifyHeader = (header: Header, fileKey: Uint8Array): boolean =>
  sameBytes(macOf(fileKey, header.authenticated), header.mac)

const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")

export type HeaderError = NotAVaultFile | UnsupportedVaultVersion | MalformedVaultHeader | VaultTruncated | FileError

/**
 * Reads and checks the header's structure, in the order of §7.1; the MAC is
 * checked later, once a stanza gave the file key.
 */
export const readHeader = (reader: ByteReader): Effect.Effect<Header, HeaderError> =>
  Effect.gen(function*() {
    const truncated = (what: string) =>
      Effect.fail(new VaultTruncated({ offset: reader.position(), reason: `the input ends inside the header (${what})` }))

    const magic = yield* reader.read(MAGIC.byteLength)
    if (!sameBytes(magic, MAGIC.subarray(0, magic.byteLength)) || magic.byteLength === 0) {
      return yield* Effect.fail(new NotAVaultFile({ found: hex(magic) }))
    }
    if (magic.byteLength < MAGIC.byteLength) return yield* truncated("magic")

    const version = yield* reader.read(1)
    if (version.byteLength < 1) return yield* truncated("version")
    if (version[0] !== VERSION) {
      return yield* Effect.fail(new UnsupportedVaultVersion({ version: version[0]!, supported: VERSION }))
    }

    const counts = yield* reader.read(5)
    if (counts.byteLength < 5) return yield* truncated("chunk size and recipient count")
    const chunkSize = new DataView(counts.buffer, counts.byteOffset, 5).getUint32(0)
    if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
      return yield* Effect.fail(
        new MalformedVaultHeader({
          field: "chunkSize",
          reason: `is ${chunkSize}, outside ${MIN_CHUNK_SIZE}–${MAX_CHUNK_SIZE} bytes`
        })
      )
    }
    const recipients = counts[4]!
    if (recipients === 0) {
      return yield* Effect.fail(new MalformedVaultHeader({ field: "recipientCount", reason: "is 0, at least 1 is needed" }))
    }

    const restBytes = headerLength(recipients) - FIXED_BYTES + SALT_BYTES
    const rest = yield* reader.read(restBytes)
    if (rest.byteLength < restBytes) {
      return yield* truncated(`${recipients} recipient stanza${recipients === 1 ? "" : "s"} and the MAC`)
    }

    const authenticatedBytes = FIXED_BYTES + recipients * STANZA_BYTES
    const whole = new Uint8Array(authenticatedBytes + MAC_BYTES)
    whole.set(magic, 0)
    whole.set(version, 8)
    whole.set(counts, 9)
    whole.set(rest, 14)
    return {
      chunkSize,
      salt: whole.subarray(14, FIXED_BYTES),
      stanzas: Array.from(
        { length: recipients },
        (_, index) => whole.subarray(FIXED_BYTES + index * STANZA_BYTES, FIXED_BYTES + (index + 1) * STANZA_BYTES)
      ),
      authenticated: whole.subarray(0, authenticatedBytes),
      mac: whole.subarray(authenticatedBytes),
      byteLength: whole.byteLength
    }
  })
