import type { Files } from "../../adapters/fs/Files.ts"
import type { Keyring } from "../../keys/Keyring.ts"
import type { AuditLedger } from "../../ledger/index.ts"
import type { AgentDefinition } from "../../runtime/Agent.ts"
import { ledgerCapabilities, ledgerMachine } from "./machine.ts"
import { LedgerMessages } from "./messages.ts"

export const ledgerAgent: AgentDefinition<Keyring | AuditLedger | Files> = {
  name: "LEDGER",
  tier: "5-8",
  description: "Append-only hash-chained audit log of every state-changing action; signed checkpoints",
  capabilities: ledgerCapabilities,
  messages: LedgerMessages,
  machine: ledgerMachine
}
