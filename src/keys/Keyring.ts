/**
 * The port through which QUANTUM holds the daemon's own keys: X-Wing
 * encryption keys (one default, older ones kept for decryption after a
 * rotate) and one ML-DSA-65 signing key for the ledger.
 *
 * The daemon cannot ask anyone for a passphrase, so the live keyring stores
 * its secret keys unsealed, each in a mode-0600 file inside a mode-0700
 * directory, as /etc/ssh keeps host keys: whoever can read those files (root,
 * the daemon's user, a backup of the state directory) holds the keys.
 * docs/keys.md describes the layout.
 *
 * Reads that report state (`list`, `secretKeys`) never create a key. The
 * operations that need one create the first on first use: `ensureDefault`,
 * `exportPublic()` without an id, `rotate`, and the signing operations.
 */
import { Context, Effect, Schema } from "effect"
import { FileError } from "../adapters/fs/Files.ts"
import { verifySignature } from "./KeyPair.ts"
import type { ReadSecretKeyError } from "./SecretKeyFile.ts"
import { octalMode } from "./internal/files.ts"

export interface KeyInfo {
  /** 16 hex digits: SHA-256 of the public key, first 8 bytes. */
  readonly id: string
  readonly kind: "x-wing"
  /** `svpk1…` */
  readonly publicKey: string
  readonly created: Date
  /** The key new data is encrypted to. */
  readonly isDefault: boolean
}

export interface DecryptionKey {
  readonly id: string
  /** 1,216 bytes. */
  readonly publicKey: Uint8Array
  /** 32 bytes, as the vault format's X-Wing decapsulation takes it. */
  readonly secretKey: Uint8Array
}

export interface LedgerSigningKey {
  readonly id: string
  /** ML-DSA-65, 1,952 bytes. */
  readonly publicKey: Uint8Array
  /** ML-DSA-65 expanded, 4,032 bytes. */
  readonly secretKey: Uint8Array
  readonly created: Date
  /** Signs synchronously with `secretKey`; `{ keyId: key.id, sign: key.sign }` is the ledger's Signer. */
  readonly sign: (message: Uint8Array) => Uint8Array
}

/** The index names a key file that is not there. */
export class KeyFileMissing extends Schema.TaggedError<KeyFileMissing>()("KeyFileMissing", {
  id: Schema.String,
  file: Schema.String
}) {
  override get message() {
    return `keyring key ${this.id} is listed in the index, but its file ${this.file} is missing: data encrypted to this key cannot be decrypted until the file is restored (from a backup of the state directory)`
  }
}

/** A key file the index names cannot be used: unreadable, corrupt, too open, not the key the index says. */
export class KeyFileUnusable extends Schema.TaggedError<KeyFileUnusable>()("KeyFileUnusable", {
  id: Schema.String,
  file: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `keyring key ${this.id} (${this.file}) cannot be used: ${this.reason}`
  }
}

/** The index is not a document this keyring wrote, or is missing while keys are present. */
export class KeyringCorrupt extends Schema.TaggedError<KeyringCorrupt>()("KeyringCorrupt", {
  file: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `keyring index ${this.file} is corrupt: ${this.reason}`
  }
}

export class KeyringVersionTooNew extends Schema.TaggedError<KeyringVersionTooNew>()("KeyringVersionTooNew", {
  file: Schema.String,
  version: Schema.Number,
  supported: Schema.Number
}) {
  override get message() {
    return `keyring index ${this.file} has format version ${this.version}, newer than this release supports (${this.supported}); it was written by a newer SigmaVault`
  }
}

/** The keyring directory may be entered or read by group or others. */
export class KeyringPermissions extends Schema.TaggedError<KeyringPermissions>()("KeyringPermissions", {
  directory: Schema.String,
  mode: Schema.Number
}) {
  override get message() {
    return `keyring directory ${this.directory} is accessible by group or others (mode ${octalMode(this.mode)}); it holds unsealed secret keys and must be 0700: chmod 700 ${this.directory}`
  }
}

export class KeyNotFound extends Schema.TaggedError<KeyNotFound>()("KeyNotFound", {
  id: Schema.String
}) {
  override get message() {
    return `no key with id ${this.id} in the keyring (the key list shows the ids)`
  }
}

export type KeyringError =
  | KeyFileMissing
  | KeyFileUnusable
  | KeyringCorrupt
  | KeyringVersionTooNew
  | KeyringPermissions
  | FileError

/** Every KeyringError's schema (and KeyNotFound), for the protocols of agents that pass them on as rejections. */
export const KEYRING_ERRORS = [
  KeyFileMissing,
  KeyFileUnusable,
  KeyringCorrupt,
  KeyringVersionTooNew,
  KeyringPermissions,
  FileError,
  KeyNotFound
] as const

export interface KeyringShape {
  /** The directory holding the keys. */
  readonly directory: string
  /** Every X-Wing key, oldest first; empty until the first is created. */
  readonly list: Effect.Effect<ReadonlyArray<KeyInfo>, KeyringError>
  /** The default X-Wing key, created if there is none yet. */
  readonly ensureDefault: Effect.Effect<KeyInfo, KeyringError>
  /** Creates a new X-Wing key and makes it the default; older keys stay for decryption. Returns the new key. */
  readonly rotate: Effect.Effect<KeyInfo, KeyringError>
  /** The `svpk1…` text of key `id`, or of the default key (created if there is none yet). */
  readonly exportPublic: (id?: string) => Effect.Effect<string, KeyringError | KeyNotFound>
  /** Every X-Wing secret key, the default first, then newest to oldest: try them in this order to decrypt. */
  readonly secretKeys: Effect.Effect<ReadonlyArray<DecryptionKey>, KeyringError>
  /** The ledger's ML-DSA-65 key pair, created on first use. */
  readonly signingKey: Effect.Effect<LedgerSigningKey, KeyringError>
  readonly signingPublicKey: Effect.Effect<Uint8Array, KeyringError>
  /** An ML-DSA-65 signature of `message` by the signing key (3,309 bytes). */
  readonly sign: (message: Uint8Array) => Effect.Effect<Uint8Array, KeyringError>
  /** Whether `signature` is the signing key's signature of `message`. */
  readonly verify: (message: Uint8Array, signature: Uint8Array) => Effect.Effect<boolean, KeyringError>
}

export class Keyring extends Context.Service<Keyring, KeyringShape>()("sigmavault/keys/Keyring") {}

/** Turns a key file's read error into the keyring's words for it. */
export const keyFileError = (id: string, file: string, error: ReadSecretKeyError): KeyFileMissing | KeyFileUnusable =>
  error._tag === "SecretKeyFileNotFound"
    ? new KeyFileMissing({ id, file })
    : new KeyFileUnusable({ id, file, reason: error.message })

/** The signing operations of a keyring, from its signing key: the same for every implementation. */
export const signingOperations = (signingKey: Effect.Effect<LedgerSigningKey, KeyringError>) => ({
  signingPublicKey: Effect.map(signingKey, (key) => key.publicKey),
  sign: (message: Uint8Array) => Effect.map(signingKey, (key) => key.sign(message)),
  verify: (message: Uint8Array, signature: Uint8Array) =>
    Effect.map(signingKey, (key) => verifySignature({ publicKey: key.publicKey, message, signature }))
})
