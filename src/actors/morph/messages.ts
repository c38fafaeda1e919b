/** MORPH's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import { FileError } from "../../adapters/fs/Files.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { LeaseConflict } from "../arbiter/messages.ts"
import { AbsolutePath, Name } from "../shared/fields.ts"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const Check = Schema.Struct({ check: Schema.String, ok: Schema.Boolean, detail: Schema.String })

export const MigrationPlan = Schema.Struct({
  confirmed: Schema.Literal(false),
  mode: Schema.Literals(["copy", "move"]),
  source: Schema.String,
  destination: Schema.String,
  files: Count,
  directories: Count,
  symlinks: Count,
  bytes: Count,
  /** Entries not migrated (devices, sockets, pipes), with why. */
  skipped: Schema.Array(Schema.Struct({ path: Schema.String, reason: Schema.String })),
  checks: Schema.Array(Check),
  /** What to send to carry it out. */
  confirmWith: Schema.String
})

export const Counts = Schema.Struct({
  pending: Count,
  copied: Count,
  verified: Count,
  removed: Count,
  /** Sources written to during the migration: kept, and reported. */
  changed: Count,
  /** Verified copies whose source could not be removed (immutable, permissions): both kept. */
  kept: Count,
  failed: Count,
  restored: Count,
  reverted: Count
})

export const Migration = Schema.Struct({
  id: Schema.String,
  mode: Schema.Literals(["copy", "move"]),
  source: Schema.String,
  destination: Schema.String,
  state: Schema.Literals(["running", "finished", "incomplete", "reverting", "reverted", "revert-incomplete"]),
  createdAt: Schema.String,
  bytes: Count,
  entries: Count,
  counts: Counts,
  /** Each entry that needs a person's attention: path and why. */
  problems: Schema.Array(Schema.Struct({ path: Schema.String, step: Schema.String, why: Schema.String }))
})
export type Migration = typeof Migration.Type

export const Started = Schema.Struct({
  confirmed: Schema.Literal(true),
  id: Schema.String,
  state: Schema.String,
  files: Count,
  bytes: Count,
  checks: Schema.Array(Check)
})

export const RevertPlan = Schema.Struct({
  confirmed: Schema.Boolean,
  id: Schema.String,
  /** Sources a move removed, to be copied back (verified) before the destination's copies go. */
  restore: Count,
  /** Copies this migration made, to be removed if they are still what it made. */
  remove: Count,
  state: Schema.String
})

export class UnsafePlan extends Schema.TaggedError<UnsafePlan>()("UnsafePlan", {
  field: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot migrate (${this.field}): ${this.reason}`
  }
}

export class NoSuchMigration extends Schema.TaggedError<NoSuchMigration>()("NoSuchMigration", { id: Schema.String }) {
  override get message() {
    return `no migration '${this.id}' (see MORPH migrations)`
  }
}

export class MigrationBusy extends Schema.TaggedError<MigrationBusy>()("MigrationBusy", { id: Schema.String, state: Schema.String }) {
  override get message() {
    return `migration '${this.id}' is ${this.state}; wait for it to settle`
  }
}

export const Morph = Protocol.make("MORPH", [
  Protocol.message("migrate", {
    doc: "copies or moves a file or tree to a destination that does not exist yet, every file verified by SHA-256 before any source is removed; without confirm, the plan",
    access: "admin",
    fields: {
      source: AbsolutePath,
      destination: AbsolutePath,
      mode: Schema.Literals(["copy", "move"]),
      /** A name for the migration (default: generated), used by `resume` and `revert`. */
      id: Schema.optionalKey(Name),
      confirm: Schema.optionalKey(Schema.Boolean)
    },
    reply: Schema.Union([MigrationPlan, Started]),
    rejections: [UnsafePlan, LeaseConflict, FileError]
  }),
  Protocol.message("migrations", {
    doc: "past and running migrations, with their state and what needs attention",
    access: "read",
    reply: Schema.Array(Migration),
    rejections: [FileError]
  }),
  Protocol.message("resume", {
    doc: "goes on with an incomplete migration (failed files are tried again: after freeing space, say)",
    access: "admin",
    fields: { id: Name },
    reply: Migration,
    rejections: [NoSuchMigration, FileError]
  }),
  Protocol.message("revert", {
    doc: "undoes a migration from its journal (sources copied back and verified, copies removed); without confirm, what it would do",
    access: "admin",
    fields: { id: Name, confirm: Schema.optionalKey(Schema.Boolean) },
    reply: RevertPlan,
    rejections: [NoSuchMigration, MigrationBusy, FileError]
  })
])
