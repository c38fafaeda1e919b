/**
 * BRIDGE's protocol: the single source of its message schemas, replies,
 * rejections and access classes. BRIDGE keeps the desired shares in its
 * database (the state directory) and applies them through FORGE: SMB as
 * registry shares then `smbcontrol smbd reload-config`, NFS as files in the
 * exports directory then `exportfs -ra`. Every change is planned (the exact
 * commands and files) unless the request says `confirm: true`.
 */
import { Schema } from "effect"
import { SHARES_ERRORS, NfsLive, ShareStep, SmbLive } from "../../adapters/shares/Shares.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { FORGE_ERRORS, Rendered, Validated } from "../forge/messages.ts"
import { Name, ShareProtocol, ShareSpec } from "../shared/fields.ts"
import { DependencyFailed } from "../shared/rejections.ts"

/** Changes are planned unless `confirm` is true: the reply carries the exact commands and files either way. */
const Confirm = Schema.optionalKey(Schema.Boolean)

/** A share as BRIDGE's database holds it: what was asked, when, and by whom. */
export const StoredShare = Schema.Struct({
  spec: ShareSpec,
  created: Schema.String,
  /** "uid 1000 (socket, pid 4242)", or "the daemon". */
  createdBy: Schema.String,
  updated: Schema.optionalKey(Schema.String),
  /** SMB: the registry parameters FORGE rendered and BRIDGE set, for drift. */
  parameters: Schema.optionalKey(Schema.Array(Schema.Tuple([Schema.String, Schema.String]))),
  /** The text as applied: the SMB stanza imported into the registry, or the exports file (for drift and undo). */
  text: Schema.optionalKey(Schema.String)
})
export type StoredShare = typeof StoredShare.Type

export const DriftProblem = Schema.Literals([
  /** In the database, absent from the system (removed by hand, or never applied). */
  "missing",
  /** Present on both sides, but a parameter, option or path differs. */
  "differs",
  /** On the system (registry share, or a sigmavault-*.exports file), not in the database. */
  "unmanaged",
  /** The file is there but exportfs does not list it (not reloaded, or refused). */
  "not-exported"
])

export const Drift = Schema.Struct({
  protocol: ShareProtocol,
  name: Schema.String,
  problem: DriftProblem,
  detail: Schema.String
})
export type Drift = typeof Drift.Type

export const ShareView = Schema.Struct({
  ...StoredShare.fields,
  /** in-sync: the system holds what the database says; otherwise see `drift`; not-read: asked with live: false. */
  live: Schema.Literals(["in-sync", "drifted", "missing", "not-read"]),
  /** SMB: connections (tree connects) to it now, from smbstatus. */
  connections: Schema.optionalKey(Schema.Int)
})
export type ShareView = typeof ShareView.Type

export const SharesReply = Schema.Struct({
  shares: Schema.Array(ShareView),
  smb: SmbLive,
  nfs: NfsLive,
  drift: Schema.Array(Drift),
  /** The live state was read and agrees with the database. */
  inSync: Schema.Boolean
})
export type SharesReply = typeof SharesReply.Type

/** What a change does (planned) or did (executed). */
export const ShareChange = Schema.Struct({
  protocol: ShareProtocol,
  name: Schema.String,
  executed: Schema.Boolean,
  steps: Schema.Array(ShareStep),
  /** FORGE's render, for add and update. */
  rendered: Schema.optionalKey(Rendered),
  /** FORGE's check of the render with the real tool. */
  validated: Schema.optionalKey(Validated),
  /** How to undo it, as a message to BRIDGE. */
  undo: Schema.optionalKey(Schema.String),
  notes: Schema.Array(Schema.String)
})
export type ShareChange = typeof ShareChange.Type

export const ReloadReply = Schema.Struct({
  executed: Schema.Boolean,
  steps: Schema.Array(ShareStep),
  notes: Schema.Array(Schema.String)
})

export class NoSuchShare extends Schema.TaggedError<NoSuchShare>()("NoSuchShare", { protocol: ShareProtocol, name: Schema.String }) {
  override get message() {
    return `no ${this.protocol} share named '${this.name}' in BRIDGE's database`
  }
}

export class ShareExists extends Schema.TaggedError<ShareExists>()("ShareExists", {
  protocol: ShareProtocol,
  name: Schema.String,
  /** Where it is: "database", "registry" (made by hand), "exports". */
  where: Schema.String
}) {
  override get message() {
    return `a ${this.protocol} share named '${this.name}' already exists (${this.where}); remove it first or pick another name`
  }
}

export class PathNotAllowed extends Schema.TaggedError<PathNotAllowed>()("PathNotAllowed", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `path: ${this.path} cannot be shared: ${this.reason}`
  }
}

export class PathMissing extends Schema.TaggedError<PathMissing>()("PathMissing", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `path: ${this.path} ${this.reason}`
  }
}

/** A step of an apply failed; what had been done was undone (or `undone` says it could not be). */
export class ShareApplyFailed extends Schema.TaggedError<ShareApplyFailed>()("ShareApplyFailed", {
  protocol: ShareProtocol,
  name: Schema.String,
  reason: Schema.String,
  undone: Schema.Boolean
}) {
  override get message() {
    return `applying the ${this.protocol} share '${this.name}' failed: ${this.reason}` +
      (this.undone ? "; what was done has been undone" : "; it could not all be undone: see `shares` for the drift")
  }
}

/** The share database in the state directory could not be read or written. */
export class ShareDatabaseFailed extends Schema.TaggedError<ShareDatabaseFailed>()("ShareDatabaseFailed", { reason: Schema.String }) {
  override get message() {
    return `BRIDGE's share database: ${this.reason}`
  }
}

const CHANGE_REJECTIONS = [PathNotAllowed, PathMissing, ...FORGE_ERRORS, DependencyFailed, ShareApplyFailed, ShareDatabaseFailed] as const

export const Bridge = Protocol.make("BRIDGE", [
  Protocol.message("shares", {
    doc: "the shares in BRIDGE's database, what Samba and exportfs hold live, sessions, and the drift between them",
    access: "read",
    fields: {
      protocol: Schema.optionalKey(ShareProtocol),
      /** false: the database only, no tool is run (each share's live is "not-read", smb and nfs say so). */
      live: Schema.optionalKey(Schema.Boolean)
    },
    reply: SharesReply,
    rejections: [ShareDatabaseFailed]
  }),
  Protocol.message("add-share", {
    doc: "plans a share (FORGE renders and checks it); with confirm adds it (registry share by net conf import, or exports file) and reloads its server",
    access: "admin",
    fields: { ...ShareSpec.fields, confirm: Confirm },
    reply: ShareChange,
    rejections: [ShareExists, ...CHANGE_REJECTIONS]
  }),
  Protocol.message("update-share", {
    doc: "plans replacing a share's settings; with confirm applies them and reloads its server",
    access: "admin",
    fields: { ...ShareSpec.fields, confirm: Confirm },
    reply: ShareChange,
    rejections: [NoSuchShare, ...CHANGE_REJECTIONS]
  }),
  Protocol.message("remove-share", {
    doc: "plans removing a share; with confirm removes it and reloads its server",
    access: "admin",
    fields: { protocol: ShareProtocol, name: Name, confirm: Confirm },
    reply: ShareChange,
    rejections: [NoSuchShare, ShareApplyFailed, ShareDatabaseFailed]
  }),
  Protocol.message("reload", {
    doc: "plans reloading Samba (smbcontrol smbd reload-config) and/or the NFS exports (exportfs -ra); with confirm runs it",
    access: "operate",
    fields: { protocol: Schema.optionalKey(ShareProtocol), confirm: Confirm },
    reply: ReloadReply,
    rejections: SHARES_ERRORS
  })
])
