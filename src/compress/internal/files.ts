/**
 * The filesystem and stdio edges of `compressFile` and `decompressFile`
 * (src/support/Edges.ts), failing with `CompressIoError` and
 * `CompressOutputExists`, plus a block reader that fills whole blocks
 * straight from a file.
 */
import { readSync } from "node:fs"
import type * as fs from "node:fs/promises"
import { open } from "node:fs/promises"
import { Effect } from "effect"
import { makeEdges, STDIO } from "../../support/Edges.ts"
import { CompressIoError, CompressOutputExists } from "../Errors.ts"

export { guardStdout, nameOf, type OutputOptions, STDIO, writeStdout } from "../../support/Edges.ts"

export type Write = (bytes: Uint8Array) => Effect.Effect<void, CompressIoError>

const { io, ioSync, withInput, withOutput } = makeEdges({
  io: (operation, file, reason) => new CompressIoError({ operation, file, reason }),
  outputExists: (file) => new CompressOutputExists({ file })
})
export { withInput, withOutput }

/** Fills a block from the input: fewer bytes than its length only at the end of the input. */
export type ReadInto = (block: Uint8Array) => Effect.Effect<number, CompressIoError>

/** Uses a block reader; `size` is the input's length when known (a regular file), a hint only. */
export type BlockUse<A, E> = (readInto: ReadInto, size: number | undefined) => Effect.Effect<A, E>

/**
 * Runs `use` with a reader that fills whole blocks straight from `file`
 * (no intermediate buffer: one copy less per byte than `withInput`), or from
 * `stdin` through `fromStream` for "-".
 */
export const withBlockInput = <A, E>(
  file: string,
  stdin: AsyncIterable<unknown>,
  fromStream: (input: AsyncIterable<unknown>, use: BlockUse<A, E>) => Effect.Effect<A, E | CompressIoError>,
  use: BlockUse<A, E>,
  blocking = false
): Effect.Effect<A, E | CompressIoError> =>
  file === STDIO
    ? fromStream(stdin, use)
    : Effect.acquireUseRelease(
      io("open", file, () => open(file, "r")),
      (handle) =>
        Effect.flatMap(io("stat", file, () => handle.stat()), (stat) =>
          use((block) =>
            blocking
              ? ioSync("read", file, () => fillSync(handle.fd, block))
              : io("read", file, () => fill(handle, block)), stat.isFile() ? stat.size : undefined)),
      (handle) => Effect.ignore(io("close", file, () => handle.close()))
    )

const fillSync = (fd: number, block: Uint8Array): number => {
  let filled = 0
  while (filled < block.byteLength) {
    const bytesRead = readSync(fd, block, filled, block.byteLength - filled, null)
    if (bytesRead === 0) break
    filled += bytesRead
  }
  return filled
}

const fill = async (handle: fs.FileHandle, block: Uint8Array): Promise<number> => {
  let filled = 0
  while (filled < block.byteLength) {
    const { bytesRead } = await handle.read(block, filled, block.byteLength - filled, null)
    if (bytesRead === 0) break
    filled += bytesRead
  }
  return filled
}

