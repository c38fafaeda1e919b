/** `watch TOPIC...`: STREAM's topics over the control socket's `watch` op, until interrupted (or --count events). */
import { isTopic, TOPIC_NAMES } from "../runtime/Topics.ts"
import { EXIT, integerFlag, type Parsed } from "./args.ts"
import { fail, out } from "./output.ts"
import { renderEvent } from "./render.ts"
import { type Env, withSession } from "./Session.ts"

export const runWatchCommand = (parsed: Parsed, env: Env): Promise<number> => {
  const unknown = parsed.positional.filter((topic) => !isTopic(topic))
  if (unknown.length > 0) return Promise.resolve(fail(`unknown topic ${unknown.map((t) => `'${t}'`).join(", ")}; topics: ${TOPIC_NAMES.join(", ")}`, EXIT.usage))
  const buffer = integerFlag(parsed, "--buffer", 1, 65_536)
  if (!buffer.ok) return Promise.resolve(fail(buffer.message, EXIT.usage))
  const count = integerFlag(parsed, "--count", 1, Number.MAX_SAFE_INTEGER)
  if (!count.ok) return Promise.resolve(fail(count.message, EXIT.usage))
  return withSession(parsed, env, async ({ client, json, failed }) => {
    let seen = 0
    client.onPush((push) => {
      if ("lost" in push) {
        if (json) out(JSON.stringify(push) + "\n")
        else {
          const when = push.at === undefined ? "" : ` at ${new Date(push.at).toISOString()}`
          const between = push.afterSeq === undefined ? "" : ` (between events #${push.afterSeq} and #${push.beforeSeq})`
          process.stderr.write(`sigmavault: ${push.lost} events lost${when}${between}: this terminal read too slowly${push.total === undefined ? "" : `; ${push.total} in all`}\n`)
        }
        return
      }
      if (count.value !== undefined && seen >= count.value) return
      seen++
      out(json ? JSON.stringify(push.event) + "\n" : renderEvent(push.event) + "\n")
      if (count.value !== undefined && seen >= count.value) client.close()
    })
    const subscribed = await client.call("watch", {
      topics: parsed.positional,
      ...(buffer.value === undefined ? {} : { buffer: buffer.value })
    }).then(() => undefined, (error: Error) => error)
    if (subscribed !== undefined) return failed(subscribed)
    const stop = () => client.close()
    process.once("SIGINT", stop)
    process.once("SIGTERM", stop)
    await client.closed
    return EXIT.ok
  })
}
