/**
 * The input and output of a file command (the vault's encrypt and decrypt,
 * TENSOR's compress and decompress): a path, through the Files port, or "-"
 * for the streams the caller hands in (a command hands in its standard
 * input and output; the daemon has none to give). A file output appears,
 * whole, only when everything was written: the port's atomic write.
 */
import { Effect, type Scope } from "effect"
import { FileError, type FileReader, Files, type Writer } from "../adapters/fs/Files.ts"
import { type ByteSource, fileSource, iterableSource } from "./ByteReader.ts"

export const STDIO = "-"

/** How errors name standard input and output. */
export const nameOf = (file: string, stream: "input" | "output"): string =>
  file === STDIO ? (stream === "input" ? "standard input" : "standard output") : file

/** What "-" reads and writes; absent, "-" is refused. */
export interface Streams {
  readonly stdin?: AsyncIterable<Uint8Array>
  readonly stdout?: Writer
}

const noStream = (stream: "input" | "output") =>
  new FileError({
    reason: "NotFound",
    operation: stream === "input" ? "read" : "write",
    path: nameOf(STDIO, stream),
    detail: `"-" names no ${stream} here: no standard ${stream} was handed in`
  })

export interface Input {
  readonly source: ByteSource
  /** The open file, when the input is one: read whole blocks from it without a copy. */
  readonly file: FileReader | undefined
  /** The input's length when it is a regular file: a hint only. */
  readonly size: number | undefined
}

/** The input `file` ("-": `streams.stdin`), open until the scope closes. */
export const openInput = (file: string, streams: Streams): Effect.Effect<Input, FileError, Files | Scope.Scope> =>
  file === STDIO
    ? streams.stdin === undefined
      ? Effect.fail(noStream("input"))
      : Effect.succeed({ source: iterableSource(streams.stdin, nameOf(file, "input")), file: undefined, size: undefined })
    : Effect.gen(function*() {
      const reader = yield* (yield* Files).openRead(file)
      return { source: fileSource(reader), file: reader, size: reader.info.type === "file" ? reader.info.size : undefined }
    })

export interface OutputOptions {
  /** Replace an existing file instead of failing with the library's "output exists" error. */
  readonly force: boolean
  /** Permission bits of a new file (before the umask). */
  readonly mode: number
}

/**
 * Runs `use` with a writer into `file`, or into `streams.stdout` for "-". A
 * file is written under a temporary name and put in place only when `use`
 * succeeded; on any failure or interruption it is removed and `file` is left
 * as it was. An existing `file` (without `force`) is `outputExists`.
 */
export const withOutput = <A, E, R, OutputExists>(
  file: string,
  options: OutputOptions & { readonly stdout: Writer | undefined },
  outputExists: (file: string) => OutputExists,
  use: (write: Writer) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | FileError | OutputExists, R | Files> => {
  if (file === STDIO) return options.stdout === undefined ? Effect.fail(noStream("output")) : use(options.stdout)
  const isTaken = (error: unknown): error is FileError => error instanceof FileError && error.reason === "Exists" && error.path === file
  return Effect.scoped(Effect.gen(function*() {
    const output = yield* (yield* Files).openAtomic(file, { replace: options.force, mode: options.mode })
    const result = yield* use(output.write)
    yield* output.commit()
    return result
  })).pipe(Effect.catchIf(isTaken, () => Effect.fail(outputExists(file))))
}
