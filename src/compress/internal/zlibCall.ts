/**
 * node:zlib's callback-style one-shot calls as effects. They run on the
 * runtime's thread pool, so several blocks in flight use several cores.
 */
import { Effect, Result } from "effect"

/**
 * node:zlib, loaded on first use. A static import makes Bun evaluate the
 * module's JavaScript (about 2–4 ms) when the importing chunk loads, which a
 * command that compresses with Bun's own zstd would pay once per file for
 * nothing; the runtime caches the module after the first call.
 */
export const nodeZlib = (): typeof import("node:zlib") => process.getBuiltinModule("node:zlib")

type Done = (error: Error | null, result: Buffer) => void

/**
 * Runs `start(done)` (a node:zlib call with `done` as its callback) and
 * succeeds with its output as a plain Uint8Array view; a synchronous throw
 * (a bad option) fails too.
 */
export const viaZlib = (start: (done: Done) => void): Effect.Effect<Uint8Array, unknown> =>
  Effect.callback<Uint8Array, unknown>((resume) => {
    const started = Result.try(() =>
      start((error, result) =>
        resume(error === null ? Effect.succeed(new Uint8Array(result.buffer, result.byteOffset, result.byteLength)) : Effect.fail(error)))
    )
    if (Result.isFailure(started)) resume(Effect.fail(started.failure))
  })

/**
 * Inputs (or, decompressing, outputs) smaller than this are run with the
 * synchronous one-shot call: under Bun the asynchronous one builds a stream
 * per call, which for small chunks costs more than the work (3,000
 * decompressions of a 16 KiB zstd chunk: 410 ms of CPU async, 97 ms sync).
 * At this size a call blocks the event loop for about a millisecond.
 */
export const SYNC_BELOW = 256 * 1024

/** A synchronous node:zlib one-shot call as an effect, its output as a plain Uint8Array view. */
export const viaZlibSync = (run: () => Buffer): Effect.Effect<Uint8Array, unknown> =>
  Effect.try({
    try: () => {
      const result = run()
      return new Uint8Array(result.buffer, result.byteOffset, result.byteLength)
    },
    catch: (error) => error
  })

/**
 * node:zlib collects a one-shot output in pieces of `chunkSize` (16 KiB by
 * default) and joins them at the end; one piece the size of the block made
 * decompression about 3x faster under Bun 1.4 (2 MiB zstd blocks).
 */
export const outputChunk = (bytes: number): number => Math.max(64 * 1024, bytes)
