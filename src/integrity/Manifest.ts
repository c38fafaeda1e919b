/**
 * The manifest format (docs/integrity.md): one line per regular file of a
 * tree, with its SHA-256, size, modification time and mode, then an
 * ML-DSA-65 signature line. Text, so `grep` and `diff` work on it; every
 * field is free of spaces and line breaks, and a path is written
 * byte by byte in a canonical percent-encoding, so any name a filesystem
 * can hold (newlines, tabs, bytes that are not UTF-8, a leading dash) has
 * exactly one spelling and no spelling is two names.
 *
 *   sigmavault-manifest 1
 *   algorithm sha256
 *   root /srv/photos
 *   created 2026-12-07T14:40:00.000Z
 *   files 2
 *   bytes 1048581
 *   f <sha256 hex> <size> <mtime ns> <mode octal> <path>
 *   f …
 *   signature ml-dsa-65 <key id> <base64 signature>
 *
 * The body is every line before the signature line. What is signed is
 * MANIFEST_SIGNATURE_DOMAIN followed by the hex SHA-256 of the body, so a
 * manifest signature means nothing elsewhere (the ledger's checkpoints are
 * signed by the same key under their own domain).
 */
import { Result } from "effect"

export const MANIFEST_MAGIC = "sigmavault-manifest 1"
export const MANIFEST_SIGNATURE_DOMAIN = "sigmavault/crypto/manifest/v1\n"
export const SIGNATURE_ALGORITHM = "ml-dsa-65"

export interface ManifestEntry {
  /** The path below the root, as the filesystem's bytes ("a/b.txt"). */
  readonly path: Uint8Array
  /** Lowercase hex SHA-256 of the content. */
  readonly sha256: string
  readonly size: number
  readonly modifiedNs: bigint
  /** Permission bits with setuid, setgid and sticky. */
  readonly mode: number
}

export interface ManifestBody {
  /** The tree's root as written (an absolute path's bytes). */
  readonly root: Uint8Array
  /** ISO 8601. */
  readonly created: string
  /** Sorted by path bytes, each path once. */
  readonly entries: ReadonlyArray<ManifestEntry>
}

export interface ManifestSignature {
  readonly keyId: string
  readonly signature: Uint8Array
}

export interface ParsedManifest extends ManifestBody {
  /** The exact bytes the signature covers. */
  readonly bodyBytes: Uint8Array
  /** Undefined when the manifest has no signature line. */
  readonly signature: ManifestSignature | undefined
}

const encoder = new TextEncoder()
const decoder = new TextDecoder("utf-8", { fatal: false })

// --- paths -------------------------------------------------------------------

/** Bytes written as themselves; everything else, `%` included, is `%XX` (uppercase). */
const SAFE = new Uint8Array(256)
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._-+,=@~:") SAFE[c.charCodeAt(0)] = 1
const HEX = "0123456789ABCDEF"

/** The canonical spelling of a path's bytes: safe bytes as they are, every other byte as %XX. */
export const encodePath = (bytes: Uint8Array): string => {
  let out = ""
  for (const byte of bytes) out += SAFE[byte] === 1 ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`
  return out
}

const hexValue = (code: number): number =>
  code >= 48 && code <= 57 ? code - 48 : code >= 65 && code <= 70 ? code - 55 : -1

/** The bytes of an encoded path, or why it is not one in canonical spelling. */
export const decodePath = (text: string): Result.Result<Uint8Array, string> => {
  const bytes: Array<number> = []
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === 37) {
      const high = hexValue(text.charCodeAt(i + 1))
      const low = hexValue(text.charCodeAt(i + 2))
      if (high < 0 || low < 0) return Result.fail(`'%' at ${i} is not followed by two uppercase hex digits`)
      const byte = high * 16 + low
      if (SAFE[byte] === 1) return Result.fail(`'%${text.slice(i + 1, i + 3)}' spells a byte that is written as itself`)
      bytes.push(byte)
      i += 2
    } else if (code < 256 && SAFE[code] === 1) bytes.push(code)
    else return Result.fail(`character ${JSON.stringify(text[i])} at ${i} must be percent-encoded`)
  }
  return Result.succeed(Uint8Array.from(bytes))
}

/** Why `path` (bytes below a root) is not a relative path of plain names, or undefined. */
export const relativePathProblem = (path: Uint8Array): string | undefined => {
  if (path.byteLength === 0) return "the path is empty"
  if (path[0] === 47) return "the path is absolute"
  let start = 0
  for (let i = 0; i <= path.byteLength; i++) {
    if (i < path.byteLength && path[i] !== 47) {
      if (path[i] === 0) return "the path holds a NUL byte"
      continue
    }
    const length = i - start
    if (length === 0) return "the path has an empty segment"
    if (length === 1 && path[start] === 46) return "the path has a '.' segment"
    if (length === 2 && path[start] === 46 && path[start + 1] === 46) return "the path has a '..' segment"
    start = i + 1
  }
  return undefined
}

/** Orders paths by their bytes (what `LC_ALL=C sort` does). */
export const comparePaths = (a: Uint8Array, b: Uint8Array): number => {
  const n = Math.min(a.byteLength, b.byteLength)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.byteLength - b.byteLength
}

/** For people: the path as UTF-8 when it is, else its encoded spelling. */
export const displayPath = (path: Uint8Array): string => {
  const text = decoder.decode(path)
  return text.includes("\uFFFD") || /[\0-\x1f\x7f]/.test(text) ? encodePath(path) : text
}

export const pathBytes = (path: string): Uint8Array => encoder.encode(path)

// --- lines ---------------------------------------------------------------------

const HASH = /^[0-9a-f]{64}$/
const DECIMAL = /^(0|[1-9][0-9]{0,19})$/
const MODE = /^[0-7]{4}$/
const KEY_ID = /^[0-9a-f]{16}$/
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

const entryLine = (entry: ManifestEntry): string =>
  `f ${entry.sha256} ${entry.size} ${entry.modifiedNs} ${entry.mode.toString(8).padStart(4, "0")} ${encodePath(entry.path)}\n`

/** The body's bytes: header lines and one line per entry, sorted by path. */
export const encodeBody = (body: ManifestBody): Uint8Array => {
  const entries = [...body.entries].sort((a, b) => comparePaths(a.path, b.path))
  const bytes = entries.reduce((sum, entry) => sum + entry.size, 0)
  const lines = [
    `${MANIFEST_MAGIC}\n`,
    "algorithm sha256\n",
    `root ${encodePath(body.root)}\n`,
    `created ${body.created}\n`,
    `files ${entries.length}\n`,
    `bytes ${bytes}\n`,
    ...entries.map(entryLine)
  ]
  return encoder.encode(lines.join(""))
}

export const signatureLine = (signature: ManifestSignature): Uint8Array =>
  encoder.encode(`signature ${SIGNATURE_ALGORITHM} ${signature.keyId} ${Buffer.from(signature.signature).toString("base64")}\n`)

/** What the signing key signs for a body's SHA-256 (hex). */
export const signedMessage = (bodySha256: string): Uint8Array => encoder.encode(MANIFEST_SIGNATURE_DOMAIN + bodySha256)

export interface ManifestProblem {
  /** 1-based line number, 0 for the file as a whole. */
  readonly line: number
  readonly reason: string
}

const problem = (line: number, reason: string): Result.Result<never, ManifestProblem> => Result.fail({ line, reason })

const headerField = (line: string | undefined, index: number, name: string, pattern: RegExp): Result.Result<string, ManifestProblem> => {
  const prefix = `${name} `
  if (line === undefined || !line.startsWith(prefix)) return problem(index + 1, `expected '${name} …'`)
  const value = line.slice(prefix.length)
  return pattern.test(value) ? Result.succeed(value) : problem(index + 1, `'${name}' has a malformed value`)
}

/**
 * Reads a manifest, strictly: any line out of place, any field out of its
 * pattern, a path in a non-canonical spelling, a path twice or out of order,
 * counts that do not add up, or anything after the signature line is a
 * problem naming the line. The signature itself is checked by the caller.
 */
export const parseManifest = (bytes: Uint8Array): Result.Result<ParsedManifest, ManifestProblem> => {
  if (bytes.byteLength === 0) return problem(0, "the file is empty")
  if (bytes[bytes.byteLength - 1] !== 10) return problem(0, "the file does not end with a line break (it was cut short?)")
  // Every byte of a well-formed manifest is printable ASCII or a line break.
  for (let i = 0; i < bytes.byteLength; i++) {
    const byte = bytes[i]!
    if (byte !== 10 && (byte < 32 || byte > 126)) return problem(0, `byte ${i} (0x${byte.toString(16).padStart(2, "0")}) is not printable ASCII`)
  }
  const text = decoder.decode(bytes)
  const lines = text.slice(0, -1).split("\n")
  if (lines[0] !== MANIFEST_MAGIC) return problem(1, `not a SigmaVault manifest: expected '${MANIFEST_MAGIC}'`)
  if (lines[1] !== "algorithm sha256") return problem(2, "expected 'algorithm sha256'")
  const rootText = headerField(lines[2], 2, "root", /^\S+$/)
  if (Result.isFailure(rootText)) return Result.fail(rootText.failure)
  const root = decodePath(rootText.success)
  if (Result.isFailure(root)) return problem(3, `root: ${root.failure}`)
  if (root.success[0] !== 47) return problem(3, "root: not an absolute path")
  const created = headerField(lines[3], 3, "created", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
  if (Result.isFailure(created)) return Result.fail(created.failure)
  const files = headerField(lines[4], 4, "files", DECIMAL)
  if (Result.isFailure(files)) return Result.fail(files.failure)
  const totalBytes = headerField(lines[5], 5, "bytes", DECIMAL)
  if (Result.isFailure(totalBytes)) return Result.fail(totalBytes.failure)

  const entries: Array<ManifestEntry> = []
  let sum = 0
  let index = 6
  let bodyEnd = lines.slice(0, 6).reduce((n, line) => n + line.length + 1, 0)
  for (; index < lines.length && lines[index]!.startsWith("f "); index++) {
    const line = lines[index]!
    const fields = line.split(" ")
    if (fields.length !== 6) return problem(index + 1, "an entry has 6 fields: f SHA256 SIZE MTIME_NS MODE PATH")
    const [, sha256, size, mtime, mode, encoded] = fields as [string, string, string, string, string, string]
    if (!HASH.test(sha256)) return problem(index + 1, "the SHA-256 is not 64 lowercase hex digits")
    if (!DECIMAL.test(size) || !Number.isSafeInteger(Number(size))) return problem(index + 1, "the size is not a whole number of bytes")
    if (!DECIMAL.test(mtime)) return problem(index + 1, "the modification time is not a whole number of nanoseconds")
    if (!MODE.test(mode)) return problem(index + 1, "the mode is not 4 octal digits")
    const path = decodePath(encoded)
    if (Result.isFailure(path)) return problem(index + 1, `path: ${path.failure}`)
    const bad = relativePathProblem(path.success)
    if (bad !== undefined) return problem(index + 1, bad)
    const previous = entries.at(-1)
    if (previous !== undefined && comparePaths(previous.path, path.success) >= 0) {
      return problem(index + 1, "paths are not in strictly increasing byte order (a path twice, or lines moved)")
    }
    entries.push({ path: path.success, sha256, size: Number(size), modifiedNs: BigInt(mtime), mode: parseInt(mode, 8) })
    sum += Number(size)
    bodyEnd += line.length + 1
  }
  if (entries.length !== Number(files.success)) {
    return problem(index + 1, `the header says ${files.success} files, the manifest lists ${entries.length}`)
  }
  if (sum !== Number(totalBytes.success)) return problem(6, `the header says ${totalBytes.success} bytes, the entries add up to ${sum}`)

  let signature: ManifestSignature | undefined
  if (index < lines.length) {
    const fields = lines[index]!.split(" ")
    if (fields[0] !== "signature") return problem(index + 1, "expected an entry ('f …') or the signature line")
    if (fields.length !== 4 || fields[1] !== SIGNATURE_ALGORITHM || !KEY_ID.test(fields[2]!) || !BASE64.test(fields[3]!)) {
      return problem(index + 1, `the signature line is 'signature ${SIGNATURE_ALGORITHM} KEYID BASE64'`)
    }
    signature = { keyId: fields[2]!, signature: Uint8Array.from(Buffer.from(fields[3]!, "base64")) }
    if (index + 1 < lines.length) return problem(index + 2, "nothing may follow the signature line")
  }
  return Result.succeed({
    root: root.success,
    created: created.success,
    entries,
    bodyBytes: bytes.subarray(0, bodyEnd),
    signature
  })
}
