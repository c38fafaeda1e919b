/**
 * HELIX's replication of a dataset to another local dataset, the way
 * syncoid does it: the newest snapshot both sides share (matched by GUID)
 * is the base of an incremental `zfs send -I` (or `-i`); a target that does
 * not exist yet gets a full send of the oldest snapshot and then the rest;
 * a receive cut short (`zfs receive -s`) is resumed from its token first.
 * The common snapshot is held on both sides (`zfs hold`), and remembered
 * as the pair's record, so retention never prunes it; the previous common
 * snapshot's holds come off once the new one is held.
 *
 * `replicate` is one effect (so a lease can wrap it); without `confirm` it
 * only reads and returns the plan.
 */
import { Clock, Effect, Option, Schema } from "effect"
import type { InvalidName } from "../../adapters/command/names.ts"
import { StateStore } from "../../adapters/state/StateStore.ts"
import { AgentEnv } from "../../runtime/Agent.ts"
import { withLease } from "../shared/lease.ts"
import { type SendSpec, type SnapshotRef, ZfsReplication, receiveArgv, sendArgv, validateHoldTag } from "../../adapters/zfs/Replication.ts"
import {
  InvalidReplicationPair,
  NoCommonSnapshot,
  NoSnapshotToSend,
  type ReplicationPair,
  ReplicationPairs,
  type ReplicationPlan,
  type ReplicationStep
} from "./replicationProtocol.ts"

/** The StateStore key of the pairs' records. */
export const PAIRS_KEY = "helix-replication"

/** The hold tag of a pair, the same on both sides: it names the target, so two pairs of one source hold independently. */
export const holdTag = (target: string): string => `sigmavault-repl:${target}`

export interface ReplicateRequest {
  readonly dataset: string
  readonly target: string
  readonly intermediates?: boolean | undefined
  readonly confirm?: boolean | undefined
}

export interface ReplicateHooks {
  readonly progress: (report: { readonly job: string; readonly done: number; readonly total?: number | undefined; readonly unit: string }) => Effect.Effect<void>
  /** The time of the run, for the pair's record (injected: tests are deterministic). */
  readonly now: () => Date
}

const within = (inner: string, outer: string) => inner === outer || inner.startsWith(`${outer}/`)
const suffix = (snapshot: string) => snapshot.slice(snapshot.indexOf("@"))
const decodePairs = Schema.decodeUnknownExit(ReplicationPairs)

/** The pairs' records; a missing or damaged document is no pairs (the ZFS holds still protect). */
export const readPairs: Effect.Effect<ReadonlyArray<ReplicationPair>, never, StateStore> = Effect.gen(function*() {
  const store = yield* StateStore
  const document = yield* store.read(PAIRS_KEY).pipe(
    Effect.catch((error) => Effect.as(Effect.logWarning(`HELIX replication records unreadable: ${error.message}`), Option.none()))
  )
  if (Option.isNone(document)) return []
  const decoded = decodePairs(document.value)
  if (decoded._tag === "Success") return decoded.value.pairs
  yield* Effect.logWarning(`HELIX replication records '${PAIRS_KEY}' have an unexpected shape; ignored`)
  return []
})

const writePairs = (pairs: ReadonlyArray<ReplicationPair>) =>
  Effect.gen(function*() {
    const store = yield* StateStore
    yield* store.write(PAIRS_KEY, { pairs }).pipe(
      Effect.catch((error) => Effect.logWarning(`HELIX replication record not saved (the ZFS holds still protect the common snapshot): ${error.message}`))
    )
  })

/** Snapshots retention must never prune: each pair's common snapshot, on both sides. */
export const protectedByPairs = (pairs: ReadonlyArray<ReplicationPair>): ReadonlySet<string> =>
  new Set(pairs.flatMap((pair) => (pair.common === undefined ? [] : [pair.common.source, pair.common.target])))

/** The protected set from the persisted records, for the prune of the retention engine. */
export const protectedSnapshots: Effect.Effect<ReadonlySet<string>, never, StateStore> = Effect.map(readPairs, protectedByPairs)

const stepOf = (send: SendSpec, target: string): Effect.Effect<ReplicationStep, InvalidName> =>
  Effect.gen(function*() {
    const sendArgs = yield* Effect.fromResult(sendArgv(send))
    const receiveArgs = yield* Effect.fromResult(receiveArgv(target))
    return {
      kind: send.kind,
      ...(send.kind === "full" ? { to: send.snapshot } : send.kind === "incremental" ? { from: send.from, to: send.to } : {}),
      send: sendArgs,
      receive: receiveArgs,
      display: `${sendArgs.join(" ")} | ${receiveArgs.join(" ")}`
    }
  })

interface Planned {
  readonly plan: ReplicationPlan
  readonly sends: ReadonlyArray<SendSpec>
  /** The snapshot both sides will share once the sends are done. */
  readonly next: { readonly source: string; readonly target: string; readonly guid: string } | undefined
}

/** Reads both sides and says what a replication would do; changes nothing. */
export const planReplication = (request: ReplicateRequest) =>
  Effect.gen(function*() {
    const { dataset, target } = request
    const intermediates = request.intermediates ?? true
    if (within(target, dataset) || within(dataset, target)) {
      return yield* Effect.fail(new InvalidReplicationPair({ dataset, target, reason: "one is the other or inside it" }))
    }
    const tag = yield* Effect.fromResult(validateHoldTag(holdTag(target)))
    const zfs = yield* ZfsReplication
    const record = (yield* readPairs).find((pair) => pair.dataset === dataset && pair.target === target)
    const held = record?.common === undefined ? [] : [record.common.source, record.common.target]
    const hold = (place: ReadonlyArray<string>) => ({ tag, place, release: held.filter((name) => !place.includes(name)) })

    const token = yield* zfs.resumeToken(target)
    if (token !== undefined) {
      // What the rest needs is known only once the resumed stream is in: the run plans again after it.
      const send: SendSpec = { kind: "resume", token }
      const plan: ReplicationPlan = {
        dataset, target, upToDate: false, steps: [yield* stepOf(send, target)], discards: [], hold: hold([]), executed: false,
        ...(record?.common === undefined ? {} : { common: record.common.source })
      }
      return { plan, sends: [send], next: undefined } satisfies Planned
    }

    const sourceSnapshots = yield* zfs.snapshots(dataset)
    if (sourceSnapshots === undefined) return yield* Effect.fail(new InvalidReplicationPair({ dataset, target, reason: `${dataset} does not exist` }))
    const newest = sourceSnapshots.at(-1)
    if (newest === undefined) return yield* Effect.fail(new NoSnapshotToSend({ dataset }))
    const onTarget = (snapshot: SnapshotRef) => ({ source: snapshot.name, target: `${target}${suffix(snapshot.name)}`, guid: snapshot.guid })

    const targetSnapshots = yield* zfs.snapshots(target)
    if (targetSnapshots === undefined) {
      const first = intermediates ? sourceSnapshots[0]! : newest
      const sends: Array<SendSpec> = [{ kind: "full", snapshot: first.name }]
      if (first !== newest) sends.push({ kind: "incremental", from: first.name, to: newest.name, intermediates: true })
      const next = onTarget(newest)
      const plan: ReplicationPlan = {
        dataset, target, upToDate: false, steps: yield* Effect.forEach(sends, (send) => stepOf(send, target)), discards: [],
        hold: hold([next.source, next.target]), executed: false
      }
      return { plan, sends, next } satisfies Planned
    }

    const byGuid = new Map(targetSnapshots.map((snapshot) => [snapshot.guid, snapshot]))
    const common = sourceSnapshots.findLast((snapshot) => byGuid.has(snapshot.guid))
    if (common === undefined) return yield* Effect.fail(new NoCommonSnapshot({ dataset, target, targetSnapshots: targetSnapshots.length }))
    const commonOnTarget = byGuid.get(common.guid)!
    const discards = targetSnapshots.filter((snapshot) => snapshot.createtxg > commonOnTarget.createtxg).map((snapshot) => snapshot.name)
    const upToDate = common === newest
    const sends: Array<SendSpec> = upToDate ? [] : [{ kind: "incremental", from: common.name, to: newest.name, intermediates }]
    const next = upToDate ? { source: common.name, target: commonOnTarget.name, guid: common.guid } : onTarget(newest)
    const plan: ReplicationPlan = {
      dataset, target, common: common.name, upToDate, steps: yield* Effect.forEach(sends, (send) => stepOf(send, target)), discards,
      hold: hold([next.source, next.target]), executed: false
    }
    return { plan, sends, next } satisfies Planned
  })

/**
 * The plan, or with `confirm` the replication: each send piped into
 * `zfs receive -s -F`, progress in bytes, then the new common snapshot
 * held on both sides, the previous one released, and the pair's record saved.
 */
export const replicate = (request: ReplicateRequest, hooks: ReplicateHooks) =>
  Effect.gen(function*() {
    const first = yield* planReplication(request)
    if (request.confirm !== true) return first.plan
    const zfs = yield* ZfsReplication
    const job = `replicate ${request.dataset} → ${request.target}`
    const executed: Array<ReplicationStep> = []
    let bytes = 0
    let planned: Planned = first
    // A resumed receive first, then what is left, planned again from what the target now has.
    for (let round = 0; round < 2; round++) {
      const estimates = yield* Effect.forEach(planned.sends, (send) => zfs.estimate(send).pipe(Effect.catch(() => Effect.succeed(undefined))))
      const total = estimates.every((estimate) => estimate !== undefined) ? bytes + estimates.reduce((sum, e) => sum + e!, 0) : undefined
      for (const [index, send] of planned.sends.entries()) {
        const before = bytes
        const sent = yield* zfs.transfer(send, request.target, (done) => hooks.progress({ job, done: before + done, total, unit: "bytes" }))
        bytes += sent.bytes
        const step = planned.plan.steps[index]!
        const estimate = estimates[index]
        executed.push({ ...step, bytes: sent.bytes, ...(estimate === undefined ? {} : { estimatedBytes: estimate }) })
      }
      if (planned.sends[0]?.kind !== "resume") break
      planned = yield* planReplication(request)
    }

    const tag = planned.plan.hold.tag
    if (planned.next !== undefined) yield* zfs.hold(tag, [planned.next.source, planned.next.target])
    yield* zfs.release(tag, planned.plan.hold.release)
    const pairs = yield* readPairs
    const others = pairs.filter((pair) => !(pair.dataset === request.dataset && pair.target === request.target))
    const previous = pairs.find((pair) => pair.dataset === request.dataset && pair.target === request.target)
    const common = planned.next ?? previous?.common
    yield* writePairs([
      ...others,
      {
        dataset: request.dataset,
        target: request.target,
        tag,
        ...(common === undefined ? {} : { common }),
        lastRun: { at: hooks.now().toISOString(), bytes, outcome: executed.length === 0 ? "up to date" : "replicated" }
      }
    ])
    return {
      ...planned.plan,
      common: first.plan.common ?? planned.plan.common,
      steps: executed,
      discards: first.plan.discards.length > 0 ? first.plan.discards : planned.plan.discards,
      upToDate: executed.length === 0,
      executed: true,
      bytes
    } satisfies ReplicationPlan
  })

/** HELIX's handlers of `replicate` and `replication-pairs`, their services captured. */
export const replicationHandlers = Effect.gen(function*() {
  const env = yield* AgentEnv
  const services = yield* Effect.context<ZfsReplication | StateStore>()
  return {
    replicate: (message: ReplicateRequest) => {
      const run = Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const plan = yield* replicate(message, { progress: env.progress, now: () => new Date(now) })
        if (plan.executed) yield* Effect.logInfo(`replicated ${message.dataset} to ${message.target}: ${plan.bytes ?? 0} bytes`)
        return plan
      }).pipe(Effect.provideContext(services))
      if (message.confirm !== true) return run
      // Planned first (a pair that cannot be is refused before any lease is asked for), then run
      // under ARBITER's leases on both datasets: no scrub, prune or other replication of either meanwhile.
      return Effect.andThen(
        Effect.provideContext(planReplication(message), services),
        withLease(env, { resource: `dataset:${message.dataset}`, job: "replication" },
          withLease(env, { resource: `dataset:${message.target}`, job: "replication" }, run))
      )
    },
    "replication-pairs": () => Effect.map(readPairs, (pairs) => ({ pairs })).pipe(Effect.provideContext(services))
  }
})
