/**
 * Shared helpers for the compression tests: deterministic data (compressible
 * text-like bytes and random-looking bytes from a seed), real samples of
 * file formats built at test time, temporary directories, and exit helpers.
 */
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { Effect, Exit, Option } from "effect"
import * as Compress from "../../src/compress/Compress.ts"

/** The smallest block size: block edges come cheap. */
export const BLOCK = Compress.MIN_BLOCK_SIZE

export const ZSTD_CLI = "/usr/bin/zstd"

/** `size` bytes of SHA-256 counter-mode output: random-looking, the same for the same seed. */
export const randomBytes = (size: number, seed = "seed"): Uint8Array => {
  const out = new Uint8Array(size)
  for (let counter = 0, at = 0; at < size; counter++, at += 32) {
    const block = createHash("sha256").update(`${seed}/${counter}`).digest()
    out.set(block.subarray(0, Math.min(32, size - at)), at)
  }
  return out
}

const WORDS = "pool tank scrub resilver vdev mirror raidz dataset snapshot quota compression checksum agent tensor block frame".split(" ")

/** `size` bytes of word soup with numbers, from a seed: compresses about 3–5x, like logs. */
export const textBytes = (size: number, seed = 1): Uint8Array => {
  const out = new Uint8Array(size)
  let state = (seed * 2654435761) >>> 0 || 1
  let at = 0
  while (at < size) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    const word = `${WORDS[state % WORDS.length]!}${state % 7 === 0 ? ` ${state % 10000}\n` : " "}`
    for (let i = 0; i < word.length && at < size; i++) out[at++] = word.charCodeAt(i)
  }
  return out
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

export const concat = (pieces: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(pieces.reduce((n, piece) => n + piece.byteLength, 0))
  let at = 0
  for (const piece of pieces) {
    out.set(piece, at)
    at += piece.byteLength
  }
  return out
}

const u32be = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff)
const u16le = (n: number) => Uint8Array.of(n & 0xff, n >>> 8)
const u32le = (n: number) => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24)

const pngChunk = (type: string, data: Uint8Array) => {
  const typed = concat([utf8(type), data])
  return concat([u32be(data.byteLength), typed, u32be(zlib.crc32(typed) >>> 0)])
}

/** A valid 64×64 RGB PNG: signature, IHDR, one deflated IDAT of noisy pixels, IEND. */
export const pngBytes = (): Uint8Array => {
  const width = 64
  const height = 64
  const pixels = randomBytes(height * (1 + width * 3), "png")
  for (let row = 0; row < height; row++) pixels[row * (1 + width * 3)] = 0 // filter type None
  const ihdr = concat([u32be(width), u32be(height), Uint8Array.of(8, 2, 0, 0, 0)])
  return concat([
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", zlib.deflateSync(pixels)),
    pngChunk("IEND", new Uint8Array(0))
  ])
}

/** A JPEG's start: SOI, a JFIF APP0 segment, then entropy-coded-looking bytes and EOI. */
export const jpegBytes = (): Uint8Array =>
  concat([
    Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10),
    utf8("JFIF\0"),
    Uint8Array.of(0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00),
    randomBytes(20_000, "jpeg"),
    Uint8Array.of(0xff, 0xd9)
  ])

/** A valid ZIP archive with one deflated file, built by hand (local header, central directory, end record). */
export const zipBytes = (name = "notes.txt", content: Uint8Array = textBytes(30_000, 9)): Uint8Array => {
  const deflated = zlib.deflateRawSync(content)
  const crc = zlib.crc32(content) >>> 0
  const fileName = utf8(name)
  const common = concat([
    u16le(20), u16le(0), u16le(8), u16le(0), u16le(0x21), // version needed, flags, deflate, time, date
    u32le(crc), u32le(deflated.byteLength), u32le(content.byteLength), u16le(fileName.byteLength), u16le(0)
  ])
  const local = concat([u32le(0x04034b50), common, fileName, deflated])
  const central = concat([
    u32le(0x02014b50), u16le(20), common, u16le(0), u16le(0), u16le(0), u32le(0), u32le(0), fileName
  ])
  const end = concat([
    u32le(0x06054b50), u16le(0), u16le(0), u16le(1), u16le(1),
    u32le(central.byteLength), u32le(local.byteLength), u16le(0)
  ])
  return concat([local, central, end])
}

/** An MP4 start: an `ftyp` box (brand isom) and an `mdat` box of random bytes standing in for video. */
export const mp4Bytes = (): Uint8Array =>
  concat([
    u32be(24), utf8("ftypisom"), u32be(0x200), utf8("isomiso2"),
    u32be(8 + 20_000), utf8("mdat"), randomBytes(20_000, "mp4")
  ])

/** A RIFF/WEBP header and a VP8L chunk of random bytes. */
export const webpBytes = (): Uint8Array =>
  concat([utf8("RIFF"), u32le(4 + 8 + 10_000), utf8("WEBPVP8L"), u32le(10_000), randomBytes(10_000, "webp")])

/** A ustar header block for one file, then its content. */
export const tarBytes = (): Uint8Array => {
  const header = new Uint8Array(512)
  header.set(utf8("notes.txt"), 0)
  const content = textBytes(5_000, 3)
  header.set(utf8("0000644\0"), 100)
  header.set(utf8(`${content.byteLength.toString(8).padStart(11, "0")}\0`), 124)
  header.set(utf8("ustar\x0000"), 257)
  // The checksum is the byte sum of the header with its own field read as spaces.
  header.set(utf8("        "), 148)
  const sum = header.reduce((total, byte) => total + byte, 0)
  header.set(utf8(`${sum.toString(8).padStart(6, "0")}\0 `), 148)
  const padding = new Uint8Array((512 - (content.byteLength % 512)) % 512)
  return concat([header, content, padding, new Uint8Array(1024)])
}

/** Runs the zstd command-line tool (argument array, no shell) on `input`; its standard output. */
export const zstdCli = (args: ReadonlyArray<string>, input: Uint8Array): Uint8Array => {
  const run = spawnSync(ZSTD_CLI, [...args], { input, maxBuffer: 64 * 1024 * 1024 })
  if (run.error !== undefined) throw new Error(`${ZSTD_CLI}: ${run.error.message} (apt-get install zstd)`)
  if (run.status !== 0) throw new Error(`zstd ${args.join(" ")} exited ${run.status}: ${run.stderr.toString()}`)
  return new Uint8Array(run.stdout)
}

/** A fresh directory under the OS temp dir, removed when the test's scope closes. */
export const tempDir = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "sigmavault-compress-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)

export const put = (file: string, bytes: Uint8Array | string) => Effect.promise(() => fs.writeFile(file, bytes))
export const bytesOf = (file: string) => Effect.promise(() => fs.readFile(file).then((buffer) => new Uint8Array(buffer)))
export const list = (dir: string) => Effect.promise(() => fs.readdir(dir).then((names) => names.sort()))

/** Yields `bytes` in pieces of `size` bytes. */
export async function* fixedPieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let start = 0; start < bytes.byteLength; start += size) yield bytes.slice(start, start + size)
}

/** A `write` (and a Writer, for "-") that keeps a copy of every piece it was given, in order. */
export const recorder = () => {
  const pieces: Array<Uint8Array> = []
  return {
    pieces,
    write: async (bytes: Uint8Array) => {
      pieces.push(bytes.slice())
    },
    writer: (bytes: Uint8Array) => Effect.sync(() => void pieces.push(bytes.slice()))
  }
}

/** Compresses `bytes` in memory through the streaming API. */
export const compressed = (bytes: Uint8Array, options: Compress.CompressOptions = {}, pieceSize = 10_000) =>
  Effect.gen(function*() {
    const sink = recorder()
    const result = yield* Compress.compress(fixedPieces(bytes, pieceSize), sink.write, { blockSize: BLOCK, ...options })
    return { file: concat(sink.pieces), result }
  })

/** Decompresses `file` in memory; the exit and everything written. */
export const decompressed = (file: Uint8Array, options: Compress.DecompressOptions = {}, pieceSize = 10_000) =>
  Effect.gen(function*() {
    const sink = recorder()
    const exit = yield* Effect.exit(Compress.decompress(fixedPieces(file, pieceSize), sink.write, options))
    return { exit, written: concat(sink.pieces) }
  })

/** The tag of the failure, "success", or "defect". */
export const outcomeTag = (exit: Exit.Exit<unknown, { readonly _tag: string }>): string =>
  Exit.isSuccess(exit) ? "success" : Option.match(Exit.findErrorOption(exit), { onNone: () => "defect", onSome: (error) => error._tag })

/** The failure itself; throws when the exit is not a failure with an error. */
export const failureOf = <E>(exit: Exit.Exit<unknown, E>): E =>
  Option.getOrThrowWith(Exit.findErrorOption(exit), () => new Error(`expected a failure, got ${Exit.isSuccess(exit) ? "success" : "a defect or interruption"}`))
