/**
 * X-Wing (draft-connolly-cfrg-xwing-kem): ML-KEM-768 from @noble/post-quantum,
 * X25519 from node:crypto. The bytes are those of @noble/post-quantum's
 * `ml_kem768_x25519` (test/vault/XWing.test.ts checks it against that, and
 * test/vault/KnownAnswer.test.ts against the stored vault files).
 *
 * Why not `ml_kem768_x25519` itself: its pure-JS X25519 builds its
 * precomputed tables on first use, so a command that encrypts or decrypts
 * one file spent ~70 ms of its start-up there (Bun profile of `sigmavault
 * encrypt` of an empty file: 114 ms in X-Wing encapsulation, 68 ms of it in
 * X25519's base-point multiplication). node:crypto's X25519 takes ~0.1 ms.
 */
import { createHash, createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from "node:crypto"
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js"

export const SEED_BYTES = 32
const ML_KEM_SEED_BYTES = 64
const X25519_BYTES = 32
const ML_KEM_PUBLIC_KEY_BYTES = 1184
const ML_KEM_CIPHERTEXT_BYTES = 1088
export const PUBLIC_KEY_BYTES = ML_KEM_PUBLIC_KEY_BYTES + X25519_BYTES
export const CIPHERTEXT_BYTES = ML_KEM_CIPHERTEXT_BYTES + X25519_BYTES
/** ML-KEM-768's message (32 B), then the X25519 ephemeral secret (32 B). */
export const ENCAPSULATION_RANDOM_BYTES = 32 + X25519_BYTES

/** The combiner's label, `\.//^\` (draft §5.3). */
const LABEL = new Uint8Array([0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c])

/** DER prefixes that make a raw 32-byte X25519 key a PKCS #8 private key or an SPKI public key (RFC 8410). */
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex")
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex")

const x25519PrivateKey = (secret: Uint8Array): KeyObject =>
  createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secret]), format: "der", type: "pkcs8" })

const x25519PublicKey = (key: KeyObject): Uint8Array =>
  new Uint8Array(createPublicKey(key).export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.byteLength))

/** X25519(secret, peer); throws when the result is all zeros (a low-order peer point), as noble's does. */
const x25519 = (secret: KeyObject, peer: Uint8Array): Uint8Array =>
  new Uint8Array(diffieHellman({
    privateKey: secret,
    publicKey: createPublicKey({ key: Buffer.concat([SPKI_PREFIX, peer]), format: "der", type: "spki" })
  }))

const combine = (mlKemShared: Uint8Array, x25519Shared: Uint8Array, x25519CipherText: Uint8Array, x25519Public: Uint8Array) =>
  new Uint8Array(createHash("sha3-256").update(mlKemShared).update(x25519Shared).update(x25519CipherText).update(x25519Public).update(LABEL).digest())

/** A secret key expanded once: what decapsulation needs, kept for every stanza it tries. */
export interface Expanded {
  readonly publicKey: Uint8Array
  readonly mlKemSecretKey: Uint8Array
  readonly x25519Secret: KeyObject
  readonly x25519Public: Uint8Array
}

/** Expands a 32-byte secret key (draft §5.2): SHAKE-256 to ML-KEM's seed and X25519's secret. */
export const expand = (secretKey: Uint8Array): Expanded => {
  if (secretKey.byteLength !== SEED_BYTES) throw new Error(`secret key of ${secretKey.byteLength} bytes, expected ${SEED_BYTES}`)
  const expanded = createHash("shake256", { outputLength: ML_KEM_SEED_BYTES + X25519_BYTES }).update(secretKey).digest()
  const mlKem = ml_kem768.keygen(expanded.subarray(0, ML_KEM_SEED_BYTES))
  const x25519Secret = x25519PrivateKey(expanded.subarray(ML_KEM_SEED_BYTES))
  const x25519Public = x25519PublicKey(x25519Secret)
  const publicKey = new Uint8Array(PUBLIC_KEY_BYTES)
  publicKey.set(mlKem.publicKey, 0)
  publicKey.set(x25519Public, ML_KEM_PUBLIC_KEY_BYTES)
  return { publicKey, mlKemSecretKey: mlKem.secretKey, x25519Secret, x25519Public }
}

/** Encapsulates to `publicKey` with the caller's 64 random bytes; throws on an invalid key (an ML-KEM coefficient out of range, a low-order X25519 point). */
export const encapsulate = (
  publicKey: Uint8Array,
  randomness: Uint8Array
): { readonly cipherText: Uint8Array; readonly sharedSecret: Uint8Array } => {
  if (publicKey.byteLength !== PUBLIC_KEY_BYTES) throw new Error(`public key of ${publicKey.byteLength} bytes, expected ${PUBLIC_KEY_BYTES}`)
  if (randomness.byteLength !== ENCAPSULATION_RANDOM_BYTES) {
    throw new Error(`${randomness.byteLength} random bytes, expected ${ENCAPSULATION_RANDOM_BYTES}`)
  }
  const x25519Peer = publicKey.subarray(ML_KEM_PUBLIC_KEY_BYTES)
  const mlKem = ml_kem768.encapsulate(publicKey.subarray(0, ML_KEM_PUBLIC_KEY_BYTES), randomness.subarray(0, 32))
  const ephemeral = x25519PrivateKey(randomness.subarray(32))
  const x25519CipherText = x25519PublicKey(ephemeral)
  const x25519Shared = x25519(ephemeral, x25519Peer)
  const cipherText = new Uint8Array(CIPHERTEXT_BYTES)
  cipherText.set(mlKem.cipherText, 0)
  cipherText.set(x25519CipherText, ML_KEM_CIPHERTEXT_BYTES)
  return { cipherText, sharedSecret: combine(mlKem.sharedSecret, x25519Shared, x25519CipherText, x25519Peer) }
}

/**
 * The shared secret of `cipherText` for `key`. A wrong key gives an unrelated
 * secret (ML-KEM's implicit rejection); a low-order X25519 share throws.
 */
export const decapsulate = (cipherText: Uint8Array, key: Expanded): Uint8Array => {
  if (cipherText.byteLength !== CIPHERTEXT_BYTES) throw new Error(`ciphertext of ${cipherText.byteLength} bytes, expected ${CIPHERTEXT_BYTES}`)
  const x25519CipherText = cipherText.subarray(ML_KEM_CIPHERTEXT_BYTES)
  const mlKemShared = ml_kem768.decapsulate(cipherText.subarray(0, ML_KEM_CIPHERTEXT_BYTES), key.mlKemSecretKey)
  return combine(mlKemShared, x25519(key.x25519Secret, x25519CipherText), x25519CipherText, key.x25519Public)
}
