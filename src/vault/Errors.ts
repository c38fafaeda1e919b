/**
 * The expected failures of the vault format (docs/vault-format.md §8). Each
 * message names what was wrong and where, so the CLI can print it as is.
 */
import { Schema } from "effect"
import { FileError } from "../adapters/fs/Files.ts"

/** Empty input, or input that does not start with the vault magic. */
export class NotAVaultFile extends Schema.TaggedError<NotAVaultFile>()("NotAVaultFile", {
  /** The first bytes found, in hex (empty for empty input). */
  found: Schema.String
}) {
  override get message() {
    return this.found === ""
      ? "not a SigmaVault encrypted file: the input is empty"
      : `not a SigmaVault encrypted file: expected the magic 53565641554c5400 ("SVVAULT\\0"), found ${this.found}`
  }
}

/** A version byte this release does not read. */
export class UnsupportedVaultVersion extends Schema.TaggedError<UnsupportedVaultVersion>()("UnsupportedVaultVersion", {
  version: Schema.Number,
  supported: Schema.Number
}) {
  override get message() {
    return this.version > this.supported
      ? `unsupported vault format version ${this.version}: this release reads version ${this.supported}; the file was written by a newer SigmaVault`
      : `unsupported vault format version ${this.version}: this release reads version ${this.supported}`
  }
}

/** A header field outside the range the format allows. */
export class MalformedVaultHeader extends Schema.TaggedError<MalformedVaultHeader>()("MalformedVaultHeader", {
  /** The field, as named in the format document: "chunkSize", "recipientCount". */
  field: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `malformed vault header: ${this.field} ${this.reason}`
  }
}

/** The header MAC does not verify under the file key a stanza gave. */
export class VaultHeaderAuthFailed extends Schema.TaggedError<VaultHeaderAuthFailed>()("VaultHeaderAuthFailed", {}) {
  override get message() {
    return "vault header authentication failed: the header was modified, or a recipient stanza was added, removed, reordered or swapped in from another file"
  }
}

/** No stanza opens with any of the given secret keys. */
export class NoMatchingRecipient extends Schema.TaggedError<NoMatchingRecipient>()("NoMatchingRecipient", {
  stanzas: Schema.Number,
  identities: Schema.Number
}) {
  override get message() {
    const keys = this.identities === 1 ? "the given key" : `any of the ${this.identities} given keys`
    const stanzas = this.stanzas === 1
      ? "the file's only recipient stanza does not open"
      : `none of the file's ${this.stanzas} recipient stanzas opens`
    return `no matching recipient: ${stanzas} with ${keys}; the file was not encrypted to ${this.identities === 1 ? "it" : "them"}, or the stanza for ${this.identities === 1 ? "it" : "them"} was damaged`
  }
}

/** A payload chunk's tag did not verify at its position. */
export class VaultChunkAuthFailed extends Schema.TaggedError<VaultChunkAuthFailed>()("VaultChunkAuthFailed", {
  chunk: Schema.Number,
  /** Byte offset of the chunk in the vault file. */
  offset: Schema.Number,
  /** Whether the chunk was read as the final one (the input ended inside or right after it). */
  final: Schema.Boolean
}) {
  override get message() {
    return this.final
      ? `chunk ${this.chunk} (the last, at byte ${this.offset}) failed authentication: it was modified, reordered or duplicated, or the file was cut short inside it`
      : `chunk ${this.chunk} (at byte ${this.offset}) failed authentication: it was modified, reordered or duplicated`
  }
}

/** The input ends before the format allows it to. */
export class VaultTruncated extends Schema.TaggedError<VaultTruncated>()("VaultTruncated", {
  /** Where the input ended: its length in bytes. */
  offset: Schema.Number,
  reason: Schema.String
}) {
  override get message() {
    return `vault file truncated at byte ${this.offset}: ${this.reason}`
  }
}

/** Bytes follow an authentic final chunk. */
export class VaultTrailingData extends Schema.TaggedError<VaultTrailingData>()("VaultTrailingData", {
  /** Where the final chunk ends and the extra bytes begin. */
  offset: Schema.Number
}) {
  override get message() {
    return `trailing data after the final chunk: the vault file should end at byte ${this.offset} but continues`
  }
}

/** A recipient public key or an identity secret key that is not an X-Wing key. */
export class InvalidVaultKey extends Schema.TaggedError<InvalidVaultKey>()("InvalidVaultKey", {
  role: Schema.Literals(["recipient", "identity"]),
  /** Position in the list the caller passed. */
  index: Schema.Number,
  reason: Schema.String
}) {
  override get message() {
    return this.role === "recipient"
      ? `recipient ${this.index} is not an X-Wing public key: ${this.reason}`
      : `identity ${this.index} is not an X-Wing secret key: ${this.reason}`
  }
}

/** An argument outside what the format allows (chunk size, recipient count). */
export class InvalidVaultOption extends Schema.TaggedError<InvalidVaultOption>()("InvalidVaultOption", {
  option: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `invalid ${this.option}: ${this.reason}`
  }
}

/** The output file exists and overwriting was not asked for. */
export class VaultOutputExists extends Schema.TaggedError<VaultOutputExists>()("VaultOutputExists", {
  file: Schema.String
}) {
  override get message() {
    return `${this.file} already exists; not overwriting it (remove it or choose another output)`
  }
}

/** Failures of reading a vault file: format, authentication and key errors. */
export type VaultFormatError =
  | NotAVaultFile
  | UnsupportedVaultVersion
  | MalformedVaultHeader
  | VaultHeaderAuthFailed
  | NoMatchingRecipient
  | VaultChunkAuthFailed
  | VaultTruncated
  | VaultTrailingData

export type VaultError =
  | VaultFormatError
  | InvalidVaultKey
  | InvalidVaultOption
  | VaultOutputExists
  | FileError

/** Every VaultError's schema, for the protocols of agents that pass them on as rejections. */
export const VAULT_ERRORS = [
  NotAVaultFile,
  UnsupportedVaultVersion,
  MalformedVaultHeader,
  VaultHeaderAuthFailed,
  NoMatchingRecipient,
  VaultChunkAuthFailed,
  VaultTruncated,
  VaultTrailingData,
  InvalidVaultKey,
  InvalidVaultOption,
  VaultOutputExists,
  FileError
] as const
