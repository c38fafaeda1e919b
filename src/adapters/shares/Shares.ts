/**
 * Port: the SMB and NFS shares as the system holds them, and the few changes
 * BRIDGE makes to them. SMB shares live in Samba's registry (`net conf
 * addshare/setparm/delshare`, read back with `listshares`/`showshare`) and
 * are picked up by `smbcontrol smbd reload-config` — never a restart; NFS
 * exports are files in the exports directory (/etc/exports.d by default),
 * written atomically, then `exportfs -ra`. Live state is read back with
 * `net conf showshare`, `smbstatus --json` and `exportfs -v`.
 *
 * A change is a list of typed operations. `steps` says exactly what they
 * would do (argument vectors, files and their text) without doing it: that
 * is the plan BRIDGE returns without `confirm`; `apply` does the same steps.
 */
import { Context, type Effect, Schema } from "effect"
import { CommandExited, CommandFailed, CommandTimedOut, OutputTooLarge, ToolMissing } from "../command/Command.ts"
import { FileError } from "../fs/Files.ts"

/** One registry parameter: ["read only", "yes"]. */
export type Parameter = readonly [string, string]

export type ShareOperation =
  /**
   * The share's stanza (`[NAME]` and its parameters, as FORGE renders it) into
   * the registry in one transaction: staged in a file, `net conf import FILE
   * NAME`, the file removed. A new share is created, an existing one replaced
   * whole; a parameter net refuses leaves the registry as it was.
   */
  | { readonly op: "smb-put"; readonly name: string; readonly text: string }
  /** `net conf delshare NAME`. */
  | { readonly op: "smb-remove"; readonly name: string }
  /** `smbcontrol smbd reload-config`. */
  | { readonly op: "smb-reload" }
  /** The file `name` in the exports directory, replaced atomically with `text`. */
  | { readonly op: "nfs-write"; readonly file: string; readonly text: string }
  | { readonly op: "nfs-remove"; readonly file: string }
  /** `exportfs -ra`. */
  | { readonly op: "nfs-reload" }

/** What one operation does to the system, exactly. */
export const ShareStep = Schema.Union([
  Schema.Struct({
    kind: Schema.Literal("run"),
    /** The exact argument vector, tool first. */
    command: Schema.Array(Schema.String),
    /** The same, quoted for a human to read or paste. */
    display: Schema.String
  }),
  Schema.Struct({ kind: Schema.Literal("write"), path: Schema.String, text: Schema.String }),
  Schema.Struct({ kind: Schema.Literal("remove"), path: Schema.String })
])
export type ShareStep = typeof ShareStep.Type

/** What applying said besides success: "smbd is not running: …". */
export interface Applied {
  readonly steps: ReadonlyArray<ShareStep>
  readonly notes: ReadonlyArray<string>
}

export const SmbShareLive = Schema.Struct({
  name: Schema.String,
  /** As `net conf showshare` prints them, in order (path included). */
  parameters: Schema.Array(Schema.Tuple([Schema.String, Schema.String]))
})
export type SmbShareLive = typeof SmbShareLive.Type

export const SmbLive = Schema.Struct({
  /** The registry could be read; otherwise `reason` says why (net missing, no registry). */
  available: Schema.Boolean,
  reason: Schema.optionalKey(Schema.String),
  shares: Schema.Array(SmbShareLive),
  /** From `smbstatus --json`, when it answers: connected sessions, and connections (tree connects) per share. */
  sessions: Schema.optionalKey(Schema.Int),
  connections: Schema.optionalKey(Schema.Record(Schema.String, Schema.Int)),
  openFiles: Schema.optionalKey(Schema.Int),
  /** Why smbstatus did not answer (smbd not running, not installed). */
  statusNote: Schema.optionalKey(Schema.String)
})
export type SmbLive = typeof SmbLive.Type

export const NfsExportLive = Schema.Struct({
  path: Schema.String,
  /** As exportfs prints it; "<world>" for any host. */
  client: Schema.String,
  options: Schema.Array(Schema.String)
})
export type NfsExportLive = typeof NfsExportLive.Type

export const NfsLive = Schema.Struct({
  available: Schema.Boolean,
  reason: Schema.optionalKey(Schema.String),
  /** What the kernel table (etab) holds, from `exportfs -v`. */
  exports: Schema.Array(NfsExportLive),
  /** BRIDGE's files in the exports directory (sigmavault-*.exports) and their text. */
  files: Schema.Array(Schema.Struct({ file: Schema.String, text: Schema.String }))
})
export type NfsLive = typeof NfsLive.Type

export type SharesError = ToolMissing | CommandTimedOut | OutputTooLarge | CommandFailed | CommandExited | FileError

/** Every SharesError's schema, for the protocols of agents that pass them on. */
export const SHARES_ERRORS = [ToolMissing, CommandTimedOut, OutputTooLarge, CommandFailed, CommandExited, FileError] as const

/** The names BRIDGE gives its export files: sigmavault-NAME.exports, NAME a share name. */
export const EXPORT_FILE = /^sigmavault-[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\.exports$/
export const exportFileOf = (share: string) => `sigmavault-${share}.exports`

export class Shares extends Context.Service<Shares, {
  /** What `operations` would do, exactly, without doing it. */
  readonly steps: (operations: ReadonlyArray<ShareOperation>) => ReadonlyArray<ShareStep>
  /** Does them in order; the first failure stops (the caller undoes what was done). */
  readonly apply: (operations: ReadonlyArray<ShareOperation>) => Effect.Effect<Applied, SharesError>
  readonly smb: Effect.Effect<SmbLive>
  /** Only the registry shares' names (`net conf listshares`): the cheap check before a change; undefined when it cannot be read. */
  readonly smbNames: Effect.Effect<ReadonlyArray<string> | undefined>
  readonly nfs: Effect.Effect<NfsLive>
}>()("sigmavault/adapters/shares/Shares") {}
