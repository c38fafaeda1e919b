/**
 * Zfs in memory, for tests: pools, their status and datasets as given, which a
 * test may change between calls (a disk faults, a pool fills). Plans are the
 * live adapter's argument vectors; every command that would run is recorded
 * in `executed`, and confirmed changes are applied to the model (pools and
 * datasets created and destroyed, properties set, scrubs started, paused and
 * stopped), refusing what zpool and zfs refuse, with their words.
 * `installed: false` behaves like a machine without zpool.
 */
import { Effect, Layer } from "effect"
import { CommandExited } from "../command/Command.ts"
import { validatePoolName } from "../command/names.ts"
import {
  createDatasetArgv,
  createPoolArgv,
  destroyArgv,
  display,
  holdArgv,
  holdsArgv,
  listSnapshotsArgv,
  scrubArgv,
  setPropertyArgv,
  snapshotArgv
} from "./commands.ts"
import {
  type Dataset,
  type LayoutVdev,
  type Planned,
  type PoolStatus,
  type PoolSummary,
  type PropertyValue,
  type ScanStatus,
  type SnapshotRow,
  type Vdev,
  type VdevClass,
  Zfs,
  type ZfsError,
  ZfsNotInstalled
} from "./Zfs.ts"

export interface ZfsModel {
  installed: boolean
  summaries: Array<PoolSummary>
  statuses: Array<PoolStatus>
  datasets: Array<Dataset>
  /** By dataset name. */
  properties: Map<string, Record<string, PropertyValue>>
  /** Snapshots with their creation time and holds (HELIX); `zfs snapshot` adds to them at `now()`. */
  snapshots: Array<SnapshotModel>
  /** The time new snapshots get, in seconds since the epoch. */
  now: () => number
  /** Every command that would have been spawned, in order (reads included for snapshots). */
  readonly executed: Array<ReadonlyArray<string>>
}

export interface SnapshotModel {
  /** dataset@snapshot */
  readonly name: string
  readonly creation: number
  readonly usedBytes?: number
  readonly referencedBytes?: number
  /** Hold tags, with when each was placed (zfs's text). */
  holds?: Array<{ readonly tag: string; readonly since?: string }>
}

export const model = (initial: Partial<Omit<ZfsModel, "executed">> = {}): ZfsModel => ({
  installed: initial.installed ?? true,
  summaries: initial.summaries ?? [],
  statuses: initial.statuses ?? [],
  datasets: initial.datasets ?? [],
  properties: initial.properties ?? new Map(),
  snapshots: initial.snapshots ?? [],
  now: initial.now ?? (() => Math.floor(Date.now() / 1000)),
  executed: []
})

/** How zpool and zfs fail: exit 1 and a "cannot …: reason" line. */
const refused = (argv: ReadonlyArray<string>, stderr: string) =>
  Effect.fail(new CommandExited({ tool: argv[0]!, args: argv.slice(1), exitCode: 1, stderr }))

const leaf = (disk: string): Vdev => ({
  name: disk.split("/").at(-1)!,
  type: "disk",
  state: "ONLINE",
  path: disk.startsWith("/") ? disk : `/dev/${disk}`,
  readErrors: 0,
  writeErrors: 0,
  checksumErrors: 0,
  children: []
})

/** The vdev tree `zpool create` would make of a layout, named as zpool names it. */
export const vdevsOf = (layout: ReadonlyArray<LayoutVdev>): Array<Vdev & { readonly class: VdevClass }> => {
  // zpool numbers a group by its place among all top-level vdevs, where each striped disk is one.
  let index = 0
  return layout.flatMap((group): Array<Vdev & { readonly class: VdevClass }> => {
    if (group.kind === "stripe") {
      index += group.disks.length
      return group.disks.map((disk) => ({ ...leaf(disk), class: "data" }))
    }
    return [{
      name: `${group.kind}-${index++}`,
      type: group.kind === "mirror" ? "mirror" : "raidz",
      parity: group.kind === "mirror" ? undefined : Number(group.kind.slice(-1)),
      state: "ONLINE",
      readErrors: 0,
      writeErrors: 0,
      checksumErrors: 0,
      children: group.disks.map(leaf),
      class: "data"
    }]
  })
}

const rowOf = (s: SnapshotModel): SnapshotRow => {
  const at = s.name.indexOf("@")
  return {
    name: s.name,
    dataset: s.name.slice(0, at),
    snapshot: s.name.slice(at + 1),
    creation: s.creation,
    usedBytes: s.usedBytes ?? 0,
    referencedBytes: s.referencedBytes ?? 0,
    userrefs: (s.holds ?? []).length
  }
}

const fresh = (name: string): Dataset => ({
  name,
  pool: name.split("/")[0]!,
  type: "filesystem",
  usedBytes: 0,
  availableBytes: 0,
  referencedBytes: 0,
  mountpoint: `/${name}`,
  mounted: true
})

export const make = (state: ZfsModel): Zfs["Service"] => {
  const installed = <A>(effect: Effect.Effect<A, ZfsError>): Effect.Effect<A, ZfsError> =>
    Effect.suspend(() => (state.installed ? effect : Effect.fail(new ZfsNotInstalled())))

  /** Plans without running; with confirm, records the command and applies it (or fails as the tool would). */
  const plan = (argv: ReadonlyArray<string>, confirm: boolean, apply: () => Effect.Effect<void, ZfsError>): Effect.Effect<Planned, ZfsError> =>
    confirm
      ? Effect.suspend(() => {
        state.executed.push(argv)
        return Effect.as(apply(), { command: argv, display: display(argv), executed: true, output: "" })
      })
      : Effect.succeed({ command: argv, display: display(argv), executed: false })

  const pool = (argv: ReadonlyArray<string>, name: string) =>
    Effect.suspend(() => {
      const found = state.statuses.find((s) => s.name === name)
      return found === undefined ? refused(argv, `cannot open '${name}': no such pool`) : Effect.succeed(found)
    })

  const setScan = (name: string, scan: ScanStatus) => {
    state.statuses = state.statuses.map((s) => (s.name === name ? { ...s, scan } : s))
  }

  /** What the kernel allows, as libzfs's zpool_scan words it. */
  const scrub = (argv: ReadonlyArray<string>, name: string, action: "start" | "pause" | "stop") =>
    Effect.gen(function*() {
      const { scan } = yield* pool(argv, name)
      const scrubbing = scan.function === "scrub" && scan.state === "scanning"
      const resilvering = scan.function === "resilver" && scan.state === "scanning"
      if (action === "start") {
        if (resilvering) return yield* refused(argv, `cannot scrub ${name}: currently resilvering`)
        if (scrubbing && !scan.paused) return yield* refused(argv, `cannot scrub ${name}: currently scrubbing; use 'zpool scrub -s' to cancel scrub`)
        return setScan(name, scrubbing ? { ...scan, paused: false } : { function: "scrub", state: "scanning", paused: false, errors: 0, percent: 0 })
      }
      if (!scrubbing) return yield* refused(argv, `cannot ${action === "pause" ? "pause" : "cancel"} scrubbing ${name}: there is no active scrub`)
      if (action === "pause") {
        if (scan.paused) return yield* refused(argv, `cannot pause scrubbing ${name}: scrub is paused; use 'zpool scrub' to resume scrub`)
        return setScan(name, { ...scan, paused: true })
      }
      setScan(name, { ...scan, state: "canceled", paused: false, percent: undefined })
    })

  const exists = (name: string) => state.datasets.some((d) => d.name === name)

  return Zfs.of({
    pools: installed(Effect.sync(() => [...state.summaries])),
    status: (name) =>
      installed(
        name === undefined
          ? Effect.sync(() => [...state.statuses])
          : Effect.gen(function*() {
            yield* Effect.fromResult(validatePoolName(name))
            return [yield* pool(["zpool", "status", name], name)]
          })
      ),
    // Like `zfs list -t filesystem,volume`: snapshots in the model are not listed.
    datasets: (root) =>
      installed(Effect.sync(() =>
        state.datasets.filter((d) => d.type !== "snapshot" && d.type !== "bookmark" && (root === undefined || d.name === root || d.name.startsWith(`${root}/`)))
      )),
    properties: (dataset, names) =>
      installed(Effect.suspend(() => {
        if (!exists(dataset) && !state.properties.has(dataset)) {
          return refused(["zfs", "get", dataset], `cannot open '${dataset}': dataset does not exist`)
        }
        const all = state.properties.get(dataset) ?? {}
        return Effect.succeed(names.length === 0 ? { ...all } : Object.fromEntries(names.filter((n) => n in all).map((n) => [n, all[n]!])))
      })),
    scrub: (name, action) =>
      installed(Effect.flatMap(scrubArgv(name, action), (argv) =>
        Effect.suspend(() => {
          state.executed.push(argv)
          return scrub(argv, name, action)
        }))),
    createPool: (name, vdevs, options) =>
      installed(Effect.flatMap(createPoolArgv(name, vdevs, options.properties), (argv) =>
        plan(argv, options.confirm, () => {
          if (state.statuses.some((s) => s.name === name)) return refused(argv, `cannot create '${name}': pool already exists`)
          state.statuses = [...state.statuses, {
            name,
            state: "ONLINE",
            dataErrors: "No known data errors",
            vdevs: vdevsOf(vdevs),
            scan: { function: "none", state: "none", paused: false, errors: 0 }
          }]
          state.summaries = [...state.summaries, {
            name,
            health: "ONLINE",
            sizeBytes: 0,
            allocatedBytes: 0,
            freeBytes: 0,
            capacityPercent: 0,
            fragmentationPercent: 0,
            dedupRatio: 1
          }]
          state.datasets = [...state.datasets, fresh(name)]
          return Effect.void
        }))),
    createDataset: (dataset, options) =>
      installed(Effect.flatMap(createDatasetArgv(dataset, options.properties), (argv) =>
        plan(argv, options.confirm, () => {
          if (exists(dataset)) return refused(argv, `cannot create '${dataset}': dataset already exists`)
          if (!exists(dataset.slice(0, dataset.lastIndexOf("/")))) return refused(argv, `cannot create '${dataset}': parent does not exist`)
          state.datasets = [...state.datasets, fresh(dataset)]
          const local = Object.entries(options.properties ?? {}).map(([k, value]) => [k, { value, source: "local" }] as const)
          if (local.length > 0) state.properties.set(dataset, { ...state.properties.get(dataset), ...Object.fromEntries(local) })
          return Effect.void
        }))),
    setProperty: (dataset, property, value, options) =>
      installed(Effect.flatMap(setPropertyArgv(dataset, property, value), (argv) =>
        plan(argv, options.confirm, () => {
          if (!exists(dataset)) return refused(argv, `cannot open '${dataset}': dataset does not exist`)
          state.properties.set(dataset, { ...state.properties.get(dataset), [property]: { value, source: "local" } })
          if (property === "mountpoint") {
            state.datasets = state.datasets.map((d) => (d.name === dataset ? { ...d, mountpoint: value.startsWith("/") ? value : undefined } : d))
          }
          return Effect.void
        }))),
    destroy: (dataset, options) =>
      installed(Effect.flatMap(destroyArgv(dataset, options.recursive === true), (argv) =>
        plan(argv, options.confirm, () => {
          const at = dataset.indexOf("@")
          if (at >= 0) {
            // A snapshot; with -r, the snapshot of that name of every descendant too.
            const [parent, snapshot] = [dataset.slice(0, at), dataset.slice(at + 1)]
            if (!exists(parent)) return refused(argv, `cannot open '${parent}': dataset does not exist`)
            const doomed = (name: string) =>
              name === dataset || (options.recursive === true && name.startsWith(`${parent}/`) && name.endsWith(`@${snapshot}`))
            if (!state.datasets.some((d) => doomed(d.name)) && !state.snapshots.some((s) => doomed(s.name))) {
              return refused(argv, "could not find any snapshots to destroy; check snapshot names.")
            }
            const held = state.snapshots.find((s) => doomed(s.name) && (s.holds ?? []).length > 0)
            if (held !== undefined) return refused(argv, `cannot destroy snapshot ${held.name}: dataset is busy`)
            state.datasets = state.datasets.filter((d) => !doomed(d.name))
            state.snapshots = state.snapshots.filter((s) => !doomed(s.name))
            return Effect.void
          }
          if (!exists(dataset)) return refused(argv, `cannot open '${dataset}': dataset does not exist`)
          // Snapshots are children too: zfs destroy without -r refuses a dataset that has any.
          const children = [...state.datasets, ...state.snapshots].filter((d) => d.name.startsWith(`${dataset}/`) || d.name.startsWith(`${dataset}@`))
          if (children.length > 0 && options.recursive !== true) {
            return refused(argv, `cannot destroy '${dataset}': filesystem has children\nuse '-r' to destroy the following datasets:\n${children.map((d) => d.name).join("\n")}`)
          }
          state.datasets = state.datasets.filter((d) => d.name !== dataset && !d.name.startsWith(`${dataset}/`) && !d.name.startsWith(`${dataset}@`))
          state.snapshots = state.snapshots.filter((s) => !s.name.startsWith(`${dataset}/`) && !s.name.startsWith(`${dataset}@`))
          state.properties.delete(dataset)
          return Effect.void
        }))),
    snapshots: (root, options) =>
      installed(Effect.flatMap(listSnapshotsArgv(root, options?.recursive === true, "json"), (argv) =>
        Effect.suspend(() => {
          state.executed.push(argv)
          if (root !== undefined && !exists(root)) return refused(argv, `cannot open '${root}': dataset does not exist`)
          const within = (dataset: string) =>
            root === undefined || dataset === root || (options?.recursive === true && dataset.startsWith(`${root}/`))
          return Effect.succeed(state.snapshots.filter((s) => within(s.name.slice(0, s.name.indexOf("@")))).map(rowOf))
        }))),
    snapshot: (snapshot, options) =>
      installed(Effect.flatMap(snapshotArgv(snapshot, options.recursive === true), (argv) =>
        plan(argv, options.confirm, () => {
          const at = snapshot.indexOf("@")
          const [parent, label] = [snapshot.slice(0, at), snapshot.slice(at + 1)]
          if (!exists(parent)) return refused(argv, `cannot open '${parent}': dataset does not exist`)
          const targets = state.datasets
            .filter((d) => d.type !== "snapshot" && d.type !== "bookmark")
            .filter((d) => d.name === parent || (options.recursive === true && d.name.startsWith(`${parent}/`)))
            .map((d) => `${d.name}@${label}`)
          const taken = targets.find((name) => state.snapshots.some((s) => s.name === name))
          if (taken !== undefined) return refused(argv, `cannot create snapshot '${taken}': dataset already exists`)
          const creation = state.now()
          state.snapshots = [...state.snapshots, ...targets.map((name) => ({ name, creation, usedBytes: 0, referencedBytes: 0 }))]
          return Effect.void
        }))),
    hold: (tag, snapshot, options) =>
      installed(Effect.flatMap(holdArgv("hold", tag, [snapshot]), (argv) =>
        plan(argv, options.confirm, () => {
          const found = state.snapshots.find((s) => s.name === snapshot)
          if (found === undefined) return refused(argv, `cannot hold snapshot '${snapshot}': dataset does not exist`)
          if ((found.holds ?? []).some((h) => h.tag === tag)) return refused(argv, `cannot hold snapshot '${snapshot}': tag already exists on this dataset`)
          found.holds = [...(found.holds ?? []), { tag, since: new Date(state.now() * 1000).toUTCString() }]
          return Effect.void
        }))),
    release: (tag, snapshot, options) =>
      installed(Effect.flatMap(holdArgv("release", tag, [snapshot]), (argv) =>
        plan(argv, options.confirm, () => {
          const found = state.snapshots.find((s) => s.name === snapshot)
          if (found === undefined) return refused(argv, `cannot release hold from snapshot '${snapshot}': dataset does not exist`)
          if (!(found.holds ?? []).some((h) => h.tag === tag)) {
            return refused(argv, `cannot release hold from snapshot '${snapshot}': no such tag on this dataset`)
          }
          found.holds = (found.holds ?? []).filter((h) => h.tag !== tag)
          return Effect.void
        }))),
    holds: (snapshot) =>
      installed(Effect.flatMap(holdsArgv(snapshot), (argv) =>
        Effect.suspend(() => {
          state.executed.push(argv)
          const found = state.snapshots.find((s) => s.name === snapshot)
          if (found === undefined) return refused(argv, `cannot open '${snapshot}': dataset does not exist`)
          return Effect.succeed(found.holds ?? [])
        })))
  })
}

export const layer = (state: ZfsModel): Layer.Layer<Zfs> => Layer.succeed(Zfs, make(state))
