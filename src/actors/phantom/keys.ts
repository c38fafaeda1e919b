/**
 * WireGuard keys in process: X25519 (RFC 7748) with @noble/curves, printed
 * in standard base64 like `wg genkey` and `wg pubkey`. A private key is 32
 * random bytes clamped as `wg genkey` clamps them, so a key made here is one
 * wg would have made.
 */
import { x25519 } from "@noble/curves/ed25519.js"

const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes))
const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0))

/** Clamps as curve25519_clamp_secret does in wg(8). */
export const clamp = (secret: Uint8Array): Uint8Array => {
  const out = Uint8Array.from(secret)
  out[0]! &= 248
  out[31] = (out[31]! & 127) | 64
  return out
}

export const generatePrivateKey = (): string => toBase64(clamp(x25519.utils.randomSecretKey()))

export const publicKeyOf = (privateKey: string): string => toBase64(x25519.getPublicKey(fromBase64(privateKey)))

export interface KeyPair {
  readonly privateKey: string
  readonly publicKey: string
}

export const generateKeyPair = (): KeyPair => {
  const privateKey = generatePrivateKey()
  return { privateKey, publicKey: publicKeyOf(privateKey) }
}
