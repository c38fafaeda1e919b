/**
 * ZfsReplication in memory, for agents' tests: datasets and their snapshots
 * as given; a transfer copies the snapshots a send carries to the target
 * (creating it on a full send), records the pipe it would run (the live
 * adapter's argv) in `executed`, and reports the bytes as progress; holds
 * are kept per snapshot. `installed: false` behaves like a machine without
 * zfs. For the exact argv of the live adapter, test it over the test
 * CommandRunner and CommandStreams instead (test/actors/helix/replicate.test.ts).
 */
import { Effect, Layer } from "effect"
import { CommandExited } from "../command/Command.ts"
import { receiveArgv, sendArgv, type SendSpec, type SnapshotRef, ZfsReplication } from "./Replication.ts"
import { ZfsNotInstalled } from "./Zfs.ts"

export interface ReplicationModel {
  installed: boolean
  /** Dataset → its snapshots, oldest first. */
  readonly datasets: Map<string, Array<SnapshotRef>>
  readonly tokens: Map<string, string>
  /** Snapshot → its hold tags. */
  readonly holds: Map<string, Set<string>>
  /** Every pipe that would have run, as "send argv | receive argv". */
  readonly executed: Array<string>
  /** Bytes each snapshot adds to a send. */
  bytesPerSnapshot: number
}

export const model = (datasets: Readonly<Record<string, ReadonlyArray<SnapshotRef>>> = {}): ReplicationModel => ({
  installed: true,
  datasets: new Map(Object.entries(datasets).map(([name, snapshots]) => [name, [...snapshots]])),
  tokens: new Map(),
  holds: new Map(),
  executed: [],
  bytesPerSnapshot: 1024
})

const suffix = (snapshot: string) => snapshot.slice(snapshot.indexOf("@"))
const datasetOf = (snapshot: string) => snapshot.slice(0, snapshot.indexOf("@"))

export const make = (state: ReplicationModel): ZfsReplication["Service"] => {
  const guard = Effect.suspend(() => (state.installed ? Effect.void : Effect.fail(new ZfsNotInstalled())))
  const carried = (send: SendSpec): Array<SnapshotRef> => {
    if (send.kind === "resume") return []
    const source = state.datasets.get(datasetOf(send.kind === "full" ? send.snapshot : send.to)) ?? []
    if (send.kind === "full") return source.filter((s) => s.name === send.snapshot)
    const from = source.findIndex((s) => s.name === send.from)
    const to = source.findIndex((s) => s.name === send.to)
    return send.intermediates ? source.slice(from + 1, to + 1) : source.slice(to, to + 1)
  }
  return ZfsReplication.of({
    snapshots: (dataset) => Effect.as(guard, state.datasets.get(dataset)?.slice()),
    resumeToken: (dataset) => Effect.as(guard, state.tokens.get(dataset)),
    estimate: (send) => Effect.as(guard, carried(send).length * state.bytesPerSnapshot),
    transfer: (send, target, onProgress) =>
      Effect.gen(function*() {
        yield* guard
        const sendLine = yield* Effect.fromResult(sendArgv(send))
        const receiveLine = yield* Effect.fromResult(receiveArgv(target))
        state.executed.push(`${sendLine.join(" ")} | ${receiveLine.join(" ")}`)
        if (send.kind === "resume") state.tokens.delete(target)
        const snapshots = carried(send)
        const existing = state.datasets.get(target)
        if (existing === undefined && send.kind === "incremental") {
          return yield* Effect.fail(new CommandExited({ tool: "zfs", args: receiveLine.slice(1), exitCode: 1, stderr: `cannot receive incremental stream: destination '${target}' does not exist` }))
        }
        const into = existing ?? []
        state.datasets.set(target, into)
        for (const snapshot of snapshots) into.push({ ...snapshot, name: `${target}${suffix(snapshot.name)}` })
        const bytes = snapshots.length * state.bytesPerSnapshot
        yield* onProgress(bytes)
        return { bytes }
      }),
    hold: (tag, snapshots) =>
      Effect.andThen(guard, Effect.sync(() => {
        for (const snapshot of snapshots) {
          const tags = state.holds.get(snapshot) ?? new Set()
          tags.add(tag)
          state.holds.set(snapshot, tags)
        }
      })),
    release: (tag, snapshots) => Effect.andThen(guard, Effect.sync(() => snapshots.forEach((snapshot) => state.holds.get(snapshot)?.delete(tag))))
  })
}

export const layer = (state: ReplicationModel = model()): Layer.Layer<ZfsReplication> => Layer.succeed(ZfsReplication, make(state))

/** A snapshot record for a model: guid and txg from its position. */
export const ref = (name: string, guid: string, createtxg: number): SnapshotRef => ({ name, guid, createtxg, creation: 1_700_000_000 + createtxg })

