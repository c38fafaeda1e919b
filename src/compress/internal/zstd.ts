/**
 * zstd on both runtimes. Bun (production) has zstd in node:zlib, and its
 * asynchronous calls run on the thread pool, so blocks compress in parallel.
 * Node 20 (where the unit tests run) has none, so there the codec loads
 * @bokuweb/zstd-wasm (zstd 1.5 compiled to WebAssembly; it reads its .wasm
 * from its own folder, no network) on first use. The import is dynamic, so a
 * runtime with native zstd never executes it. Both write standard zstd
 * frames: either decompresses the other's output.
 */
import * as zlib from "node:zlib"
import { Effect } from "effect"
import { CompressionCodecFailed, reasonOf } from "../Errors.ts"
import { outputChunk, SYNC_BELOW, viaZlib, viaZlibSync } from "./zlibCall.ts"

export const WASM_PACKAGE = "@bokuweb/zstd-wasm 0.0.27"

/** Whether this runtime's node:zlib has zstd (Bun 1.x, Node ≥ 22.15); checked at run time, not from the types. */
export const hasNativeZstd = (): boolean =>
  typeof (zlib as Partial<typeof zlib>).zstdCompress === "function" &&
  typeof (zlib as Partial<typeof zlib>).zstdDecompress === "function"

/** Which implementation compresses here, for reports. */
export const zstdImplementation = (): string => (hasNativeZstd() ? "node:zlib (native)" : `WebAssembly (${WASM_PACKAGE})`)

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

const failed = (operation: "load" | "compress" | "decompress") => (error: unknown) =>
  new CompressionCodecFailed({ codec: "zstd", operation, reason: reasonOf(error) })

const wasmCodec = Effect.tryPromise({ try: loadWasm, catch: failed("load") })

const zstdOptions = (bytes: Uint8Array, level: number) => ({
  chunkSize: outputChunk(bytes.byteLength),
  params: {
    [zlib.constants.ZSTD_c_compressionLevel]: level,
    [zlib.constants.ZSTD_c_contentSizeFlag]: 1
  }
})

/** Compresses into one zstd frame that records the content size. */
export const compressZstd = (bytes: Uint8Array, level: number): Effect.Effect<Uint8Array, CompressionCodecFailed> =>
  hasNativeZstd()
    ? Effect.mapError(
      bytes.byteLength < SYNC_BELOW
        ? viaZlibSync(() => zlib.zstdCompressSync(bytes, zstdOptions(bytes, level)))
        : viaZlib((done) => zlib.zstdCompress(bytes, zstdOptions(bytes, level), done)),
      failed("compress")
    )
    : Effect.flatMap(wasmCodec, (codec) => Effect.try({ try: () => codec.compress(bytes, level), catch: failed("compress") }))

/**
 * Decompresses a zstd frame that must hold exactly `originalLength` bytes.
 * The output is bounded by that length, so a damaged frame cannot balloon
 * memory; the caller checks the length it got.
 */
export const decompressZstd = (bytes: Uint8Array, originalLength: number): Effect.Effect<Uint8Array, CompressionCodecFailed> => {
  if (hasNativeZstd()) {
    const options = { maxOutputLength: originalLength + 1, chunkSize: outputChunk(originalLength + 1) }
    return Effect.mapError(
      originalLength < SYNC_BELOW
        ? viaZlibSync(() => zlib.zstdDecompressSync(bytes, options))
        : viaZlib((done) => zlib.zstdDecompress(bytes, options, done)),
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
