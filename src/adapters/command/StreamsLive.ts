/**
 * CommandStreams over node:child_process. Each tool is spawned with an
 * argument array (no shell), a C locale, and, when asked, in a process group
 * of its own so a kill reaches whatever it started. The daemon relays the pipe's bytes (with
 * back-pressure: the source is paused while the sink's pipe is full) and
 * counts them. A timeout, an output cap or an interruption SIGKILLs both
 * groups; an interruption returns only once both processes have exited.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { Effect, Fiber, Layer, Stream } from "effect"
import {
  CommandFailed,
  type CommandOutput,
  CommandTimedOut,
  OutputTooLarge,
  type RunError,
  ToolMissing
} from "./Command.ts"
import type { CommandRunnerSettings } from "./CommandRunnerLive.ts"
import { CommandStreams, type Endpoint, type FeedOptions, type PipeOptions, type PipeOutput, type Side, type SideOutcome } from "./Streams.ts"

const DEFAULT_TIMEOUT_MS = 30_000
const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024
const DEFAULT_STDERR_TAIL = 64 * 1024
const DEFAULT_PROGRESS_STEP = 1024 * 1024
/** How long a cancelled pipe waits for its killed processes to be reaped. */
const REAP_WAIT_MS = 10_000

/** The last `limit` bytes of what was written. */
class Tail {
  private chunks: Array<Buffer> = []
  private size = 0
  constructor(private readonly limit: number) {}
  push(chunk: Buffer) {
    this.chunks.push(chunk)
    this.size += chunk.length
    while (this.size - this.chunks[0]!.length >= this.limit) this.size -= this.chunks.shift()!.length
  }
  text() {
    const all = Buffer.concat(this.chunks)
    return all.subarray(Math.max(0, all.length - this.limit)).toString("utf8")
  }
}

/** SIGKILL to the child's whole process group when it leads one (spawned detached), else to the child alone. */
const kill = (child: ChildProcess, group: boolean) => {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    if (group) process.kill(-child.pid, "SIGKILL")
    else child.kill("SIGKILL")
  } catch {
    child.kill("SIGKILL")
  }
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return resolve()
  child.once("close", () => resolve())
  child.once("error", () => resolve())
})

const spawnError = (endpoint: Endpoint, error: NodeJS.ErrnoException): RunError =>
  error.code === "ENOENT" || error.code === "EACCES"
    ? new ToolMissing({ tool: endpoint.tool })
    : new CommandFailed({ tool: endpoint.tool, args: [...endpoint.args], reason: error.message })

export const make = (settings: CommandRunnerSettings = {}): CommandStreams["Service"] => {
  const env = { ...process.env, LC_ALL: "C", ...(settings.path === undefined ? {} : { PATH: settings.path }) }
  const start = (endpoint: Endpoint, stdin: "pipe" | "ignore", group: boolean) =>
    spawn(endpoint.tool, [...endpoint.args], { shell: false, detached: group, stdio: [stdin, "pipe", "pipe"], env })

  const pipe = (source: Endpoint, sink: Endpoint, options: PipeOptions = {}) =>
    Effect.flatMap(Effect.context<never>(), (context) =>
      Effect.callback<PipeOutput, RunError>((resume) => {
        const timeoutMs = options.timeoutMs ?? settings.timeoutMs ?? DEFAULT_TIMEOUT_MS
        const limit = options.maxOutputBytes ?? settings.maxOutputBytes ?? DEFAULT_MAX_OUTPUT
        const step = options.progressEveryBytes ?? DEFAULT_PROGRESS_STEP
        const group = options.processGroups === true
        const killGroup = (child: ChildProcess) => kill(child, group)
        const whole = { tool: source.tool, args: [...source.args, "|", sink.tool, ...sink.args] }
        const report = (bytes: number) => {
          if (options.onProgress !== undefined) Effect.runForkWith(context)(options.onProgress(bytes))
        }
        let settled = false
        const children: Array<ChildProcess> = []
        const finish = (effect: Effect.Effect<PipeOutput, RunError>) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          resume(effect)
        }
        let aborted = false
        const abort = (error: RunError) => {
          if (aborted) return
          aborted = true
          children.forEach(killGroup)
          // The relay is of no use now, and a source's stdout it paused (the sink's pipe was full)
          // would never end, so the source's 'close' would never come: let go of every pipe.
          for (const child of children) [child.stdin, child.stdout].forEach((stream) => stream?.destroy())
          // Answer only once both are gone: nothing the pipe started outlives it.
          void Promise.all(children.map(exited)).then(() => finish(Effect.fail(error)))
        }
        const timer = setTimeout(() => abort(new CommandTimedOut({ ...whole, timeoutMs })), timeoutMs)

        let sender: ChildProcess
        let receiver: ChildProcess
        try {
          sender = start(source, "ignore", group)
          children.push(sender)
          receiver = start(sink, "pipe", group)
          children.push(receiver)
        } catch (cause) {
          abort(new CommandFailed({ ...whole, reason: cause instanceof Error ? cause.message : String(cause) }))
          return
        }
        const tailBytes = options.stderrTailBytes ?? DEFAULT_STDERR_TAIL
        const sourceErr = new Tail(tailBytes)
        const sinkErr = new Tail(tailBytes)
        sender.stderr!.on("data", (chunk: Buffer) => sourceErr.push(chunk))
        receiver.stderr!.on("data", (chunk: Buffer) => sinkErr.push(chunk))
        const stdout: Array<Buffer> = []
        let outputBytes = 0
        receiver.stdout!.on("data", (chunk: Buffer) => {
          outputBytes += chunk.length
          if (outputBytes > limit) return abort(new OutputTooLarge({ ...whole, limitBytes: limit }))
          stdout.push(chunk)
        })

        // The relay: source stdout → sink stdin, paused while the sink's pipe is full.
        let bytes = 0
        let reported = 0
        let sinkStoppedReading = false
        receiver.stdin!.on("error", () => {
          // The sink closed its input (it exited, or stopped reading): closing our end of the
          // source's pipe gives the source the SIGPIPE a shell pipeline would.
          sinkStoppedReading = true
          sender.stdout!.destroy()
        })
        receiver.stdin!.on("drain", () => sender.stdout!.resume())
        sender.stdout!.on("data", (chunk: Buffer) => {
          bytes += chunk.length
          if (bytes - reported >= step) {
            reported = bytes
            report(bytes)
          }
          if (!receiver.stdin!.destroyed && !receiver.stdin!.write(chunk)) sender.stdout!.pause()
        })
        const endSinkInput = () => {
          if (!receiver.stdin!.writableEnded) receiver.stdin!.end()
        }
        sender.stdout!.on("end", endSinkInput)

        const outcomes: Partial<Record<Side, SideOutcome>> = {}
        const onClose = (side: Side, endpoint: Endpoint, tail: Tail) => (code: number | null, signal: NodeJS.Signals | null) => {
          outcomes[side] = { tool: endpoint.tool, args: [...endpoint.args], exitCode: code, signal, stderr: tail.text() }
          // The sink stops reading once the source is gone, like a shell pipe's reader sees EOF.
          if (side === "source") endSinkInput()
          if (side === "sink" && !sender.stdout!.readableEnded) sinkStoppedReading = true
          const { source: sent, sink: received } = outcomes
          if (aborted || sent === undefined || received === undefined) return
          if (bytes !== reported) report(bytes)
          // When both failed, the one whose failure caused the other's: a sink that stopped
          // reading made the source die of SIGPIPE; otherwise a source that failed cut the stream short.
          const failedFirst: Side | undefined = sent.exitCode !== 0 && received.exitCode !== 0
            ? (sinkStoppedReading ? "sink" : "source")
            : sent.exitCode !== 0
            ? "source"
            : received.exitCode !== 0
            ? "sink"
            : undefined
          finish(Effect.succeed({ bytes, source: sent, sink: received, stdout: Buffer.concat(stdout).toString("utf8"), failedFirst }))
        }
        sender.on("close", onClose("source", source, sourceErr))
        receiver.on("close", onClose("sink", sink, sinkErr))
        sender.on("error", (error) => abort(spawnError(source, error)))
        receiver.on("error", (error) => abort(spawnError(sink, error)))
        if (sender.pid !== undefined && receiver.pid !== undefined) options.onSpawned?.({ source: sender.pid, sink: receiver.pid })

        return Effect.promise(() => {
          settled = true
          clearTimeout(timer)
          children.forEach(killGroup)
          return Promise.race([
            Promise.all(children.map(exited)),
            new Promise((resolve) => setTimeout(resolve, REAP_WAIT_MS))
          ])
        })
      }))

  const feed = <E>(
    tool: string,
    args: ReadonlyArray<string>,
    input: Uint8Array | Stream.Stream<Uint8Array, E>,
    options: FeedOptions = {}
  ): Effect.Effect<CommandOutput, RunError | E> =>
    Effect.flatMap(Effect.context<never>(), (context) =>
      Effect.callback<CommandOutput, RunError | E>((resume) => {
        const endpoint = { tool, args: [...args] }
        const timeoutMs = options.timeoutMs ?? settings.timeoutMs ?? DEFAULT_TIMEOUT_MS
        const limit = options.maxOutputBytes ?? settings.maxOutputBytes ?? DEFAULT_MAX_OUTPUT
        const group = options.processGroup === true
        const killGroup = (child: ChildProcess) => kill(child, group)
        let settled = false
        let feeder: Fiber.Fiber<void, E> | undefined
        let child: ChildProcess | undefined
        const finish = (effect: Effect.Effect<CommandOutput, RunError | E>) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          if (feeder !== undefined) Effect.runForkWith(context)(Fiber.interrupt(feeder))
          resume(effect)
        }
        let aborted = false
        const abort = (error: RunError | E) => {
          if (aborted) return
          aborted = true
          if (child === undefined) return finish(Effect.fail(error))
          killGroup(child)
          void exited(child).then(() => finish(Effect.fail(error)))
        }
        const timer = setTimeout(() => abort(new CommandTimedOut({ tool, args: endpoint.args, timeoutMs })), timeoutMs)
        try {
          child = start(endpoint, "pipe", group)
        } catch (cause) {
          abort(new CommandFailed({ tool, args: endpoint.args, reason: cause instanceof Error ? cause.message : String(cause) }))
          return
        }
        const running = child
        const stdin = running.stdin!
        // A tool that exits without reading all of its input closes the pipe: that is its business.
        stdin.on("error", () => {})
        if (input instanceof Uint8Array) {
          stdin.end(input)
        } else {
          const write = (chunk: Uint8Array) =>
            Effect.callback<void>((done) => {
              if (stdin.destroyed || stdin.writableEnded) return done(Effect.void)
              if (stdin.write(chunk)) return done(Effect.void)
              const go = () => {
                stdin.off("drain", go)
                stdin.off("close", go)
                done(Effect.void)
              }
              stdin.on("drain", go)
              stdin.on("close", go)
            })
          feeder = Effect.runForkWith(context)(
            Stream.runForEach(input, write).pipe(
              Effect.tap(() => Effect.sync(() => stdin.end())),
              Effect.tapError((error) => Effect.sync(() => abort(error)))
            )
          )
        }
        const stdout: Array<Buffer> = []
        const stderr: Array<Buffer> = []
        let outputBytes = 0
        const collect = (into: Array<Buffer>) => (chunk: Buffer) => {
          outputBytes += chunk.length
          if (outputBytes > limit) return abort(new OutputTooLarge({ tool, args: endpoint.args, limitBytes: limit }))
          into.push(chunk)
        }
        running.stdout!.on("data", collect(stdout))
        running.stderr!.on("data", collect(stderr))
        running.on("error", (error) => abort(spawnError(endpoint, error)))
        running.on("close", (code, signal) => {
          if (aborted) return
          if (code === null) return finish(Effect.fail(new CommandFailed({ tool, args: endpoint.args, reason: `killed by ${signal ?? "a signal"}` })))
          finish(Effect.succeed({
            tool,
            args: endpoint.args,
            exitCode: code,
            stdout: Buffer.concat(stdout).toString("utf8"),
            stderr: Buffer.concat(stderr).toString("utf8")
          }))
        })
        if (running.pid !== undefined) options.onSpawned?.(running.pid)
        return Effect.promise(() => {
          settled = true
          clearTimeout(timer)
          if (feeder !== undefined) Effect.runForkWith(context)(Fiber.interrupt(feeder))
          killGroup(running)
          return Promise.race([exited(running), new Promise((resolve) => setTimeout(resolve, REAP_WAIT_MS))])
        })
      }))

  return CommandStreams.of({ pipe, feed })
}

export const layer = (settings: CommandRunnerSettings = {}): Layer.Layer<CommandStreams> => Layer.succeed(CommandStreams, make(settings))
