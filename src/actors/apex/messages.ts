/** APEX's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { AgentCall, Name, PositiveInt, Text } from "../shared/fields.ts"

/** One node of the plan's DAG: a message to an agent, run after the tasks it depends on. */
const Task = Schema.Struct({
  id: Name,
  ...AgentCall.fields,
  after: Schema.optionalKey(Schema.Array(Name)),
  timeoutMs: Schema.optionalKey(PositiveInt)
})

export const Apex = Protocol.make("APEX", [
  Protocol.planned("run", {
    doc: "runs a goal as a DAG of agent messages (each task checked against its agent's protocol and the caller's rights)",
    access: "operate",
    capability: "dag-execution",
    fields: {
      goal: Text,
      tasks: Schema.NonEmptyArray(Task)
    }
  }),
  Protocol.planned("plans", {
    doc: "running and finished plans",
    access: "read",
    capability: "plan-tracking"
  }),
  Protocol.planned("plan", {
    doc: "one plan with the state of each task",
    access: "read",
    capability: "plan-tracking",
    fields: {
      id: Name
    }
  }),
  Protocol.planned("cancel", {
    doc: "cancels a running plan",
    access: "operate",
    capability: "plan-tracking",
    fields: {
      id: Name
    }
  })
])
