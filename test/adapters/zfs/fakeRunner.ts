/**
 * A CommandRunner that answers from a table keyed by the command line and
 * records every spawn, so a test can show that a refused name never reached
 * a process. A command it has no answer for exits 99, loudly.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { type CommandOutput, CommandRunner, type RunError } from "../../../src/adapters/command/Command.ts"

export type Answer = Partial<Pick<CommandOutput, "stdout" | "stderr" | "exitCode">> | RunError

export const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../../fixtures/zfs", name), "utf8")

export const fakeRunner = (answers: Readonly<Record<string, Answer>> = {}) => {
  const calls: Array<ReadonlyArray<string>> = []
  const service = CommandRunner.of({
    run: (tool, args) =>
      Effect.suspend(() => {
        calls.push([tool, ...args])
        const answer = answers[[tool, ...args].join(" ")]
        if (answer !== undefined && "_tag" in answer) return Effect.fail(answer)
        return Effect.succeed({
          tool,
          args,
          exitCode: answer === undefined ? 99 : answer.exitCode ?? 0,
          stdout: answer?.stdout ?? "",
          stderr: answer === undefined ? `fake: no answer for ${[tool, ...args].join(" ")}` : answer.stderr ?? ""
        })
      })
  })
  return { service, calls }
}
