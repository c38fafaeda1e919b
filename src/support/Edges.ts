/**
 * The filesystem and stdio edges of a file command (the vault's encrypt and
 * decrypt, TENSOR's compress and decompress), generic over the library's own
 * errors: promise failures become its I/O error, and an output file only
 * appears, by rename, once everything was written and fsynced.
 */
import { randomBytes } from "node:crypto"
import { fstatSync, readSync, writeSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect, Exit, Result } from "effect"
import { reasonOf, writeFully } from "./files.ts"

/** How much of an input file one read asks for. */
const READ_BYTES = 1024 * 1024 + 16

export const STDIO = "-"
/** How errors name standard input and output. */
export const nameOf = (file: string, stream: "input" | "output"): string =>
  file === STDIO ? (stream === "input" ? "standard input" : "standard output") : file

export interface OutputOptions {
  /** Replace an existing file instead of failing with the library's "output exists" error. */
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

/** The edges, failing with the library's errors. */
export const makeEdges = <IoError, OutputExists>(errors: {
  readonly io: (operation: string, file: string, reason: string) => IoError
  readonly outputExists: (file: string) => OutputExists
}) => {
  const io = <A>(operation: string, file: string, run: () => Promise<A>): Effect.Effect<A, IoError> =>
    Effect.tryPromise({ try: run, catch: (error) => errors.io(operation, file, reasonOf(error)) })
  const ioSync = <A>(operation: string, file: string, run: () => A): Effect.Effect<A, IoError> =>
    Effect.try({ try: run, catch: (error) => errors.io(operation, file, reasonOf(error)) })

  /** Runs `use` on the bytes of `file`, or of `stdin` for "-", closing the file afterwards. */
  const withInput = <A, E>(
    file: string,
    stdin: AsyncIterable<unknown>,
    use: (input: AsyncIterable<unknown>) => Effect.Effect<A, E>,
    blocking = false
  ): Effect.Effect<A, E | IoError> =>
    file === STDIO
      ? use(stdin)
      : Effect.acquireUseRelease(
        io("open", file, () => fs.open(file, "r")),
        (handle) => use(readPieces(handle, blocking)),
        (handle) => Effect.ignore(io("close", file, () => handle.close()))
      )

  const exists = (file: string): Effect.Effect<boolean, IoError> =>
    Effect.tryPromise({ try: () => fs.lstat(file), catch: (error) => error }).pipe(
      Effect.as(true),
      Effect.catch((error) =>
        (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT"
          ? Effect.succeed(false)
          : Effect.fail(errors.io("check", file, reasonOf(error)))
      )
    )

  /**
   * Runs `use` with a writer into `file`, or into `stdout` for "-". A file is
   * written to `<file>.tmp-<random>`, fsynced and renamed over `file` only when
   * `use` succeeded; on any failure or interruption the temporary file is
   * removed and `file` is left as it was.
   */
  const withOutput = <A, E>(
    file: string,
    options: OutputOptions,
    use: (write: (bytes: Uint8Array) => Effect.Effect<void, IoError>) => Effect.Effect<A, E>
  ): Effect.Effect<A, E | IoError | OutputExists> => {
    if (file === STDIO) {
      const name = nameOf(file, "output")
      if (options.blocking && options.realStdout && stdoutBlocks()) return use((bytes) => ioSync("write", name, () => writeFullySync(1, bytes)))
      return use((bytes) => io("write", name, () => options.stdout(bytes)))
    }
    const refuseExisting = Effect.gen(function*() {
      if (!options.force && (yield* exists(file))) return yield* Effect.fail(errors.outputExists(file))
    })
    const temporary = `${file}.tmp-${randomBytes(6).toString("hex")}`
    return Effect.gen(function*() {
      yield* refuseExisting
      const result = yield* Effect.acquireUseRelease(
        io("create", temporary, () => fs.open(temporary, "wx", options.mode)),
        (handle) =>
          Effect.gen(function*() {
            const result = yield* use((bytes) =>
              options.blocking ? ioSync("write", file, () => writeFullySync(handle.fd, bytes)) : io("write", file, () => writeFully(handle, bytes))
            )
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

  return { io, ioSync, withInput, withOutput }
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
