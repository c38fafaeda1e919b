/**
 * The printable form of public keys, for recipients files, listings and
 * copying between machines:
 *
 *   svpk1<base64url(key ‖ SHA-256(key)[0..4])>     an X-Wing encryption key (1,632 characters)
 *   svspk1<base64url(key ‖ SHA-256(key)[0..4])>    an ML-DSA-65 signing key (2,614 characters)
 *
 * base64url is RFC 4648 §5 without padding and must be canonical (the unused
 * low bits of the last character are zero), so one key has exactly one text.
 * The checksum catches typos and spliced copies; a truncated copy fails the
 * length check first. A key id is the first 8 bytes of SHA-256(key) in hex.
 */
import { sha256 } from "@noble/hashes/sha2.js"
import { Result, Schema } from "effect"
import { base64urlLength, fromBase64url, sameBytes, toBase64url, toHex } from "./internal/encoding.ts"

export const PUBLIC_KEY_PREFIX = "svpk1"
export const SIGNING_PUBLIC_KEY_PREFIX = "svspk1"
/** ML-KEM-768 (1,184 bytes) followed by X25519 (32 bytes). */
export const X_WING_PUBLIC_KEY_BYTES = 1216
export const ML_DSA_65_PUBLIC_KEY_BYTES = 1952
const CHECKSUM_BYTES = 4

export class InvalidPublicKey extends Schema.TaggedError<InvalidPublicKey>()("InvalidPublicKey", {
  problem: Schema.Literals(["empty", "prefix", "character", "length", "checksum"]),
  detail: Schema.String
}) {
  override get message() {
    return `not a SigmaVault public key: ${this.detail}`
  }
}

/** A line of a recipients file that is not a key, by number (1-based). */
export class InvalidRecipients extends Schema.TaggedError<InvalidRecipients>()("InvalidRecipients", {
  source: Schema.String,
  line: Schema.Number,
  reason: Schema.String
}) {
  override get message() {
    return `${this.source} line ${this.line}: ${this.reason}`
  }
}

interface TextForm {
  readonly prefix: string
  readonly bytes: number
  readonly what: string
}

const ENCRYPTION: TextForm = { prefix: PUBLIC_KEY_PREFIX, bytes: X_WING_PUBLIC_KEY_BYTES, what: "X-Wing encryption key" }
const SIGNING: TextForm = { prefix: SIGNING_PUBLIC_KEY_PREFIX, bytes: ML_DSA_65_PUBLIC_KEY_BYTES, what: "ML-DSA-65 signing key" }

const checksumOf = (key: Uint8Array) => sha256(key).subarray(0, CHECKSUM_BYTES)

const encodeWith = (form: TextForm, key: Uint8Array): string => {
  if (key.byteLength !== form.bytes) {
    throw new Error(`an ${form.what} has ${form.bytes} bytes, not ${key.byteLength}`)
  }
  const body = new Uint8Array(form.bytes + CHECKSUM_BYTES)
  body.set(key, 0)
  body.set(checksumOf(key), form.bytes)
  return form.prefix + toBase64url(body)
}

const shown = (text: string) => JSON.stringify(text.length > 12 ? `${text.slice(0, 12)}…` : text)

/** Says what a text with the wrong prefix looks like, when it looks like something known. */
const wrongPrefix = (form: TextForm, text: string): string => {
  const other = form === ENCRYPTION ? SIGNING : ENCRYPTION
  if (text.startsWith(other.prefix)) return `this is an ${other.what} (${other.prefix}…), where an ${form.what} (${form.prefix}…) is needed`
  if (text.toLowerCase().startsWith(form.prefix)) return `the prefix must be lowercase ${form.prefix}`
  if (/^age1/i.test(text)) return `this looks like an age recipient (age1…), not a SigmaVault key (${form.prefix}…)`
  if (/^AGE-SECRET-KEY-/i.test(text) || text.startsWith("# SigmaVault secret key") || text.includes("\"protection\"")) {
    return `this looks like a secret key, never share it; the public key starts with ${form.prefix}`
  }
  return `expected text starting with ${form.prefix}, found ${shown(text)}`
}

const decodeWith = (form: TextForm, input: string): Result.Result<Uint8Array, InvalidPublicKey> => {
  const fail = (problem: InvalidPublicKey["problem"], detail: string) => Result.fail(new InvalidPublicKey({ problem, detail }))
  const text = input.trim()
  if (text === "") return fail("empty", "the text is empty")
  if (!text.startsWith(form.prefix)) return fail("prefix", wrongPrefix(form, text))
  const body = text.slice(form.prefix.length)
  const badAt = body.search(/[^A-Za-z0-9_-]/)
  if (badAt >= 0) {
    const character = body[badAt]!
    const position = form.prefix.length + badAt + 1
    const hint = /\s/.test(character)
      ? " (a line-wrapped copy? join it into one line)"
      : character === "=" || character === "+" || character === "/"
        ? " (the text form is unpadded base64url: A-Z a-z 0-9 - _)"
        : " (a key uses only A-Z a-z 0-9 - _)"
    return fail("character", `character ${position} is ${JSON.stringify(character)}, which cannot occur in a key${hint}`)
  }
  const expected = base64urlLength(form.bytes + CHECKSUM_BYTES)
  if (body.length !== expected) {
    const why = body.length < expected ? "a truncated copy?" : "something pasted onto the end?"
    return fail(
      "length",
      `${form.prefix}… is followed by ${body.length} characters where an ${form.what} has ${expected} (${why})`
    )
  }
  const bytes = fromBase64url(body)
  if (bytes === undefined) return fail("checksum", `the last character cannot end a key (a typo?)`)
  const key = bytes.slice(0, form.bytes)
  if (!sameBytes(checksumOf(key), bytes.subarray(form.bytes))) {
    return fail("checksum", "checksum mismatch (a typo or a truncated copy?)")
  }
  return Result.succeed(key)
}

/** `svpk1…` for a 1,216-byte X-Wing public key. A key of another length is a bug in the caller: it throws. */
export const encodePublicKey = (publicKey: Uint8Array): string => encodeWith(ENCRYPTION, publicKey)

/** The X-Wing public key in `text`, ignoring whitespace around it. */
export const decodePublicKey = (text: string): Result.Result<Uint8Array, InvalidPublicKey> => decodeWith(ENCRYPTION, text)

/** `svspk1…` for a 1,952-byte ML-DSA-65 public key (the ledger's signing key). */
export const encodeSigningPublicKey = (publicKey: Uint8Array): string => encodeWith(SIGNING, publicKey)

export const decodeSigningPublicKey = (text: string): Result.Result<Uint8Array, InvalidPublicKey> =>
  decodeWith(SIGNING, text)

/** 16 hex digits naming a key in listings: SHA-256 of the raw public key, first 8 bytes. */
export const keyIdOf = (publicKey: Uint8Array): string => toHex(sha256(publicKey).subarray(0, 8))

export interface Recipient {
  readonly publicKey: Uint8Array
  /** The key's text form as written in the file. */
  readonly text: string
  readonly id: string
  /** Where the key was (1-based). */
  readonly line: number
  /** The comment after the key on its line, if any (`svpk1… # alice`). */
  readonly label?: string
}

/**
 * Parses a recipients file: one `svpk1…` key per line, optionally followed by
 * whitespace and a `# comment`; blank lines and lines starting with `#` are
 * skipped. A key listed twice is kept once (its first line). An empty list is
 * not an error here: the caller decides whether encrypting to nobody is.
 * `source` names the file in errors.
 */
export const parseRecipients = (
  text: string,
  source = "recipients"
): Result.Result<ReadonlyArray<Recipient>, InvalidRecipients> => {
  const recipients: Array<Recipient> = []
  const seen = new Set<string>()
  const lines = text.replace(/^\uFEFF/, "").split("\n")
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim()
    if (line === "" || line.startsWith("#")) continue
    const match = /^(\S+)(?:\s+#\s?(.*))?$/.exec(line)
    if (match === null) {
      return Result.fail(
        new InvalidRecipients({
          source,
          line: index + 1,
          reason: "expected one key per line, optionally followed by a # comment"
        })
      )
    }
    const keyText = match[1]!
    const decoded = decodePublicKey(keyText)
    if (Result.isFailure(decoded)) {
      return Result.fail(new InvalidRecipients({ source, line: index + 1, reason: decoded.failure.message }))
    }
    const id = keyIdOf(decoded.success)
    if (seen.has(id)) continue
    seen.add(id)
    const label = match[2]?.trim()
    recipients.push({
      publicKey: decoded.success,
      text: keyText,
      id,
      line: index + 1,
      ...(label === undefined || label === "" ? {} : { label })
    })
  }
  return Result.succeed(recipients)
}
