/** LEDGER's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import { LEDGER_ERRORS } from "../../ledger/LedgerError.ts"
import { LedgerEntry, VerifyReport } from "../../ledger/Report.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { PositiveInt } from "../shared/fields.ts"

export const Ledger = Protocol.make("LEDGER", [
  Protocol.message("append", {
    doc: "records a state-changing action (for agents whose changes the runtime does not see itself)",
    access: "runtime",
    fields: {
      actor: Schema.String,
      action: Schema.String,
      detail: Schema.optionalKey(Schema.Record(Schema.String, Schema.Json))
    },
    reply: LedgerEntry,
    rejections: LEDGER_ERRORS
  }),
  Protocol.message("entries", {
    doc: "the last `limit` entries (default 20, at most 1000)",
    access: "read",
    fields: { limit: Schema.optionalKey(PositiveInt) },
    reply: Schema.Array(LedgerEntry),
    rejections: LEDGER_ERRORS
  }),
  Protocol.message("verify", {
    doc: "checks the whole chain and every checkpoint signature; reports the first bad entry",
    access: "read",
    reply: Schema.Struct({ ...VerifyReport.fields, summary: Schema.Array(Schema.String) }),
    rejections: LEDGER_ERRORS
  }),
  Protocol.message("checkpoint", {
    doc: "signs the chain's head now",
    access: "operate",
    reply: Schema.Union([LedgerEntry, Schema.Struct({ unchanged: Schema.String })]),
    rejections: LEDGER_ERRORS
  })
])
