/**
 * CommandRunner for tests: answers from a table keyed by the command line
 * ("zpool status -j --json-int"), records every call (so a test can show a
 * hostile name never reached a process), and says ToolMissing for tools it
 * has no answers for, like a machine without them.
 */
import { Effect, Layer } from "effect"
import { type CommandOutput, CommandRunner, type RunError, ToolMissing } from "./Command.ts"

export interface Scripted {
  readonly stdout?: string
  readonly stderr?: string
  readonly exitCode?: number
}

export interface CommandRunnerTest {
  readonly service: CommandRunner["Service"]
  readonly layer: Layer.Layer<CommandRunner>
  /** Every call so far, as "tool arg arg". */
  readonly calls: Array<string>
  /** Replaces (or adds) an answer. */
  readonly answer: (commandLine: string, answer: Scripted | RunError) => void
}

export const make = (answers: Readonly<Record<string, Scripted | RunError>> = {}): CommandRunnerTest => {
  const table = new Map(Object.entries(answers))
  const calls: Array<string> = []
  const service = CommandRunner.of({
    run: (tool, args) =>
      Effect.suspend(() => {
        const line = [tool, ...args].join(" ")
        calls.push(line)
        const found = table.get(line)
        if (found === undefined) {
          if (![...table.keys()].some((key) => key.split(" ")[0] === tool)) return Effect.fail(new ToolMissing({ tool }))
          const output: CommandOutput = { tool, args, exitCode: 2, stdout: "", stderr: `${tool} (test): no answer for: ${args.join(" ")}` }
          return Effect.succeed(output)
        }
        if ("_tag" in found) return Effect.fail(found)
        return Effect.succeed({ tool, args, exitCode: found.exitCode ?? 0, stdout: found.stdout ?? "", stderr: found.stderr ?? "" })
      })
  })
  return {
    service,
    layer: Layer.succeed(CommandRunner, service),
    calls,
    answer: (line, answer) => void table.set(line, answer)
  }
}
