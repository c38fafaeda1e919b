/**
 * Zfs in memory, for tests: pools, their status and datasets as given, which a
 * test may change between calls (a disk faults, a pool fills). Plans are the
 * live adapter's argument vectors; confirmed ones are recorded in `executed`
 * and applied where the model can (datasets created, destroyed, scrubs).
 * `installed: false` behaves like a machine without zpool.
 */
import { Effect, Layer } from "effect"
import { createDatasetArgv, createPoolArgv, destroyArgv, display, setPropertyArgv } from "./commands.ts"
import { CommandExited } from "../command/Command.ts"
import { validatePoolName } from "../command/names.ts"
import { type Dataset, type Planned, type PoolStatus, type PoolSummary, type PropertyValue, Zfs, type ZfsError, ZfsNotInstalled } from "./Zfs.ts"

export interface ZfsModel {
  installed: boolean
  summaries: Array<PoolSummary>
  statuses: Array<PoolStatus>
  datasets: Array<Dataset>
  properties: Map<string, Record<string, PropertyValue>>
  /** Confirmed commands, in order. */
  readonly executed: Array<ReadonlyArray<string>>
}

export const model = (initial: Partial<Omit<ZfsModel, "executed">> = {}): ZfsModel => ({
  installed: initial.installed ?? true,
  summaries: initial.summaries ?? [],
  statuses: initial.statuses ?? [],
  datasets: initial.datasets ?? [],
  properties: initial.properties ?? new Map(),
  executed: []
})

export const make = (state: ZfsModel): Zfs["Service"] => {
  const installed = <A>(effect: Effect.Effect<A, ZfsError>): Effect.Effect<A, ZfsError> =>
    Effect.suspend(() => (state.installed ? effect : Effect.fail(new ZfsNotInstalled())))
  const plan = (argv: ReadonlyArray<string>, confirm: boolean, apply: () => void): Effect.Effect<Planned, ZfsError> =>
    Effect.sync(() => {
      if (!confirm) return { command: argv, display: display(argv), executed: false }
      state.executed.push(argv)
      apply()
      return { command: argv, display: display(argv), executed: true, output: "" }
    })
  return Zfs.of({
    pools: installed(Effect.sync(() => [...state.summaries])),
    status: (pool) =>
      installed(Effect.gen(function*() {
        if (pool === undefined) return [...state.statuses]
        yield* Effect.fromResult(validatePoolName(pool))
        const found = state.statuses.filter((s) => s.name === pool)
        if (found.length === 0) {
          // What zpool itself answers.
          return yield* Effect.fail(new CommandExited({ tool: "zpool", args: ["status", pool], exitCode: 1, stderr: `cannot open '${pool}': no such pool` }))
        }
        return found
      })),
    datasets: (root) =>
      installed(Effect.sync(() => state.datasets.filter((d) => root === undefined || d.name === root || d.name.startsWith(`${root}/`)))),
    properties: (dataset, names) =>
      installed(Effect.sync(() => {
        const all = state.properties.get(dataset) ?? {}
        return names.length === 0 ? all : Object.fromEntries(names.filter((n) => n in all).map((n) => [n, all[n]!]))
      })),
    scrub: (pool, action) =>
      installed(Effect.gen(function*() {
        yield* Effect.fromResult(validatePoolName(pool))
        state.executed.push(["zpool", "scrub", ...(action === "pause" ? ["-p"] : action === "stop" ? ["-s"] : []), pool])
        state.statuses = state.statuses.map((s) =>
          s.name !== pool ? s : {
            ...s,
            scan: action === "start"
              ? { function: "scrub", state: "scanning", paused: false, errors: 0, percent: 0 }
              : action === "pause"
              ? { ...s.scan, paused: true }
              : { ...s.scan, state: "canceled", paused: false }
          }
        )
      })),
    createPool: (pool, vdevs, options) =>
      installed(Effect.flatMap(createPoolArgv(pool, vdevs, options.properties), (argv) => plan(argv, options.confirm, () => {}))),
    createDataset: (dataset, options) =>
      installed(Effect.flatMap(createDatasetArgv(dataset, options.properties), (argv) =>
        plan(argv, options.confirm, () =>
          state.datasets.push({
            name: dataset,
            pool: dataset.split("/")[0]!,
            type: "filesystem",
            usedBytes: 0,
            availableBytes: 0,
            referencedBytes: 0,
            mountpoint: `/${dataset}`,
            mounted: true
          })))),
    setProperty: (dataset, property, value, options) =>
      installed(Effect.flatMap(setPropertyArgv(dataset, property, value), (argv) =>
        plan(argv, options.confirm, () =>
          state.properties.set(dataset, { ...state.properties.get(dataset), [property]: { value, source: "local" } })))),
    destroy: (dataset, options) =>
      installed(Effect.flatMap(destroyArgv(dataset, options.recursive === true), (argv) =>
        plan(argv, options.confirm, () => {
          state.datasets = state.datasets.filter((d) =>
            d.name !== dataset && !(options.recursive === true && d.name.startsWith(`${dataset}/`))
          )
        })))
  })
}

export const layer = (state: ZfsModel): Layer.Layer<Zfs> => Layer.succeed(Zfs, make(state))
