/** `ask` and `tell`: one message to one agent, checked by the daemon against the agent's protocol. */
import { Result } from "effect"
import { EXIT, integerFlag, type Parsed } from "./args.ts"
import { fail, parseJson } from "./output.ts"
import { renderAnswer } from "./render.ts"
import { type Env, withSession } from "./Session.ts"

export const runAskCommand = async (parsed: Parsed, env: Env): Promise<number> => {
  const decoded = parseJson(parsed.positional[1]!)
  if (Result.isFailure(decoded)) return fail(`the message is not valid JSON (${decoded.failure}); e.g. '{"type":"ping"}'`, EXIT.usage)
  const message = decoded.success
  const timeout = integerFlag(parsed, "--timeout", 1, 3_600_000)
  if (!timeout.ok) return fail(timeout.message, EXIT.usage)
  const agent = parsed.positional[0]!
  return withSession(parsed, env, (session) =>
    parsed.command === "tell"
      ? session.print((c) => c.call("tell", { agent, message }), () => "")
      : session.print((c) => c.ask(agent, message as { readonly type: string }, timeout.value), renderAnswer))
}
