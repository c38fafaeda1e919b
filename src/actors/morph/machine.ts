import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { MorphMessage } from "./messages.ts"

const verifiedMigration = plannedCapability(
  "verified-migration",
  "copies or moves a tree, verifying every file by hash before any source file is removed, with a journal"
)
const reversal = plannedCapability("reversal", "reverts a finished migration from its journal")

export const morphCapabilities = [verifiedMigration, reversal]

export const morphMachine = plannedMachine<MorphMessage>({
  migrate: verifiedMigration,
  migrations: verifiedMigration,
  revert: reversal
})
