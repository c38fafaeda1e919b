/** `sigmavault inspect`: checks its flags and the terminal, then runs the inspector. */
import { EXIT, hasFlag, integerFlag, type Parsed } from "../cli/args.ts"
import { clientSocket } from "../cli/Session.ts"
import { runInspector } from "./tui.ts"

export const runInspectCommand = async (parsed: Parsed, env: Readonly<Record<string, string | undefined>>): Promise<number> => {
  const rate = integerFlag(parsed, "--rate", 1, 10)
  if (!rate.ok) {
    process.stderr.write(`sigmavault: ${rate.message}\n`)
    return EXIT.usage
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write("sigmavault: inspect needs a terminal; for scripts use 'sigmavault agents --json' or 'sigmavault events --json'\n")
    return EXIT.usage
  }
  const color = env.NO_COLOR === undefined && env.TERM !== "dumb"
  return runInspector({ socket: clientSocket(parsed, env), rateHz: rate.value ?? 1, color, readOnly: hasFlag(parsed, "--read-only") })
}
