/**
 * What a vault file's header says, without decrypting its payload
 * (docs/vault-format.md §3): version, chunk size, recipient stanzas, and the
 * payload's length in chunks and plaintext bytes as the format implies it.
 *
 * A stanza carries no recipient identifier (§3.2): which key a stanza is
 * for can only be found by trying secret keys on it. Given identities, each
 * stanza is tried with each (an X-Wing decapsulation, a few milliseconds);
 * a stanza that opens gives the file key, which checks the header MAC. No
 * payload byte is decrypted.
 *
 * The structural checks are readHeader's, in the same order, so a truncated
 * or garbage header is refused with the same error decrypt would give.
 */
import { Effect, Option, Result } from "effect"
import { Files } from "../adapters/fs/Files.ts"
import { fileSource, makeByteReader } from "../fileio/ByteReader.ts"
import { headerLength, readHeader, verifyHeader, VERSION } from "./Header.ts"
import { TAG_BYTES } from "./internal/Aead.ts"
import { identityOf, unwrapFileKey } from "./Recipients.ts"

export interface StanzaInfo {
  /** 0-based, in file order. */
  readonly index: number
  /** The position (in the identities given) of the key that opens it; undefined when none does. */
  readonly opensWith: number | undefined
}

export interface VaultHeaderInfo {
  readonly version: number
  readonly chunkSize: number
  readonly recipients: number
  readonly headerBytes: number
  readonly fileBytes: number
  readonly payloadBytes: number
  /** What the payload's length implies: its chunks and plaintext bytes, or why it cannot be a whole payload. */
  readonly payload:
    | { readonly chunks: number; readonly plaintextBytes: number }
    | { readonly problem: string }
  readonly stanzas: ReadonlyArray<StanzaInfo>
  /** Whether the header MAC verifies under the file key a stanza gave; undefined when no stanza opened (or no keys were given). */
  readonly headerAuthentic: boolean | undefined
}

/** The chunks and plaintext a payload of `payloadBytes` holds at `chunkSize` (§6, §7.3), or why it cannot. */
export const payloadShape = (payloadBytes: number, chunkSize: number): VaultHeaderInfo["payload"] => {
  if (payloadBytes === 0) return { problem: "the file ends with its header: no chunk follows (truncated)" }
  const sealed = chunkSize + TAG_BYTES
  const full = Math.floor(payloadBytes / sealed)
  const rest = payloadBytes - full * sealed
  if (rest === 0) return { chunks: full, plaintextBytes: full * chunkSize }
  if (rest < TAG_BYTES || (rest === TAG_BYTES && full > 0)) {
    return { problem: `the last ${rest} bytes cannot be a chunk (a chunk is at least its ${TAG_BYTES}-byte tag): the file was cut short` }
  }
  return { chunks: full + 1, plaintextBytes: full * chunkSize + rest - TAG_BYTES }
}

/** Reads and checks the header of the vault file `file` and sizes its payload; `secretKeys` are tried on the stanzas. */
export const inspectVaultFile = (file: string, secretKeys: ReadonlyArray<Uint8Array> = []) =>
  Effect.scoped(Effect.gen(function*() {
    const files = yield* Files
    const opened = yield* files.openRead(file)
    const reader = makeByteReader(fileSource(opened))
    const header = yield* readHeader(reader)
    const identities = secretKeys.flatMap((key, index) => {
      const identity = identityOf(key, index)
      return Result.isSuccess(identity) ? [identity.success] : []
    })
    const stanzas: Array<StanzaInfo> = []
    let headerAuthentic: boolean | undefined
    for (const [index, stanza] of header.stanzas.entries()) {
      let opensWith: number | undefined
      for (const identity of identities) {
        const fileKey = unwrapFileKey(stanza, identity)
        yield* Effect.yieldNow
        if (Option.isNone(fileKey)) continue
        opensWith = identity.index
        headerAuthentic = (headerAuthentic ?? true) && verifyHeader(header, fileKey.value)
        break
      }
      stanzas.push({ index, opensWith })
    }
    const fileBytes = opened.info.size
    const headerBytes = headerLength(header.stanzas.length)
    return {
      version: VERSION,
      chunkSize: header.chunkSize,
      recipients: header.stanzas.length,
      headerBytes,
      fileBytes,
      payloadBytes: fileBytes - headerBytes,
      payload: payloadShape(fileBytes - headerBytes, header.chunkSize),
      stanzas,
      headerAuthentic
    } satisfies VaultHeaderInfo
  }))
