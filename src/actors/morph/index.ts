import type { Files } from "../../adapters/fs/Files.ts"
import type { MigrationFiles } from "../../adapters/migration/MigrationFiles.ts"
import { define } from "../../runtime/Agent.ts"
import { morphCapabilities, morphMachine } from "./machine.ts"
import { Morph } from "./messages.ts"

export const morphAgent = define<Files | MigrationFiles>({
  protocol: Morph,
  tier: "5-8",
  description: "Verified data migration: copy/move with hash verification, reversible",
  capabilities: morphCapabilities,
  machine: morphMachine
})
