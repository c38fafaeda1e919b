import type { Files } from "../../adapters/fs/Files.ts"
import type { Keyring } from "../../keys/Keyring.ts"
import type { AuditLedger } from "../../ledger/index.ts"
import { define } from "../../runtime/Agent.ts"
import { ledgerCapabilities, ledgerMachine } from "./machine.ts"
import { Ledger } from "./messages.ts"

export const ledgerAgent = define<Keyring | AuditLedger | Files>({
  protocol: Ledger,
  tier: "5-8",
  description: "Append-only hash-chained audit log of every state-changing action; signed checkpoints",
  capabilities: ledgerCapabilities,
  machine: ledgerMachine
})
