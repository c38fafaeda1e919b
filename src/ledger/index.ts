/**
 * LEDGER's public surface: the append-only, hash-chained, ML-DSA-65
 * checkpointed audit log (docs/ledger.md).
 */
export {
  CHECKPOINT_ACTION,
  type CheckpointDetail,
  type EntryFields,
  GENESIS_PREV,
  LEDGER_ACTOR,
  type LedgerEntry,
  RECOVERED_ACTION
} from "./Entry.ts"
export {
  AuditLedger,
  DEFAULT_CHECKPOINT_EVERY,
  type Head,
  layer,
  type Ledger,
  LEDGER_FILE,
  type LedgerOptions,
  type NewEntry,
  openLedger,
  type OpenReport,
  type Signer,
  type TornTail
} from "./Ledger.ts"
export { LedgerCorrupt, type LedgerError, LedgerInvalidEntry, LedgerSignError } from "./LedgerError.ts"
export { type BadEntry, type CheckpointSeen, describeReport, ledgerFile, tailLedger, verifyLedger, type VerifyReport } from "./Verify.ts"
