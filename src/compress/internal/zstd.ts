/**
 * zstd on both runtimes. Bun (production) has zstd twice: its own one-shot
 * calls (`Bun.zstdCompress`, the frame compressed or decompressed in one
 * call, on the thread pool when asynchronous) and node:zlib's streams. The
 * codec uses Bun's own: node:zlib's JavaScript costs about 4 ms of start-up
 * on first use, which a command pays once per file, and its streaming
 * decoder copies every byte through a window where the one-shot decoder
 * writes the output once. Node 20 (where the unit tests run) has neither,
 * so there the codec loads @bokuweb/zstd-wasm (zstd 1.5 compiled to
 * WebAssembly; it reads its .wasm from its own folder, no network) on first
 * use; Node 22.15 and later use node:zlib. Both are loaded on first use,
 * so a runtime never evaluates what it does not use. All of them write standard
 * frames: each decompresses the others' output.
 */
import { Effect } from "effect"
import { CompressionCodecFailed, reasonOf } from "../Errors.ts"
import { nodeZlib, outputChunk, SYNC_BELOW, viaZlib, viaZlibSync } from "./zlibCall.ts"

export const WASM_PACKAGE = "@bokuweb/zstd-wasm 0.0.27"

/** Whether this runtime's node:zlib has zstd (Bun 1.x, Node ≥ 22.15); checked at run time, not from the types. */
export const hasNativeZstd = (): boolean => {
  const zlib: Partial<ReturnType<typeof nodeZlib>> = nodeZlib()
  return typeof zlib.zstdCompress === "function" && typeof zlib.zstdDecompress === "function"
}

/** Bun's one-shot zstd calls (Bun 1.2.x and later). */
interface BunZstd {
  readonly zstdCompress: (bytes: Uint8Array, options: { readonly level: number }) => Promise<Uint8Array>
  readonly zstdCompressSync: (bytes: Uint8Array, options: { readonly level: number }) => Uint8Array
  readonly zstdDecompress: (bytes: Uint8Array) => Promise<Uint8Array>
  readonly zstdDecompressSync: (bytes: Uint8Array) => Uint8Array
}

const bunZstd: BunZstd | undefined = (() => {
  const bun = (globalThis as { readonly Bun?: Partial<BunZstd> }).Bun
  return typeof bun?.zstdCompress === "function" && typeof bun.zstdCompressSync === "function" &&
      typeof bun.zstdDecompress === "function" && typeof bun.zstdDecompressSync === "function"
    ? bun as BunZstd
    : undefined
})()

/** Which implementation compresses here, for reports. */
export const zstdImplementation = (): string =>
  bunZstd !== undefined ? "Bun (native)" : hasNativeZstd() ? "node:zlib (native)" : `WebAssembly (${WASM_PACKAGE})`

interface WasmZstd {
  readonly compress: (bytes: Uint8Array, level?: number) => Uint8Array
  readonly decompress: (bytes: Uint8Array, options?: { defaultHeapSize?: number }) => Uint8Array
}

let wasm: Promise<WasmZstd> | undefined

const loadWasm = (): Promise<WasmZstd> => {
  wasm ??= import("@bokuweb/zstd-wasm").then(async (module) => {
    await module.init()
    return module
  }).catch((error: unknown) => {
    // A failed load is not cached: the next call tries again.
    wasm = undefined
    throw error
  })
  return wasm
}

const ZSTD_MAGIC = 0xfd2fb528

/**
 * The content size a zstd frame header declares (RFC 8878 §3.1.1.1), "unknown"
 * when it declares none, or "invalid" when `frame` does not start with a
 * frame header. Lets the WebAssembly decoder size its output from the
 * length the caller expects instead of trusting the frame.
 */
export const declaredContentSize = (frame: Uint8Array): number | "unknown" | "invalid" => {
  if (frame.byteLength < 6) return "invalid"
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  if (view.getUint32(0, true) !== ZSTD_MAGIC) return "invalid"
  const descriptor = frame[4]!
  if ((descriptor & 0x08) !== 0) return "invalid"
  const sizeFlag = descriptor >> 6
  const singleSegment = (descriptor & 0x20) !== 0
  const dictionaryBytes = [0, 1, 2, 4][descriptor & 0x03]!
  const sizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][sizeFlag]!
  const at = 5 + (singleSegment ? 0 : 1) + dictionaryBytes
  if (sizeBytes === 0) return "unknown"
  if (frame.byteLength < at + sizeBytes) return "invalid"
  switch (sizeBytes) {
    case 1:
      return view.getUint8(at)
    case 2:
      return view.getUint16(at, true) + 256
    case 4:
      return view.getUint32(at, true)
    default:
      return view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32
  }
}

/**
 * Where the zstd frame at the start of `frame` ends (RFC 8878 §3.1.1: its
 * header, each block's 3-byte header and data, the optional checksum), or
 * undefined when its headers do not fit in `frame`. Reads only headers.
 */
export const frameEnd = (frame: Uint8Array): number | undefined => {
  if (declaredContentSize(frame) === "invalid") return undefined
  const descriptor = frame[4]!
  const singleSegment = (descriptor & 0x20) !== 0
  const sizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6]!
  let at = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][descriptor & 0x03]! + sizeBytes
  for (;;) {
    if (at + 3 > frame.byteLength) return undefined
    const header = frame[at]! | (frame[at + 1]! << 8) | (frame[at + 2]! << 16)
    const type = (header >> 1) & 0x03
    if (type === 3) return undefined
    // A raw or compressed block carries its size in bytes; an RLE block carries one byte.
    at += 3 + (type === 1 ? 1 : header >>> 3)
    if ((header & 1) === 1) break
  }
  at += (descriptor & 0x04) !== 0 ? 4 : 0
  return at <= frame.byteLength ? at : undefined
}

/**
 * Whether `bytes` is exactly one frame that declares `originalLength` bytes:
 * then Bun's one-shot decoder, which sizes its output from the declared
 * sizes, allocates no more than that and fails on data that would decode to
 * more. Anything else (several frames, no declared size) takes the bounded
 * streaming decoder, so a hostile block cannot make either allocate more.
 */
const isOneFrameOf = (bytes: Uint8Array, originalLength: number): boolean =>
  declaredContentSize(bytes) === originalLength && frameEnd(bytes) === bytes.byteLength

const failed = (operation: "load" | "compress" | "decompress") => (error: unknown) =>
  new CompressionCodecFailed({ codec: "zstd", operation, reason: reasonOf(error) })

const wasmCodec = Effect.tryPromise({ try: loadWasm, catch: failed("load") })

const zstdOptions = (bytes: Uint8Array, level: number) => ({
  chunkSize: outputChunk(bytes.byteLength),
  params: {
    [nodeZlib().constants.ZSTD_c_compressionLevel]: level,
    [nodeZlib().constants.ZSTD_c_contentSizeFlag]: 1
  }
})

/**
 * A Bun one-shot call as an effect, its output as a plain Uint8Array view:
 * synchronous below `SYNC_BELOW` bytes of work, where a thread-pool round
 * trip costs more than the call, else on the thread pool.
 */
const viaBun = (
  bytes: number,
  sync: () => Uint8Array,
  async: () => Promise<Uint8Array>,
  operation: "compress" | "decompress"
): Effect.Effect<Uint8Array, CompressionCodecFailed> =>
  Effect.map(
    bytes < SYNC_BELOW ? Effect.try({ try: sync, catch: failed(operation) }) : Effect.tryPromise({ try: async, catch: failed(operation) }),
    (result) => new Uint8Array(result.buffer, result.byteOffset, result.byteLength)
  )

/**
 * Like `compressZstd`, but on Bun always on the thread pool, whatever the
 * size: for a caller with other work to overlap (the store's `add` reads and
 * hashes while its chunks compress), where the JavaScript thread is the
 * scarce one. Elsewhere it is `compressZstd`.
 */
export const compressZstdOffThread = (bytes: Uint8Array, level: number): Effect.Effect<Uint8Array, CompressionCodecFailed> =>
  bunZstd !== undefined
    ? viaBun(Number.POSITIVE_INFINITY, () => bunZstd.zstdCompressSync(bytes, { level }), () => bunZstd.zstdCompress(bytes, { level }), "compress")
    : compressZstd(bytes, level)

/** Compresses into one zstd frame that records the content size. */
export const compressZstd = (bytes: Uint8Array, level: number): Effect.Effect<Uint8Array, CompressionCodecFailed> =>
  bunZstd !== undefined
    ? viaBun(bytes.byteLength, () => bunZstd.zstdCompressSync(bytes, { level }), () => bunZstd.zstdCompress(bytes, { level }), "compress")
    : hasNativeZstd()
    ? Effect.mapError(
      bytes.byteLength < SYNC_BELOW
        ? viaZlibSync(() => nodeZlib().zstdCompressSync(bytes, zstdOptions(bytes, level)))
        : viaZlib((done) => nodeZlib().zstdCompress(bytes, zstdOptions(bytes, level), done)),
      failed("compress")
    )
    : Effect.flatMap(wasmCodec, (codec) => Effect.try({ try: () => codec.compress(bytes, level), catch: failed("compress") }))

/**
 * Decompresses a zstd frame that must hold exactly `originalLength` bytes.
 * The output is bounded by that length, so a damaged frame cannot balloon
 * memory; the caller checks the length it got.
 */
export const decompressZstd = (bytes: Uint8Array, originalLength: number): Effect.Effect<Uint8Array, CompressionCodecFailed> => {
  if (bunZstd !== undefined && isOneFrameOf(bytes, originalLength)) {
    return viaBun(originalLength, () => bunZstd.zstdDecompressSync(bytes), () => bunZstd.zstdDecompress(bytes), "decompress")
  }
  if (hasNativeZstd()) {
    const options = { maxOutputLength: originalLength + 1, chunkSize: outputChunk(originalLength + 1) }
    return Effect.mapError(
      originalLength < SYNC_BELOW
        ? viaZlibSync(() => nodeZlib().zstdDecompressSync(bytes, options))
        : viaZlib((done) => nodeZlib().zstdDecompress(bytes, options, done)),
      failed("decompress")
    )
  }
  const declared = declaredContentSize(bytes)
  if (declared === "invalid") return Effect.fail(failed("decompress")("not a zstd frame (bad magic or frame header)"))
  if (declared !== "unknown" && declared !== originalLength) {
    return Effect.fail(failed("decompress")(`the frame declares ${declared} bytes where ${originalLength} were expected`))
  }
  return Effect.flatMap(wasmCodec, (codec) =>
    Effect.try({
      try: () => codec.decompress(bytes, { defaultHeapSize: originalLength + 1 }),
      catch: failed("decompress")
    }))
}
