import { Schema } from "effect"
import { FileError } from "../adapters/fs/Files.ts"

/**
 * A line before the end of the ledger is not the entry the chain expects
 * (edited, deleted, reordered, garbage). Appending is refused, so the file
 * stays as it was found for whoever investigates.
 */
export class LedgerCorrupt extends Schema.TaggedError<LedgerCorrupt>()("LedgerCorrupt", {
  file: Schema.String,
  /** 1-based line number of the first bad entry. */
  line: Schema.Number,
  /** Its seq, when the line could be read that far. */
  seq: Schema.optionalKey(Schema.Number),
  reason: Schema.String
}) {
  override get message() {
    const seq = this.seq === undefined ? "" : ` (seq ${this.seq})`
    return `audit ledger ${this.file} is corrupt at line ${this.line}${seq}: ${this.reason}; ` +
      `appending is refused so the evidence stays as found (run 'sigmavault audit verify')`
  }
}

/** A checkpoint could not be signed: no signer, or the signer failed. */
export class LedgerSignError extends Schema.TaggedError<LedgerSignError>()("LedgerSignError", {
  keyId: Schema.optionalKey(Schema.String),
  reason: Schema.String
}) {
  override get message() {
    const key = this.keyId === undefined ? "" : ` with key ${this.keyId}`
    return `cannot sign an audit ledger checkpoint${key}: ${this.reason}`
  }
}

/** The caller's entry cannot be recorded as given (a bad actor or action name, a detail JSON cannot hold). */
export class LedgerInvalidEntry extends Schema.TaggedError<LedgerInvalidEntry>()("LedgerInvalidEntry", {
  actor: Schema.String,
  action: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot record ${JSON.stringify(this.action)} by ${JSON.stringify(this.actor)} in the audit ledger: ${this.reason}`
  }
}

/** The filesystem refused, or the ledger cannot be used any more (closed, a failed write not undone): a FileError. */
export type LedgerError = FileError | LedgerCorrupt | LedgerSignError | LedgerInvalidEntry

/** Every LedgerError's schema, for the protocols of agents that pass them on as rejections. */
export const LEDGER_ERRORS = [FileError, LedgerCorrupt, LedgerSignError, LedgerInvalidEntry] as const
