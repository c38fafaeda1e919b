/**
 * What a file holds, judged from its first bytes (never its name): a known
 * magic number, else UTF-8 text and what kind of text, else an order-0
 * entropy estimate that tells random or encrypted data from other binaries.
 * The strategy table (Strategy.ts) turns a detection into a codec and level.
 */
import { isUtf8 } from "node:buffer"

/** The category a strategy rule usually matches on. */
export type Kind = "empty" | "already-compressed" | "text" | "high-entropy" | "other"

export interface Detection {
  /** The format: "png", "zip", "json", "log", "elf", … or "unknown". */
  readonly format: string
  readonly kind: Kind
  /** For people: "PNG image", "JSON text". */
  readonly label: string
  /** Shannon entropy of the sample's byte histogram, in bits per byte (0–8). */
  readonly entropy: number
  /** What the judgement rests on: "magic 89 50 4E 47", "valid UTF-8, 0 control bytes, lines start with '{'". */
  readonly evidence: string
}

/** How many leading bytes `detect` looks at; a longer sample is cut to this. */
export const SAMPLE_BYTES = 64 * 1024

/** Unrecognised data whose sample has at least this entropy is taken as random or encrypted. */
export const HIGH_ENTROPY_BITS = 7.5

export interface Signature {
  readonly format: string
  readonly label: string
  readonly kind: Kind
  /** Every one of these byte strings must appear at its offset. */
  readonly magic: ReadonlyArray<{ readonly offset: number; readonly bytes: ReadonlyArray<number> }>
}

const ascii = (text: string): ReadonlyArray<number> => [...text].map((c) => c.charCodeAt(0))
const at0 = (format: string, label: string, kind: Kind, bytes: ReadonlyArray<number>): Signature => ({
  format,
  label,
  kind,
  magic: [{ offset: 0, bytes }]
})

/**
 * Known formats by magic number, first match wins. Compressed media and
 * archives are "already-compressed"; a few uncompressed binaries are named
 * so a report says what they are.
 */
export const SIGNATURES: ReadonlyArray<Signature> = [
  at0("svcompr", "SigmaVault compressed file", "already-compressed", ascii("SVCOMPR\0")),
  at0("svvault", "SigmaVault encrypted file", "already-compressed", ascii("SVVAULT\0")),
  at0("png", "PNG image", "already-compressed", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  at0("jpeg", "JPEG image", "already-compressed", [0xff, 0xd8, 0xff]),
  at0("gif", "GIF image", "already-compressed", ascii("GIF87a")),
  at0("gif", "GIF image", "already-compressed", ascii("GIF89a")),
  { format: "webp", label: "WebP image", kind: "already-compressed", magic: [{ offset: 0, bytes: ascii("RIFF") }, { offset: 8, bytes: ascii("WEBP") }] },
  { format: "avi", label: "AVI video", kind: "already-compressed", magic: [{ offset: 0, bytes: ascii("RIFF") }, { offset: 8, bytes: ascii("AVI ") }] },
  { format: "wav", label: "WAVE audio", kind: "other", magic: [{ offset: 0, bytes: ascii("RIFF") }, { offset: 8, bytes: ascii("WAVE") }] },
  { format: "mp4", label: "MP4/QuickTime video or HEIF/AVIF image", kind: "already-compressed", magic: [{ offset: 4, bytes: ascii("ftyp") }] },
  at0("mkv", "Matroska/WebM video", "already-compressed", [0x1a, 0x45, 0xdf, 0xa3]),
  at0("mp3", "MP3 audio", "already-compressed", ascii("ID3")),
  at0("mp3", "MP3 audio", "already-compressed", [0xff, 0xfb]),
  at0("mp3", "MP3 audio", "already-compressed", [0xff, 0xf3]),
  at0("mp3", "MP3 audio", "already-compressed", [0xff, 0xf2]),
  at0("aac", "AAC audio", "already-compressed", [0xff, 0xf1]),
  at0("aac", "AAC audio", "already-compressed", [0xff, 0xf9]),
  at0("ogg", "Ogg audio/video", "already-compressed", ascii("OggS")),
  at0("flac", "FLAC audio", "already-compressed", ascii("fLaC")),
  at0("zip", "ZIP archive (also docx, xlsx, odt, jar, apk)", "already-compressed", [0x50, 0x4b, 0x03, 0x04]),
  at0("zip", "ZIP archive (empty)", "already-compressed", [0x50, 0x4b, 0x05, 0x06]),
  at0("zip", "ZIP archive (spanned)", "already-compressed", [0x50, 0x4b, 0x07, 0x08]),
  at0("gzip", "gzip data", "already-compressed", [0x1f, 0x8b]),
  at0("zstd", "zstd data", "already-compressed", [0x28, 0xb5, 0x2f, 0xfd]),
  at0("xz", "xz data", "already-compressed", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]),
  at0("bzip2", "bzip2 data", "already-compressed", ascii("BZh")),
  at0("7z", "7-Zip archive", "already-compressed", [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]),
  at0("rar", "RAR archive", "already-compressed", ascii("Rar!\x1a\x07")),
  at0("lz4", "LZ4 data", "already-compressed", [0x04, 0x22, 0x4d, 0x18]),
  at0("woff2", "WOFF2 font", "already-compressed", ascii("wOF2")),
  at0("woff", "WOFF font", "already-compressed", ascii("wOFF")),
  at0("cab", "Microsoft cabinet", "already-compressed", ascii("MSCF")),
  at0("elf", "ELF executable or library", "other", [0x7f, 0x45, 0x4c, 0x46]),
  at0("pdf", "PDF document", "other", ascii("%PDF-")),
  at0("sqlite", "SQLite database", "other", ascii("SQLite format 3\0")),
  { format: "tar", label: "tar archive", kind: "other", magic: [{ offset: 257, bytes: ascii("ustar") }] }
]

const hex = (bytes: ReadonlyArray<number>): string => bytes.map((b) => b.toString(16).toUpperCase().padStart(2, "0")).join(" ")

const matches = (sample: Uint8Array, signature: Signature): boolean =>
  signature.magic.every(({ bytes, offset }) =>
    sample.byteLength >= offset + bytes.length && bytes.every((byte, i) => sample[offset + i] === byte))

/** "magic 89 50 4E 47": the first four bytes of each part, with its offset when not 0. */
const evidenceOf = (signature: Signature): string =>
  "magic " + signature.magic.map(({ bytes, offset }) => `${hex(bytes.slice(0, 4))}${offset === 0 ? "" : ` at byte ${offset}`}`).join(" + ")

/** Shannon entropy in bits per byte of the byte histogram of `bytes` (0 for no bytes). */
export const entropyOf = (bytes: Uint8Array): number => {
  if (bytes.byteLength === 0) return 0
  const counts = new Uint32Array(256)
  for (let i = 0; i < bytes.byteLength; i++) counts[bytes[i]!]!++
  let entropy = 0
  for (const count of counts) {
    if (count === 0) continue
    const p = count / bytes.byteLength
    entropy -= p * Math.log2(p)
  }
  return entropy
}

/**
 * Entropy of `windows` windows of `windowBytes` spread over `bytes` (all of a
 * small buffer): a cheap per-block check, a few microseconds per megabyte.
 */
export const sampledEntropy = (bytes: Uint8Array, windowBytes = 4096, windows = 4): number => {
  if (bytes.byteLength <= windowBytes * windows) return entropyOf(bytes)
  const sample = new Uint8Array(windowBytes * windows)
  const stride = Math.floor((bytes.byteLength - windowBytes) / (windows - 1))
  for (let w = 0; w < windows; w++) sample.set(bytes.subarray(w * stride, w * stride + windowBytes), w * windowBytes)
  return entropyOf(sample)
}

/** How much of a text sample the format heuristics read. */
const TEXT_HEAD_BYTES = 8 * 1024

/**
 * The start of the sample as text if the sample is valid UTF-8 (a sequence
 * cut by the end of the sample is allowed) with no NUL and under 1% other
 * control bytes.
 */
const asText = (sample: Uint8Array): { readonly head: string; readonly controls: number } | undefined => {
  let controls = 0
  for (let i = 0; i < sample.byteLength; i++) {
    const byte = sample[i]!
    if (byte === 0) return undefined
    // Tab, line feed, vertical tab, form feed, carriage return and escape (colour codes in logs) are text.
    if ((byte < 0x20 && !(byte >= 0x09 && byte <= 0x0d) && byte !== 0x1b) || byte === 0x7f) controls++
  }
  if (controls * 100 > sample.byteLength) return undefined
  for (let cut = 0; cut <= Math.min(3, sample.byteLength - 1); cut++) {
    if (isUtf8(sample.subarray(0, sample.byteLength - cut))) {
      return { head: new TextDecoder().decode(sample.subarray(0, TEXT_HEAD_BYTES)), controls }
    }
  }
  return undefined
}

const TIMESTAMP = /^(?:\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\[?\d{2}:\d{2}:\d{2}|[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}|\[?\d{10}(?:\.\d+)?\]?\s|\d{1,3}(?:\.\d{1,3}){3} \S+ \S+ \[)/
const LEVEL = /^\s*\[?(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|NOTICE)\b/i

/** Which kind of text: JSON, markup, CSV, a log, or plain text. */
const textFormat = (text: string): { readonly format: string; readonly label: string; readonly why: string } => {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text
  const trimmed = body.trimStart()
  const lines = body.split(/\r?\n/).slice(0, 50).filter((line) => line.trim() !== "")
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) return { format: "json", label: "JSON text", why: `starts with '${trimmed[0]}'` }
  if (trimmed.startsWith("<")) return { format: "xml", label: "XML/HTML markup", why: "starts with '<'" }
  const logLines = lines.filter((line) => TIMESTAMP.test(line) || LEVEL.test(line)).length
  if (lines.length >= 2 && logLines * 2 >= lines.length) {
    return { format: "log", label: "log text", why: `${logLines} of the first ${lines.length} lines start with a timestamp or level` }
  }
  for (const separator of [",", "\t", ";"]) {
    const counts = lines.slice(0, 10).map((line) => line.split(separator).length - 1)
    if (counts.length >= 2 && counts[0]! > 0 && counts.every((count) => count === counts[0])) {
      const name = separator === "\t" ? "tab" : `'${separator}'`
      return { format: "csv", label: "CSV/TSV table", why: `the first ${counts.length} lines each have ${counts[0]} ${name} separators` }
    }
  }
  return { format: "text", label: "plain text", why: "no JSON, markup, table or log pattern" }
}

const round2 = (x: number): number => Math.round(x * 100) / 100

export interface DetectOptions {
  /** Unrecognised data at or above this entropy is "high-entropy"; `HIGH_ENTROPY_BITS` (7.5) if absent. */
  readonly highEntropyBits?: number
}

/** Judges what `sample` (the first bytes of a file; the first `SAMPLE_BYTES` are used) holds. */
export const detect = (sample: Uint8Array, options: DetectOptions = {}): Detection => {
  const head = sample.subarray(0, SAMPLE_BYTES)
  const entropy = round2(entropyOf(head))
  if (head.byteLength === 0) return { format: "empty", kind: "empty", label: "empty input", entropy, evidence: "no bytes" }
  const signature = SIGNATURES.find((candidate) => matches(head, candidate))
  if (signature !== undefined) {
    return { format: signature.format, kind: signature.kind, label: signature.label, entropy, evidence: evidenceOf(signature) }
  }
  const text = asText(head)
  if (text !== undefined) {
    const { format, label, why } = textFormat(text.head)
    return { format, kind: "text", label, entropy, evidence: `valid UTF-8, ${text.controls} control bytes, ${why}` }
  }
  const threshold = options.highEntropyBits ?? HIGH_ENTROPY_BITS
  return entropy >= threshold
    ? { format: "unknown", kind: "high-entropy", label: "unrecognised high-entropy data", entropy, evidence: `${entropy} bits/byte ≥ ${threshold}, no known magic` }
    : { format: "unknown", kind: "other", label: "unrecognised binary data", entropy, evidence: `${entropy} bits/byte < ${threshold}, no known magic` }
}
