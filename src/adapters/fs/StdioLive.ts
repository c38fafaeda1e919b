/**
 * The process's standard input and output, for the file commands of the
 * command line (`-` for a path). Kept apart from Files: a daemon has no
 * standard streams to offer its callers, so only a command hands these to
 * the libraries.
 */
import { fstatSync } from "node:fs"
import { Effect, type Exit, Result } from "effect"
import { type FileError, fileErrorFrom, type Files, type Writer } from "./Files.ts"
import { layerBlocking, writeAllSync } from "./FilesLive.ts"

export const STANDARD_INPUT = "standard input"
export const STANDARD_OUTPUT = "standard output"

export const standardInput = (): AsyncIterable<Uint8Array> => process.stdin

/** Whether standard output takes blocking writes: a file or a device, not a pipe or socket (they may say EAGAIN), nor a terminal. */
const stdoutBlocks = (): boolean => {
  const stats = Result.try(() => fstatSync(1))
  return Result.isSuccess(stats) && (stats.success.isFile() || stats.success.isCharacterDevice()) && process.stdout.isTTY !== true
}

/**
 * Writes to standard output, each write handed to the OS before the next.
 * With `blocking`, and standard output a file or a device, the writes are
 * synchronous: the fast path of a command that has nothing else to do.
 */
export const standardOutput = (options: { readonly blocking: boolean }): Writer =>
  options.blocking && stdoutBlocks()
    ? (bytes) => Effect.try({ try: () => writeAllSync(1, bytes), catch: (cause) => fileErrorFrom("write", STANDARD_OUTPUT, cause) })
    : (bytes) =>
      Effect.callback<void, FileError>((resume) => {
        process.stdout.write(bytes, (error) => resume(error ? Effect.fail(fileErrorFrom("write", STANDARD_OUTPUT, error)) : Effect.void))
      })

/**
 * Runs `effect` with an error listener on stdout, so a closed pipe (EPIPE)
 * fails the write that met it instead of crashing the process.
 */
export const guardStdout = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const ignore = () => {}
  return Effect.acquireUseRelease(
    Effect.sync(() => process.stdout.on("error", ignore)),
    () => effect,
    () => Effect.sync(() => process.stdout.off("error", ignore))
  )
}

/** What a command hands a library for "-": its standard input, and its standard output with blocking writes where safe. */
export const commandStreams = (): { readonly stdin: AsyncIterable<Uint8Array>; readonly stdout: Writer } => ({
  stdin: standardInput(),
  stdout: standardOutput({ blocking: true })
})

/** Runs the work of a file command: blocking Files (the command has nothing else to do), stdout guarded. */
export const runFileCommand = <A, E>(effect: Effect.Effect<A, E, Files>): Promise<Exit.Exit<A, E>> =>
  Effect.runPromiseExit(guardStdout(effect).pipe(Effect.provide(layerBlocking)))
