/**
 * ATLAS: where the space went, for a path or a dataset's mountpoint. The scan
 * is bounded (entries and time, whichever runs out first, and it says which),
 * stays on one filesystem unless asked, never follows symlinks, reports its
 * progress on the event stream, and stops when the request is cancelled.
 */
import { Clock, Effect } from "effect"
import { CallerFiles } from "../../adapters/fs/CallerFiles.ts"
import { Files } from "../../adapters/fs/Files.ts"
import { Zfs } from "../../adapters/zfs/Zfs.ts"
import { MetricHistory } from "../../history/History.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { serviceMachine } from "../shared/serve.ts"
import { Atlas, NoSuchDataset, NotMounted, PathOrDataset } from "./messages.ts"
import { scanUsage } from "./scan.ts"
import { trendsOf } from "./trends.ts"
import type * as Protocol from "../../runtime/Protocol.ts"

export const atlasCapabilities: ReadonlyArray<Capability> = [
  {
    name: "usage",
    available: true,
    detail: "a bounded scan of a path or a dataset's mountpoint: totals, largest files and directories, file types; " +
      "one filesystem unless crossFilesystems; symlinks not followed; hard links counted once"
  },
  {
    name: "trends",
    available: true,
    detail: "each dataset's usage over a window of the metric history (sigmavault_dataset_used_bytes, recorded by LATTICE): " +
      "first, last, change, change per day; the top growers and shrinkers"
  }
]

const DAY_MS = 86_400_000
const DATASET_USED = "sigmavault_dataset_used_bytes"
/** Points read per dataset for a trend (consolidated with "last"). */
const TREND_POINTS = 500

/** One progress event per this many entries at most. */
const PROGRESS_EVERY = 50_000

export const atlasMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const zfs = yield* Zfs
  const callerFiles = yield* CallerFiles
  const history = yield* MetricHistory

  const rootOf = (message: Protocol.Request<Protocol.Typed<typeof Atlas, "usage">>) =>
    Effect.gen(function*() {
      if ((message.path === undefined) === (message.dataset === undefined)) {
        return yield* new PathOrDataset()
      }
      if (message.path !== undefined) return message.path
      const [dataset] = yield* zfs.datasets(message.dataset)
      if (dataset === undefined || dataset.name !== message.dataset) {
        return yield* new NoSuchDataset({ dataset: message.dataset! })
      }
      if (dataset.mountpoint === undefined || dataset.mounted === false) {
        return yield* new NotMounted({ dataset: dataset.name })
      }
      return dataset.mountpoint
    })

  return yield* serviceMachine(Atlas, {
    handlers: {
      trends: (message) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const days = message.days ?? 7
          const windowMs = days * DAY_MS
          const stepMs = Math.max(60_000, Math.ceil(windowMs / TREND_POINTS))
          const from = now - windowMs
          const series = yield* history.query({
            name: DATASET_USED,
            ...(message.pool === undefined ? {} : { matchers: [{ label: "pool", op: "=" as const, value: message.pool }] }),
            from,
            to: now,
            step: stepMs,
            consolidate: "last"
          })
          const trends = trendsOf(series, message.top ?? 5)
          return {
            window: { from, to: now, days, stepMs },
            ...trends,
            ...(trends.datasets.length > 0 ? {} : {
              note: `the metric history holds no ${DATASET_USED} samples${message.pool === undefined ? "" : ` for pool ${message.pool}`} in the last ${days} days (LATTICE records them as it reads the pools)`
            })
          }
        }),
      usage: (message, { caller }) =>
        Effect.gen(function*() {
          const root = yield* rootOf(message)
          let reported = 0
          const job = `usage ${root}`
          return yield* scanUsage(root, {
            ...(message.maxEntries === undefined ? {} : { maxEntries: message.maxEntries }),
            ...(message.maxMs === undefined ? {} : { maxMs: message.maxMs }),
            ...(message.crossFilesystems === undefined ? {} : { crossFilesystems: message.crossFilesystems }),
            ...(message.top === undefined ? {} : { top: message.top }),
            onProgress: ({ entries }) => {
              if (entries - reported < PROGRESS_EVERY) return
              reported = entries
              Effect.runFork(env.progress({ job, done: entries, unit: "entries" }))
            }
          }).pipe(Effect.provideServiceEffect(Files, callerFiles.forCaller(caller)), Effect.scoped)
        })
    }
  })
})
