/** GENESIS's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { LayoutGoal } from "../shared/fields.ts"

export const Genesis = Protocol.make("GENESIS", [
  Protocol.planned("discover", {
    doc: "disks not in a pool yet, with size, model and SMART health",
    access: "read",
    capability: "disk-discovery"
  }),
  Protocol.planned("setup-plan", {
    doc: "a dry-run first-run plan: pool, datasets, shares",
    access: "read",
    capability: "setup-plan",
    fields: {
      goal: Schema.optionalKey(LayoutGoal)
    }
  })
])
