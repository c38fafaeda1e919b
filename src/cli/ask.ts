/**
 * `ask` and `tell`: one message to one agent, checked by the daemon against
 * the agent's protocol. While an ask waits, the agent's progress events (a
 * VANGUARD refresh or upgrade, a long job) are shown on stderr when stderr is
 * a terminal.
 */
import { Result } from "effect"
import { EXIT, integerFlag, type Parsed } from "./args.ts"
import type { Client } from "./Client.ts"
import { fail, parseJson } from "./output.ts"
import { renderAnswer } from "./render.ts"
import { type Env, withSession } from "./Session.ts"

/** Shows `agent`'s progress events on a terminal's stderr while the ask runs; nothing elsewhere. */
const showProgress = async (client: Client, agent: string): Promise<() => void> => {
  if (!process.stderr.isTTY) return () => {}
  let shown = false
  let last = 0
  client.onPush((push) => {
    if (!("event" in push)) return
    const event = push.event as { readonly _tag: string; readonly agent?: string; readonly job?: string; readonly done?: number; readonly total?: number; readonly unit?: string }
    if (event._tag !== "Progress" || event.agent !== agent || event.done === undefined) return
    const now = Date.now()
    if (now - last < 100 && event.done !== event.total) return
    last = now
    shown = true
    const of = event.total === undefined || event.total === 0 ? "" : ` of ${event.total} (${Math.floor((100 * event.done) / event.total)}%)`
    process.stderr.write(`\r${agent}: ${event.job ?? ""}: ${event.done}${of} ${event.unit ?? ""}\u001b[K`)
  })
  // Progress is a nicety: a daemon that refuses the subscription still answers the ask.
  await client.call("subscribe", { agents: [agent], types: ["progress"] }).catch(() => undefined)
  return () => {
    if (shown) process.stderr.write("\r\u001b[K")
  }
}

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
      : session.print(async (c) => {
        const done = await showProgress(c, agent)
        try {
          return await c.ask(agent, message as { readonly type: string }, timeout.value)
        } finally {
          done()
        }
      }, renderAnswer))
}
