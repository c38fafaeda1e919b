/**
 * The process's standard input and output, for the file commands of the
 * command line (`-` for a path). Kept apart from Files: a daemon has no
 * standard streams to offer its callers, so only a command hands these to
 * the libraries.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync } from "node:fs"
import { Effect, type Exit, Result, type Scope } from "effect"
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

/**
 * Whether `fd` is a terminal. node:tty is loaded only for a character
 * device: evaluating it (and building process.stderr, which loads it) costs
 * a few milliseconds of a command's start-up, for nothing when the stream is
 * a file or a pipe.
 */
export const isTerminal = (fd: number): boolean => {
  const stats = Result.try(() => fstatSync(fd))
  return Result.isSuccess(stats) && stats.success.isCharacterDevice() && process.getBuiltinModule("node:tty").isatty(fd)
}

export interface DeviceOutput {
  readonly write: Writer
  /** The device is a terminal. */
  readonly isTerminal: boolean
}

/**
 * `path` opened for writing when it names a character device (`-o
 * /dev/null`, a tape, a serial line), open until the scope closes; undefined
 * for anything else, which takes the atomic write of a file. A device cannot
 * be written beside and renamed into place, so it is written directly, as
 * age and zstd do. Opened without O_CREAT and checked again once open, so a
 * device that vanished or was swapped after the first look is never created
 * or truncated as a file.
 */
export const openDeviceOutput = (path: string): Effect.Effect<DeviceOutput | undefined, FileError, Scope.Scope> => {
  const looked = Result.try(() => statSync(path, { throwIfNoEntry: false }))
  if (Result.isFailure(looked) || looked.success?.isCharacterDevice() !== true) return Effect.succeed(undefined)
  return Effect.gen(function*() {
    const fd = yield* Effect.acquireRelease(
      Effect.try({ try: () => openSync(path, constants.O_WRONLY | constants.O_NOCTTY), catch: (cause) => fileErrorFrom("open", path, cause) }),
      (fd) => Effect.sync(() => Result.try(() => closeSync(fd)))
    )
    const opened = Result.try(() => fstatSync(fd))
    if (Result.isFailure(opened) || !opened.success.isCharacterDevice()) return undefined
    return {
      write: (bytes: Uint8Array) => Effect.try({ try: () => writeAllSync(fd, bytes), catch: (cause) => fileErrorFrom("write", path, cause) }),
      isTerminal: isTerminal(fd)
    }
  })
}

/** The signals that end a file command early, with their numbers (an exit status of 128 + N says which). */
const ENDING_SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const
type EndingSignal = keyof typeof ENDING_SIGNALS

/**
 * The signals this process was started with ignored (`SigIgn` of
 * /proc/self/status): `nohup` ignores SIGHUP, a script's background job
 * SIGINT. They stay ignored: catching one would undo what the caller asked.
 */
const ignoredAtStart = (): ReadonlySet<string> => {
  const status = Result.try(() => readFileSync("/proc/self/status", "utf8"))
  const mask = Result.isSuccess(status) ? /^SigIgn:\s*([0-9a-f]+)$/m.exec(status.success)?.[1] : undefined
  if (mask === undefined) return new Set()
  const bits = BigInt(`0x${mask}`)
  return new Set(Object.entries(ENDING_SIGNALS).filter(([, n]) => (bits >> BigInt(n - 1)) & 1n).map(([name]) => name))
}

/**
 * Ends the process by `signal` as if it had never been caught, so a shell
 * sees 128 + N (and a script's loop stops on Ctrl-C); 128 + N as the exit
 * status if something else still catches it.
 */
const endBy = (signal: EndingSignal, listener: (signal: NodeJS.Signals) => void): void => {
  for (const name of Object.keys(ENDING_SIGNALS)) process.off(name, listener)
  process.kill(process.pid, signal)
  setTimeout(() => process.exit(128 + ENDING_SIGNALS[signal]), 200)
}

/**
 * Runs the work of a file command: blocking Files (the command has nothing
 * else to do), stdout guarded. SIGINT, SIGTERM and SIGHUP interrupt the
 * work, which removes the temporary file of an output not yet in place
 * (the scope of the atomic write closes), and then end the process by that
 * signal; a second signal ends it at once. SIGKILL cannot be caught: the
 * next write of the same output removes what a killed command left
 * (FilesLive's `sweepAbandoned`).
 */
export const runFileCommand = <A, E>(effect: Effect.Effect<A, E, Files>): Promise<Exit.Exit<A, E>> =>
  new Promise((resolve) => {
    const ignored = ignoredAtStart()
    const caught = (Object.keys(ENDING_SIGNALS) as Array<EndingSignal>).filter((name) => !ignored.has(name))
    let ending: EndingSignal | undefined
    const onSignal = (signal: NodeJS.Signals) => {
      if (ending !== undefined) return endBy(signal as EndingSignal, onSignal)
      ending = signal as EndingSignal
      fiber.interruptUnsafe()
    }
    // The handlers go in before the work starts: with blocking Files the fiber can run for a long
    // stretch inside runFork itself (nothing asynchronous to wait for), and a signal in that stretch
    // would otherwise find no handler and end the process with its temporary file left behind.
    // A handler only ever runs from the event loop, so after runFork has returned the fiber.
    for (const name of caught) process.on(name, onSignal)
    const fiber = Effect.runFork(guardStdout(effect).pipe(Effect.provide(layerBlocking)))
    fiber.addObserver((exit) => {
      if (ending !== undefined) return endBy(ending, onSignal)
      for (const name of caught) process.off(name, onSignal)
      resolve(exit)
    })
  })
