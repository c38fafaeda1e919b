/**
 * CommandStreams for tests: answers from a table keyed by the command line
 * ("zfs send -w tank@a | zfs receive -s -F backup/tank"), records every call
 * (so a test can check the exact argv on both sides, and that a hostile name
 * never reached a process), and says ToolMissing for a side whose tool it has
 * no answers for, like a machine without it. A pipe's answer reports its
 * bytes through `onProgress` as the live one does.
 */
import { Effect, Layer, Stream } from "effect"
import { type CommandOutput, type RunError, ToolMissing } from "./Command.ts"
import { CommandStreams, type Endpoint, type PipeOutput, pipeLine, type SideOutcome } from "./Streams.ts"

export interface ScriptedSide {
  readonly exitCode?: number | null
  readonly signal?: string | null
  readonly stderr?: string
}

export interface ScriptedPipe {
  readonly bytes?: number
  readonly source?: ScriptedSide
  readonly sink?: ScriptedSide & { readonly stdout?: string }
  /** Which side failed first when both did; default: the source. */
  readonly failedFirst?: "source" | "sink"
}

export interface ScriptedFeed {
  readonly stdout?: string
  readonly stderr?: string
  readonly exitCode?: number
}

export interface CommandStreamsTest {
  readonly service: CommandStreams["Service"]
  readonly layer: Layer.Layer<CommandStreams>
  /** Every pipe so far, as "tool arg | tool arg", and every feed as "tool arg < N bytes". */
  readonly calls: Array<string>
  /** The input each feed was given, in call order. */
  readonly inputs: Array<Uint8Array>
  readonly answer: (commandLine: string, answer: ScriptedPipe | ScriptedFeed | RunError) => void
}

const outcome = (endpoint: Endpoint, side: ScriptedSide | undefined): SideOutcome => ({
  tool: endpoint.tool,
  args: [...endpoint.args],
  exitCode: side?.exitCode === undefined ? 0 : side.exitCode,
  signal: side?.signal ?? null,
  stderr: side?.stderr ?? ""
})

export const make = (answers: Readonly<Record<string, ScriptedPipe | ScriptedFeed | RunError>> = {}): CommandStreamsTest => {
  const table = new Map(Object.entries(answers))
  const calls: Array<string> = []
  const inputs: Array<Uint8Array> = []
  const knows = (tool: string) => [...table.keys()].some((key) => key.split(" | ").some((side) => side.split(" ")[0] === tool))
  const lookup = (line: string) => table.get(line)

  const service = CommandStreams.of({
    pipe: (source, sink, options = {}) =>
      Effect.suspend(() => {
        const line = pipeLine(source, sink)
        calls.push(line)
        for (const side of [source, sink]) if (!knows(side.tool)) return Effect.fail<RunError>(new ToolMissing({ tool: side.tool }))
        const found = lookup(line)
        if (found !== undefined && "_tag" in found) return Effect.fail(found)
        const scripted: ScriptedPipe = found === undefined
          ? { bytes: 0, source: { exitCode: 2, stderr: `${source.tool} (test): no answer for: ${line}` }, sink: { exitCode: 1 } }
          : (found as ScriptedPipe)
        const bytes = scripted.bytes ?? 0
        const sent = outcome(source, scripted.source)
        const received = outcome(sink, scripted.sink)
        const failedFirst = sent.exitCode !== 0 && received.exitCode !== 0
          ? scripted.failedFirst ?? "source"
          : sent.exitCode !== 0
          ? "source"
          : received.exitCode !== 0
          ? "sink"
          : undefined
        const output: PipeOutput = { bytes, source: sent, sink: received, stdout: scripted.sink?.stdout ?? "", failedFirst }
        return Effect.as(options.onProgress === undefined ? Effect.void : options.onProgress(bytes), output)
      }),
    feed: (tool, args, input) =>
      Effect.gen(function*() {
        const bytes = input instanceof Uint8Array
          ? input
          : yield* Stream.runFold(input, () => new Uint8Array(0), (all, chunk) => {
            const joined = new Uint8Array(all.length + chunk.length)
            joined.set(all)
            joined.set(chunk, all.length)
            return joined
          })
        const line = [tool, ...args].join(" ")
        calls.push(`${line} < ${bytes.length} bytes`)
        inputs.push(bytes)
        const found = lookup(line)
        if (found === undefined) {
          if (!knows(tool)) return yield* Effect.fail(new ToolMissing({ tool }))
          const output: CommandOutput = { tool, args, exitCode: 2, stdout: "", stderr: `${tool} (test): no answer for: ${args.join(" ")}` }
          return output
        }
        if ("_tag" in found) return yield* Effect.fail(found)
        const fed = found as ScriptedFeed
        return { tool, args, exitCode: fed.exitCode ?? 0, stdout: fed.stdout ?? "", stderr: fed.stderr ?? "" }
      })
  })
  return {
    service,
    layer: Layer.succeed(CommandStreams, service),
    calls,
    inputs,
    answer: (line, answer) => void table.set(line, answer)
  }
}
