/**
 * HELIX: snapshots by policy. It lists snapshots (`zfs list -j -t snapshot`),
 * takes them (`zfs snapshot [-r]`), holds and releases them, and applies the
 * retention engine (policy.ts): `prune` shows every snapshot with keep or
 * prune and the reason, and destroys only with `confirm: true`; a held
 * snapshot is never pruned. The scheduled run (`autosnap`, sent by ORBIT on
 * the configured cron expression) takes the due snapshots and autoprunes.
 * Every interval it checks the snapshots' ages and raises an alert when a
 * period goes stale (sanoid's monitor). Policies are kept in the StateStore.
 *
 * Replication (replicate.ts) adds its handlers to `handlers` below.
 */
import { Clock, Effect, Option } from "effect"
import type { CommandExited } from "../../adapters/command/Command.ts"
import { StateStore } from "../../adapters/state/StateStore.ts"
import { type Planned, type SnapshotRow, Zfs } from "../../adapters/zfs/Zfs.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { Orbit } from "../orbit/messages.ts"
import { withLease } from "../shared/lease.ts"
import { failedDependency } from "../shared/rejections.ts"
import { serviceMachine } from "../shared/serve.ts"
import { ageCode } from "./codes.ts"
import { HelixConfig } from "./config.ts"
import { pathHandlers } from "./pathsnap.ts"
import { protectedSnapshots, replicationHandlers } from "./replicate.ts"
import {
  type AgeWarning,
  type DatasetPolicy,
  type DueSnapshot,
  Helix,
  InvalidPolicy,
  NoPolicy,
  type Policies,
  PolicyNotSaved,
  type PolicySettings,
  SnapshotExists,
  type SnapshotInfo
} from "./messages.ts"
import {
  ageWarnings,
  type DecisionDetail,
  dueSnapshots,
  effectiveView,
  periodOf,
  resolvePolicies,
  type Resolved,
  retention,
  type SnapshotRecord,
  stamp,
  unknownTemplates
} from "./policy.ts"

export const helixCapabilities: ReadonlyArray<Capability> = [
  {
    name: "snapshots",
    available: true,
    detail: "lists (`zfs list -j -t snapshot`, -Hp before OpenZFS 2.3), takes (`zfs snapshot [-r]`), holds and releases snapshots; planned unless confirmed"
  },
  {
    name: "retention",
    available: true,
    detail: "sanoid-style policies (templates with frequently/hourly/daily/weekly/monthly/yearly counts): every snapshot kept or pruned with its reason, dry run unless confirmed, held snapshots never pruned; scheduled autosnap and autoprune through ORBIT; age warnings"
  },
  {
    name: "replication",
    available: true,
    detail: "replicates a dataset to a local dataset (zfs send -i/-I | zfs receive -s -F, from the newest common snapshot by GUID, resumable, byte progress, the common snapshot held on both sides); where ZFS is absent, rsync --link-dest snapshots of a directory (pruned by the same policies) and rsync replication of a directory"
  }
]

/** Where the policies are kept. */
export const POLICIES_KEY = "helix-policies"
/** The ORBIT schedule of the scheduled run. */
export const SCHEDULE_NAME = "helix-autosnap"

export const EMPTY_POLICIES: Policies = { templates: {}, datasets: {} }

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

/** A stored document read back: anything not shaped like policies is none (logged by the caller). */
const asPolicies = (value: unknown): Policies | undefined =>
  isRecord(value) && isRecord(value.templates) && isRecord(value.datasets)
    ? { templates: value.templates as Policies["templates"], datasets: value.datasets as Policies["datasets"] }
    : undefined

const recordOf = (row: SnapshotRow): SnapshotRecord => ({ dataset: row.dataset, snapshot: row.snapshot, creation: row.creation })

export const snapshotInfo = (row: SnapshotRow): SnapshotInfo => ({
  name: row.name,
  dataset: row.dataset,
  snapshot: row.snapshot,
  creation: row.creation,
  createdAt: new Date(row.creation * 1000).toISOString(),
  usedBytes: row.usedBytes,
  referencedBytes: row.referencedBytes,
  holds: row.userrefs,
  period: periodOf(row.snapshot) ?? null
})

const byCreation = (a: SnapshotRow, b: SnapshotRow) => a.creation - b.creation || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

export const helixMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const zfs = yield* Zfs
  const store = yield* StateStore
  const config = yield* HelixConfig

  let policies: Policies = EMPTY_POLICIES
  let scheduled = false
  let lastProblem: string | undefined
  let lastRun: { at: string; taken: number; pruned: number; problems: Array<string> } | null = null
  /** Age warnings already alerted, by dataset/period/level, so a stale period alerts once, not every check. */
  let alerted = new Set<string>()

  const stored = yield* Effect.catch(store.read(POLICIES_KEY), (error) =>
    Effect.as(Effect.logWarning(`cannot read the snapshot policies (${error.message}); starting with none`), Option.none()))
  if (Option.isSome(stored)) {
    const read = asPolicies(stored.value)
    if (read === undefined) yield* Effect.logWarning("the stored snapshot policies have an unexpected shape; starting with none")
    else policies = read
  }

  const nowSeconds = Effect.map(Clock.currentTimeMillis, (ms) => Math.floor(ms / 1000))
  const replication = yield* replicationHandlers
  const paths = yield* pathHandlers(() => policies)

  const needsDatasets = () => Object.values(policies.datasets).some((p) => (p.recursive ?? false) !== false)

  /** Everything retention needs: the policies resolved over the datasets, every snapshot, the held ones. */
  const survey = Effect.gen(function*() {
    const datasets = needsDatasets() ? (yield* zfs.datasets()).map((d) => d.name) : []
    const resolved = resolvePolicies(policies, datasets)
    const rows = (yield* zfs.snapshots()).slice().sort(byCreation)
    const covered = rows.filter((row) => resolved.has(row.dataset))
    const held = new Map<string, string>()
    // A replication pair's common snapshot: its hold is the guard, the pair's record the reason.
    for (const name of yield* Effect.provideService(protectedSnapshots, StateStore, store)) held.set(name, "the newest common snapshot of a replication pair")
    for (const row of covered) {
      if ((row.userrefs ?? 0) === 0) continue
      const holds = yield* Effect.orElseSucceed(zfs.holds(row.name), () => [])
      held.set(row.name, holds.length === 0 ? "held" : `held (${holds.map((h) => h.tag).join(", ")})`)
    }
    return { resolved, rows, held, now: yield* nowSeconds }
  })

  const failureText = (cause: { readonly reasons: ReadonlyArray<{ readonly _tag: string }> }) =>
    cause.reasons.map((r) => (r._tag === "Fail" ? ((r as unknown as { error: { message: string } }).error.message) : r._tag)).join("; ")

  /**
   * Destroys (or plans to) each pruned snapshot, one command each, going on
   * past a failure. Confirmed, each dataset's destroys run under a prune lease
   * of that dataset (ARBITER); a dataset whose lease is refused is skipped and
   * its snapshots listed as failed — or, with `strict` (one dataset was
   * asked for), the refusal is the answer.
   */
  const applyPrune = (decisions: ReadonlyArray<DecisionDetail>, confirm: boolean, strict: boolean) =>
    Effect.gen(function*() {
      const doomed = decisions.filter((d) => d.action === "prune")
      const commands: Array<Planned> = []
      const destroyed: Array<string> = []
      const failed: Array<{ snapshot: string; error: string }> = []
      let done = 0
      const datasets = [...new Set(doomed.map((d) => d.dataset))]
      for (const dataset of datasets) {
        const own = doomed.filter((d) => d.dataset === dataset)
        const destroyAll = Effect.gen(function*() {
          for (const decision of own) {
            const outcome = yield* Effect.exit(zfs.destroy(decision.snapshot, { confirm }))
            if (outcome._tag === "Success") {
              commands.push(outcome.value)
              if (outcome.value.executed) {
                destroyed.push(decision.snapshot)
                yield* Effect.logInfo(`pruned ${decision.snapshot}: ${decision.reason}`)
              }
            } else {
              failed.push({ snapshot: decision.snapshot, error: failureText(outcome.cause) })
            }
            done++
            if (confirm) yield* env.progress({ job: "prune", done, total: doomed.length, unit: "snapshots" })
          }
        })
        if (!confirm) {
          yield* destroyAll
          continue
        }
        const leased = yield* Effect.exit(withLease(env, { resource: `dataset:${dataset}`, job: "prune" }, destroyAll))
        if (leased._tag === "Failure") {
          if (strict) return yield* Effect.failCause(leased.cause)
          for (const decision of own) failed.push({ snapshot: decision.snapshot, error: `not pruned: ${failureText(leased.cause)}` })
        }
      }
      return { commands, destroyed, failed }
    })

  const prune = (dataset: string | undefined, confirm: boolean) =>
    Effect.gen(function*() {
      const { resolved, rows, held, now } = yield* survey
      if (dataset !== undefined && !resolved.has(dataset)) {
        return yield* new NoPolicy({ dataset, known: Object.keys(policies.datasets).sort() })
      }
      const scope = dataset === undefined ? resolved : new Map([[dataset, resolved.get(dataset)!]])
      const decisions = retention(scope, rows.map(recordOf), now, held)
      const applied = yield* applyPrune(decisions, confirm, dataset !== undefined)
      return {
        dryRun: !confirm,
        checkedAt: new Date(now * 1000).toISOString(),
        decisions: decisions.map(({ snapshot, action, reason }) => ({ snapshot, action, reason })),
        ...applied
      }
    })

  const take = (due: ReadonlyArray<DueSnapshot>, confirm: boolean) =>
    Effect.gen(function*() {
      const taken: Array<Planned> = []
      const problems: Array<string> = []
      for (const snapshot of due) {
        const once = zfs.snapshot(snapshot.snapshot, { confirm, recursive: snapshot.recursive })
        const outcome = yield* Effect.exit(confirm ? withLease(env, { resource: `dataset:${snapshot.dataset}`, job: "snapshot" }, once) : once)
        if (outcome._tag === "Success") taken.push(outcome.value)
        else problems.push(`${snapshot.snapshot}: ${failureText(outcome.cause)}`)
      }
      return { taken, problems }
    })

  const raise = (warnings: ReadonlyArray<AgeWarning>) =>
    Effect.gen(function*() {
      const now = new Set<string>()
      for (const warning of warnings) {
        const key = `${warning.dataset}\u0000${warning.period}\u0000${warning.level}`
        now.add(key)
        if (alerted.has(key)) continue
        yield* env.alert({ severity: warning.level === "crit" ? "critical" : "warning", subject: `snapshots of ${warning.dataset}`, text: warning.text, code: ageCode(warning) })
      }
      alerted = now
    })

  /** The scheduled run: take what is due, autoprune, warn about stale periods. One effect, so a lease can wrap it. */
  const autosnap = (confirm: boolean) =>
    Effect.gen(function*() {
      const first = yield* survey
      const due = dueSnapshots(first.resolved, first.rows.map(recordOf), first.now)
      const { taken, problems } = yield* take(due, confirm)
      // Prune from what is there now: the snapshots just taken count as the newest of their periods.
      const after = confirm && taken.length > 0 ? yield* survey : first
      const decisions = retention(after.resolved, after.rows.map(recordOf), after.now, after.held)
      const pruned = yield* applyPrune(decisions, confirm, false)
      const warnings = ageWarnings(after.resolved, after.rows.map(recordOf), after.now)
      const checkedAt = new Date(after.now * 1000).toISOString()
      if (confirm) {
        lastRun = {
          at: checkedAt,
          taken: taken.filter((t) => t.executed).length,
          pruned: pruned.destroyed.length,
          problems: [...problems, ...pruned.failed.map((f) => `${f.snapshot}: ${f.error}`)]
        }
        yield* raise(warnings)
      }
      return {
        dryRun: !confirm,
        checkedAt,
        taken,
        prune: { dryRun: !confirm, checkedAt, decisions: decisions.map(({ snapshot, action, reason }) => ({ snapshot, action, reason })), ...pruned },
        warnings
      }
    })

  const scheduleRun = (cron: string) =>
    env.system.call(Orbit, {
      type: "add",
      name: SCHEDULE_NAME,
      cron,
      target: env.self,
      message: { type: "autosnap", confirm: true }
    }).pipe(
      Effect.map((added) => ({ scheduled: SCHEDULE_NAME, cron, existed: false, nextRun: added.nextRun })),
      Effect.catchTag("ScheduleExists", () => Effect.succeed({ scheduled: SCHEDULE_NAME, cron, existed: true, nextRun: null })),
      Effect.tap(() => Effect.sync(() => (scheduled = true))),
      failedDependency("ORBIT")
    )

  /** The scheduled run is registered once there is something to run it for: a dataset with a policy. */
  const ensureScheduled = Effect.suspend(() =>
    config.scheduleSnapshots && !scheduled && Object.keys(policies.datasets).length > 0
      ? Effect.ignore(scheduleRun(config.snapshotCron))
      : Effect.void
  )

  const check = Effect.gen(function*() {
    yield* ensureScheduled
    if (Object.keys(policies.datasets).length === 0) return
    const { resolved, rows, now } = yield* survey
    lastProblem = undefined
    yield* raise(ageWarnings(resolved, rows.map(recordOf), now))
  }).pipe(
    // A machine without ZFS is logged once, not every check.
    Effect.catch((error) =>
      error.message === lastProblem
        ? Effect.void
        : Effect.sync(() => (lastProblem = error.message)).pipe(Effect.andThen(Effect.logWarning(`cannot check snapshots: ${error.message}`)))
    )
  )

  const save = (next: Policies) =>
    Effect.mapError(store.write(POLICIES_KEY, next), (error) => new PolicyNotSaved({ reason: error.message }))

  /** Checks a change against the policies it would join; the reply's before/after. */
  const policyChange = (message: {
    readonly dataset?: string
    readonly template?: string
    readonly policy?: DatasetPolicy
    readonly settings?: PolicySettings
    readonly remove?: boolean
    readonly confirm?: boolean
  }) =>
    Effect.gen(function*() {
      const { dataset, template } = message
      if ((dataset === undefined) === (template === undefined)) {
        return yield* new InvalidPolicy({ field: "dataset", reason: "name either a dataset or a template" })
      }
      if (message.remove === true && (message.policy !== undefined || message.settings !== undefined)) {
        return yield* new InvalidPolicy({ field: "remove", reason: "remove takes no policy or settings" })
      }
      let next: Policies | undefined
      let before: unknown
      let after: unknown
      if (dataset !== undefined) {
        if (message.settings !== undefined) return yield* new InvalidPolicy({ field: "settings", reason: "a dataset takes `policy` (templates, recursive, settings)" })
        before = policies.datasets[dataset] ?? null
        if (message.remove === true) {
          const { [dataset]: _, ...rest } = policies.datasets
          next = { ...policies, datasets: rest }
          after = null
        } else if (message.policy !== undefined) {
          const unknown = unknownTemplates(policies, message.policy)
          if (unknown.length > 0) {
            return yield* new InvalidPolicy({
              field: "policy.templates",
              reason: `no template named ${unknown.map((t) => `'${t}'`).join(", ")}; templates: ${Object.keys(policies.templates).sort().join(", ") || "none"}`
            })
          }
          next = { ...policies, datasets: { ...policies.datasets, [dataset]: message.policy } }
          after = message.policy
        } else {
          after = before
        }
      } else {
        const name = template!
        if (message.policy !== undefined) return yield* new InvalidPolicy({ field: "policy", reason: "a template takes `settings`" })
        before = policies.templates[name] ?? null
        if (message.remove === true) {
          const users = Object.entries(policies.datasets).filter(([, p]) => (p.templates ?? []).includes(name)).map(([d]) => d)
          if (users.length > 0) return yield* new InvalidPolicy({ field: "template", reason: `'${name}' is used by ${users.sort().join(", ")}` })
          const { [name]: _, ...rest } = policies.templates
          next = { ...policies, templates: rest }
          after = null
        } else if (message.settings !== undefined) {
          next = { ...policies, templates: { ...policies.templates, [name]: message.settings } }
          after = message.settings
        } else {
          after = before
        }
      }
      const saved = next !== undefined && message.confirm === true
      if (saved) {
        yield* save(next!)
        policies = next!
        yield* ensureScheduled
      }
      const view = next ?? policies
      const effective = dataset === undefined ? undefined : resolvePolicies(view, [dataset]).get(dataset)
      return {
        target: dataset !== undefined ? `dataset ${dataset}` : `template ${template}`,
        before: before as never,
        after: after as never,
        saved,
        ...(effective === undefined ? {} : { effective: effectiveView(effective) })
      }
    })

  const handlers = {
    snapshot: (message: { readonly dataset: string; readonly name?: string; readonly recursive?: boolean; readonly confirm?: boolean }) =>
      Effect.gen(function*() {
        const label = message.name ?? `manual_${stamp(yield* nowSeconds)}`
        const snapshot = `${message.dataset}@${label}`
        const once = zfs.snapshot(snapshot, { confirm: message.confirm === true, recursive: message.recursive === true })
        const planned = yield* (message.confirm === true ? withLease(env, { resource: `dataset:${message.dataset}`, job: "snapshot" }, once) : once).pipe(
          Effect.catchTag("CommandExited", (error): Effect.Effect<never, CommandExited | SnapshotExists> =>
            /already exists/.test(error.stderr) ? Effect.fail(new SnapshotExists({ snapshot })) : Effect.fail(error))
        )
        if (planned.executed) yield* Effect.logInfo(`took ${snapshot}${message.recursive === true ? " (recursive)" : ""}`)
        return { snapshot, planned }
      }),
    snapshots: (message: { readonly dataset?: string; readonly recursive?: boolean }) =>
      Effect.map(zfs.snapshots(message.dataset, { recursive: message.recursive === true }), (rows) => ({
        snapshots: rows.slice().sort(byCreation).map(snapshotInfo)
      })),
    prune: (message: { readonly dataset?: string; readonly confirm?: boolean }) => prune(message.dataset, message.confirm === true),
    autosnap: (message: { readonly confirm?: boolean }) => autosnap(message.confirm === true),
    hold: (message: { readonly snapshot: string; readonly tag: string; readonly confirm?: boolean }) =>
      zfs.hold(message.tag, message.snapshot, { confirm: message.confirm === true }),
    release: (message: { readonly snapshot: string; readonly tag: string; readonly confirm?: boolean }) =>
      zfs.release(message.tag, message.snapshot, { confirm: message.confirm === true }),
    holds: (message: { readonly snapshot: string }) =>
      Effect.map(zfs.holds(message.snapshot), (holds) => ({ snapshot: message.snapshot, holds })),
    policies: () =>
      Effect.sync(() => ({
        policies,
        effective: [...resolvePolicies(policies, []).values()].map(effectiveView)
      })),
    policy: policyChange,
    overview: () =>
      Effect.gen(function*() {
        const now = yield* nowSeconds
        const surveyed = yield* Effect.result(survey)
        const base = {
          checkedAt: new Date(now * 1000).toISOString(),
          schedule: config.scheduleSnapshots ? config.snapshotCron : null,
          scheduled,
          lastRun
        }
        if (surveyed._tag === "Failure") {
          return { ...base, zfs: surveyed.failure.message, datasets: Object.keys(policies.datasets).length, due: [], warnings: [] }
        }
        const { resolved, rows } = surveyed.success
        const records = rows.map(recordOf)
        return {
          ...base,
          zfs: "available",
          datasets: resolved.size,
          due: dueSnapshots(resolved, records, surveyed.success.now),
          warnings: ageWarnings(resolved, records, surveyed.success.now)
        }
      }),
    schedule: (message: { readonly cron?: string }) => scheduleRun(message.cron ?? config.snapshotCron),
    ...replication,
    ...paths
  }

  return yield* serviceMachine(Helix, {
    every: { intervalMs: config.checkIntervalMs, run: check },
    handlers
  })
})

export type { Resolved }
