/**
 * CommandRunner over node:child_process: `spawn(tool, args)` with no shell,
 * the tool found on PATH, a C locale so tools print parseable text, a timeout
 * and an output cap that both SIGKILL the child, and interruption that kills
 * it too (an agent's request cancelled means the tool stops).
 */
import { spawn } from "node:child_process"
import { Effect, Layer } from "effect"
import {
  CommandFailed,
  type CommandOutput,
  CommandRunner,
  CommandTimedOut,
  OutputTooLarge,
  type RunError,
  type RunOptions,
  ToolMissing
} from "./Command.ts"

export interface CommandRunnerSettings {
  readonly timeoutMs?: number
  readonly maxOutputBytes?: number
  /** PATH to find tools on; default: the daemon's own. */
  readonly path?: string
}

const DEFAULT_TIMEOUT_MS = 30_000
const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024

export const make = (settings: CommandRunnerSettings = {}): CommandRunner["Service"] =>
  CommandRunner.of({
    run: (tool, args, options: RunOptions = {}) =>
      Effect.callback<CommandOutput, RunError>((resume) => {
        const timeoutMs = options.timeoutMs ?? settings.timeoutMs ?? DEFAULT_TIMEOUT_MS
        const limit = options.maxOutputBytes ?? settings.maxOutputBytes ?? DEFAULT_MAX_OUTPUT
        const argv = [...args]
        const env = { ...process.env, LC_ALL: "C", ...(settings.path === undefined ? {} : { PATH: settings.path }), ...options.env }
        let settled = false
        const finish = (effect: Effect.Effect<CommandOutput, RunError>) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          resume(effect)
        }
        let child: ReturnType<typeof spawn>
        try {
          child = spawn(tool, argv, { shell: false, stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"], env })
        } catch (cause) {
          // spawn throws synchronously only for invalid arguments (a NUL byte, say).
          resume(Effect.fail(new CommandFailed({ tool, args: argv, reason: cause instanceof Error ? cause.message : String(cause) })))
          return
        }
        if (options.stdin !== undefined) {
          // A tool that exits without reading all of it closes the pipe: EPIPE is its business, not an error here.
          child.stdin!.on("error", () => {})
          child.stdin!.end(options.stdin)
        }
        const stdout: Array<Buffer> = []
        const stderr: Array<Buffer> = []
        let bytes = 0
        const collect = (into: Array<Buffer>) => (chunk: Buffer) => {
          bytes += chunk.length
          if (bytes > limit) {
            child.kill("SIGKILL")
            finish(Effect.fail(new OutputTooLarge({ tool, args: argv, limitBytes: limit })))
            return
          }
          into.push(chunk)
        }
        child.stdout!.on("data", collect(stdout))
        child.stderr!.on("data", collect(stderr))
        const timer = setTimeout(() => {
          child.kill("SIGKILL")
          finish(Effect.fail(new CommandTimedOut({ tool, args: argv, timeoutMs })))
        }, timeoutMs)
        child.on("error", (error: NodeJS.ErrnoException) => {
          finish(Effect.fail(
            error.code === "ENOENT" || error.code === "EACCES"
              ? new ToolMissing({ tool })
              : new CommandFailed({ tool, args: argv, reason: error.message })
          ))
        })
        child.on("close", (code, signal) => {
          if (code === null) {
            finish(Effect.fail(new CommandFailed({ tool, args: argv, reason: `killed by ${signal ?? "a signal"}` })))
            return
          }
          finish(Effect.succeed({
            tool,
            args: argv,
            exitCode: code,
            stdout: Buffer.concat(stdout).toString("utf8"),
            stderr: Buffer.concat(stderr).toString("utf8")
          }))
        })
        return Effect.sync(() => {
          settled = true
          clearTimeout(timer)
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
        })
      })
  })

export const layer = (settings: CommandRunnerSettings = {}): Layer.Layer<CommandRunner> =>
  Layer.succeed(CommandRunner, make(settings))
