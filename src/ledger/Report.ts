/**
 * The shapes the ledger reports — an entry, the chain head, a verification
 * report — as schemas, so LEDGER's protocol and every client decode the same
 * thing the ledger builds. A leaf module: it imports only effect.
 */
import { Schema } from "effect"

const Seq = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Line = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

/** An entry with its own hash, the `prev` of the entry after it. */
export const LedgerEntry = Schema.Struct({
  seq: Seq,
  at: Schema.String,
  actor: Schema.String,
  action: Schema.String,
  detail: Schema.Record(Schema.String, Schema.Unknown),
  prev: Schema.String,
  hash: Schema.String
})
export type LedgerEntry = typeof LedgerEntry.Type

/** The chain's last entry: seq 0 and 64 zeros when there is none. */
export const Head = Schema.Struct({ seq: Seq, hash: Schema.String })
export type Head = typeof Head.Type

export const BadEntry = Schema.Struct({
  /** 1-based line number. */
  line: Line,
  /** Its seq, when the line could be read that far. */
  seq: Schema.optionalKey(Seq),
  reason: Schema.String
})
export type BadEntry = typeof BadEntry.Type

/** A final line without its newline: an append cut short, never acknowledged. */
export const TornTail = Schema.Struct({
  /** 1-based line number. */
  line: Line,
  /** Byte offset where it starts: the file's length without it. */
  offset: Seq,
  bytes: Seq
})
export type TornTail = typeof TornTail.Type

export const CheckpointSeen = Schema.Struct({ line: Line, seq: Seq, keyId: Schema.String })
export type CheckpointSeen = typeof CheckpointSeen.Type

export const VerifyReport = Schema.Struct({
  file: Schema.String,
  /** No bad entry: every line is the entry the chain expects and every checkpoint signature holds. */
  ok: Schema.Boolean,
  /** Entries verified (before the first bad one, if any). */
  entries: Seq,
  /** Checkpoints verified among them. */
  checkpoints: Seq,
  /** The last verified entry (seq 0, 64 zeros when none). */
  head: Head,
  lastCheckpoint: Schema.optionalKey(CheckpointSeen),
  /** Keys that signed the verified checkpoints, first use first. */
  keyIds: Schema.Array(Schema.String),
  /** Why verification stopped: broken chain, modified entry, bad signature, unknown key, a line that is no entry. */
  firstBad: Schema.optionalKey(BadEntry),
  /** A final line without its newline (a crash mid-append); a warning, not an error. */
  tornTail: Schema.optionalKey(TornTail),
  /** Verified entries after the last checkpoint: nothing proves them unaltered, or that none were cut off after them. */
  unsignedTail: Seq,
  /** Problems that do not make the ledger bad: the torn tail, the unsigned tail. */
  warnings: Schema.Array(Schema.String)
})
export type VerifyReport = typeof VerifyReport.Type
