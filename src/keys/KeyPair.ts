/**
 * The two kinds of key SigmaVault holds, and what can be done with them
 * without touching a file:
 *
 * - "x-wing": ML-KEM-768 + X25519 (draft-connolly-cfrg-xwing-kem) for
 *   encryption. Public key 1,216 bytes; the secret key is its 32-byte seed,
 *   from which everything else is re-derived.
 * - "ml-dsa-65": FIPS 204 signatures for the ledger. Public key 1,952 bytes,
 *   expanded secret key 4,032 bytes, signature 3,309 bytes. Files store the
 *   32-byte seed (FIPS 204's seed format); `signingKeyPairFromSeed` expands it.
 *
 * Randomness comes from `crypto.getRandomValues` unless a seed is given: a
 * seed makes generation deterministic, for tests and known-answer checks.
 */
import { ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js"
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js"
import { Result } from "effect"
import * as XWing from "../vault/XWing.ts"

export type KeyKind = "x-wing" | "ml-dsa-65"

export const SEED_BYTES = 32

export interface KeyPair {
  readonly publicKey: Uint8Array
  readonly secretKey: Uint8Array
}

export interface SigningKeyPair extends KeyPair {
  /** The 32 bytes that regenerate this key pair; what a key file stores. */
  readonly seed: Uint8Array
}

/** A fresh X-Wing key pair; `seed` (32 bytes) makes it deterministic. The secret key is 32 bytes. */
export const generateKeyPair = (seed?: Uint8Array): KeyPair => {
  const { publicKey, secretKey } = ml_kem768_x25519.keygen(seed)
  return { publicKey, secretKey }
}

/** The X-Wing public key of a 32-byte secret key: X25519 by node:crypto (src/vault/XWing.ts), where noble's pure-JS one cost ~70 ms of a command's start-up building its tables. */
export const xWingPublicKeyOf = (secretKey: Uint8Array): Uint8Array => XWing.expand(secretKey).publicKey

/** A fresh ML-DSA-65 key pair; `seed` (32 bytes) makes it deterministic. */
export const generateSigningKeyPair = (seed?: Uint8Array): SigningKeyPair =>
  signingKeyPairFromSeed(seed ?? crypto.getRandomValues(new Uint8Array(SEED_BYTES)))

/**
 * The last seed expanded, and its pair. The keyring expands one seed several
 * times in a row (its id when it is created, the file's public key when it is
 * written, the check of the file read back, then the signing pair), and each
 * ML-DSA-65 expansion costs 10-100 ms of pure JS: at daemon start that was
 * four of them on the critical path. Callers get copies, so none can alter
 * what the next one gets.
 */
let lastExpanded: { readonly seed: Uint8Array; readonly publicKey: Uint8Array; readonly secretKey: Uint8Array } | undefined

const sameSeed = (a: Uint8Array, b: Uint8Array) => {
  if (a.byteLength !== b.byteLength) return false
  let diff = 0
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

export const signingKeyPairFromSeed = (seed: Uint8Array): SigningKeyPair => {
  const expanded = lastExpanded !== undefined && sameSeed(lastExpanded.seed, seed)
    ? lastExpanded
    : (lastExpanded = { seed: seed.slice(), ...ml_dsa65.keygen(seed) })
  return { publicKey: expanded.publicKey.slice(), secretKey: expanded.secretKey.slice(), seed: seed.slice() }
}

/** The public key a stored 32-byte secret (X-Wing secret key, ML-DSA-65 seed) belongs to. */
export const publicKeyOf = (kind: KeyKind, secret: Uint8Array): Uint8Array =>
  kind === "x-wing" ? xWingPublicKeyOf(secret) : signingKeyPairFromSeed(secret).publicKey

/**
 * An ML-DSA-65 signature (3,309 bytes, hedged: randomized, so signing one
 * message twice gives two valid signatures). No FIPS 204 context string is
 * used; the signed message carries its own domain separation.
 */
export const signMessage = (secretKey: Uint8Array, message: Uint8Array): Uint8Array => ml_dsa65.sign(message, secretKey)

/** Whether `signature` is `publicKey`'s signature of `message`. Malformed input is simply false. */
export const verifySignature = (options: {
  readonly publicKey: Uint8Array
  readonly message: Uint8Array
  readonly signature: Uint8Array
}): boolean => {
  const verified = Result.try(() => ml_dsa65.verify(options.signature, options.message, options.publicKey))
  return Result.isSuccess(verified) && verified.success
}
