import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Morph } from "./messages.ts"

const verifiedMigration = plannedCapability(
  "verified-migration",
  "copies or moves a tree, verifying every file by hash before any source file is removed, with a journal"
)
const reversal = plannedCapability("reversal", "reverts a finished migration from its journal")

export const morphAgent = define({
  protocol: Morph,
  tier: "5-8",
  description: "Verified data migration: copy/move with hash verification, reversible",
  capabilities: [verifiedMigration, reversal]
})
