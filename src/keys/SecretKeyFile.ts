/**
 * Secret key files: a versioned text format holding one 32-byte secret (an
 * X-Wing secret key or an ML-DSA-65 seed), either sealed with a passphrase or,
 * only when the caller says `{ unsealed: true }`, in plain form.
 *
 *   # SigmaVault secret key (x-wing), sealed with a passphrase
 *   # public key: svpk1…
 *   # created: 2025-06-01T12:00:00.000Z
 *   {"format":"sigmavault-secret-key","version":1,"kind":"x-wing","created":"…","publicKey":"svpk1…",
 *    "protection":"passphrase","kdf":{"name":"scrypt","N":131072,"r":8,"p":1,"salt":"…"},
 *    "cipher":{"name":"xchacha20poly1305","nonce":"…"},"sealedKey":"…"}
 *
 * (the JSON is one line). `#` lines are for people and the reader ignores
 * them. Sealing: key = scrypt(NFC-normalised UTF-8 passphrase, salt, N, r, p,
 * 32 bytes); sealedKey = XChaCha20-Poly1305(key, nonce, secret) with
 * associated data "sigmavault-secret-key/v1/<kind>" ‖ raw public key, so a
 * sealed secret cannot be moved under another public key or kind. Binary
 * fields are unpadded base64url. An unsealed file says NOT SEALED in its first
 * line and has `"protection":"none","secretKey":"…"` instead.
 *
 * Files are created with mode 0600 and never overwritten (exclusive create).
 * A reader refuses a file that group or others may access, sealed or not, as
 * ssh does: a sealed key readable by others invites offline guessing of the
 * passphrase, and a loose mode usually means a careless copy.
 */
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js"
import { scryptAsync } from "@noble/hashes/scrypt.js"
import { Clock, Effect, Result, Schema } from "effect"
import { fromBase64url, sameBytes, toBase64url } from "./internal/encoding.ts"
import { exists, type FileError, Files } from "../adapters/fs/Files.ts"
import { isOpenToOthers, octalMode } from "./internal/files.ts"
import { type KeyKind, publicKeyOf, SEED_BYTES } from "./KeyPair.ts"
import { decodePublicKey, decodeSigningPublicKey, encodePublicKey, encodeSigningPublicKey } from "./PublicKey.ts"

export { generateKeyPair } from "./KeyPair.ts"

/** The format this release writes and the newest it reads. */
export const SECRET_KEY_FILE_VERSION = 1
const FORMAT = "sigmavault-secret-key"
const HEADER = "# SigmaVault secret key"
/** A key file is about 2 KiB; anything much larger is something else. */
const MAX_FILE_BYTES = 64 * 1024
const SALT_BYTES = 16
const NONCE_BYTES = 24
const TAG_BYTES = 16

export interface ScryptParams {
  readonly N: number
  readonly r: number
  readonly p: number
}

/**
 * 2^17 (128 MiB): the first N at which a derivation takes ≥ 250 ms here
 * under both runtimes (Bun ≈ 0.4–0.55 s, Node ≈ 0.6–0.8 s on a 2-core EPYC;
 * docs/keys.md has the figures). Slower machines only wait longer.
 */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 }

/** The largest work a file may ask of a reader, so a crafted file cannot demand gigabytes. */
const MAX_SCRYPT_MEMORY = 2 ** 30
const MAX_SCRYPT_P = 16

/** Why `params` is outside what this release writes and reads, or undefined when it is fine. */
export const scryptParamsProblem = (params: ScryptParams): string | undefined => {
  const { N, r, p } = params
  if (!Number.isInteger(N) || N < 2 || (N & (N - 1)) !== 0) return `N=${N} is not a power of two ≥ 2`
  if (!Number.isInteger(r) || r < 1) return `r=${r} is not a positive integer`
  if (!Number.isInteger(p) || p < 1 || p > MAX_SCRYPT_P) return `p=${p} is not an integer from 1 to ${MAX_SCRYPT_P}`
  if (128 * r * N > MAX_SCRYPT_MEMORY) return `N=${N}, r=${r} needs ${(128 * r * N) / 2 ** 20} MiB, more than 1 GiB`
  return undefined
}

// --- errors -----------------------------------------------------------------

export class SecretKeyFileExists extends Schema.TaggedError<SecretKeyFileExists>()("SecretKeyFileExists", {
  file: Schema.String
}) {
  override get message() {
    return `refusing to overwrite ${this.file}: a file already exists there (move or delete it first if you really mean to replace it; the key in it is lost if nothing else holds it)`
  }
}

export class SecretKeyFileNotFound extends Schema.TaggedError<SecretKeyFileNotFound>()("SecretKeyFileNotFound", {
  file: Schema.String
}) {
  override get message() {
    return `no secret key file at ${this.file}`
  }
}

export class NotASecretKeyFile extends Schema.TaggedError<NotASecretKeyFile>()("NotASecretKeyFile", {
  file: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.file} is not a SigmaVault secret key file: ${this.reason}`
  }
}

export class SecretKeyFileVersionTooNew extends Schema.TaggedError<SecretKeyFileVersionTooNew>()(
  "SecretKeyFileVersionTooNew",
  { file: Schema.String, version: Schema.Number, supported: Schema.Number }
) {
  override get message() {
    return `secret key file ${this.file} has format version ${this.version}, newer than this release supports (${this.supported}); it was written by a newer SigmaVault`
  }
}

/** The file says it is a SigmaVault key but cannot be one as written (truncated, edited, damaged). */
export class SecretKeyFileCorrupt extends Schema.TaggedError<SecretKeyFileCorrupt>()("SecretKeyFileCorrupt", {
  file: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `secret key file ${this.file} is corrupt: ${this.reason}`
  }
}

export class PassphraseRequired extends Schema.TaggedError<PassphraseRequired>()("PassphraseRequired", {
  file: Schema.String
}) {
  override get message() {
    return `secret key file ${this.file} is sealed with a passphrase; one is needed to open it`
  }
}

/** The authenticated decryption failed: a wrong passphrase, or the sealed part was altered. */
export class WrongPassphrase extends Schema.TaggedError<WrongPassphrase>()("WrongPassphrase", {
  file: Schema.String
}) {
  override get message() {
    return `wrong passphrase for ${this.file} (or the sealed key in it was altered)`
  }
}

export class SecretKeyFilePermissions extends Schema.TaggedError<SecretKeyFilePermissions>()(
  "SecretKeyFilePermissions",
  { file: Schema.String, mode: Schema.Number }
) {
  override get message() {
    return `secret key file ${this.file} is accessible by group or others (mode ${octalMode(this.mode)}); a secret key must be readable only by its owner: chmod 600 ${this.file}`
  }
}

export class EmptyPassphrase extends Schema.TaggedError<EmptyPassphrase>()("EmptyPassphrase", {
  file: Schema.String
}) {
  override get message() {
    return `refusing to seal ${this.file} with an empty passphrase: it would protect nothing (ask for an unsealed file explicitly if that is what you mean)`
  }
}

export type WriteSecretKeyError = SecretKeyFileExists | EmptyPassphrase | FileError

export type ReadSecretKeyError =
  | SecretKeyFileNotFound
  | NotASecretKeyFile
  | SecretKeyFileVersionTooNew
  | SecretKeyFileCorrupt
  | PassphraseRequired
  | WrongPassphrase
  | SecretKeyFilePermissions
  | FileError

// --- what goes in and comes out ---------------------------------------------

export type Passphrase = string | Uint8Array

/** How to protect a secret at rest. There is no default: an unsealed file must be asked for. */
export type Protection =
  | { readonly passphrase: Passphrase; readonly scrypt?: ScryptParams }
  | { readonly unsealed: true }

export interface SecretKeyToWrite {
  /** An X-Wing secret key, or an ML-DSA-65 seed; 32 bytes either way. */
  readonly secretKey: Uint8Array
  /** Default "x-wing". */
  readonly kind?: KeyKind
  readonly protection: Protection
  /** Default: now, by the Effect Clock. */
  readonly created?: Date
}

/** What a key file says about itself; reading it needs no passphrase. */
export interface SecretKeyFileInfo {
  readonly kind: KeyKind
  readonly publicKey: Uint8Array
  /** `svpk1…` for x-wing, `svspk1…` for ml-dsa-65. */
  readonly publicKeyText: string
  readonly created: Date
  readonly sealed: boolean
  /** The sealing parameters, when sealed. */
  readonly scrypt?: ScryptParams
  /** Permission bits of the file (0 for text decoded without a file). */
  readonly mode: number
}

export interface SecretKeyFileContents extends SecretKeyFileInfo {
  /** 32 bytes: the X-Wing secret key, or the ML-DSA-65 seed. */
  readonly secretKey: Uint8Array
}

// --- sealing ----------------------------------------------------------------

const passphraseBytes = (passphrase: Passphrase): Uint8Array =>
  typeof passphrase === "string" ? new TextEncoder().encode(passphrase.normalize("NFC")) : passphrase

const associatedData = (kind: KeyKind, publicKey: Uint8Array): Uint8Array => {
  const label = new TextEncoder().encode(`${FORMAT}/v${SECRET_KEY_FILE_VERSION}/${kind}`)
  const data = new Uint8Array(label.byteLength + publicKey.byteLength)
  data.set(label, 0)
  data.set(publicKey, label.byteLength)
  return data
}

/** 32 bytes from scrypt. It yields to the event loop every 10 ms, so other fibers keep running. */
export const deriveKey = (passphrase: Passphrase, salt: Uint8Array, params: ScryptParams): Effect.Effect<Uint8Array> =>
  Effect.promise(() =>
    scryptAsync(passphraseBytes(passphrase), salt, {
      ...params,
      dkLen: 32,
      maxmem: MAX_SCRYPT_MEMORY + 128 * (MAX_SCRYPT_P + 2) * 2 ** 10
    })
  )

export interface ScryptCalibration {
  /** The first parameters that took at least the target, or the largest tried. */
  readonly params: ScryptParams
  readonly millis: number
  readonly samples: ReadonlyArray<{ readonly N: number; readonly millis: number }>
}

/**
 * Doubles N from 2^14 (r=8, p=1) until one derivation takes at least
 * `targetMs`, stopping at 2^20 (1 GiB). Time is read from the Effect Clock:
 * under a TestClock pass `time`, or every N looks instant and it climbs to 2^20.
 */
export const calibrateScrypt = (
  targetMs: number,
  options: {
    readonly startN?: number
    readonly maxN?: number
    readonly time?: (params: ScryptParams) => Effect.Effect<number>
  } = {}
): Effect.Effect<ScryptCalibration> =>
  Effect.gen(function*() {
    const time = options.time ?? timeDerivation
    const maxN = options.maxN ?? 2 ** 20
    const samples: Array<{ N: number; millis: number }> = []
    // The first derivation in a process pays for JIT warm-up; keep it out of the figures.
    if (options.time === undefined) yield* deriveKey("warm-up", new Uint8Array(SALT_BYTES), { N: 2 ** 10, r: 8, p: 1 })
    let params: ScryptParams = { N: options.startN ?? 2 ** 14, r: 8, p: 1 }
    while (true) {
      const millis = yield* time(params)
      samples.push({ N: params.N, millis })
      if (millis >= targetMs || params.N * 2 > maxN) return { params, millis, samples }
      params = { ...params, N: params.N * 2 }
    }
  })

const timeDerivation = (params: ScryptParams): Effect.Effect<number> =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeNanos
    yield* deriveKey("calibration", new Uint8Array(SALT_BYTES), params)
    return Number((yield* Clock.currentTimeNanos) - start) / 1e6
  })

// --- the text form ----------------------------------------------------------

const publicKeyText = (kind: KeyKind, publicKey: Uint8Array) =>
  kind === "x-wing" ? encodePublicKey(publicKey) : encodeSigningPublicKey(publicKey)

const randomBytes = (length: number) => crypto.getRandomValues(new Uint8Array(length))

/**
 * The text of a key file. A secret of the wrong length, an unknown
 * protection or scrypt parameters a reader would refuse are bugs in the
 * caller: they die. `file` names the file in errors.
 */
export const encodeSecretKey = (
  file: string,
  key: SecretKeyToWrite
): Effect.Effect<{ readonly text: string; readonly info: SecretKeyFileInfo }, EmptyPassphrase> =>
  Effect.gen(function*() {
    const kind = key.kind ?? "x-wing"
    if (key.secretKey.byteLength !== SEED_BYTES) {
      return yield* Effect.die(new Error(`writeSecretKeyFile ${file}: a ${kind} secret has ${SEED_BYTES} bytes, not ${key.secretKey.byteLength}`))
    }
    const created = key.created ?? new Date(yield* Clock.currentTimeMillis)
    const publicKey = publicKeyOf(kind, key.secretKey)
    const publicText = publicKeyText(kind, publicKey)
    const common = {
      format: FORMAT,
      version: SECRET_KEY_FILE_VERSION,
      kind,
      created: created.toISOString(),
      publicKey: publicText
    }
    const comments = (status: string) =>
      `${HEADER} (${kind}), ${status}\n# public key: ${publicText}\n# created: ${common.created}\n`
    // Checked at run time too: JavaScript callers and casts get past the type.
    const protection = key.protection as Protection | undefined
    if (typeof protection === "object" && protection !== null && "unsealed" in protection && protection.unsealed === true) {
      const line = JSON.stringify({ ...common, protection: "none", secretKey: toBase64url(key.secretKey) })
      const text = comments("NOT SEALED: anyone who can read this file can use the key") + line + "\n"
      return { text, info: { kind, publicKey, publicKeyText: publicText, created, sealed: false, mode: 0 } }
    }
    if (typeof protection !== "object" || protection === null || !("passphrase" in protection)) {
      return yield* Effect.die(new Error(`writeSecretKeyFile ${file}: protection must be { passphrase } or { unsealed: true }`))
    }
    if (passphraseBytes(protection.passphrase).byteLength === 0) return yield* Effect.fail(new EmptyPassphrase({ file }))
    const scrypt = protection.scrypt ?? DEFAULT_SCRYPT
    const problem = scryptParamsProblem(scrypt)
    if (problem !== undefined) return yield* Effect.die(new Error(`writeSecretKeyFile ${file}: scrypt ${problem}`))
    const salt = randomBytes(SALT_BYTES)
    const nonce = randomBytes(NONCE_BYTES)
    const sealingKey = yield* deriveKey(protection.passphrase, salt, scrypt)
    const sealed = xchacha20poly1305(sealingKey, nonce, associatedData(kind, publicKey)).encrypt(key.secretKey)
    sealingKey.fill(0)
    const line = JSON.stringify({
      ...common,
      protection: "passphrase",
      kdf: { name: "scrypt", N: scrypt.N, r: scrypt.r, p: scrypt.p, salt: toBase64url(salt) },
      cipher: { name: "xchacha20poly1305", nonce: toBase64url(nonce) },
      sealedKey: toBase64url(sealed)
    })
    const text = comments("sealed with a passphrase") + line + "\n"
    return {
      text,
      info: { kind, publicKey, publicKeyText: publicText, created, sealed: true, scrypt: { ...scrypt }, mode: 0 }
    }
  })

const Common = {
  format: Schema.Literal(FORMAT),
  version: Schema.Literal(SECRET_KEY_FILE_VERSION),
  kind: Schema.Literals(["x-wing", "ml-dsa-65"]),
  created: Schema.String,
  publicKey: Schema.String
}
const UnsealedLine = Schema.Struct({ ...Common, protection: Schema.Literal("none"), secretKey: Schema.String })
const SealedLine = Schema.Struct({
  ...Common,
  protection: Schema.Literal("passphrase"),
  kdf: Schema.Struct({ name: Schema.Literal("scrypt"), N: Schema.Int, r: Schema.Int, p: Schema.Int, salt: Schema.String }),
  cipher: Schema.Struct({ name: Schema.Literal("xchacha20poly1305"), nonce: Schema.String }),
  sealedKey: Schema.String
})
const decodeKeyLine = Schema.decodeUnknownResult(Schema.Union([UnsealedLine, SealedLine]))

type KeyLine = typeof UnsealedLine.Type | typeof SealedLine.Type

/** A key file whose structure is sound; the secret may still be sealed. */
export interface ParsedSecretKey {
  readonly info: SecretKeyFileInfo
  readonly line: KeyLine
}

/** Says what a file that is not a key file looks like, when it looks like something known. */
const notAKeyFileReason = (first: string): string => {
  if (/^svs?pk1/.test(first)) return "it holds a public key; a secret key file starts with \"# SigmaVault secret key\""
  if (first.startsWith("AGE-SECRET-KEY-")) return "it is an age identity, not a SigmaVault key"
  if (first.startsWith("-----BEGIN")) return "it is a PEM or OpenSSH key, not a SigmaVault key"
  return `expected "${HEADER} …" and a JSON key line, found ${JSON.stringify(first.length > 40 ? `${first.slice(0, 40)}…` : first)}`
}

/**
 * Checks the structure of a key file's text: format, version, fields,
 * lengths, the public key's checksum. Needs no passphrase; never throws.
 */
export const parseSecretKey = (
  file: string,
  text: string,
  mode = 0
): Result.Result<ParsedSecretKey, NotASecretKeyFile | SecretKeyFileVersionTooNew | SecretKeyFileCorrupt> => {
  const notKey = (reason: string) => Result.fail(new NotASecretKeyFile({ file, reason }))
  const corrupt = (reason: string) => Result.fail(new SecretKeyFileCorrupt({ file, reason }))
  if (text.includes("\u0000") || text.includes("\uFFFD")) return notKey("it holds binary data")
  const marked = text.startsWith(HEADER)
  const lines = text.split("\n").map((line, index) => ({ number: index + 1, text: line.trim() }))
  const content = lines.filter((line) => line.text !== "" && !line.text.startsWith("#"))
  const first = content[0]
  if (first === undefined) {
    return marked ? corrupt("the key line is missing (a truncated file?)") : notKey("it is empty or holds only comments")
  }
  const json = Result.try(() => JSON.parse(first.text) as unknown)
  if (Result.isFailure(json)) {
    return marked
      ? corrupt(`line ${first.number} is not valid JSON (a truncated or edited file?)`)
      : notKey(notAKeyFileReason(first.text))
  }
  const value = json.success
  if (typeof value !== "object" || value === null || (value as { format?: unknown }).format !== FORMAT) {
    return marked ? corrupt(`line ${first.number} lacks "format":"${FORMAT}"`) : notKey(notAKeyFileReason(first.text))
  }
  const version = (value as { version?: unknown }).version
  if (typeof version === "number" && Number.isInteger(version) && version > SECRET_KEY_FILE_VERSION) {
    return Result.fail(new SecretKeyFileVersionTooNew({ file, version, supported: SECRET_KEY_FILE_VERSION }))
  }
  const extra = content[1]
  if (extra !== undefined) return corrupt(`unexpected text on line ${extra.number} after the key line`)
  const decoded = decodeKeyLine(value)
  if (Result.isFailure(decoded)) return corrupt(`the key line has an unexpected shape: ${decoded.failure.message.replace(/\s+/g, " ")}`)
  const line = decoded.success
  const publicKey = (line.kind === "x-wing" ? decodePublicKey : decodeSigningPublicKey)(line.publicKey)
  if (Result.isFailure(publicKey)) return corrupt(`its public key: ${publicKey.failure.message}`)
  const created = new Date(line.created)
  if (Number.isNaN(created.getTime())) return corrupt(`"created" is not a date: ${JSON.stringify(line.created)}`)
  const common = { kind: line.kind, publicKey: publicKey.success, publicKeyText: line.publicKey, created, mode }
  if (line.protection === "none") {
    return Result.succeed({ line, info: { ...common, sealed: false } })
  }
  const scrypt = { N: line.kdf.N, r: line.kdf.r, p: line.kdf.p }
  const problem = scryptParamsProblem(scrypt)
  if (problem !== undefined) return corrupt(`scrypt parameters this release will not use: ${problem}`)
  const lengths: ReadonlyArray<[string, string, number]> = [
    ["kdf.salt", line.kdf.salt, SALT_BYTES],
    ["cipher.nonce", line.cipher.nonce, NONCE_BYTES],
    ["sealedKey", line.sealedKey, SEED_BYTES + TAG_BYTES]
  ]
  for (const [name, encoded, length] of lengths) {
    if (fromBase64url(encoded)?.byteLength !== length) return corrupt(`${name} is not ${length} bytes of base64url`)
  }
  return Result.succeed({ line, info: { ...common, sealed: true, scrypt } })
}

/** The secret in a parsed key file, checked against the public key recorded with it. */
export const unsealSecretKey = (
  file: string,
  parsed: ParsedSecretKey,
  passphrase: Passphrase | undefined
): Effect.Effect<SecretKeyFileContents, PassphraseRequired | WrongPassphrase | SecretKeyFileCorrupt> =>
  Effect.gen(function*() {
    const { info, line } = parsed
    let secretKey: Uint8Array
    if (line.protection === "none") {
      const bytes = fromBase64url(line.secretKey)
      if (bytes?.byteLength !== SEED_BYTES) {
        return yield* Effect.fail(new SecretKeyFileCorrupt({ file, reason: `secretKey is not ${SEED_BYTES} bytes of base64url` }))
      }
      secretKey = bytes
    } else {
      if (passphrase === undefined) return yield* Effect.fail(new PassphraseRequired({ file }))
      const { N, r, p } = line.kdf
      const sealingKey = yield* deriveKey(passphrase, fromBase64url(line.kdf.salt)!, { N, r, p })
      const cipher = xchacha20poly1305(sealingKey, fromBase64url(line.cipher.nonce)!, associatedData(info.kind, info.publicKey))
      const opened = Result.try(() => cipher.decrypt(fromBase64url(line.sealedKey)!))
      sealingKey.fill(0)
      if (Result.isFailure(opened)) return yield* Effect.fail(new WrongPassphrase({ file }))
      secretKey = opened.success
    }
    if (!sameBytes(publicKeyOf(info.kind, secretKey), info.publicKey)) {
      return yield* Effect.fail(
        new SecretKeyFileCorrupt({ file, reason: "the secret key does not belong to the public key recorded with it" })
      )
    }
    return { ...info, secretKey }
  })

// --- files ------------------------------------------------------------------

/**
 * Creates `file` (mode 0600) holding `key`, sealed or, if asked, not. It
 * never replaces an existing file: it appears, whole, by the Files port's
 * atomic write, which refuses a name that exists. The file and its directory
 * entry are fsynced before this succeeds.
 */
export const writeSecretKeyFile = (
  file: string,
  key: SecretKeyToWrite
): Effect.Effect<SecretKeyFileInfo, WriteSecretKeyError, Files> =>
  Effect.gen(function*() {
    const files = yield* Files
    // Checked before sealing so a user does not wait for scrypt to learn this; the
    // atomic write below is what actually guarantees it.
    if (yield* exists(files, file)) return yield* Effect.fail(new SecretKeyFileExists({ file }))
    const { text, info } = yield* encodeSecretKey(file, key)
    yield* files.writeAtomic(file, new TextEncoder().encode(text), { mode: 0o600 }).pipe(
      Effect.catchIf((error) => error.reason === "Exists", () => Effect.fail(new SecretKeyFileExists({ file })))
    )
    const mode = (yield* files.stat(file)).mode & 0o777
    return { ...info, mode }
  })

/** The text and permission bits of a file that may be a key file. */
const readKeyText = (
  file: string
): Effect.Effect<{ readonly text: string; readonly mode: number }, SecretKeyFileNotFound | NotASecretKeyFile | FileError, Files> =>
  Effect.scoped(Effect.gen(function*() {
    const reader = yield* (yield* Files).openRead(file).pipe(
      Effect.catchIf((error) => error.reason === "NotFound", () => Effect.fail(new SecretKeyFileNotFound({ file })))
    )
    // The mode comes from the file the bytes are read through, not from a second lookup.
    const { mode, size, type } = reader.info
    if (type !== "file") return yield* Effect.fail(new NotASecretKeyFile({ file, reason: "it is not a regular file" }))
    if (size > MAX_FILE_BYTES) {
      return yield* Effect.fail(new NotASecretKeyFile({ file, reason: `it has ${size} bytes; a key file has about 2 KiB` }))
    }
    const bytes = new Uint8Array(size)
    const read = yield* reader.readAt(bytes, 0)
    return { text: new TextDecoder("utf-8").decode(bytes.subarray(0, read)), mode: mode & 0o777 }
  }))

/**
 * What a key file says about itself: kind, public key, creation time,
 * whether it is sealed. Needs no passphrase, so a CLI can decide whether to
 * ask for one. It does not check permissions; `readSecretKeyFile` does.
 */
export const readSecretKeyFileInfo = (
  file: string
): Effect.Effect<
  SecretKeyFileInfo,
  SecretKeyFileNotFound | NotASecretKeyFile | SecretKeyFileVersionTooNew | SecretKeyFileCorrupt | FileError,
  Files
> =>
  Effect.flatMap(readKeyText(file), ({ text, mode }) => Effect.map(Effect.fromResult(parseSecretKey(file, text, mode)), (parsed) => parsed.info))

/**
 * The secret in a key file. `passphrase` is ignored for an unsealed file
 * (the result says `sealed: false`). Refuses a file group or others may
 * access, after checking that it is a key file at all.
 */
export const readSecretKeyFile = (
  file: string,
  passphrase: Passphrase | undefined
): Effect.Effect<SecretKeyFileContents, ReadSecretKeyError, Files> =>
  Effect.gen(function*() {
    const { text, mode } = yield* readKeyText(file)
    const parsed = yield* Effect.fromResult(parseSecretKey(file, text, mode))
    if (isOpenToOthers(mode)) return yield* Effect.fail(new SecretKeyFilePermissions({ file, mode }))
    return yield* unsealSecretKey(file, parsed, passphrase)
  })
