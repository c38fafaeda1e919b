/** OMNISCIENT's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { SystemSummary, TreeNode } from "../../runtime/Status.ts"
import { AgentName } from "../shared/fields.ts"

export const Omniscient = Protocol.make("OMNISCIENT", [
  Protocol.message("summary", {
    doc: "agents running, restarting, failed and stopped; dead letters; escalations",
    access: "read",
    reply: SystemSummary
  }),
  Protocol.message("tree", {
    doc: "the supervision tree: tier supervisors and their agents with state and restarts",
    access: "read",
    reply: TreeNode
  }),
  Protocol.planned("prioritise", {
    doc: "orders an agent's work before or after others'",
    access: "admin",
    capability: "prioritisation",
    fields: { agent: AgentName, priority: Schema.Literals(["high", "normal", "low"]) }
  })
])
