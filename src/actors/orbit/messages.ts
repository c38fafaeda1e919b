/** ORBIT's messages: the single source of their schemas and of the machine's event type. */
import { Schema } from "effect"
import { AgentMessageObject, AgentName, Name } from "../shared/fields.ts"

/** A day: jitter spreads runs out, it does not postpone them to another day. */
export const MAX_JITTER_MS = 86_400_000

export const JitterMs = Schema.Int.check(
  Schema.isBetween({ minimum: 0, maximum: MAX_JITTER_MS }, { expected: `whole milliseconds from 0 to ${MAX_JITTER_MS}` })
)

export const Add = Schema.Struct({
  type: Schema.Literal("add"),
  name: Name,
  cron: Schema.String,
  target: AgentName,
  message: AgentMessageObject,
  jitterMs: Schema.optionalKey(JitterMs)
})

export const Remove = Schema.Struct({ type: Schema.Literal("remove"), name: Name })

export const List = Schema.Struct({ type: Schema.Literal("list") })

export const OrbitMessages = Schema.Union([Add, Remove, List])

export type AddMessage = typeof Add.Type
export type OrbitMessage = typeof OrbitMessages.Type
