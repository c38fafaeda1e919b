/** MORPH's engine driven directly, and trees described for comparison (hashes, modes, times, xattrs), for the fault matrix and the bench. */
import { execFileSync, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { type EngineHooks, openJournal, type Plan, planFile, planMigration, runForward, runRevert, type RunOptions } from "../../src/actors/morph/engine.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as MigrationFilesTest from "../../src/adapters/migration/MigrationFilesTest.ts"
import { DAEMON } from "../../src/runtime/Caller.ts"

export const accessFor = (root: string) =>
  MigrationFilesTest.make({ journalDir: "/nonexistent", roots: [root], forbidden: [] }).forCaller(DAEMON)

/** Plans `source` → `destination`, writes the plan and its `begin` record. */
export const begin = (journalDir: string, root: string, id: string, mode: "copy" | "move", source: string, destination: string) =>
  Effect.scoped(Effect.gen(function*() {
    const files = FilesLive.make()
    const access = yield* accessFor(root)
    const { plan, checks } = yield* planMigration(access, { id, mode, source, destination, caller: DAEMON, now: new Date().toISOString() })
    yield* files.makeDirectory(journalDir, { recursive: true })
    yield* files.writeAtomic(planFile(journalDir, id), new TextEncoder().encode(JSON.stringify(plan)))
    const journal = yield* openJournal(files, journalDir, plan)
    yield* journal.append([{ s: "begin" }])
    return { plan, checks }
  }))

export const readPlan = (journalDir: string, id: string): Plan => JSON.parse(fs.readFileSync(planFile(journalDir, id), "utf8")) as Plan

/** Runs the forward part to its end (resuming from the journal). */
export const forward = (journalDir: string, root: string, plan: Plan, options: RunOptions = {}, hooks: EngineHooks = {}) =>
  Effect.scoped(Effect.gen(function*() {
    const access = yield* accessFor(root)
    const journal = yield* openJournal(FilesLive.make(), journalDir, plan, hooks)
    while (!(yield* runForward(access, journal, plan, options)));
    return journal.state
  }))

export const revert = (journalDir: string, root: string, plan: Plan, hooks: EngineHooks = {}) =>
  Effect.scoped(Effect.gen(function*() {
    const access = yield* accessFor(root)
    const journal = yield* openJournal(FilesLive.make(), journalDir, plan, hooks)
    yield* runRevert(access, journal, plan)
    return journal.state
  }))

export interface Described {
  readonly type: string
  readonly mode: number
  readonly mtimeNs: string
  readonly sha256?: string
  readonly link?: string
  readonly xattrs: string
  readonly uid: number
  readonly gid: number
}

const sha = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex")

/** Every entry under `root` (relative path → what it is), the root itself as "". */
export const describeTree = (root: string): Map<string, Described> => {
  const out = new Map<string, Described>()
  const xattrText = spawnSync("getfattr", ["--absolute-names", "--dump", "-R", "--physical", "--no-dereference", "--match=^user\\.", "--encoding=hex", root], { encoding: "utf8" }).stdout
  const xattrs = new Map<string, string>()
  let current = ""
  for (const line of xattrText.split("\n")) {
    if (line.startsWith("# file: ")) current = line.slice(8)
    else if (line.includes("=")) xattrs.set(current, `${xattrs.get(current) ?? ""}${line};`)
  }
  const visit = (rel: string) => {
    const full = rel === "" ? root : path.join(root, rel)
    const st = fs.lstatSync(full, { bigint: true })
    const type = st.isFile() ? "file" : st.isDirectory() ? "directory" : st.isSymbolicLink() ? "symlink" : "other"
    out.set(rel, {
      type,
      mode: Number(st.mode & 0o7777n),
      mtimeNs: String(st.mtimeNs),
      uid: Number(st.uid),
      gid: Number(st.gid),
      xattrs: xattrs.get(full) ?? "",
      ...(type === "file" ? { sha256: sha(full) } : {}),
      ...(type === "symlink" ? { link: fs.readlinkSync(full) } : {})
    })
    if (type === "directory") for (const name of fs.readdirSync(full).sort()) visit(rel === "" ? name : `${rel}/${name}`)
  }
  visit("")
  return out
}

/** A small mixed tree: nested directories, empty and larger files, odd modes, a symbolic link, user xattrs and fixed times. */
export const makeTree = (root: string, options: { readonly files?: number; readonly seed?: number } = {}) => {
  const n = options.files ?? 8
  fs.mkdirSync(path.join(root, "a", "b"), { recursive: true })
  fs.mkdirSync(path.join(root, "empty"))
  for (let i = 0; i < n; i++) {
    const dir = i % 3 === 0 ? root : i % 3 === 1 ? path.join(root, "a") : path.join(root, "a", "b")
    const file = path.join(dir, `f${i}.bin`)
    const size = i === 0 ? 0 : (i * 7919 * (options.seed ?? 1)) % 300_000
    const bytes = Buffer.alloc(size)
    for (let j = 0; j < size; j++) bytes[j] = (j * 31 + i) & 0xff
    fs.writeFileSync(file, bytes)
    fs.chmodSync(file, i % 2 === 0 ? 0o640 : 0o604)
    if (i % 2 === 1) execFileSync("setfattr", ["-n", "user.tag", "-v", `file-${i}`, file])
    fs.utimesSync(file, 1_600_000_000 + i, 1_600_000_000 + i)
  }
  fs.symlinkSync("f1.bin", path.join(root, "a", "link"))
  execFileSync("setfattr", ["-n", "user.dir", "-v", "yes", path.join(root, "a")])
  fs.chmodSync(path.join(root, "a", "b"), 0o750)
  for (const dir of [path.join(root, "a", "b"), path.join(root, "a"), path.join(root, "empty"), root]) fs.utimesSync(dir, 1_500_000_000, 1_500_000_000)
}

/** Differences between two descriptions, in words (empty when identical). */
export const differences = (a: Map<string, Described>, b: Map<string, Described>): Array<string> => {
  const out: Array<string> = []
  for (const [rel, da] of a) {
    const db = b.get(rel)
    if (db === undefined) out.push(`${rel || "."}: missing`)
    else {
      // Times travel through utimes(2) as a double of seconds, which libuv cuts to the microsecond: kept to within 2 µs.
      const close = Math.abs(Number(BigInt(da.mtimeNs) - BigInt(db.mtimeNs))) <= 2000
      if (!close || JSON.stringify({ ...da, mtimeNs: "" }) !== JSON.stringify({ ...db, mtimeNs: "" })) out.push(`${rel || "."}: ${JSON.stringify(da)} ≠ ${JSON.stringify(db)}`)
    }
  }
  for (const rel of b.keys()) if (!a.has(rel)) out.push(`${rel || "."}: extra`)
  return out
}
