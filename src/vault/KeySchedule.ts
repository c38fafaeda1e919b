/**
 * Every key the vault format derives, with its HKDF-SHA-256 inputs and label
 * (docs/vault-format.md §2, §4–§6). A new format version gets new labels.
 */
import { hkdf } from "@noble/hashes/hkdf.js"
import { sha256 } from "@noble/hashes/sha2.js"

export const WRAP_KEY_LABEL = "sigmavault/vault/v1/wrap-key"
export const HEADER_MAC_LABEL = "sigmavault/vault/v1/header-mac"
export const PAYLOAD_KEY_LABEL = "sigmavault/vault/v1/payload-key"

export const DERIVED_KEY_BYTES = 32

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text)

export const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}

/**
 * The key that wraps the file key in one stanza, bound to the recipient's
 * public key and to this KEM ciphertext so a stanza opens only for its key.
 */
export const wrapKeyOf = (sharedSecret: Uint8Array, kemCipherText: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array =>
  hkdf(sha256, sharedSecret, undefined, concat([ascii(WRAP_KEY_LABEL), kemCipherText, recipientPublicKey]), DERIVED_KEY_BYTES)

export const headerMacKeyOf = (fileKey: Uint8Array): Uint8Array =>
  hkdf(sha256, fileKey, undefined, ascii(HEADER_MAC_LABEL), DERIVED_KEY_BYTES)

/** The per-file salt gives a fresh payload key even if a file key were reused. */
export const payloadKeyOf = (fileKey: Uint8Array, payloadSalt: Uint8Array): Uint8Array =>
  hkdf(sha256, fileKey, payloadSalt, ascii(PAYLOAD_KEY_LABEL), DERIVED_KEY_BYTES)
