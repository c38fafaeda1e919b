/**
 * The payload: the plaintext in chunks of `chunkSize` bytes, each sealed with
 * AES-256-GCM under a nonce made of its position and whether it is the last
 * (docs/vault-format.md §3.4, §6, §7.3). Both directions hold one chunk at a
 * time, whatever the file size; decryption reads one byte past a chunk to
 * know whether it is the final one.
 */
import { Effect, Option } from "effect"
import type { FileError, Writer } from "../adapters/fs/Files.ts"
import type { ByteReader } from "../fileio/ByteReader.ts"
import { VaultChunkAuthFailed, VaultTrailingData, VaultTruncated } from "./Errors.ts"
import * as Aead from "./internal/Aead.ts"

export const TAG_BYTES = Aead.TAG_BYTES
const COUNTER_BYTES = 11

/** 11-byte big-endian chunk counter ‖ 0x01 for the final chunk, 0x00 otherwise. */
export const nonceOf = (counter: number, final: boolean): Uint8Array => {
  const nonce = new Uint8Array(Aead.NONCE_BYTES)
  const view = new DataView(nonce.buffer)
  // A JS number counts exactly to 2^53, far past any file; the top 3 counter bytes stay 0.
  view.setUint32(COUNTER_BYTES - 8, Math.floor(counter / 2 ** 32))
  view.setUint32(COUNTER_BYTES - 4, counter >>> 0)
  nonce[COUNTER_BYTES] = final ? 1 : 0
  return nonce
}

export const sealChunk = (
  payloadKey: Uint8Array,
  counter: number,
  final: boolean,
  plaintext: Uint8Array,
  into?: Uint8Array
): Uint8Array => Aead.seal(payloadKey, nonceOf(counter, final), plaintext, into)


export const openChunk = (
  payloadKey: Uint8Array,
  counter: number,
  final: boolean,
  sealed: Uint8Array,
  into?: Uint8Array
): Option.Option<Uint8Array> => Aead.open(payloadKey, nonceOf(counter, final), sealed, into)

export type Write = Writer
export type Progress = (plaintextBytes: number) => void

export interface SealedTotals {
  readonly plaintextBytes: number
  readonly ciphertextBytes: number
}

/** Seals everything `reader` yields; an empty input becomes one empty final chunk. */
export const sealPayload = (
  reader: ByteReader,
  write: Write,
  payloadKey: Uint8Array,
  chunkSize: number,
  onProgress: Progress
): Effect.Effect<SealedTotals, FileError> =>
  Effect.gen(function*() {
    let plaintextBytes = 0
    let ciphertextBytes = 0
    // One buffer for every chunk's plaintext (a file is read straight into it) and one for its ciphertext: each is written before the next read.
    const block = new Uint8Array(chunkSize)
    const output = new Uint8Array(chunkSize + TAG_BYTES)
    for (let counter = 0;; counter++) {
      const plaintext = block.subarray(0, yield* reader.readInto(block))
      // A full chunk is the final one only if nothing follows it: no empty chunk trails a full one.
      const final = plaintext.byteLength < chunkSize || (yield* reader.atEnd)
      const sealed = sealChunk(payloadKey, counter, final, plaintext, output)
      yield* write(sealed)
      plaintextBytes += plaintext.byteLength
      ciphertextBytes += sealed.byteLength
      onProgress(plaintextBytes)
      if (final) return { plaintextBytes, ciphertextBytes }
    }
  })

export type PayloadError = VaultChunkAuthFailed | VaultTruncated | VaultTrailingData | FileError

/**
 * Opens the payload that follows a `headerBytes`-byte header, writing each
 * chunk's plaintext only after its tag verified. Returns the plaintext length.
 */
export const openPayload = (
  reader: ByteReader,
  write: Write,
  payloadKey: Uint8Array,
  chunkSize: number,
  headerBytes: number,
  onProgress: Progress
): Effect.Effect<number, PayloadError> =>
  Effect.gen(function*() {
    const fullChunk = chunkSize + TAG_BYTES
    let plaintextBytes = 0
    // One buffer for every chunk's ciphertext (a file is read straight into it) and one for its plaintext: each is written before the next read.
    const block = new Uint8Array(fullChunk)
    const plaintext = new Uint8Array(chunkSize)
    for (let counter = 0;; counter++) {
      const offset = headerBytes + counter * fullChunk
      const sealed = block.subarray(0, yield* reader.readInto(block))
      const length = sealed.byteLength
      const end = offset + length
      if (length === 0) {
        return yield* Effect.fail(new VaultTruncated({ offset: end, reason: "the input ends after the header, before any chunk" }))
      }
      if (length < TAG_BYTES || (length === TAG_BYTES && counter > 0)) {
        return yield* Effect.fail(
          new VaultTruncated({
            offset: end,
            reason: length < TAG_BYTES
              ? `the input ends ${length} bytes into chunk ${counter}, inside its ${TAG_BYTES}-byte tag`
              : `the input ends ${length} bytes into chunk ${counter}; only an empty file's sole chunk may be empty`
          })
        )
      }
      const more = length === fullChunk && !(yield* reader.atEnd)
      const opened = openChunk(payloadKey, counter, !more, sealed, plaintext)
      if (Option.isNone(opened)) {
        // Tell a well-formed stream cut or extended at a chunk boundary from a damaged chunk.
        const asOther = length === fullChunk && Option.isSome(openChunk(payloadKey, counter, more, sealed))
        if (asOther && more) return yield* Effect.fail(new VaultTrailingData({ offset: end }))
        if (asOther) {
          return yield* Effect.fail(
            new VaultTruncated({ offset: end, reason: `the input ends after chunk ${counter}, before the final chunk` })
          )
        }
        return yield* Effect.fail(new VaultChunkAuthFailed({ chunk: counter, offset, final: !more }))
      }
      yield* write(opened.value)
      plaintextBytes += opened.value.byteLength
      onProgress(plaintextBytes)
      if (!more) return plaintextBytes
    }
  })
