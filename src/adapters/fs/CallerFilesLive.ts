/**
 * CallerFiles on the local filesystem: each job gets a file helper (the
 * daemon's own binary as `__open-as`, openAs.ts) running as the caller,
 * started on the job's first file operation and stopped with the job. The
 * helper opens inputs and creates outputs with the caller's rights; the
 * daemon reopens each descriptor through /proc/PID/fd/N (which needs
 * CAP_SYS_PTRACE, as the helper runs as another user) and checks it is the
 * same file, then reads and writes through it. Names change only through
 * the helper: an output is put in place by the helper, as the caller.
 *
 * With a journal (TemporaryJournal.ts), each temporary output is recorded
 * before its first byte and struck off when it is put in place or removed;
 * `sweepJournal` removes, at the daemon's start, what a crash left recorded,
 * through a helper running as the job's caller. A temporary file whose
 * helper died before removing it (killed, timed out) is swept at once the
 * same way.
 */
import { spawn } from "node:child_process"
import { constants } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { createInterface } from "node:readline"
import { Effect, Exit, Layer, Result, type Scope } from "effect"
import type { Caller } from "../../runtime/Caller.ts"
import {
  CallerFiles,
  type CallerFilesShape,
  type CallerHasher,
  type HashedFile,
  type Confinement,
  confinementProblem,
  isWithin,
  mayList,
  outsideRoots,
  refusingRest,
  type ScratchFile,
  tooLarge
} from "./CallerFiles.ts"
import {
  type AtomicOptions,
  type AtomicOutput,
  type CommitOptions,
  FileError,
  fileErrorFrom,
  type FileReader,
  type FilesShape,
  type WalkVisitor,
  writeAtomicVia
} from "./Files.ts"
import { make as makeFiles, writeAll } from "./FilesLive.ts"
import type { HashedReply, HelperReply, HelperRequest, Opened } from "./openAs.ts"
import type { JournalEntry, TemporaryJournal } from "./TemporaryJournal.ts"

export interface CallerFilesLiveOptions {
  /** The helper's command line before its arguments: the daemon's binary and `__open-as`. */
  readonly helper: ReadonlyArray<string>
  /** The roots and the places never used, read at each job (datasets are mounted and unmounted). */
  readonly confinement: Effect.Effect<Confinement>
  /** Largest input, and largest output, of one job. */
  readonly maxBytes: number
  /** Where temporary outputs are recorded while they exist, so a crash's leftovers can be swept; none in tests. */
  readonly journal?: TemporaryJournal
}

/** How long a helper may take to start, or to answer one request. */
const HELPER_TIMEOUT_MS = 10_000
/** A hash batch's time allowance grows by 1 ms per this many bytes (20 MB/s, a slow disk's pace). */
const HASH_TIMEOUT_BYTES_PER_MS = 20_000

interface Helper {
  readonly pid: number
  /** Why the helper is no longer there (it exited, was killed, stopped answering); undefined while it runs. */
  readonly stopped: () => Error | undefined
  /** One request, answered within `timeoutMs` (default HELPER_TIMEOUT_MS) or the helper is killed. */
  readonly request: (request: HelperRequest, timeoutMs?: number) => Promise<HelperReply>
  readonly close: () => Promise<void>
}

class HelperFailed extends Error {}

/** Whom a helper runs as. */
type Identity = Pick<Caller, "uid" | "gid" | "groups" | "umask">

const startHelper = (command: ReadonlyArray<string>, caller: Identity): Promise<Helper> =>
  new Promise((resolve, reject) => {
    const umask = (caller.umask ?? 0o022).toString(8)
    const groups = caller.groups.length === 0 ? "-" : caller.groups.join(",")
    const child = spawn(command[0]!, [...command.slice(1), String(caller.uid), String(caller.gid), groups, umask], {
      shell: false,
      stdio: ["pipe", "pipe", "pipe"],
      env: { PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" }
    })
    let stderr = ""
    child.stderr!.setEncoding("utf8").on("data", (text: string) => {
      if (stderr.length < 4096) stderr += text
    })
    const waiting: Array<{ resolve: (reply: HelperReply) => void; reject: (error: Error) => void }> = []
    let ended: Error | undefined
    const fail = (error: Error) => {
      ended ??= error
      for (const w of waiting.splice(0)) w.reject(ended)
    }
    child.on("error", (error) => fail(new HelperFailed(`cannot start the file helper: ${error.message}`)))
    child.on("exit", (code, signal) =>
      fail(new HelperFailed(`the file helper stopped (${signal ?? `exit status ${code}`})${stderr === "" ? "" : `: ${stderr.trim()}`}`)))
    child.stdin!.on("error", () => {})
    createInterface({ input: child.stdout!, crlfDelay: Infinity }).on("line", (line) => {
      const next = waiting.shift()
      if (next === undefined) return
      try {
        next.resolve(JSON.parse(line) as HelperReply)
      } catch {
        next.reject(new HelperFailed(`the file helper said something unreadable: ${line.slice(0, 200)}`))
      }
    })
    const reply = (timeoutMs = HELPER_TIMEOUT_MS) =>
      new Promise<HelperReply>((res, rej) => {
        if (ended !== undefined) return rej(ended)
        const timer = setTimeout(() => {
          child.kill("SIGKILL")
          fail(new HelperFailed(`the file helper did not answer within ${timeoutMs} ms`))
        }, timeoutMs)
        waiting.push({
          resolve: (r) => (clearTimeout(timer), res(r)),
          reject: (e) => (clearTimeout(timer), rej(e))
        })
      })
    // One request at a time: replies come back in order.
    let queue: Promise<unknown> = Promise.resolve()
    const helper: Helper = {
      pid: child.pid ?? -1,
      stopped: () => ended,
      request: (request, timeoutMs) => {
        const answer = queue.then(() => {
          const pending = reply(timeoutMs)
          child.stdin!.write(`${JSON.stringify(request)}\n`)
          return pending
        })
        queue = answer.catch(() => {})
        return answer
      },
      close: () =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done()
          const timer = setTimeout(() => child.kill("SIGKILL"), HELPER_TIMEOUT_MS)
          child.once("exit", () => (clearTimeout(timer), done()))
          // The helper removes what it did not publish, then exits.
          child.stdin!.end()
        })
    }
    reply().then(
      (first) => (first.ok ? resolve(helper) : (child.kill("SIGKILL"), reject(new HelperFailed(first.message)))),
      reject
    )
  })

const helperError = (operation: string, file: string, cause: unknown): FileError =>
  cause instanceof HelperFailed
    ? new FileError({ reason: "Other", operation, path: file, detail: cause.message })
    : fileErrorFrom(operation, file, cause)

/** An output as the helper made it: its temporary name, and the helper's descriptor of it. */
interface TemporaryOutput extends AtomicOutput {
  readonly temporary: string
  readonly descriptor: string
}

/** A refusal from the helper as the FileError of `operation` on `file`. */
const refusal = (operation: string, file: string, reply: Extract<HelperReply, { ok: false }>): FileError =>
  fileErrorFrom(operation, file, Object.assign(new Error(reply.message), { code: reply.code }))

/** A helper's refusal of one file in a batch, as the FileError of opening it. */
const refusal_ = (file: string, reply: Extract<HashedReply, { ok: false }>): FileError =>
  fileErrorFrom("open", file, Object.assign(new Error(reply.message), { code: reply.code }))

const sameFile = (operation: string, file: string, opened: Opened, device: bigint, inode: bigint) =>
  String(device) === opened.device && String(inode) === opened.inode
    ? Effect.void
    : Effect.fail(new FileError({ reason: "Other", operation, path: file, detail: "the file changed while it was being opened" }))

/** Errors of the reopened descriptor name the caller's path, not /proc's. */
const named = (file: string) => (error: FileError) => new FileError({ ...error, path: file })

/** What became of a journalled temporary file at a sweep; "failed" ones stay journalled for the next sweep. */
export interface SweepOutcome {
  readonly entry: JournalEntry
  readonly result: "removed" | "gone" | "refused" | "failed"
  /** Why it was refused (it is not the file the job made, a symbolic link on its path, …) or failed. */
  readonly detail?: string
}

const reasonOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/**
 * Removes the temporary files of `entries`, each by a helper running as the
 * caller who made it: the helper reaches the file without following any
 * symbolic link and removes it only if it is still the same file (device
 * and inode), so a path its owner changed meanwhile leads nowhere else.
 */
export const sweepTemporaries = (
  helperCommand: ReadonlyArray<string>,
  entries: ReadonlyArray<JournalEntry>
): Effect.Effect<ReadonlyArray<SweepOutcome>> =>
  Effect.promise(async () => {
    const byCaller = new Map<string, Array<JournalEntry>>()
    for (const entry of entries) {
      const key = `${entry.uid}:${entry.gid}:${entry.groups.join(",")}`
      byCaller.set(key, [...(byCaller.get(key) ?? []), entry])
    }
    const outcomes: Array<SweepOutcome> = []
    for (const group of byCaller.values()) {
      const { uid, gid, groups } = group[0]!
      const helper = await startHelper(helperCommand, { uid, gid, groups, umask: 0o077 }).catch((cause: unknown) => reasonOf(cause))
      if (typeof helper === "string") {
        outcomes.push(...group.map((entry) => ({ entry, result: "failed" as const, detail: helper })))
        continue
      }
      for (const entry of group) {
        const reply = await helper.request({ op: "sweep", path: entry.path, device: entry.device, inode: entry.inode }).catch((cause: unknown) => reasonOf(cause))
        outcomes.push(
          typeof reply === "string"
            ? { entry, result: "failed", detail: reply }
            : reply.ok
            ? { entry, result: reply.swept ?? "removed" }
            : { entry, result: "refused", detail: reply.message }
        )
      }
      await helper.close()
    }
    return outcomes
  })

/**
 * Sweeps what `journal` has open (at the daemon's start, before any job)
 * and strikes off every entry settled: removed, gone, or refused (it is not
 * the job's file any more, and never will be again). Entries whose helper
 * could not run stay for the next start.
 */
export const sweepJournal = (
  helperCommand: ReadonlyArray<string>,
  journal: TemporaryJournal
): Effect.Effect<ReadonlyArray<SweepOutcome>> =>
  Effect.gen(function*() {
    const outcomes = yield* sweepTemporaries(helperCommand, journal.open())
    for (const outcome of outcomes) {
      if (outcome.result !== "failed") yield* Effect.ignore(journal.strike(outcome.entry.path))
    }
    return outcomes
  })

export const make = (options: CallerFilesLiveOptions): CallerFilesShape => {
  const files = makeFiles()

  const forCaller = (caller: Caller): Effect.Effect<FilesShape, never, Scope.Scope> => Effect.map(session(caller), refusingRest)

  const scratch = (caller: Caller, directory: string, stem: string): Effect.Effect<ScratchFile, FileError, Scope.Scope> =>
    Effect.gen(function*() {
      const { openAtomic } = yield* session(caller)
      const output = yield* openAtomic(path.join(directory, stem), { mode: 0o600 })
      return { path: output.temporary, toolPath: output.descriptor }
    })

  /** One job's confined operations, with one helper running as `caller`. */
  const session = (caller: Caller) =>
    Effect.gen(function*() {
      let started: Promise<Helper> | undefined
      yield* Effect.addFinalizer(() =>
        started === undefined ? Effect.void : Effect.promise(() => started!.then((h) => h.close(), () => {}))
      )
      const helperFor = (operation: string, file: string) =>
        Effect.tryPromise({ try: () => (started ??= startHelper(options.helper, caller)), catch: (cause) => helperError(operation, file, cause) })

      const ask = (operation: string, file: string, request: HelperRequest) =>
        Effect.gen(function*() {
          const helper = yield* helperFor(operation, file)
          const reply = yield* Effect.tryPromise({ try: () => helper.request(request), catch: (cause) => helperError(operation, file, cause) })
          return reply.ok ? { helper, opened: reply.opened } : yield* Effect.fail(refusal(operation, file, reply))
        })

      /** The confinement, and the path as written checked against it before anything is looked at. */
      const confined = (operation: string, file: string) =>
        Effect.gen(function*() {
          const confinement = yield* options.confinement
          const problem = confinementProblem(file, confinement)
          return problem === undefined ? confinement : yield* Effect.fail(outsideRoots(operation, file, problem))
        })

      /** Where the helper's descriptor really is, checked against the confinement. */
      const checkLanding = (operation: string, file: string, helper: Helper, fd: number, confinement: Confinement) =>
        Effect.gen(function*() {
          const landed = yield* Effect.tryPromise({ try: () => fs.readlink(`/proc/${helper.pid}/fd/${fd}`), catch: (cause) => fileErrorFrom(operation, file, cause) })
          const problem = confinementProblem(landed, confinement)
          if (problem !== undefined) return yield* Effect.fail(outsideRoots(operation, file, `it leads to ${landed}, and ${problem}`))
          return landed
        })

      const openRead = (file: string): Effect.Effect<FileReader, FileError, Scope.Scope> =>
        Effect.gen(function*() {
          const confinement = yield* confined("open", file)
          const { helper, opened } = yield* ask("open", file, { op: "read", path: file })
          yield* checkLanding("open", file, helper, opened!.fd, confinement)
          const reader = yield* files.openRead(`/proc/${helper.pid}/fd/${opened!.fd}`).pipe(Effect.mapError(named(file)))
          yield* sameFile("open", file, opened!, reader.info.device, reader.info.inode)
          if (reader.info.size > options.maxBytes) return yield* Effect.fail(tooLarge("read", file, reader.info.size, options.maxBytes))
          return {
            path: file,
            info: reader.info,
            read: (buffer) => Effect.mapError(reader.read(buffer), named(file)),
            readAt: (buffer, position) => Effect.mapError(reader.readAt(buffer, position), named(file))
          }
        })

      const openAtomic = (target: string, atomic: AtomicOptions = {}): Effect.Effect<TemporaryOutput, FileError, Scope.Scope> =>
        Effect.gen(function*() {
          const confinement = yield* confined("create", target)
          const replace = atomic.replace ?? false
          const journal = options.journal
          let committed = false
          let journalled: JournalEntry | undefined
          /** Removes the temporary file unless it was put in place, then strikes it off the journal (unless it may still exist). */
          const settle = (helper: Helper, temporary: string) =>
            Effect.gen(function*() {
              const entry = journalled
              if (!committed) {
                const discarded = yield* Effect.exit(Effect.tryPromise(() => helper.request({ op: "discard", temporary })).pipe(
                  Effect.flatMap((reply) => (reply.ok ? Effect.void : Effect.fail(reply.message)))
                ))
                if (Exit.isFailure(discarded) && entry !== undefined) {
                  // The helper died (killed, timed out) with the file in place: a new one removes it now.
                  const [outcome] = yield* sweepTemporaries(options.helper, [entry])
                  if (outcome?.result === "failed") return
                }
              }
              if (entry !== undefined && journal !== undefined) yield* Effect.ignore(journal.strike(entry.path))
            })
          const { helper, opened } = yield* Effect.acquireRelease(
            ask("create", target, { op: "create", path: target, mode: atomic.mode ?? 0o600 }),
            ({ helper, opened }) => settle(helper, opened!.temporary!)
          )
          const landed = yield* checkLanding("create", target, helper, opened!.fd, confinement)
          if (journal !== undefined) {
            // Recorded before the first byte: a crash from here on leaves the file journalled, to be swept at the next start.
            const entry = { path: landed, device: opened!.device, inode: opened!.inode, uid: caller.uid, gid: caller.gid, groups: [...caller.groups] }
            yield* journal.record(entry).pipe(
              Effect.tapError((error) => Effect.logWarning(`a file job's output ${target} was refused: ${error.message}`)),
              Effect.mapError((error) =>
                new FileError({
                  reason: error.reason,
                  operation: "create",
                  path: target,
                  detail: error.reason === "TooLarge" && error.detail !== undefined
                    ? error.detail
                    : "the daemon could not record it in its journal of temporary files (its log says why)"
                })
              )
            )
            journalled = entry
          }
          const handle = yield* Effect.acquireRelease(
            Effect.tryPromise({ try: () => fs.open(`/proc/${helper.pid}/fd/${opened!.fd}`, constants.O_WRONLY), catch: (cause) => fileErrorFrom("create", target, cause) }),
            (handle) => Effect.promise(() => handle.close().catch(() => {}))
          )
          const stats = yield* Effect.tryPromise({ try: () => handle.stat({ bigint: true }), catch: (cause) => fileErrorFrom("create", target, cause) })
          yield* sameFile("create", target, opened!, stats.dev, stats.ino)
          let written = 0
          const write = (bytes: Uint8Array) =>
            Effect.suspend(() => {
              written += bytes.byteLength
              // Without its helper the output can never be put in place: stop now rather than at the commit.
              const stopped = helper.stopped()
              return stopped !== undefined
                ? Effect.fail(helperError("write", target, stopped))
                : written > options.maxBytes
                ? Effect.fail(tooLarge("write", target, written, options.maxBytes))
                : Effect.tryPromise({ try: () => writeAll(handle, bytes), catch: (cause) => fileErrorFrom("write", target, cause) })
            })
          const commit = (finish: CommitOptions = {}) =>
            Effect.gen(function*() {
              const final = finish.as ?? target
              yield* confined("create", final)
              const attempt = (operation: string, run: () => Promise<void>) =>
                Effect.tryPromise({ try: run, catch: (cause) => fileErrorFrom(operation, target, cause) })
              if (finish.mode !== undefined) yield* attempt("set the mode of", () => handle.chmod(finish.mode!))
              if (finish.modifiedNs !== undefined) {
                const seconds = Number(finish.modifiedNs) / 1e9
                yield* attempt("set the times of", () => handle.utimes(seconds, seconds))
              }
              yield* attempt("sync", () => handle.sync())
              const reply = yield* Effect.tryPromise({
                try: () => helper.request({ op: "commit", temporary: opened!.temporary!, path: final, replace }),
                catch: (cause) => helperError("create", final, cause)
              })
              if (!reply.ok) return yield* Effect.fail(refusal("create", final, reply))
              committed = true
            })
          return { path: target, write, commit, temporary: opened!.temporary!, descriptor: `/proc/${helper.pid}/fd/${opened!.fd}` } satisfies TemporaryOutput
        })

      const walk = (root: string, visitor: WalkVisitor, walkOptions = {}) =>
        Effect.scoped(Effect.gen(function*() {
          const confinement = yield* confined("walk", root)
          const { helper, opened } = yield* ask("walk", root, { op: "directory", path: root })
          const real = yield* checkLanding("walk", root, helper, opened!.fd, confinement)
          if (real !== path.resolve(root)) {
            return yield* Effect.fail(outsideRoots("walk", root, `it is reached through a symbolic link (it is ${real}); name the directory itself`))
          }
          // The walk reads as the daemon; it goes only where the caller's permission bits would let it list.
          const forbidden = confinement.forbidden
          return yield* files.walk(root, {
            ...visitor,
            enter: (entry) => {
              const refused = forbidden.some((dir) => isWithin(entry.path, dir))
                ? "file jobs never use it"
                : mayList(caller, entry.info)
                ? undefined
                : "permission denied"
              if (refused === undefined) return visitor.enter?.(entry) ?? true
              visitor.unreadable(entry.path, new FileError({ reason: "PermissionDenied", operation: "list", path: entry.path, detail: refused }))
              visitor.leave(entry.path)
              return false
            }
          }, walkOptions)
        }))

      return { openRead, openAtomic, writeAtomic: writeAtomicVia(openAtomic), walk }
    })

  const hasherFor = (caller: Caller): Effect.Effect<CallerHasher, never, Scope.Scope> =>
    Effect.gen(function*() {
      let started: Promise<Helper> | undefined
      yield* Effect.addFinalizer(() =>
        started === undefined ? Effect.void : Effect.promise(() => started!.then((h) => h.close(), () => {}))
      )
      return (batch) =>
        Effect.gen(function*() {
          const confinement = yield* options.confinement
          // A path outside the roots is refused as written, without being looked at.
          const refused = batch.map(({ path: file }) => {
            const problem = confinementProblem(file, confinement)
            return problem === undefined ? undefined : outsideRoots("open", file, problem)
          })
          const asked = batch.filter((_, i) => refused[i] === undefined)
          const bytes = asked.reduce((sum, file) => sum + file.size, 0)
          // A batch is answered in one go: give it time for its bytes at a slow disk's pace.
          const timeoutMs = HELPER_TIMEOUT_MS + Math.ceil(bytes / HASH_TIMEOUT_BYTES_PER_MS)
          const answered = asked.length === 0
            ? []
            : yield* Effect.tryPromise({
              try: async () => {
                const helper = await (started ??= startHelper(options.helper, caller))
                const reply = await helper.request({ op: "hash", paths: asked.map((file) => file.path), maxBytes: options.maxBytes }, timeoutMs)
                if (!reply.ok) throw new HelperFailed(reply.message)
                return reply.hashed ?? []
              },
              catch: (cause) => cause
            }).pipe(
              // The helper failed as a whole: every file of the batch says why.
              Effect.catch((cause) => Effect.succeed(asked.map(() => cause)))
            )
          let next = 0
          return batch.map((file, i): Result.Result<HashedFile, FileError> => {
            const refusal = refused[i]
            if (refusal !== undefined) return Result.fail(refusal)
            const answer = answered[next++]
            if (answer === undefined || !(typeof answer === "object" && answer !== null && "ok" in answer)) {
              return Result.fail(helperError("open", file.path, answer))
            }
            const hashed = answer as HashedReply
            if (!hashed.ok) return Result.fail(refusal_(file.path, hashed))
            const landed = confinementProblem(hashed.real, confinement)
            if (landed !== undefined) return Result.fail(outsideRoots("open", file.path, `it leads to ${hashed.real}, and ${landed}`))
            return Result.succeed({ sha256: hashed.sha256, bytes: hashed.bytes, modifiedNs: BigInt(hashed.mtimeNs), mode: hashed.mode })
          })
        })
    })

  return { forCaller, scratch, hasherFor }
}

export const layer = (options: CallerFilesLiveOptions): Layer.Layer<CallerFiles> => Layer.succeed(CallerFiles, make(options))
