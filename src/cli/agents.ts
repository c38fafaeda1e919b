/** `agents`, `status`, and an operator's `restart`, `stop` and `start` of one agent. */
import type { Parsed } from "./args.ts"
import { renderStatus, renderTree } from "./render.ts"
import { type Env, withSession } from "./Session.ts"

const DONE = { restart: "restarted", stop: "stopped", start: "started" } as const

export const runAgentsCommand = (parsed: Parsed, env: Env): Promise<number> =>
  withSession(parsed, env, (session) => {
    switch (parsed.command) {
      case "status":
        return session.print((c) => c.call("status"), renderStatus)
      case "restart":
      case "stop":
      case "start": {
        const op = parsed.command
        const agent = parsed.positional[0]
        return session.print((c) => c.call(op, { agent }), () => `${agent} ${DONE[op]}\n`)
      }
      default:
        return session.print((c) => c.call("agents"), renderTree)
    }
  })
