/**
 * The encrypted store's cipher, `vault-v1` (docs/store-format.md §10), built
 * from the vault format's primitives: AES-256-GCM (src/vault/internal/Aead.ts)
 * and X-Wing recipient stanzas (src/vault/Recipients.ts).
 *
 * At init a random 32-byte master key is drawn and wrapped to each recipient's
 * X-Wing public key (one stanza each, in the config). From the master key
 * HKDF-SHA-256 derives the data key, which seals every piece of the store,
 * and the config key, which seals the chunk-id key with the rest of the
 * config as associated data (so the chunker, pack size or cipher cannot be
 * edited unnoticed).
 *
 * A sealed piece is `nonce (12) ‖ ciphertext ‖ tag (16)`: the overhead is 28
 * bytes. The nonce is random; at most 2³² pieces per store keep the chance of
 * any nonce repeating under 2⁻³² (NIST SP 800-38D §8.3). A piece is 2 per
 * stored chunk plus one per pack, index and snapshot write: at the default
 * 1 MiB chunks that is ~2 PiB of unique data, far past what one store holds.
 * The associated data is `sigmavault/store/v2/<kind>/<store id>`, so a piece
 * sealed as one kind (a chunk header) never opens as another (a snapshot),
 * nor in another store.
 */
import { randomBytes } from "node:crypto"
import { hkdf } from "@noble/hashes/hkdf.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { Option, Result } from "effect"
import { keyIdOf } from "../keys/PublicKey.ts"
import * as Aead from "../vault/internal/Aead.ts"
import { ENCAPSULATION_RANDOM_BYTES, identityOf, SECRET_KEY_BYTES, STANZA_BYTES, unwrapFileKey, wrapFileKey } from "../vault/Recipients.ts"
import type { RepoCipher, SealedKind } from "./Cipher.ts"

export const VAULT_CIPHER = "vault-v1"
export const MASTER_KEY_BYTES = 32
export const SEAL_OVERHEAD = Aead.NONCE_BYTES + Aead.TAG_BYTES
export const SEALED_CHUNK_ID_KEY_BYTES = SEAL_OVERHEAD + 32
export { STANZA_BYTES }

const DATA_KEY_LABEL = "sigmavault/store/v2/data-key"
const CONFIG_KEY_LABEL = "sigmavault/store/v2/config-key"
const AAD_PREFIX = "sigmavault/store/v2/"

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text)

/** One recipient of the master key: its key id (in the clear, to pick the stanza) and the stanza. */
export interface KeyStanza {
  readonly keyId: string
  readonly stanza: Uint8Array
}

/** What an encrypted store's config holds about its keys. */
export interface EncryptionRecord {
  readonly recipients: ReadonlyArray<KeyStanza>
  /** nonce ‖ AES-256-GCM(config key, chunk-id key), the config's other fields as associated data. */
  readonly sealedChunkIdKey: Uint8Array
}

const sealWith = (key: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, random: (n: number) => Uint8Array): Uint8Array => {
  const out = new Uint8Array(plaintext.byteLength + SEAL_OVERHEAD)
  const nonce = random(Aead.NONCE_BYTES)
  out.set(nonce, 0)
  Aead.seal(key, out.subarray(0, Aead.NONCE_BYTES), plaintext, out.subarray(Aead.NONCE_BYTES), aad)
  return out
}

const openWith = (key: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Option.Option<Uint8Array> =>
  sealed.byteLength < SEAL_OVERHEAD
    ? Option.none()
    : Aead.open(key, sealed.subarray(0, Aead.NONCE_BYTES), sealed.subarray(Aead.NONCE_BYTES), undefined, aad)

const KINDS: ReadonlyArray<SealedKind> = ["chunk-header", "chunk", "pack-trailer", "index", "snapshot"]

/** The cipher sealing a store's pieces under `dataKey`, each bound to its kind and the store id. */
export const vaultCipher = (dataKey: Uint8Array, storeId: string, random: (n: number) => Uint8Array = randomBytes): RepoCipher => {
  const aads = new Map(KINDS.map((kind) => [kind, ascii(`${AAD_PREFIX}${kind}/${storeId}`)]))
  return {
    name: VAULT_CIPHER,
    overhead: SEAL_OVERHEAD,
    seal: (kind, plaintext) => sealWith(dataKey, aads.get(kind)!, plaintext, random),
    open: (kind, sealed) => {
      if (sealed.byteLength < SEAL_OVERHEAD) return Result.fail(`sealed ${kind} is ${sealed.byteLength} bytes, shorter than the ${SEAL_OVERHEAD}-byte nonce and tag`)
      const opened = openWith(dataKey, aads.get(kind)!, sealed)
      return Option.isSome(opened)
        ? Result.succeed(opened.value)
        : Result.fail(`the ${kind} does not authenticate (AES-256-GCM tag mismatch: damaged, or not a ${kind} of this store)`)
    }
  }
}

const dataKeyOf = (masterKey: Uint8Array, storeId: string) => hkdf(sha256, masterKey, ascii(storeId), ascii(DATA_KEY_LABEL), 32)
const configKeyOf = (masterKey: Uint8Array, storeId: string) => hkdf(sha256, masterKey, ascii(storeId), ascii(CONFIG_KEY_LABEL), 32)

/**
 * A fresh master key wrapped to `recipients` (X-Wing public keys), with the
 * chunk-id key sealed under it; `configContext` is the config's other fields.
 * Fails naming the first recipient key that is not a valid X-Wing key.
 */
export const newEncryption = (options: {
  readonly storeId: string
  readonly chunkIdKey: Uint8Array
  readonly recipients: ReadonlyArray<Uint8Array>
  readonly configContext: (record: ReadonlyArray<string>) => Uint8Array
  readonly random?: (n: number) => Uint8Array
}): Result.Result<{ readonly record: EncryptionRecord; readonly cipher: RepoCipher }, string> => {
  const random = options.random ?? randomBytes
  if (options.recipients.length === 0) return Result.fail("an encrypted store needs at least one recipient key")
  const masterKey = Uint8Array.from(random(MASTER_KEY_BYTES))
  const recipients: Array<KeyStanza> = []
  for (const [index, publicKey] of options.recipients.entries()) {
    const stanza = wrapFileKey(masterKey, publicKey, index, Uint8Array.from(random(ENCAPSULATION_RANDOM_BYTES)))
    if (Result.isFailure(stanza)) return Result.fail(stanza.failure.message)
    recipients.push({ keyId: keyIdOf(publicKey), stanza: stanza.success })
  }
  const context = options.configContext(recipients.map((r) => r.keyId))
  const sealedChunkIdKey = sealWith(configKeyOf(masterKey, options.storeId), context, options.chunkIdKey, random)
  return Result.succeed({
    record: { recipients, sealedChunkIdKey },
    cipher: vaultCipher(dataKeyOf(masterKey, options.storeId), options.storeId)
  })
}

/**
 * An X-Wing secret key (32 bytes), or one with its public key already known
 * (the keyring keeps both): deriving the public key is the slowest part of
 * opening a store (pure-JS ML-KEM key generation and an X25519 scalar
 * multiplication), so a caller that has it passes it.
 */
export type SecretKey = Uint8Array | { readonly secretKey: Uint8Array; readonly publicKey: Uint8Array }

/** Why an encrypted store did not open with the keys given. */
export type UnlockFailure =
  | { readonly _tag: "NoKey" }
  | { readonly _tag: "WrongKey"; readonly tried: ReadonlyArray<string> }
  | { readonly _tag: "BadKey"; readonly reason: string }
  | { readonly _tag: "Corrupt"; readonly reason: string }

/**
 * The cipher and chunk-id key of an encrypted store, with the first of
 * `secretKeys` (X-Wing secret keys) one of its stanzas opens for. A stanza
 * whose key id matches is tried first, then the others (key ids are not
 * authenticated). A stanza that opens while the sealed chunk-id key does not
 * means the config was altered: Corrupt, not WrongKey.
 */
export const unlock = (
  record: EncryptionRecord,
  storeId: string,
  context: Uint8Array,
  secretKeys: ReadonlyArray<SecretKey>
): Result.Result<{ readonly cipher: RepoCipher; readonly chunkIdKey: Uint8Array; readonly keyId: string }, UnlockFailure> => {
  if (secretKeys.length === 0) return Result.fail({ _tag: "NoKey" })
  const tried: Array<string> = []
  for (const [index, key] of secretKeys.entries()) {
    const identity = key instanceof Uint8Array
      ? identityOf(key, index)
      : key.secretKey.byteLength === SECRET_KEY_BYTES
      ? Result.succeed({ index, secretKey: key.secretKey, publicKey: key.publicKey })
      : identityOf(key.secretKey, index)
    if (Result.isFailure(identity)) return Result.fail({ _tag: "BadKey", reason: identity.failure.message })
    const keyId = keyIdOf(identity.success.publicKey)
    tried.push(keyId)
    const ordered = [...record.recipients].sort((a, b) => Number(b.keyId === keyId) - Number(a.keyId === keyId))
    for (const recipient of ordered) {
      const master = unwrapFileKey(recipient.stanza, identity.success)
      if (Option.isNone(master)) continue
      const chunkIdKey = openWith(configKeyOf(master.value, storeId), context, record.sealedChunkIdKey)
      if (Option.isNone(chunkIdKey)) {
        return Result.fail({
          _tag: "Corrupt",
          reason: "the key opens the store, but the sealed chunk-id key does not authenticate: the config was altered"
        })
      }
      return Result.succeed({ cipher: vaultCipher(dataKeyOf(master.value, storeId), storeId), chunkIdKey: chunkIdKey.value, keyId })
    }
  }
  return Result.fail({ _tag: "WrongKey", tried })
}
