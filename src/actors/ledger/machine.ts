import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { LedgerMessage } from "./messages.ts"

const auditLog = plannedCapability(
  "audit-log",
  "appends each state-changing action to a hash-chained log and lists its entries"
)
const chainVerification = plannedCapability(
  "chain-verification",
  "re-walks the hash chain and reports the first broken link"
)
const signedCheckpoints = plannedCapability(
  "signed-checkpoints",
  "signs the chain head with an ML-DSA key held by QUANTUM"
)

export const ledgerCapabilities = [auditLog, chainVerification, signedCheckpoints]

export const ledgerMachine = plannedMachine<LedgerMessage>({
  append: auditLog,
  entries: auditLog,
  verify: chainVerification,
  checkpoint: signedCheckpoints
})
