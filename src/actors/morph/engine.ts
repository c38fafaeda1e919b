/**
 * MORPH's engine: plans a migration, runs it batch by batch with a journal,
 * resumes it from the journal after a crash, and reverts it.
 *
 * The order for every file, whatever happens: copy to a temporary name →
 * fsync the copy → link it into place (never over anything) and fsync its
 * directory → journal `copied` → hash the copy, compare with the hash taken
 * while reading the source, check the source did not change → journal
 * `verified` → (move) unlink the source, fsync its directory → journal
 * `removed`. A crash at any point leaves either the source, or a verified
 * and durable copy whose verification is journalled, or both: never
 * neither. Each journal append is fdatasync'd (Files.openAppend) and holds
 * one record per file per step; a batch's records share one append.
 *
 * docs/migration.md describes the journal and the guarantees.
 */
import * as path from "node:path"
import { Effect, Schema } from "effect"
import { FileError, type FilesShape, temporaryName } from "../../adapters/fs/Files.ts"
import type { EntryInfo, Metadata, TreeAccess, Xattr } from "../../adapters/migration/MigrationFiles.ts"
import { Caller } from "../../runtime/Caller.ts"
import { UnsafePlan } from "./messages.ts"

// --- plan --------------------------------------------------------------------

const XattrSchema = Schema.Tuple([Schema.String, Schema.String])

export const PlanEntry = Schema.Struct({
  /** Path relative to the source ("" is the source itself). */
  p: Schema.String,
  t: Schema.Literals(["file", "directory", "symlink"]),
  size: Schema.Number,
  mode: Schema.Number,
  uid: Schema.Number,
  gid: Schema.Number,
  mtimeNs: Schema.String,
  atimeNs: Schema.String,
  ctimeNs: Schema.String,
  inode: Schema.String,
  link: Schema.optionalKey(Schema.String),
  x: Schema.Array(XattrSchema)
})
export type PlanEntry = typeof PlanEntry.Type

export const Plan = Schema.Struct({
  id: Schema.String,
  mode: Schema.Literals(["copy", "move"]),
  source: Schema.String,
  destination: Schema.String,
  caller: Caller,
  createdAt: Schema.String,
  entries: Schema.Array(PlanEntry),
  /** Entries not migrated (devices, sockets, pipes, unreadable), with why. */
  skipped: Schema.Array(Schema.Struct({ path: Schema.String, reason: Schema.String })),
  bytes: Schema.Number
})
export type Plan = typeof Plan.Type

const metaOf = (e: PlanEntry): Metadata => ({ mode: e.mode, uid: e.uid, gid: e.gid, mtimeNs: e.mtimeNs, atimeNs: e.atimeNs })

const under = (root: string, rel: string) => (rel === "" ? root : path.join(root, rel))

/** Whether `a` is `b` or lies inside it. */
const within = (a: string, b: string) => a === b || a.startsWith(b.endsWith("/") ? b : `${b}/`)

export interface PlanCheck {
  readonly check: string
  readonly ok: boolean
  readonly detail: string
}

/**
 * Walks `source` as the caller and checks `destination`: the plan, and the
 * checks it passed; fails when the migration cannot start.
 */
export const planMigration = (
  access: TreeAccess,
  request: { readonly id: string; readonly mode: "copy" | "move"; readonly source: string; readonly destination: string; readonly caller: Caller; readonly now: string }
): Effect.Effect<{ readonly plan: Plan; readonly checks: ReadonlyArray<PlanCheck> }, UnsafePlan | FileError> =>
  Effect.gen(function*() {
    const source = path.normalize(request.source).replace(/(.)\/$/, "$1")
    const destination = path.normalize(request.destination).replace(/(.)\/$/, "$1")
    if (within(destination, source) || within(source, destination)) {
      return yield* new UnsafePlan({ field: "destination", reason: `${destination} and ${source} overlap; the destination must lie outside the source` })
    }
    yield* access.confine(source)
    yield* access.confine(destination)
    const root = yield* access.lstat(source)
    if (root === undefined) return yield* new UnsafePlan({ field: "source", reason: `${source} does not exist` })
    if (root.type !== "file" && root.type !== "directory") {
      return yield* new UnsafePlan({ field: "source", reason: `${source} is a ${root.type === "symlink" ? "symbolic link" : "special file"}; name a directory or a regular file` })
    }
    if ((yield* access.lstat(destination)) !== undefined) {
      return yield* new UnsafePlan({ field: "destination", reason: `${destination} already exists; MORPH never overwrites (name a path that does not exist yet)` })
    }
    const parent = yield* access.lstat(path.dirname(destination))
    if (parent?.type !== "directory") {
      return yield* new UnsafePlan({ field: "destination", reason: `${path.dirname(destination)} is not an existing directory` })
    }
    // The walk: parents before children, names sorted, never following a symbolic link.
    const infos: Array<{ rel: string; info: EntryInfo; link?: string }> = []
    const skipped: Array<{ path: string; reason: string }> = []
    const stack: Array<{ rel: string; info: EntryInfo }> = [{ rel: "", info: root }]
    while (stack.length > 0) {
      const { rel, info } = stack.pop()!
      const full = under(source, rel)
      if (info.type === "other") {
        skipped.push({ path: full, reason: "a device, socket or named pipe: not migrated" })
        continue
      }
      if (info.type === "symlink") {
        infos.push({ rel, info, link: yield* access.readLink(full) })
        continue
      }
      infos.push({ rel, info })
      if (info.type !== "directory") continue
      const names = yield* access.list(full)
      const children: Array<{ rel: string; info: EntryInfo }> = []
      for (const name of names) {
        const childRel = rel === "" ? name : `${rel}/${name}`
        const childInfo = yield* access.lstat(under(source, childRel))
        if (childInfo !== undefined) children.push({ rel: childRel, info: childInfo })
      }
      stack.push(...children.reverse())
    }
    const withXattrs = infos.filter((e) => e.info.type !== "symlink").map((e) => under(source, e.rel))
    const xattrs = yield* access.readXattrs(withXattrs)
    const entries: Array<PlanEntry> = infos.map(({ rel, info, link }) => ({
      p: rel,
      t: info.type as "file" | "directory" | "symlink",
      size: info.type === "file" ? info.size : 0,
      mode: info.mode,
      uid: info.uid,
      gid: info.gid,
      mtimeNs: info.mtimeNs,
      atimeNs: info.atimeNs,
      ctimeNs: info.ctimeNs,
      inode: info.inode,
      ...(link === undefined ? {} : { link }),
      x: (xattrs[under(source, rel)] ?? []).map(([n, v]) => [n, v] as const)
    }))
    const bytes = entries.reduce((sum, e) => sum + e.size, 0)
    const checks: Array<PlanCheck> = []
    const free = yield* access.freeBytes(path.dirname(destination))
    checks.push({ check: "space", ok: free >= bytes, detail: `${bytes} bytes to copy, ${free} bytes free on the destination's filesystem` })
    checks.push({ check: "destination", ok: true, detail: `${destination} does not exist and will be created` })
    const caller = request.caller
    const foreign = caller.uid === 0 ? [] : entries.filter((e) => e.uid !== caller.uid || (e.gid !== caller.gid && !caller.groups.includes(e.gid)))
    checks.push({
      check: "ownership",
      ok: foreign.length === 0 || request.mode === "copy",
      detail: foreign.length === 0
        ? caller.uid === 0 ? "owners, groups and every extended attribute are kept (root)" : "every entry is yours: owners and groups are kept"
        : `${foreign.length} entries are not yours (e.g. ${under(source, foreign[0]!.p)}, uid ${foreign[0]!.uid}): their copies will belong to you${request.mode === "move" ? "; a move would lose their owners, so it is refused (copy instead, or ask root)" : ""}`
    })
    if (skipped.length > 0) {
      checks.push({ check: "special files", ok: true, detail: `${skipped.length} devices, sockets or pipes are not migrated${request.mode === "move" ? " and stay in the source" : ""}` })
    }
    const plan: Plan = {
      id: request.id,
      mode: request.mode,
      source,
      destination,
      caller: request.caller,
      createdAt: request.now,
      entries,
      skipped,
      bytes
    }
    return { plan, checks }
  })

// --- journal -----------------------------------------------------------------

export type Step =
  | "copying" | "copied" | "verified" | "changed" | "failed" | "removed" | "kept"
  | "r-copying" | "r-restored" | "r-removed" | "r-kept" | "r-failed"

export type Record =
  | { readonly s: "begin" | "dirs" | "revert" | "resume" }
  | { readonly s: "finished" | "reverted"; readonly complete: boolean }
  | { readonly s: Step; readonly f: number; readonly tmp?: string | undefined; readonly h?: string | undefined; readonly c?: string | undefined; readonly m?: string | undefined; readonly z?: number | undefined; readonly why?: string | undefined }

export interface EntryState {
  step: Step | undefined
  tmp?: string | undefined
  /** SHA-256 of the copy (verified), or of the source as read at copy time (copied). */
  hash?: string | undefined
  sourceCtime?: string | undefined
  sourceMtime?: string | undefined
  sourceSize?: number | undefined
  why?: string | undefined
  /** Forward step before revert started, kept for the revert's decisions. */
  forward?: Step | undefined
}

export interface JournalState {
  readonly entries: Array<EntryState>
  dirsDone: boolean
  finished: { complete: boolean } | undefined
  reverting: boolean
  reverted: { complete: boolean } | undefined
  /** Records read: each is one journal step. */
  records: number
}

export const foldJournal = (entryCount: number, text: string): JournalState => {
  const state: JournalState = {
    entries: Array.from({ length: entryCount }, () => ({ step: undefined })),
    dirsDone: false,
    finished: undefined,
    reverting: false,
    reverted: undefined,
    records: 0
  }
  for (const line of text.split("\n")) {
    if (line === "") continue
    let record: Record
    try {
      record = JSON.parse(line) as Record
    } catch {
      continue // the torn end of a crash
    }
    state.records++
    apply(state, record)
  }
  return state
}

const apply = (state: JournalState, record: Record) => {
  switch (record.s) {
    case "begin":
      return
    case "dirs":
      state.dirsDone = true
      return
    case "resume":
      state.finished = undefined
      state.reverted = undefined
      // Failed entries are tried again (their leftovers cleaned first, as after a crash); only a resume does that.
      for (const entry of state.entries) {
        if (entry.step === "failed") entry.step = "copying"
        if (entry.step === "r-failed") entry.step = entry.forward
      }
      return
    case "revert":
      state.reverting = true
      state.reverted = undefined
      for (const entry of state.entries) entry.forward ??= entry.step
      return
    case "finished":
      state.finished = { complete: record.complete }
      return
    case "reverted":
      state.reverted = { complete: record.complete }
      return
    default: {
      const entry = state.entries[record.f]
      if (entry === undefined) return
      entry.step = record.s
      if (record.tmp !== undefined) entry.tmp = record.tmp
      if (record.h !== undefined) entry.hash = record.h
      if (record.c !== undefined) entry.sourceCtime = record.c
      if (record.m !== undefined) entry.sourceMtime = record.m
      if (record.z !== undefined) entry.sourceSize = record.z
      entry.why = record.why
    }
  }
}

export interface Journal {
  readonly state: JournalState
  /** Appends `records` in one fdatasync'd write and folds them into the state. */
  readonly append: (records: ReadonlyArray<Record>) => Effect.Effect<void, FileError>
}

/** Hooks for the fault tests: called before and after each append, numbered from 1. */
export interface EngineHooks {
  readonly point?: (n: number) => void
}

export const planFile = (dir: string, id: string) => path.join(dir, `${id}.plan.json`)
export const journalFile = (dir: string, id: string) => path.join(dir, `${id}.journal`)

/** The journal of `plan`, open for appending until the scope closes. */
export const openJournal = (files: FilesShape, dir: string, plan: Plan, hooks: EngineHooks = {}) =>
  Effect.gen(function*() {
    const file = journalFile(dir, plan.id)
    const text = yield* files.readFile(file).pipe(
      Effect.map((bytes) => new TextDecoder().decode(bytes)),
      Effect.catchIf((e) => e.reason === "NotFound", () => Effect.succeed(""))
    )
    const state = foldJournal(plan.entries.length, text)
    const appender = yield* files.openAppend(file, { mode: 0o600 })
    // A torn last line (a crash mid-append) is cut off, so the next record starts clean.
    const clean = text.lastIndexOf("\n") + 1
    if (clean < appender.size) yield* appender.truncate(clean)
    let points = 0
    const point = () => hooks.point?.(++points)
    const journal: Journal = {
      state,
      append: (records) =>
        records.length === 0 ? Effect.void : Effect.gen(function*() {
          point()
          yield* appender.append(new TextEncoder().encode(records.map((r) => `${JSON.stringify(r)}\n`).join("")))
          for (const r of records) apply(state, r)
          state.records += records.length
          point()
        })
    }
    return journal
  })

// --- running -----------------------------------------------------------------

const BATCH_FILES = 64
const BATCH_BYTES = 64 * 1024 * 1024

export interface RunOptions {
  /** Stop between batches after this time (ms since the epoch); the journal says where to go on. */
  readonly deadline?: number
  readonly now?: () => number
  readonly onBytes?: (done: number, total: number) => void
  /** Files per batch (default 64): each batch's steps share one journal append per step. */
  readonly batchFiles?: number
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** The unique part of a temporary name: the migration and the entry, so a resume knows its own. */
const uniqueFor = (id: string, index: number, revert: boolean) =>
  (Array.from(`${id}:${index}:${revert ? "r" : "f"}`).reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7).toString(16).padStart(8, "0") + index.toString(16).padStart(4, "0")).slice(-12)

const FORWARD_DONE: ReadonlySet<Step | undefined> = new Set(["verified", "changed", "removed", "kept"])
/** A move's verified entry still has its source to remove. */
const MOVE_DONE: ReadonlySet<Step | undefined> = new Set(["changed", "removed", "kept"])

/**
 * Runs the forward part of `plan` from where its journal stands. Returns
 * true when finished (the `finished` record is written), false when it
 * stopped at the deadline.
 */
export const runForward = (access: TreeAccess, journal: Journal, plan: Plan, options: RunOptions = {}): Effect.Effect<boolean, FileError> =>
  Effect.gen(function*() {
    const now = options.now ?? Date.now
    const state = journal.state
    const src = (e: PlanEntry) => under(plan.source, e.p)
    const dst = (e: PlanEntry) => under(plan.destination, e.p)
    let bytesDone = plan.entries.reduce((sum, e, i) => sum + (state.entries[i]!.step !== undefined && state.entries[i]!.step !== "copying" && state.entries[i]!.step !== "failed" ? e.size : 0), 0)
    const report = () => options.onBytes?.(bytesDone, plan.bytes)

    // Directories first, parents before children: intent, mkdir, then the record.
    const dirs = plan.entries.map((e, i) => [e, i] as const).filter(([e, i]) => e.t === "directory" && (state.entries[i]!.step === undefined || state.entries[i]!.step === "copying"))
    if (dirs.length > 0) {
      yield* journal.append(dirs.filter(([, i]) => state.entries[i]!.step !== "copying").map(([, i]) => ({ s: "copying" as const, f: i })))
      const made: Array<Record> = []
      for (const [e, i] of dirs) {
        const made1 = yield* Effect.result(access.makeDirectory(dst(e)))
        if (made1._tag === "Failure") {
          const there = yield* access.lstat(dst(e))
          // A directory already there after our intent is ours from before the crash.
          if (made1.failure.reason !== "Exists" || there?.type !== "directory") {
            made.push({ s: "failed", f: i, why: made1.failure.message })
            continue
          }
        }
        made.push({ s: "copied", f: i })
      }
      for (const dir of new Set(dirs.map(([e]) => path.dirname(dst(e))))) yield* Effect.ignore(access.syncDirectory(dir))
      yield* journal.append(made)
    }

    // Files and symbolic links in batches.
    const finalSteps = plan.mode === "move" ? MOVE_DONE : FORWARD_DONE
    const pending = () => plan.entries.map((e, i) => [e, i] as const).filter(([e, i]) => e.t !== "directory" && !finalSteps.has(state.entries[i]!.step))
    let stoppedForSpace = false
    while (true) {
      const todo = pending().filter(([, i]) => state.entries[i]!.step !== "failed")
      if (todo.length === 0) break
      if (options.deadline !== undefined && now() > options.deadline) return false
      const batch: Array<readonly [PlanEntry, number]> = []
      let batchBytes = 0
      for (const item of todo) {
        if (batch.length >= (options.batchFiles ?? BATCH_FILES) || (batch.length > 0 && batchBytes + item[0].size > BATCH_BYTES)) break
        batch.push(item)
        batchBytes += item[0].size
      }
      // 1. Leftovers of a crash: temporary files removed; a destination already in place is ours if it matches.
      const copiedRecords: Array<Record> = []
      const fresh: Array<readonly [PlanEntry, number]> = []
      for (const [e, i] of batch) {
        const entry = state.entries[i]!
        if (entry.step === "copied" || entry.step === "verified") continue
        if (entry.step === "copying" || entry.step === "failed") {
          if (entry.tmp !== undefined) yield* Effect.ignore(access.remove(entry.tmp))
          const there = yield* access.lstat(dst(e))
          if (there !== undefined) {
            const adopted = yield* adopt(access, e, src(e), dst(e), there)
            copiedRecords.push(adopted === undefined
              ? { s: "failed", f: i, why: `${dst(e)} appeared meanwhile and is not this migration's copy; both are left as they are` }
              : { s: "copied", f: i, h: adopted.h, c: adopted.c, m: adopted.m, z: adopted.z })
            continue
          }
        }
        fresh.push([e, i])
      }
      // 2. Intent, then the copies.
      yield* journal.append(fresh.map(([e, i]) => ({ s: "copying" as const, f: i, ...(e.t === "file" ? { tmp: temporaryName(dst(e), 0, uniqueFor(plan.id, i, false)) } : {}) })))
      const copied = yield* Effect.forEach(fresh, ([e, i]) =>
        Effect.gen(function*() {
          if (e.t === "symlink") {
            const made = yield* Effect.result(Effect.andThen(access.symlink(e.link!, dst(e)), access.setMetadata(dst(e), metaOf(e), [], true)))
            if (made._tag === "Failure") return { s: "failed", f: i, why: made.failure.message } as Record
            const source = yield* Effect.result(access.lstat(src(e)))
            return { s: "copied", f: i, c: source._tag === "Success" ? source.success?.ctimeNs ?? "" : "" } as Record
          }
          const tmp = state.entries[i]!.tmp!
          let last = 0
          const result = yield* Effect.result(
            access.copy({ from: src(e), temporary: tmp, meta: metaOf(e), xattrs: e.x as ReadonlyArray<Xattr> }, (n) => {
              bytesDone += n - last
              last = n
              report()
            }).pipe(Effect.tap(() => access.publish(tmp, dst(e), false)))
          )
          if (result._tag === "Failure") {
            bytesDone -= last
            yield* Effect.ignore(access.remove(tmp))
            if (result.failure.reason === "NoSpace") stoppedForSpace = true
            return { s: "failed", f: i, why: result.failure.message } as Record
          }
          const c = result.success
          // Changed while it was read: the copy is not what the source now is.
          if (c.before.ctimeNs !== c.after.ctimeNs || c.before.size !== c.after.size || c.bytes !== c.after.size) {
            return { s: "copied", f: i, h: c.sha256, c: "changed-during-copy", m: c.before.mtimeNs, z: c.before.size } as Record
          }
          return { s: "copied", f: i, h: c.sha256, c: c.before.ctimeNs, m: c.before.mtimeNs, z: c.before.size } as Record
        }), { concurrency: 4 })
      // The new names are durable once their directories are: each synced once for the batch, before the records say `copied`.
      yield* Effect.forEach(new Set(fresh.map(([e]) => path.dirname(dst(e)))), (dir) => access.syncDirectory(dir), { concurrency: 4, discard: true })
      copiedRecords.push(...copied)
      yield* journal.append(copiedRecords)

      // 3. Verify: the copy's hash against the source's as read, and the source unchanged since.
      const verifyRecords = yield* Effect.forEach(
        batch.filter(([, i]) => state.entries[i]!.step === "copied"),
        ([e, i]) => verify(access, e, i, state.entries[i]!, src(e), dst(e)),
        { concurrency: 4 }
      )
      yield* journal.append(verifyRecords)

      // 4. Move: only now the verified sources go.
      if (plan.mode === "move") {
        const removeRecords: Array<Record> = []
        const dirsTouched = new Set<string>()
        for (const [e, i] of batch) {
          const entry = state.entries[i]!
          if (entry.step !== "verified") continue
          // Once more just before the unlink (after a crash the daemon may have been down a while): the source is what was verified.
          const now = yield* Effect.result(access.lstat(src(e)))
          if (now._tag === "Success" && now.success !== undefined && now.success.ctimeNs !== (e.t === "symlink" ? e.ctimeNs : entry.sourceCtime)) {
            removeRecords.push({ s: "changed", f: i, why: "the source was written to after it was verified: it is kept, and the copy holds its content as it was read" })
            continue
          }
          const removed = yield* Effect.result(access.remove(src(e)))
          dirsTouched.add(path.dirname(src(e)))
          removeRecords.push(removed._tag === "Success" ? { s: "removed", f: i } : { s: "kept", f: i, why: `the source could not be removed: ${removed.failure.message}` })
        }
        for (const dir of dirsTouched) yield* Effect.ignore(access.syncDirectory(dir))
        yield* journal.append(removeRecords)
      }
      if (stoppedForSpace) break
    }

    // Directories' own metadata, deepest first (their contents changed their times).
    if (!state.dirsDone || state.finished === undefined) {
      const dirEntries = plan.entries.map((e, i) => [e, i] as const).filter(([e, i]) => e.t === "directory" && state.entries[i]!.step === "copied")
      for (const [e] of [...dirEntries].reverse()) yield* Effect.ignore(access.setMetadata(dst(e), metaOf(e), e.x as ReadonlyArray<Xattr>, false))
      if (dirEntries.length > 0) yield* Effect.ignore(access.syncDirectory(path.dirname(plan.destination)))
      yield* journal.append([{ s: "dirs" }])
    }

    // Move: source directories whose every entry went, deepest first.
    if (plan.mode === "move") {
      const gone = new Set(plan.entries.filter((_, i) => state.entries[i]!.step === "removed").map((e) => e.p))
      const records: Array<Record> = []
      const dirEntries = plan.entries.map((e, i) => [e, i] as const).filter(([e, i]) => e.t === "directory" && state.entries[i]!.step === "copied")
      const skippedDirs = new Set(plan.skipped.map((s) => path.dirname(s.path)))
      for (const [e, i] of [...dirEntries].reverse()) {
        const children = plan.entries.filter((c) => c.p !== e.p && path.dirname(c.p === "" ? "." : c.p) === (e.p === "" ? "." : e.p))
        if (children.some((c) => !gone.has(c.p)) || [...skippedDirs].some((d) => d === src(e))) {
          records.push({ s: "kept", f: i, why: "not every entry in it was moved" })
          continue
        }
        const removed = yield* Effect.result(access.remove(src(e)))
        if (removed._tag === "Success") {
          gone.add(e.p)
          yield* Effect.ignore(access.syncDirectory(path.dirname(src(e))))
          records.push({ s: "removed", f: i })
        } else records.push({ s: "kept", f: i, why: `the source directory could not be removed: ${removed.failure.message}` })
      }
      yield* journal.append(records)
    } else {
      yield* journal.append(plan.entries.flatMap((e, i) => (e.t === "directory" && state.entries[i]!.step === "copied" ? [{ s: "verified" as const, f: i }] : [])))
    }
    const complete = state.entries.every((s, i) => (plan.mode === "move" ? s.step === "removed" : s.step === "verified") || plan.entries[i] === undefined) && plan.skipped.length === 0
    yield* journal.append([{ s: "finished", complete }])
    return true
  })

/** What a destination found in place after a crash is: this migration's copy (same content as the source), or not. */
const adopt = (access: TreeAccess, e: PlanEntry, source: string, destination: string, there: EntryInfo) =>
  Effect.gen(function*() {
    if (e.t === "symlink") {
      if (there.type !== "symlink" || (yield* access.readLink(destination)) !== e.link) return undefined
      return { c: there.ctimeNs }
    }
    if (there.type !== "file") return undefined
    const [a, b] = yield* Effect.all([access.hash(source), access.hash(destination)])
    if (a.sha256 !== b.sha256) return undefined
    // The metadata step may not have run before the crash: put it right.
    return { h: a.sha256, c: a.info.ctimeNs, m: a.info.mtimeNs, z: a.info.size }
  }).pipe(Effect.catch(() => Effect.succeed(undefined)))

const verify = (access: TreeAccess, e: PlanEntry, i: number, entry: EntryState, source: string, destination: string): Effect.Effect<Record> =>
  Effect.gen(function*() {
    if (e.t === "symlink") {
      const target = yield* access.readLink(destination)
      const now = yield* access.lstat(source)
      if (target !== e.link) return { s: "failed", f: i, why: "the copied link points elsewhere" } as Record
      if (now === undefined || now.ctimeNs !== e.ctimeNs) return { s: "changed", f: i, why: "the source link changed during the migration; it is kept" } as Record
      return { s: "verified", f: i } as Record
    }
    const copy = yield* access.hash(destination)
    const now = yield* access.lstat(source)
    if (copy.sha256 !== entry.hash) return { s: "failed", f: i, why: `the copy's SHA-256 ${copy.sha256} differs from the source's as read (${entry.hash}); it is kept for inspection` } as Record
    if (now === undefined || entry.sourceCtime === "changed-during-copy" || entry.sourceCtime !== e.ctimeNs || now.ctimeNs !== entry.sourceCtime || now.size !== entry.sourceSize || now.mtimeNs !== entry.sourceMtime) {
      return { s: "changed", f: i, h: copy.sha256, why: "the source was written to during the migration: it is kept, and the copy holds its content as it was read" } as Record
    }
    return { s: "verified", f: i, h: copy.sha256 } as Record
  }).pipe(Effect.catch((error) => Effect.succeed<Record>({ s: "failed", f: i, why: `verification failed: ${describe(error)}` })))

/**
 * Reverts `plan` from where its journal stands: every source a move removed
 * is copied back (verified against the journalled hash before the
 * destination's copy goes), every copy this migration made is removed if it
 * is still what it made, and directories are put back with their metadata.
 */
export const runRevert = (access: TreeAccess, journal: Journal, plan: Plan): Effect.Effect<boolean, FileError> =>
  Effect.gen(function*() {
    const state = journal.state
    if (!state.reverting) yield* journal.append([{ s: "revert" }])
    const src = (e: PlanEntry) => under(plan.source, e.p)
    const dst = (e: PlanEntry) => under(plan.destination, e.p)
    const done = (i: number) => ["r-removed", "r-kept"].includes(state.entries[i]!.step ?? "")
    // Source directories a move removed come back first, parents first.
    for (const [e, i] of plan.entries.map((e, i) => [e, i] as const)) {
      if (e.t !== "directory" || done(i)) continue
      if ((yield* access.lstat(src(e))) === undefined) yield* access.makeDirectory(src(e))
    }
    for (const [e, i] of plan.entries.map((e, i) => [e, i] as const)) {
      if (e.t === "directory" || done(i)) continue
      const entry = state.entries[i]!
      const sourceThere = yield* access.lstat(src(e))
      if (sourceThere === undefined) {
        // The only copy is the destination's: bring it back, verified, before it goes.
        if (entry.step !== "r-restored") {
          const there = yield* access.lstat(dst(e))
          if (there === undefined) {
            yield* journal.append([{ s: "r-failed", f: i, why: `neither ${src(e)} nor ${dst(e)} exists` }])
            continue
          }
          if (entry.tmp !== undefined && entry.step === "r-copying") yield* Effect.ignore(access.remove(entry.tmp))
          if (e.t === "symlink") {
            yield* journal.append([{ s: "r-copying", f: i }])
            yield* access.symlink(e.link!, src(e))
            yield* access.setMetadata(src(e), metaOf(e), [], true)
          } else {
            const tmp = temporaryName(src(e), 0, uniqueFor(plan.id, i, true))
            yield* journal.append([{ s: "r-copying", f: i, tmp }])
            const copied = yield* access.copy({ from: dst(e), temporary: tmp, meta: metaOf(e), xattrs: e.x as ReadonlyArray<Xattr> })
            if (entry.hash !== undefined && copied.sha256 !== entry.hash) {
              yield* Effect.ignore(access.remove(tmp))
              yield* journal.append([{ s: "r-kept", f: i, why: `${dst(e)} changed since the migration (SHA-256 ${copied.sha256}); it is left where it is` }])
              continue
            }
            yield* access.publish(tmp, src(e))
          }
          yield* journal.append([{ s: "r-restored", f: i }])
        }
        if (e.t === "file") {
          const back = yield* access.hash(src(e))
          if (entry.hash !== undefined && back.sha256 !== entry.hash) {
            yield* journal.append([{ s: "r-kept", f: i, why: "the restored file does not match the journalled hash; the destination's copy is kept" }])
            continue
          }
        }
        yield* access.remove(dst(e))
        yield* access.syncDirectory(path.dirname(dst(e)))
        yield* journal.append([{ s: "r-removed", f: i }])
        continue
      }
      // The source is there: remove the destination's copy if it is still the one this migration made.
      const there = yield* access.lstat(dst(e))
      if (there === undefined || entry.forward === undefined || entry.forward === "failed") {
        if (entry.tmp !== undefined) yield* Effect.ignore(access.remove(entry.tmp))
        if (there !== undefined && entry.forward !== "copying") {
          yield* journal.append([{ s: "r-kept", f: i, why: `${dst(e)} is not this migration's copy; it is left` }])
          continue
        }
        if (there === undefined) {
          yield* journal.append([{ s: "r-removed", f: i }])
          continue
        }
      }
      const ours = e.t === "symlink"
        ? there!.type === "symlink" && (yield* access.readLink(dst(e))) === e.link
        : there!.type === "file" && (entry.hash !== undefined
          ? (yield* access.hash(dst(e))).sha256 === entry.hash
          : (yield* access.hash(dst(e))).sha256 === (yield* access.hash(src(e))).sha256)
      if (!ours) {
        yield* journal.append([{ s: "r-kept", f: i, why: `${dst(e)} changed since the migration; it is left` }])
        continue
      }
      yield* access.remove(dst(e))
      yield* journal.append([{ s: "r-removed", f: i }])
    }
    // Destination directories go (deepest first, only empty ones); source directories get their metadata back.
    const dirs = plan.entries.map((e, i) => [e, i] as const).filter(([e]) => e.t === "directory").reverse()
    const records: Array<Record> = []
    for (const [e, i] of dirs) {
      if (done(i)) continue
      const removed = yield* Effect.result(access.remove(dst(e)))
      records.push(removed._tag === "Success" ? { s: "r-removed", f: i } : { s: "r-kept", f: i, why: `${dst(e)} is not empty: ${removed.failure.message}` })
    }
    yield* Effect.ignore(access.syncDirectory(path.dirname(plan.destination)))
    if (plan.mode === "move") {
      for (const [e] of dirs) yield* Effect.ignore(access.setMetadata(src(e), metaOf(e), e.x as ReadonlyArray<Xattr>, false))
    }
    yield* journal.append(records)
    const complete = state.entries.every((s) => s.step === "r-removed")
    yield* journal.append([{ s: "reverted", complete }])
    return true
  })

/** A fresh migration id: `m` and 12 hex digits from the time and chance. */
export const newId = (nowMs: number, random: number) =>
  `m${Math.floor(nowMs / 1000).toString(16).slice(-8)}${Math.floor(random * 0xffff).toString(16).padStart(4, "0")}`

export const missing = (file: string) => new FileError({ reason: "NotFound", operation: "read", path: file })
