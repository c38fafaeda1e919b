/**
 * LATTICE: ZFS pool health. It reads `zpool status` and `zpool list` every
 * interval, alerts on what changed (pool and device states, error counters,
 * capacity levels with hysteresis, scrubs ending with errors) as Alert
 * events on the inspection stream, registers a
 * monthly scrub for each pool with ORBIT, and answers `health` from a fresh
 * reading. Changes to pools and datasets are planned (the exact command is
 * returned) and run only when the request says `confirm: true`.
 */
import { Clock, Effect } from "effect"
import { type Dataset, Zfs, type PoolStatus, type PoolSummary } from "../../adapters/zfs/Zfs.ts"
import { MetricHistory, type Sample } from "../../history/History.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { Orbit } from "../orbit/messages.ts"
import { acquireLease, releaseLease, renewLease } from "../shared/lease.ts"
import { failedDependency } from "../shared/rejections.ts"
import { serviceMachine } from "../shared/serve.ts"
import { CAPACITY_HYSTERESIS_POINTS } from "./capacity.ts"
import { LatticeConfig } from "./config.ts"
import { type Alert, alertsBetween, capacityLevels, poolHealth } from "./health.ts"
import { type CapacityLevel, Lattice, NoSuchPool, type PoolHealth } from "./messages.ts"

export const latticeCapabilities: ReadonlyArray<Capability> = [
  {
    name: "pool-health",
    available: true,
    detail: "reads `zpool status -j` and `zpool list -j`: pool and device states, error counters, capacity levels 80/90/95% with hysteresis, alerts on changes"
  },
  {
    name: "scrubs",
    available: true,
    detail: "starts, pauses and stops scrubs, reports their progress, and schedules a monthly scrub of each pool through ORBIT; " +
      "a scrub holds ARBITER's lease on its pool while it runs (refused, naming the holder, while a conflicting job holds the pool), and a scrub or resilver found running is given one"
  },
  {
    name: "changes",
    available: true,
    detail: "creates pools and datasets, sets properties, destroys datasets: planned with the exact command, run only with confirm"
  }
]

/** A pool's scan as a lease: the job it is, while it runs (not paused). */
const scanJob = (scan: PoolHealth["scrub"]): "scrub" | "resilver" | undefined =>
  scan.state === "scanning" && !scan.paused && scan.function !== "none" ? scan.function : undefined

/** ORBIT schedule names allow letters, digits, '_', '.', '-'; pool names may also hold ':'. */
const scheduleName = (pool: string) => `scrub-${pool.replaceAll(":", "_")}`.slice(0, 64)

/** What a reading of the pools puts in the metric history: each pool's space, error counters and health. */
export const poolSamples = (pools: ReadonlyArray<PoolHealth>): Array<Sample> =>
  pools.flatMap((pool) => {
    const labels = { pool: pool.name }
    return [
      ...(pool.capacity === undefined ? [] : [
        { name: "sigmavault_pool_size_bytes", labels, value: pool.capacity.sizeBytes },
        { name: "sigmavault_pool_allocated_bytes", labels, value: pool.capacity.allocatedBytes },
        { name: "sigmavault_pool_free_bytes", labels, value: pool.capacity.freeBytes }
      ]),
      { name: "sigmavault_pool_read_errors_total", labels, value: pool.errors.read },
      { name: "sigmavault_pool_write_errors_total", labels, value: pool.errors.write },
      { name: "sigmavault_pool_checksum_errors_total", labels, value: pool.errors.checksum },
      { name: "sigmavault_pool_healthy", labels, value: pool.healthy ? 1 : 0 }
    ]
  })

/** What a listing of datasets puts in the metric history: each one's space used and available. */
export const datasetSamples = (datasets: ReadonlyArray<Dataset>): Array<Sample> =>
  datasets.flatMap((dataset) => {
    const labels = { pool: dataset.pool, dataset: dataset.name }
    return [
      { name: "sigmavault_dataset_used_bytes", labels, value: dataset.usedBytes },
      { name: "sigmavault_dataset_available_bytes", labels, value: dataset.availableBytes }
    ]
  })

export const latticeMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const zfs = yield* Zfs
  const config = yield* LatticeConfig
  const history = yield* MetricHistory

  let levels: ReadonlyMap<string, CapacityLevel> = new Map()
  let last: ReadonlyArray<PoolHealth> | undefined
  let lastProblem: string | undefined
  const scheduled = new Set<string>()
  /**
   * ARBITER's leases this incarnation holds, by pool: one while a scrub or a
   * resilver runs. Each poll renews them, well within their time to live.
   */
  const leases = new Map<string, { readonly id: string; readonly job: "scrub" | "resilver" }>()
  const leaseTtlSeconds = Math.min(86_400, Math.max(300, Math.ceil((3 * config.intervalMs) / 1000)))
  const lease = (pool: string, job: "scrub" | "resilver") =>
    Effect.tap(acquireLease(env, { resource: `pool:${pool}`, job }, { ttlSeconds: leaseTtlSeconds, outlivesDaemon: true }), (held) =>
      Effect.sync(() => leases.set(pool, { id: held.id, job })))
  const unlease = (pool: string) =>
    Effect.suspend(() => {
      const held = leases.get(pool)
      if (held === undefined) return Effect.void
      leases.delete(pool)
      return releaseLease(env, held.id)
    })
  let lastLeaseProblem: string | undefined
  /** The leases follow the pools' scans: renewed while one runs, taken for one found running without, released when it ends. */
  const followScans = (health: ReadonlyArray<PoolHealth>) =>
    Effect.gen(function*() {
      const problems: Array<string> = []
      for (const pool of [...leases.keys()]) if (!health.some((p) => p.name === pool)) yield* unlease(pool)
      for (const pool of health) {
        const job = scanJob(pool.scrub)
        const held = leases.get(pool.name)
        if (held !== undefined && held.job === job) {
          const renewed = yield* Effect.exit(renewLease(env, held.id, { ttlSeconds: leaseTtlSeconds }))
          if (renewed._tag === "Success") continue
          leases.delete(pool.name)
        } else if (held !== undefined) {
          yield* unlease(pool.name)
        }
        if (job === undefined) continue
        const taken = yield* Effect.exit(lease(pool.name, job))
        if (taken._tag === "Failure") {
          const error = taken.cause.reasons.find((r) => r._tag === "Fail")
          problems.push(`the ${job} of ${pool.name} runs without a lease: ${error?._tag === "Fail" ? error.error.message : "interrupted"}`)
        }
      }
      const problem = problems.join("; ")
      if (problem !== "" && problem !== lastLeaseProblem) yield* Effect.logWarning(problem)
      lastLeaseProblem = problem === "" ? undefined : problem
    })

  /** A fresh reading of every pool (or one), folded into the capacity levels. */
  const read = (pool?: string) =>
    Effect.gen(function*() {
      const [statuses, summaries] = yield* Effect.all([zfs.status(pool), zfs.pools])
      const wanted: ReadonlyArray<PoolSummary> = pool === undefined ? summaries : summaries.filter((s) => s.name === pool)
      const next = capacityLevels(levels, wanted, config.capacity, CAPACITY_HYSTERESIS_POINTS)
      const health = statuses.map((status: PoolStatus) =>
        poolHealth(status, wanted.find((s) => s.name === status.name), next.get(status.name) ?? "ok")
      )
      yield* history.record(poolSamples(health))
      return health
    })

  /** Every dataset (or one and its descendants), recorded in the metric history as it is read. */
  const listDatasets = (root?: string) =>
    Effect.tap(zfs.datasets(root), (datasets) => history.record(datasetSamples(datasets)))

  /**
   * The datasets' space at each health check, for the history AXIOM forecasts
   * from: one `zfs list`. Its failure does not fail the check; it is logged
   * when it starts.
   */
  let lastDatasetProblem: string | undefined
  const recordDatasets = listDatasets().pipe(
    Effect.tap(() => Effect.sync(() => (lastDatasetProblem = undefined))),
    Effect.asVoid,
    Effect.catch((error) =>
      error.message === lastDatasetProblem
        ? Effect.void
        : Effect.sync(() => (lastDatasetProblem = error.message)).pipe(
          Effect.andThen(Effect.logWarning(`cannot list datasets for the metric history: ${error.message}`))
        )
    )
  )

  const raise = (alert: Alert) => env.alert({ severity: alert.severity, subject: `pool ${alert.pool}`, text: alert.text, code: alert.code })

  /** Registers a scrub with ORBIT once per pool; an existing schedule (from an earlier run) is kept. */
  const scheduleScrub = (pool: string, cron: string) => {
    const scheduled = scheduleName(pool)
    return env.system.call(Orbit, {
      type: "add",
      name: scheduled,
      cron,
      target: env.self,
      message: { type: "scrub", pool, action: "start" }
    }).pipe(
      Effect.map((added) => ({ scheduled, cron, existed: false, nextRun: added.nextRun })),
      Effect.catchTag("ScheduleExists", () => Effect.succeed({ scheduled, cron, existed: true, nextRun: null })),
      failedDependency("ORBIT")
    )
  }

  const poll = Effect.gen(function*() {
    const health = yield* read()
    lastProblem = undefined
    levels = new Map(health.map((p) => [p.name, p.capacity?.level ?? "ok"]))
    yield* Effect.forEach(alertsBetween(last, health, config.capacity), raise, { discard: true })
    last = health
    yield* followScans(health)
    // Only with pools to list: a machine without any reads nothing more.
    if (health.length > 0) yield* recordDatasets
    if (!config.scheduleScrubs) return
    for (const pool of health) {
      if (scheduled.has(pool.name)) continue
      const done = yield* Effect.exit(scheduleScrub(pool.name, config.scrubCron))
      if (done._tag === "Success") scheduled.add(pool.name)
    }
  }).pipe(
    // A machine without ZFS, or a failing zpool, is logged once, not every minute.
    Effect.catch((error) =>
      error.message === lastProblem
        ? Effect.void
        : Effect.sync(() => (lastProblem = error.message)).pipe(Effect.andThen(Effect.logWarning(`cannot read pools: ${error.message}`)))
    )
  )

  return yield* serviceMachine(Lattice, {
    every: { intervalMs: config.intervalMs, run: poll },
    handlers: {
      health: (message) =>
        Effect.gen(function*() {
          const pools = yield* read(message.pool)
          if (message.pool !== undefined && pools.length === 0) return yield* new NoSuchPool({ pool: message.pool })
          const checkedAt = new Date(yield* Clock.currentTimeMillis).toISOString()
          return { checkedAt, healthy: pools.every((p) => p.healthy), pools }
        }),
      datasets: (message) => Effect.map(listDatasets(message.root), (datasets) => ({ datasets })),
      scrub: ({ action, pool }) =>
        action === "status"
          ? Effect.map(zfs.status(pool), (pools) => ({ pool, action, scrub: pools[0]?.scan }))
          : Effect.gen(function*() {
            // A scrub (or a resumed one) takes the pool's lease first; a pause or a stop gives it back.
            const taking = action === "start" && leases.get(pool)?.job !== "scrub"
            if (taking) yield* lease(pool, "scrub")
            const done = yield* Effect.exit(zfs.scrub(pool, action))
            if ((done._tag === "Failure" && taking) || action !== "start") yield* unlease(pool)
            yield* done
            yield* Effect.logInfo(`scrub of ${pool}: ${action}`)
            const pools = yield* zfs.status(pool)
            return { pool, action, scrub: pools[0]?.scan }
          }),
      "schedule-scrub": (message) =>
        Effect.tap(scheduleScrub(message.pool, message.cron ?? config.scrubCron), () =>
          Effect.sync(() => scheduled.add(message.pool))),
      "create-pool": (message) =>
        (zfs.createPool(message.pool, message.vdevs, {
          confirm: message.confirm === true,
          ...(message.properties === undefined ? {} : { properties: message.properties })
        })),
      "create-dataset": (message) =>
        zfs.createDataset(message.dataset, {
          confirm: message.confirm === true,
          ...(message.properties === undefined ? {} : { properties: message.properties })
        }),
      set: (message) => zfs.setProperty(message.dataset, message.property, message.value, { confirm: message.confirm === true }),
      destroy: (message) =>
        zfs.destroy(message.dataset, {
          confirm: message.confirm === true,
          ...(message.recursive === undefined ? {} : { recursive: message.recursive })
        })
    }
  })
})
