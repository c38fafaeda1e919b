/**
 * Port: tools whose data streams through the daemon. Two shapes:
 *
 * - `pipe`: `SOURCE | SINK` (`zfs send … | zfs receive …`) with both spawned
 *   from argument arrays (no shell) and the daemon in the middle relaying the
 *   bytes, so it counts them and reports progress. Both exit codes and the
 *   tails of both stderr streams come back; interrupting the effect kills both
 *   (their whole process groups) and returns only once both are gone.
 * - `feed`: one tool whose standard input is bytes or a Stream.
 *
 * Like `CommandRunner.run`, a non-zero exit is an answer here, not an error:
 * `requirePipeSuccess` names the side that failed first.
 */
import { Context, Effect, Schema, type Stream } from "effect"
import type { CommandOutput, RunError, RunOptions } from "./Command.ts"

/** One side of a pipe: a tool and its arguments, never a shell line. */
export interface Endpoint {
  readonly tool: string
  readonly args: ReadonlyArray<string>
}

export type Side = "source" | "sink"

export interface PipeOptions {
  /** Both sides are killed (SIGKILL) after this long; default 30 s (set it to hours for a replication). */
  readonly timeoutMs?: number
  /** The sink's standard output (the source's goes into the pipe); both are killed once it is exceeded; default 64 MiB. */
  readonly maxOutputBytes?: number
  /** How much of each side's stderr is kept: its last bytes; default 64 KiB. */
  readonly stderrTailBytes?: number
  /** Called as bytes cross, at most once per `progressEveryBytes` (default 1 MiB), and once at the end with the total. */
  readonly onProgress?: (bytes: number) => Effect.Effect<void>
  readonly progressEveryBytes?: number
  /** Told the two process ids once both are spawned (logs, tests that check they are gone). */
  readonly onSpawned?: (pids: { readonly source: number; readonly sink: number }) => void
  /**
   * Each side in a process group of its own, so a kill reaches whatever it
   * started too. Off by default: under Bun it cut the relay's throughput two
   * to three times here (bench pipeRelay), and zfs send/receive start no helpers.
   */
  readonly processGroups?: boolean
}

export interface SideOutcome {
  readonly tool: string
  readonly args: ReadonlyArray<string>
  /** null when the process was ended by a signal. */
  readonly exitCode: number | null
  readonly signal: string | null
  /** The last `stderrTailBytes` of its stderr. */
  readonly stderr: string
}

export interface PipeOutput {
  /** Bytes that went from the source to the sink. */
  readonly bytes: number
  readonly source: SideOutcome
  readonly sink: SideOutcome
  /** The sink's standard output. */
  readonly stdout: string
  /** The side that ended in failure first (non-zero or a signal), when one did. */
  readonly failedFirst: Side | undefined
}

export interface FeedOptions extends Omit<RunOptions, "stdin"> {
  /** Told the process id once it is spawned. */
  readonly onSpawned?: (pid: number) => void
  /** The tool in a process group of its own, so a kill reaches the helpers it forks (rsync does); see PipeOptions. */
  readonly processGroup?: boolean
}

/** `SOURCE | SINK` as a person would read it (arguments with spaces or quotes quoted). */
export const pipeLine = (source: Endpoint, sink: Endpoint): string => `${displayEndpoint(source)} | ${displayEndpoint(sink)}`

export const displayEndpoint = (endpoint: Endpoint): string =>
  [endpoint.tool, ...endpoint.args].map((word) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`)).join(" ")

/** A pipe whose sides did not both succeed: the side named failed first; the other's outcome follows. */
export class PipeExited extends Schema.TaggedError<PipeExited>()("PipeExited", {
  side: Schema.Literals(["source", "sink"]),
  tool: Schema.String,
  args: Schema.Array(Schema.String),
  exitCode: Schema.NullOr(Schema.Number),
  signal: Schema.NullOr(Schema.String),
  stderr: Schema.String,
  /** The other side's outcome, in words. */
  other: Schema.String,
  bytes: Schema.Number
}) {
  override get message() {
    const how = this.exitCode === null ? `was killed by ${this.signal ?? "a signal"}` : `exited ${this.exitCode}`
    const role = this.side === "source" ? "the sending side" : "the receiving side"
    return `${displayEndpoint(this)} (${role}) ${how}` + (this.stderr === "" ? "" : `: ${this.stderr}`) +
      ` after ${this.bytes} bytes; ${this.other}`
  }
}

export type PipeError = RunError

export class CommandStreams extends Context.Service<CommandStreams, {
  readonly pipe: (source: Endpoint, sink: Endpoint, options?: PipeOptions) => Effect.Effect<PipeOutput, PipeError>
  readonly feed: <E = never>(
    tool: string,
    args: ReadonlyArray<string>,
    input: Uint8Array | Stream.Stream<Uint8Array, E>,
    options?: FeedOptions
  ) => Effect.Effect<CommandOutput, RunError | E>
}>()("sigmavault/adapters/command/CommandStreams") {}

const STDERR_LIMIT = 2048

const outcomeWords = (outcome: SideOutcome) =>
  (outcome.exitCode === null ? `was killed by ${outcome.signal ?? "a signal"}` : `exited ${outcome.exitCode}`) +
  (outcome.stderr.trim() === "" ? "" : ` (${outcome.stderr.trim().slice(-STDERR_LIMIT)})`)

export const succeeded = (outcome: SideOutcome): boolean => outcome.exitCode === 0

/** The output of a pipe whose sides must both succeed; otherwise PipeExited naming the side that failed first. */
export const requirePipeSuccess = (output: PipeOutput): Effect.Effect<PipeOutput, PipeExited> => {
  if (succeeded(output.source) && succeeded(output.sink)) return Effect.succeed(output)
  const side: Side = output.failedFirst ?? (succeeded(output.source) ? "sink" : "source")
  const failed = output[side]
  const other = side === "source" ? output.sink : output.source
  const otherRole = side === "source" ? "the receiving side" : "the sending side"
  return Effect.fail(
    new PipeExited({
      side,
      tool: failed.tool,
      args: failed.args,
      exitCode: failed.exitCode,
      signal: failed.signal,
      stderr: failed.stderr.trim().slice(-STDERR_LIMIT),
      other: `${otherRole} then ${outcomeWords(other)}`,
      bytes: output.bytes
    })
  )
}
