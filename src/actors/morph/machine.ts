/**
 * MORPH: verified copy and move of files and trees (engine.ts), planned
 * then confirmed, run in the background batch by batch so its other
 * messages are answered meanwhile, resumed from the journal at every start,
 * revertible. Progress in bytes on the event stream.
 */
import { Clock, Effect, Random, Schema } from "effect"
import { Files } from "../../adapters/fs/Files.ts"
import { MigrationFiles } from "../../adapters/migration/MigrationFiles.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { withLease } from "../shared/lease.ts"
import { serviceMachine } from "../shared/serve.ts"
import { foldJournal, journalFile, newId, openJournal, Plan, planFile, planMigration, runForward, runRevert, type JournalState } from "./engine.ts"
import { type Migration, MigrationBusy, Morph, NoSuchMigration, UnsafePlan } from "./messages.ts"

export const morphCapabilities: ReadonlyArray<Capability> = [
  {
    name: "verified-migration",
    available: true,
    detail: "copies or moves a file or tree: copy, fsync, SHA-256 of both sides, journal, only then unlink; keeps mode, owner, times, user.* xattrs and ACLs (and security.*/trusted.* for root); never overwrites; resumes after a crash"
  },
  { name: "reversal", available: true, detail: "reverts a finished or partial migration from its journal, every restored file verified by hash" }
]

/** How long one background slice works before the agent answers what waits. */
const SLICE_MS = 2_000
const PROGRESS_EVERY = 8 * 1024 * 1024

const decodePlan = Schema.decodeUnknownEffect(Schema.fromJsonString(Plan))

export const stateOf = (j: JournalState): Migration["state"] =>
  j.reverting
    ? j.reverted === undefined ? "reverting" : j.reverted.complete ? "reverted" : "revert-incomplete"
    : j.finished === undefined ? "running" : j.finished.complete ? "finished" : "incomplete"

export const summarise = (plan: Plan, j: JournalState): Migration => {
  const counts = { pending: 0, copied: 0, verified: 0, removed: 0, changed: 0, kept: 0, failed: 0, restored: 0, reverted: 0 }
  const problems: Array<{ path: string; step: string; why: string }> = []
  j.entries.forEach((entry, i) => {
    const e = plan.entries[i]!
    const step = entry.step
    if (step === undefined || step === "copying") counts.pending++
    else if (step === "copied") counts.copied++
    else if (step === "verified") counts.verified++
    else if (step === "removed") counts.removed++
    else if (step === "changed") counts.changed++
    else if (step === "kept") counts.kept++
    else if (step === "failed" || step === "r-failed") counts.failed++
    else if (step === "r-restored" || step === "r-copying") counts.restored++
    else if (step === "r-removed") counts.reverted++
    else if (step === "r-kept") counts.kept++
    if (entry.why !== undefined && step !== undefined && ["changed", "kept", "failed", "r-kept", "r-failed"].includes(step)) {
      problems.push({ path: e.p === "" ? plan.source : `${plan.source}/${e.p}`, step, why: entry.why })
    }
  })
  return {
    id: plan.id,
    mode: plan.mode,
    source: plan.source,
    destination: plan.destination,
    state: stateOf(j),
    createdAt: plan.createdAt,
    bytes: plan.bytes,
    entries: plan.entries.length,
    counts,
    problems: problems.slice(0, 100)
  }
}

export const morphMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const files = yield* Files
  const trees = yield* MigrationFiles
  const dir = trees.journalDir

  const readText = (file: string) => Effect.map(files.readFile(file), (b) => new TextDecoder().decode(b))

  const loadPlan = (id: string) =>
    readText(planFile(dir, id)).pipe(
      Effect.catchIf((e) => e.reason === "NotFound", () => Effect.fail(new NoSuchMigration({ id }))),
      Effect.flatMap((text) => Effect.orDie(decodePlan(text)))
    )

  const journalOf = (plan: Plan) =>
    readText(journalFile(dir, plan.id)).pipe(
      Effect.catchIf((e) => e.reason === "NotFound", () => Effect.succeed("")),
      Effect.map((text) => foldJournal(plan.entries.length, text))
    )

  const ids = Effect.map(
    files.list(dir).pipe(Effect.catchIf((e) => e.reason === "NotFound", () => Effect.succeed([] as ReadonlyArray<string>))),
    (names) => names.filter((n) => n.endsWith(".plan.json")).map((n) => n.slice(0, -".plan.json".length))
  )

  const all = Effect.gen(function*() {
    const out: Array<{ plan: Plan; journal: JournalState }> = []
    for (const id of yield* ids) {
      const plan = yield* Effect.option(loadPlan(id))
      if (plan._tag === "None") continue
      out.push({ plan: plan.value, journal: yield* journalOf(plan.value) })
    }
    return out
  })

  const progressOf = (job: string) => {
    let reported = 0
    return (done: number, total: number) => {
      if (done - reported < PROGRESS_EVERY && done !== total) return
      reported = done
      Effect.runFork(env.progress({ job, done, total, unit: "bytes" }))
    }
  }

  /**
   * Runs `body` holding ARBITER's migration leases on both trees (path:SOURCE
   * and path:DESTINATION): a scrub, a benchmark or another migration of an
   * overlapping place does not run at the same time.
   */
  const leased = <A, E>(plan: { readonly source: string; readonly destination: string }, body: Effect.Effect<A, E>) =>
    withLease(env, { resource: `path:${plan.source}`, job: "migration" }, withLease(env, { resource: `path:${plan.destination}`, job: "migration" }, body))

  /** Why each migration last waited for its leases, so the log says it once, not every slice. */
  const waitingFor = new Map<string, string>()

  /**
   * The migrations that may have work left: found by one scan of the journals
   * at the first pump (what a crash or a stop left), then added to by
   * `migrate`, `resume` and `revert`, and dropped by the pump once finished.
   * While it is empty the pump reads nothing, and its schedule sets no timer
   * until a request has been handled (serviceMachine's `every.idle`): an idle
   * MORPH does no I/O and never wakes, however many migrations it has kept.
   */
  let active: Set<string> | undefined
  const markActive = (id: string) => Effect.sync(() => active?.add(id))

  /** One slice of background work: the first migration that has some. Failures are logged; the journal keeps the place. */
  const pump = Effect.gen(function*() {
    if (active === undefined) active = new Set(yield* ids)
    for (const id of [...active]) {
      const loaded = yield* Effect.option(loadPlan(id))
      const journal = loaded._tag === "Some" ? yield* journalOf(loaded.value) : undefined
      const state = journal === undefined ? undefined : stateOf(journal)
      if (loaded._tag === "None" || (state !== "running" && state !== "reverting")) {
        active.delete(id)
        continue
      }
      const plan = loaded.value
      const deadline = (yield* Clock.currentTimeMillis) + SLICE_MS
      const outcome = yield* Effect.exit(leased(plan, Effect.scoped(Effect.gen(function*() {
        const access = yield* trees.forCaller(plan.caller)
        const open = yield* openJournal(files, dir, plan)
        if (state === "reverting") return yield* runRevert(access, open, plan)
        return yield* runForward(access, open, plan, { deadline, onBytes: progressOf(`${plan.mode} ${plan.source} → ${plan.destination}`) })
      }))))
      const leaseProblem = outcome._tag === "Failure"
        ? outcome.cause.reasons.flatMap((r) => (r._tag === "Fail" && (r.error as { _tag?: string })._tag === "LeaseConflict" || r._tag === "Fail" && (r.error as { _tag?: string; agent?: string })._tag === "DependencyFailed" && (r.error as { agent?: string }).agent === "ARBITER" ? [(r.error as { message: string }).message] : []))[0]
        : undefined
      if (leaseProblem !== undefined) {
        // Not a failure of the migration: it waits for its leases, and the next slice asks again.
        if (waitingFor.get(plan.id) !== leaseProblem) yield* Effect.logWarning(`migration ${plan.id} waits: ${leaseProblem}`)
        waitingFor.set(plan.id, leaseProblem)
        continue
      }
      waitingFor.delete(plan.id)
      if (outcome._tag === "Failure") {
        yield* env.alert({ severity: "warning", subject: `migration ${plan.id}`, text: `migration ${plan.id} stopped: ${String(outcome.cause)}; its journal keeps its place (MORPH resume)`, code: "MORPH-MIGRATION-STOPPED" })
        // Marked so the pump does not spin on it; `resume` tries again.
        yield* Effect.ignore(Effect.scoped(Effect.flatMap(openJournal(files, dir, plan), (j) => j.append([{ s: state === "reverting" ? "reverted" : "finished", complete: false }]))))
      }
      return
    }
  })

  const summaryOf = (id: string) => Effect.flatMap(loadPlan(id), (plan) => Effect.map(journalOf(plan), (j) => summarise(plan, j)))

  const appendTo = (id: string, records: ReadonlyArray<{ readonly s: "resume" | "revert" }>) =>
    Effect.scoped(Effect.flatMap(loadPlan(id), (plan) => Effect.flatMap(openJournal(files, dir, plan), (j) => j.append(records))))

  return yield* serviceMachine(Morph, {
    every: { intervalMs: 200, run: pump, idle: () => active !== undefined && active.size === 0 },
    handlers: {
      migrate: (message, { caller }) =>
        Effect.scoped(Effect.gen(function*() {
          const access = yield* trees.forCaller(caller)
          const now = yield* Clock.currentTimeMillis
          const id = message.id ?? newId(now, yield* Random.next)
          if (message.id !== undefined && (yield* Effect.option(loadPlan(message.id)))._tag === "Some") {
            return yield* new UnsafePlan({ field: "id", reason: `a migration named '${message.id}' exists already` })
          }
          const { plan, checks } = yield* planMigration(access, { id, mode: message.mode, source: message.source, destination: message.destination, caller, now: new Date(now).toISOString() })
          const count = (t: string) => plan.entries.filter((e) => e.t === t).length
          const failing = checks.find((c) => !c.ok)
          if (message.confirm !== true) {
            return {
              confirmed: false as const,
              mode: plan.mode,
              source: plan.source,
              destination: plan.destination,
              files: count("file"),
              directories: count("directory"),
              symlinks: count("symlink"),
              bytes: plan.bytes,
              skipped: plan.skipped.slice(0, 100),
              checks,
              confirmWith: failing === undefined ? `add "confirm": true to carry it out` : `fix the failing check first (${failing.check})`
            }
          }
          if (failing !== undefined) return yield* new UnsafePlan({ field: failing.check, reason: failing.detail })
          // Refused now, naming the holder, when a conflicting job holds either place (ARBITER unreachable: the slices will wait).
          yield* leased(plan, Effect.void).pipe(Effect.catchTag("DependencyFailed", () => Effect.void))
          yield* files.makeDirectory(dir, { recursive: true, mode: 0o700 })
          yield* files.writeAtomic(planFile(dir, id), new TextEncoder().encode(JSON.stringify(plan)), { mode: 0o600 })
          const journal = yield* openJournal(files, dir, plan)
          yield* journal.append([{ s: "begin" }])
          yield* markActive(id)
          return { confirmed: true as const, id, state: "running", files: count("file"), bytes: plan.bytes, checks }
        })),
      migrations: () => Effect.map(all, (list) => list.map(({ plan, journal }) => summarise(plan, journal))),
      resume: (message) =>
        Effect.gen(function*() {
          const before = yield* summaryOf(message.id)
          if (before.state === "incomplete" || before.state === "revert-incomplete") {
            yield* appendTo(message.id, [{ s: "resume" }])
            yield* markActive(message.id)
          }
          return yield* summaryOf(message.id)
        }),
      revert: (message) =>
        Effect.gen(function*() {
          const plan = yield* loadPlan(message.id)
          const journal = yield* journalOf(plan)
          const m = summarise(plan, journal)
          if (m.state === "running" && message.confirm === true) return yield* new MigrationBusy({ id: message.id, state: m.state })
          const restore = journal.entries.filter((e, i) => plan.entries[i]!.t !== "directory" && (e.forward ?? e.step) === "removed" && e.step !== "r-removed").length
          const remove = journal.entries.filter((e, i) => plan.entries[i]!.t !== "directory" && e.step !== undefined && e.step !== "r-removed").length
          if (message.confirm === true && m.state !== "reverted") {
            // A revert that stopped half-way goes on; otherwise it starts.
            yield* appendTo(message.id, [m.state === "revert-incomplete" || m.state === "reverting" ? { s: "resume" } : { s: "revert" }])
            yield* markActive(message.id)
          }
          return { confirmed: message.confirm === true, id: message.id, restore, remove, state: message.confirm === true && m.state !== "reverted" ? "reverting" : m.state }
        })
    }
  })
})

