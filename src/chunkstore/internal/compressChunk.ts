/**
 * Compresses one new chunk for `add`, off the JavaScript thread where the
 * runtime can. Bun (the shipped runtime) has native zstd calls that run on
 * its thread pool without node:zlib's per-call stream: measured here on
 * 1,000 source files (15.5 MB, ~15 KB each) at level 5, node:zlib's
 * synchronous calls took ~570 ms of the one JavaScript thread, its
 * asynchronous ones ~500 ms of CPU (mostly building a stream per call), and
 * `Bun.zstdCompress` ~170 ms of CPU spread over the pool's threads. Both
 * write standard zstd frames, which `decodeWith` reads on either runtime.
 * Elsewhere (Node, where the unit tests run) the codec layer compresses.
 */
import { Effect } from "effect"
import { compressBytes } from "../../compress/Codecs.ts"
import type { CodecChoice } from "../Codec.ts"

interface NativeZstd {
  readonly zstdCompress: (bytes: Uint8Array, options: { readonly level: number }) => Promise<Uint8Array>
}

const nativeZstd = ((): NativeZstd | undefined => {
  const bun = (globalThis as { readonly Bun?: Partial<NativeZstd> }).Bun
  return typeof bun?.zstdCompress === "function" ? (bun as NativeZstd) : undefined
})()

/**
 * The chunk compressed with `choice` (not "store"). A codec that fails on
 * bytes it was given, or a policy choosing a level that does not exist, is a
 * bug: a defect, not an error.
 */
export const compressChunk = (choice: CodecChoice, bytes: Uint8Array): Effect.Effect<Uint8Array> =>
  choice.codec === "zstd" && nativeZstd !== undefined
    ? Effect.promise(() => nativeZstd.zstdCompress(bytes, { level: choice.level }))
    : Effect.orDie(compressBytes(choice.codec, choice.level, bytes))
