/**
 * Recipient stanzas: the file key wrapped for one X-Wing public key
 * (ML-KEM-768 + X25519), and unwrapped again with a secret key
 * (docs/vault-format.md §3.2, §4, §7.2).
 */
import { Option, Result } from "effect"
import { InvalidVaultKey } from "./Errors.ts"
import * as Aead from "./internal/Aead.ts"
import * as XWing from "./XWing.ts"
import { wrapKeyOf } from "./KeySchedule.ts"

export const PUBLIC_KEY_BYTES = XWing.PUBLIC_KEY_BYTES
export const SECRET_KEY_BYTES = XWing.SEED_BYTES
export const KEM_CIPHERTEXT_BYTES = XWing.CIPHERTEXT_BYTES
/** ML-KEM-768 coins (32 B), then the X25519 ephemeral secret (32 B). */
export const ENCAPSULATION_RANDOM_BYTES = XWing.ENCAPSULATION_RANDOM_BYTES
export const FILE_KEY_BYTES = 32
export const WRAPPED_KEY_BYTES = FILE_KEY_BYTES + Aead.TAG_BYTES
export const STANZA_BYTES = KEM_CIPHERTEXT_BYTES + WRAPPED_KEY_BYTES

/** Each wrap key is used once, so the wrap needs no nonce of its own. */
const WRAP_NONCE = new Uint8Array(Aead.NONCE_BYTES)

/** A caller's secret key with its public key, computed once for all stanzas. */
export interface Identity {
  /** Position in the caller's list. */
  readonly index: number
  readonly secretKey: Uint8Array
  readonly publicKey: Uint8Array
  /** The secret key expanded once, for every stanza tried with it; expanded at each try when absent. */
  readonly expanded?: XWing.Expanded
}

/**
 * The stanza wrapping `fileKey` for `publicKey`; `index` names the recipient
 * in errors. Fails when the key has the wrong length or is not a valid
 * X-Wing key (an ML-KEM coefficient out of range, a low-order X25519 point).
 */
export const wrapFileKey = (
  fileKey: Uint8Array,
  publicKey: Uint8Array,
  index: number,
  randomness: Uint8Array
): Result.Result<Uint8Array, InvalidVaultKey> => {
  if (publicKey.byteLength !== PUBLIC_KEY_BYTES) {
    return Result.fail(
      new InvalidVaultKey({ role: "recipient", index, reason: `${publicKey.byteLength} bytes, expected ${PUBLIC_KEY_BYTES}` })
    )
  }
  const encapsulated = Result.try({
    try: () => XWing.encapsulate(publicKey, randomness),
    catch: (error) => new InvalidVaultKey({ role: "recipient", index, reason: error instanceof Error ? error.message : String(error) })
  })
  return Result.map(encapsulated, ({ cipherText, sharedSecret }) => {
    const wrapped = Aead.seal(wrapKeyOf(sharedSecret, cipherText, publicKey), WRAP_NONCE, fileKey)
    const stanza = new Uint8Array(STANZA_BYTES)
    stanza.set(cipherText, 0)
    stanza.set(wrapped, KEM_CIPHERTEXT_BYTES)
    return stanza
  })
}

/** Checks a secret key and derives its public key. */
export const identityOf = (secretKey: Uint8Array, index: number): Result.Result<Identity, InvalidVaultKey> => {
  if (secretKey.byteLength !== SECRET_KEY_BYTES) {
    return Result.fail(
      new InvalidVaultKey({ role: "identity", index, reason: `${secretKey.byteLength} bytes, expected ${SECRET_KEY_BYTES}` })
    )
  }
  return Result.try({
    try: () => {
      const expanded = XWing.expand(secretKey)
      return { index, secretKey, publicKey: expanded.publicKey, expanded }
    },
    catch: (error) => new InvalidVaultKey({ role: "identity", index, reason: error instanceof Error ? error.message : String(error) })
  })
}

/**
 * The file key in `stanza`, or none when the stanza is not for `identity`.
 * With a wrong secret key, decapsulation returns an unrelated pseudorandom
 * secret (ML-KEM implicit rejection), so the wrap's tag fails; a malformed
 * X25519 share makes decapsulation throw, which also means "not for this key".
 */
export const unwrapFileKey = (stanza: Uint8Array, identity: Identity): Option.Option<Uint8Array> => {
  const cipherText = stanza.subarray(0, KEM_CIPHERTEXT_BYTES)
  const sharedSecret = Result.try(() => XWing.decapsulate(cipherText, identity.expanded ?? XWing.expand(identity.secretKey)))
  if (Result.isFailure(sharedSecret)) return Option.none()
  const wrapKey = wrapKeyOf(sharedSecret.success, cipherText, identity.publicKey)
  return Aead.open(wrapKey, WRAP_NONCE, stanza.subarray(KEM_CIPHERTEXT_BYTES, STANZA_BYTES))
}
