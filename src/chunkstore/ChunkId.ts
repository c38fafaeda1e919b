/**
 * Chunk ids: HMAC-SHA-256 of the chunk's plaintext under the store's own
 * random key. Equal plaintext in one store gets one id (that is the
 * deduplication); in two stores it gets unrelated ids, so ids reveal
 * nothing across stores and cannot be precomputed for known files.
 * node:crypto's HMAC runs at ~1.7 GB/s under Bun here, faster than any
 * codec, which is why it was preferred over a JavaScript BLAKE3.
 */
import { createHmac } from "node:crypto"

export const CHUNK_ID_BYTES = 32

export const chunkIdOf = (key: Uint8Array, chunk: Uint8Array): Uint8Array => {
  const digest = createHmac("sha256", key).update(chunk).digest()
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
}

export const sameId = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
