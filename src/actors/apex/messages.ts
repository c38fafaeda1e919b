import { Schema } from "effect"
import { AgentCall, Name, PositiveInt, Text } from "../shared/fields.ts"

/** One node of the plan's DAG: a message to an agent, run after the tasks it depends on. */
const Task = Schema.Struct({
  id: Name,
  ...AgentCall.fields,
  after: Schema.optionalKey(Schema.Array(Name)),
  timeoutMs: Schema.optionalKey(PositiveInt)
})

export const ApexMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("run"), goal: Text, tasks: Schema.NonEmptyArray(Task) }),
  Schema.Struct({ type: Schema.Literal("plans") }),
  Schema.Struct({ type: Schema.Literal("plan"), id: Name }),
  Schema.Struct({ type: Schema.Literal("cancel"), id: Name })
])
export type ApexMessage = typeof ApexMessages.Type
