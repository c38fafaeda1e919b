/**
 * The filesystem and stdio edges of `compressFile` and `decompressFile`:
 * promise failures become `CompressIoError` here, and an output file only
 * appears, by rename, once everything was written. (The vault's edges,
 * src/vault/internal/files.ts, with this library's errors.)
 */
import { randomBytes } from "node:crypto"
import { fstatSync, readSync, writeSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect, Exit, Result } from "effect"
import { writeFully } from "../../support/files.ts"
import { CompressIoError, CompressOutputExists, reasonOf } from "../Errors.ts"

export type Write = (bytes: Uint8Array) => Effect.Effect<void, CompressIoError>

/** How much of an input file one read asks for. */
const READ_BYTES = 1024 * 1024 + 16

export const STDIO = "-"
/** How errors name standard input and output. */
export const nameOf = (file: string, stream: "input" | "output"): string =>
  file === STDIO ? (stream === "input" ? "standard input" : "standard output") : file

const io = <A>(operation: string, file: string, run: () => Promise<A>): Effect.Effect<A, CompressIoError> =>
  Effect.tryPromise({ try: run, catch: (error) => new CompressIoError({ operation, file, reason: reasonOf(error) }) })

/**
 * One buffer for every read: the ByteReader copies each piece out before it
 * asks for the next, and a fresh megabyte per read only feeds the garbage
 * collector (peak RSS of a large file fell by tens of MB).
 */
async function* readPieces(handle: fs.FileHandle, blocking: boolean): AsyncGenerator<Uint8Array> {
  const buffer = Buffer.allocUnsafe(READ_BYTES)
  for (;;) {
    const bytesRead = blocking ? readSync(handle.fd, buffer, 0, READ_BYTES, null) : (await handle.read(buffer, 0, READ_BYTES, null)).bytesRead
    if (bytesRead === 0) return
    yield buffer.subarray(0, bytesRead)
  }
}

/** Runs `use` on the bytes of `file`, or of `stdin` for "-", closing the file afterwards. */
export const withInput = <A, E>(
  file: string,
  stdin: AsyncIterable<unknown>,
  use: (input: AsyncIterable<unknown>) => Effect.Effect<A, E>,
  blocking = false
): Effect.Effect<A, E | CompressIoError> =>
  file === STDIO
    ? use(stdin)
    : Effect.acquireUseRelease(
      io("open", file, () => fs.open(file, "r")),
      (handle) => use(readPieces(handle, blocking)),
      (handle) => Effect.ignore(io("close", file, () => handle.close()))
    )

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
      io("open", file, () => fs.open(file, "r")),
      (handle) =>
        Effect.flatMap(io("stat", file, () => handle.stat()), (stat) =>
          use((block) =>
            blocking
              ? Effect.try({ try: () => fillSync(handle.fd, block), catch: (error) => new CompressIoError({ operation: "read", file, reason: reasonOf(error) }) })
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

const exists = (file: string): Effect.Effect<boolean, CompressIoError> =>
  Effect.tryPromise({ try: () => fs.lstat(file), catch: (error) => error }).pipe(
    Effect.as(true),
    Effect.catch((error) =>
      (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT"
        ? Effect.succeed(false)
        : Effect.fail(new CompressIoError({ operation: "check", file, reason: reasonOf(error) }))
    )
  )

/** Writes every byte to a descriptor that never answers EAGAIN (a regular file, /dev/null), blocking. */
const writeFullySync = (fd: number, bytes: Uint8Array): void => {
  for (let offset = 0; offset < bytes.byteLength;) {
    const written = writeSync(fd, bytes, offset, bytes.byteLength - offset)
    if (written <= 0) throw new Error(`write made no progress at byte ${offset} of ${bytes.byteLength}`)
    offset += written
  }
}

/** Whether standard output can take blocking writes: a file or a device, not a pipe or a socket (those may say EAGAIN). */
const stdoutBlocks = (): boolean => {
  const stat = Result.try(() => fstatSync(1))
  return Result.isSuccess(stat) && (stat.success.isFile() || stat.success.isCharacterDevice()) && process.stdout.isTTY !== true
}


export interface OutputOptions {
  /** Replace an existing file instead of failing with `CompressOutputExists`. */
  readonly force: boolean
  /** Permission bits of a new file (before the umask). */
  readonly mode: number
  /** Where "-" writes. */
  readonly stdout: (bytes: Uint8Array) => Promise<void>
  /** the caller's own standard output, which may take blocking writes */
  readonly realStdout: boolean
  /** synchronous reads and writes: fastest for a command that has nothing else to do; never in the daemon */
  readonly blocking: boolean
}

/**
 * Runs `use` with a writer into `file`, or into `stdout` for "-". A file is
 * written to `<file>.tmp-<random>`, fsynced and renamed over `file` only when
 * `use` succeeded; on any failure or interruption the temporary file is
 * removed and `file` is left as it was.
 */
export const withOutput = <A, E>(
  file: string,
  options: OutputOptions,
  use: (write: Write) => Effect.Effect<A, E>
): Effect.Effect<A, E | CompressIoError | CompressOutputExists> => {
  if (file === STDIO) {
    const name = nameOf(file, "output")
    if (options.blocking && options.realStdout && stdoutBlocks()) {
      return use((bytes) => Effect.try({ try: () => writeFullySync(1, bytes), catch: (error) => new CompressIoError({ operation: "write", file: name, reason: reasonOf(error) }) }))
    }
    return use((bytes) => io("write", name, () => options.stdout(bytes)))
  }
  const refuseExisting = Effect.gen(function*() {
    if (!options.force && (yield* exists(file))) return yield* Effect.fail(new CompressOutputExists({ file }))
  })
  const temporary = `${file}.tmp-${randomBytes(6).toString("hex")}`
  return Effect.gen(function*() {
    yield* refuseExisting
    const result = yield* Effect.acquireUseRelease(
      io("create", temporary, () => fs.open(temporary, "wx", options.mode)),
      (handle) =>
        Effect.gen(function*() {
          const result = yield* use((bytes) =>
            options.blocking
              ? Effect.try({ try: () => writeFullySync(handle.fd, bytes), catch: (error) => new CompressIoError({ operation: "write", file, reason: reasonOf(error) }) })
              : io("write", file, () => writeFully(handle, bytes)))
          yield* io("sync", file, () => handle.sync())
          return result
        }),
      (handle) => Effect.ignore(io("close", temporary, () => handle.close()))
    )
    // Checked again: the file may have appeared while we were writing.
    yield* refuseExisting
    yield* io("rename into place", file, () => fs.rename(temporary, file))
    // Makes the rename durable; some filesystems (network, FUSE) refuse to fsync a directory.
    yield* Effect.ignore(
      Effect.acquireUseRelease(
        io("open directory", path.dirname(file), () => fs.open(path.dirname(file), "r")),
        (directory) => io("sync directory", path.dirname(file), () => directory.sync()),
        (directory) => Effect.ignore(io("close directory", path.dirname(file), () => directory.close()))
      )
    )
    return result
  }).pipe(
    Effect.onExit((exit) =>
      Exit.isSuccess(exit) ? Effect.void : Effect.ignore(io("remove", temporary, () => fs.rm(temporary, { force: true })))
    )
  )
}

/** Writes to the process's standard output, waiting until each write was handed to the OS. */
export const writeStdout = (bytes: Uint8Array): Promise<void> =>
  new Promise((resolve, reject) => {
    process.stdout.write(bytes, (error) => (error ? reject(error) : resolve()))
  })

/**
 * Runs `use` with an error listener on stdout, so a closed pipe (EPIPE)
 * reaches the failing write as a rejection instead of crashing the process.
 */
export const guardStdout = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> => {
  const ignore = () => {}
  return Effect.acquireUseRelease(
    Effect.sync(() => process.stdout.on("error", ignore)),
    () => effect,
    () => Effect.sync(() => process.stdout.off("error", ignore))
  )
}
