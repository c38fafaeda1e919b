/**
 * Port: run a system tool with an argument array (never a shell), bounded in
 * time and output, and say exactly what went wrong. A non-zero exit is not an
 * error here: tools like smartctl exit non-zero with a full answer, so the
 * caller decides (see `requireSuccess`).
 */
import { Context, Effect, Schema } from "effect"

export interface RunOptions {
  /** Killed (SIGKILL) after this long; default 30 s. */
  readonly timeoutMs?: number
  /** stdout and stderr together; the process is killed once it is exceeded; default 64 MiB. */
  readonly maxOutputBytes?: number
  /** Written to the tool's standard input, which is then closed; default: no input (/dev/null). For secrets a command line would show in /proc. */
  readonly stdin?: string
  /** Variables added to (or replacing) the tool's environment, e.g. APT_CONFIG, DEBIAN_FRONTEND; default: none. */
  readonly env?: Readonly<Record<string, string>>
}

export interface CommandOutput {
  readonly tool: string
  readonly args: ReadonlyArray<string>
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

/** The tool is not on PATH (or not executable). */
export class ToolMissing extends Schema.TaggedError<ToolMissing>()("ToolMissing", {
  tool: Schema.String
}) {
  override get message() {
    return `${this.tool} is not installed (not found on PATH)`
  }
}

export class CommandTimedOut extends Schema.TaggedError<CommandTimedOut>()("CommandTimedOut", {
  tool: Schema.String,
  args: Schema.Array(Schema.String),
  timeoutMs: Schema.Number
}) {
  override get message() {
    return `${this.tool} ${this.args.join(" ")} did not finish within ${this.timeoutMs} ms and was killed`
  }
}

export class OutputTooLarge extends Schema.TaggedError<OutputTooLarge>()("OutputTooLarge", {
  tool: Schema.String,
  args: Schema.Array(Schema.String),
  limitBytes: Schema.Number
}) {
  override get message() {
    return `${this.tool} ${this.args.join(" ")} wrote more than ${this.limitBytes} bytes and was killed`
  }
}

/** The process could not be started or was killed by a signal. */
export class CommandFailed extends Schema.TaggedError<CommandFailed>()("CommandFailed", {
  tool: Schema.String,
  args: Schema.Array(Schema.String),
  reason: Schema.String
}) {
  override get message() {
    return `${this.tool} ${this.args.join(" ")}: ${this.reason}`
  }
}

/** A tool that must succeed exited non-zero; stderr (trimmed, bounded) says why. */
export class CommandExited extends Schema.TaggedError<CommandExited>()("CommandExited", {
  tool: Schema.String,
  args: Schema.Array(Schema.String),
  exitCode: Schema.Number,
  stderr: Schema.String
}) {
  override get message() {
    return `${this.tool} ${this.args.join(" ")} exited ${this.exitCode}` + (this.stderr === "" ? "" : `: ${this.stderr}`)
  }
}

export type RunError = ToolMissing | CommandTimedOut | OutputTooLarge | CommandFailed

export class CommandRunner extends Context.Service<CommandRunner, {
  readonly run: (
    tool: string,
    args: ReadonlyArray<string>,
    options?: RunOptions
  ) => Effect.Effect<CommandOutput, RunError>
}>()("sigmavault/adapters/command/CommandRunner") {}

const STDERR_LIMIT = 2048

/** The output of a tool that must succeed; a non-zero exit fails with its (bounded) stderr. */
export const requireSuccess = (output: CommandOutput): Effect.Effect<CommandOutput, CommandExited> =>
  output.exitCode === 0
    ? Effect.succeed(output)
    : Effect.fail(new CommandExited({
      tool: output.tool,
      args: output.args,
      exitCode: output.exitCode,
      stderr: output.stderr.trim().slice(0, STDERR_LIMIT)
    }))
