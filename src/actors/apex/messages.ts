/** APEX's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { Name } from "../shared/fields.ts"
import { Plan } from "../shared/plan.ts"

export const Apex = Protocol.make("APEX", [
  Protocol.planned("run", {
    doc: "runs a goal as a DAG of agent messages (each task checked against its agent's protocol and the caller's rights)",
    access: "operate",
    capability: "dag-execution",
    fields: Plan.fields
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
