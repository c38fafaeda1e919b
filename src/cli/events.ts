/** `events`: the inspection stream, until interrupted, filtered by agent and event type. */
import { EXIT, flagAll, type Parsed } from "./args.ts"
import { out } from "./output.ts"
import { renderEvent } from "./render.ts"
import { type Env, withSession } from "./Session.ts"

export const runEventsCommand = (parsed: Parsed, env: Env): Promise<number> =>
  withSession(parsed, env, async ({ client, json, failed }) => {
    const agents = flagAll(parsed, "--agent")
    const types = flagAll(parsed, "--type")
    client.onPush((push) => {
      if ("lost" in push) {
        process.stderr.write(`sigmavault: ${push.lost} events lost (this terminal read too slowly)\n`)
        return
      }
      out(json ? JSON.stringify(push.event) + "\n" : renderEvent(push.event) + "\n")
    })
    const subscribed = await client.call("subscribe", {
      ...(agents.length > 0 ? { agents } : {}),
      ...(types.length > 0 ? { types } : {})
    }).then(() => undefined, (error: Error) => error)
    if (subscribed !== undefined) return failed(subscribed)
    const stop = () => client.close()
    process.once("SIGINT", stop)
    process.once("SIGTERM", stop)
    await client.closed
    return EXIT.ok
  })
