/**
 * HELIX where ZFS is absent: snapshots of a directory (`rsync --link-dest`
 * through the PathSnapshots port), named as the retention engine names
 * ZFS snapshots (autosnap_<UTC time>_<period>) so the same policies prune
 * them, with a reason for each; and a path replicated to another path.
 * Every change is planned, and runs only with `confirm: true`.
 */
import { normalize } from "node:path"
import { Clock, Effect } from "effect"
import { PathSnapshots } from "../../adapters/pathsnap/PathSnapshots.ts"
import { AgentEnv } from "../../runtime/Agent.ts"
import { withLease } from "../shared/lease.ts"
import { InvalidPolicy, type Period, type Policies } from "./messages.ts"
import { autosnapName, retention, settingsOf, stamp } from "./policy.ts"

export interface PathSnapshotRequest {
  readonly source: string
  readonly root: string
  readonly name?: string
  readonly period?: Period
  readonly checksum?: boolean
  readonly confirm?: boolean
}

export interface PathPruneRequest {
  readonly root: string
  readonly template?: string
  readonly confirm?: boolean
}

export interface PathSyncRequest {
  readonly source: string
  readonly destination: string
  readonly checksum?: boolean
  readonly delete?: boolean
  readonly confirm?: boolean
}

/** The handlers of the path messages; `policies` is read at each prune (HELIX's current policies). */
export const pathHandlers = (policies: () => Policies) =>
  Effect.gen(function*() {
    const paths = yield* PathSnapshots
    const env = yield* AgentEnv
    /** ARBITER's resource name of a path: normalised, no trailing '/'. */
    const pathResource = (path: string) => `path:${normalize(path).replace(/(.)\/+$/, "$1")}`
    const nowMs = Clock.currentTimeMillis
    const nowSeconds = Effect.map(nowMs, (ms) => Math.floor(ms / 1000))
    return {
      "path-snapshot": (message: PathSnapshotRequest) =>
        Effect.gen(function*() {
          const ms = yield* nowMs
          const now = Math.floor(ms / 1000)
          const name = message.name ?? (message.period === undefined ? `manual_${stamp(now)}` : autosnapName(now, message.period))
          const take = (confirm: boolean) => paths.take(message.source, message.root, name, { confirm, checksum: message.checksum, now: new Date(ms) })
          // The plan resolves both paths; the snapshot runs under leases on them (as resolved).
          const planned = yield* take(false)
          if (message.confirm !== true) return planned
          const plan = yield* withLease(env, { resource: pathResource(planned.root), job: "snapshot" },
            withLease(env, { resource: pathResource(planned.source), job: "snapshot" }, take(true)))
          if (plan.rsync.executed) yield* Effect.logInfo(`took path snapshot ${plan.path} of ${plan.source}`)
          return plan
        }),
      "path-snapshots": (message: { readonly root: string }) => Effect.map(paths.list(message.root), (snapshots) => ({ root: message.root, snapshots })),
      "path-prune": (message: PathPruneRequest) =>
        Effect.gen(function*() {
          const current = policies()
          if (message.template !== undefined && current.templates[message.template] === undefined) {
            return yield* new InvalidPolicy({
              field: "template",
              reason: `no template named '${message.template}'; templates: ${Object.keys(current.templates).sort().join(", ") || "none"}`
            })
          }
          const now = yield* nowSeconds
          const snapshots = yield* paths.list(message.root)
          const root = message.root
          const settings = settingsOf(current, { templates: message.template === undefined ? [] : [message.template] })
          const decisions = retention(
            new Map([[root, { dataset: root, from: root, recursive: false, inZfsRecursion: false, settings }]]),
            snapshots.map((snapshot) => ({ dataset: root, snapshot: snapshot.name, creation: snapshot.creation })),
            now
          ).map((decision) => ({ snapshot: decision.snapshot.slice(root.length + 1), action: decision.action, reason: decision.reason }))
          const doomed = decisions.filter((decision) => decision.action === "prune").map((decision) => decision.snapshot)
          const confirm = message.confirm === true
          const removed = doomed.length === 0
            ? { removed: [], executed: confirm }
            : confirm
            ? yield* withLease(env, { resource: pathResource(root), job: "prune" }, paths.remove(root, doomed, { confirm }))
            : yield* paths.remove(root, doomed, { confirm })
          return { root, dryRun: !confirm, checkedAt: new Date(now * 1000).toISOString(), decisions, removed: removed.executed ? removed.removed : [] }
        }),
      "path-sync": (message: PathSyncRequest) => {
        const sync = paths.sync(message.source, message.destination, { confirm: message.confirm === true, checksum: message.checksum, delete: message.delete })
        return message.confirm === true
          ? withLease(env, { resource: pathResource(message.destination), job: "replication" },
            withLease(env, { resource: pathResource(message.source), job: "replication" }, sync))
          : sync
      }
    }
  })
