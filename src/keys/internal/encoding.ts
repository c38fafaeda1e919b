/**
 * Strict base64url (RFC 4648 §5, no padding) and hex. Buffer's own base64url
 * decoder skips characters it does not know and ignores stray trailing bits,
 * so two different texts could decode to one key; this one accepts only the
 * canonical text of some byte string.
 */
const BASE64URL = /^[A-Za-z0-9_-]*$/
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

export const toBase64url = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url")

/** The bytes `text` is the canonical base64url of, or undefined. */
export const fromBase64url = (text: string): Uint8Array | undefined => {
  const tail = text.length % 4
  if (tail === 1 || !BASE64URL.test(text)) return undefined
  // The last character of a 2- or 3-character tail carries 4 or 2 bits no byte uses; canonical text has them zero.
  if (tail !== 0 && (ALPHABET.indexOf(text[text.length - 1]!) & (tail === 2 ? 0b1111 : 0b11)) !== 0) return undefined
  return new Uint8Array(Buffer.from(text, "base64url"))
}

/** Characters of base64url text for `byteLength` bytes, without padding. */
export const base64urlLength = (byteLength: number): number => Math.ceil((byteLength * 4) / 3)

export const toHex = (bytes: Uint8Array): string => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")

export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.byteLength !== b.byteLength) return false
  let difference = 0
  for (let i = 0; i < a.byteLength; i++) difference |= a[i]! ^ b[i]!
  return difference === 0
}
