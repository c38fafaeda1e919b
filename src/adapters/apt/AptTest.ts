/**
 * Apt in memory, for tests: the upgradable packages, holds, index, reboot
 * flag and kernels as a model a test changes between calls. `refresh`
 * applies `pending` (what the next index brings); a confirmed upgrade
 * installs what it names and records its argument vector in `executed`;
 * `busy` makes every call fail as a held lock does; `installed: false` is a
 * system without apt.
 */
import { Effect, Layer } from "effect"
import { AptFailed, AptNotInstalled, Apt, type AptError, type IndexState, type KernelState, PackageManagerBusy, type RebootFlag } from "./Apt.ts"
import { refreshArgv, simulateArgv, upgradeArgv, upgradeEnv, validatePackages } from "./commands.ts"
import type { KeptBack, PackageChange, Removal, Simulation } from "./simulate.ts"

export interface AptModel {
  installed: boolean
  /** A lock someone holds: every call fails with PackageManagerBusy. */
  busy: string | undefined
  /** What `refresh` fails with, when set. */
  refreshFails: string | undefined
  upgrades: Array<PackageChange>
  installs: Array<PackageChange>
  removals: Array<Removal>
  keptBack: Array<KeptBack>
  holds: Array<string>
  /** What the next refresh makes available (added to `upgrades`). */
  pending: Array<PackageChange>
  index: IndexState
  rebootFlag: RebootFlag
  kernel: KernelState
  now: () => Date
  /** The dpkg status's stamp `index` reports; undefined: a new one at each call (nothing is reused). */
  statusStamp: string | undefined
  /** How long a confirmed upgrade takes (on the Clock). */
  upgradeMs: number
  /** Every apt-get command that ran (refresh, simulate, upgrade). */
  readonly executed: Array<ReadonlyArray<string>>
}

export const change = (name: string, from: string | null, to: string, origin: string): PackageChange => {
  const origins = origin.split(", ")
  const suites = origins.map((o) => o.split(/[/:]/).pop()!)
  return { name, from, to, arch: "amd64", origins, suites, security: origins.some((o) => /^Debian-Security:/.test(o) || /-security$/.test(o.split(/[/:]/).pop()!)) }
}

export const makeModel = (overrides: Partial<AptModel> = {}): AptModel => ({
  installed: true,
  busy: undefined,
  refreshFails: undefined,
  upgrades: [],
  installs: [],
  removals: [],
  keptBack: [],
  holds: [],
  pending: [],
  index: { lists: 0, refreshedAt: null },
  rebootFlag: { required: false, since: null, packages: [] },
  kernel: { running: "6.1.0-28-amd64", newestInstalled: "6.1.0-28-amd64", managed: true, rebootRequired: false, reason: "the newest installed kernel (6.1.0-28-amd64) is running" },
  now: () => new Date(0),
  upgradeMs: 0,
  statusStamp: undefined,
  executed: [],
  ...overrides
})

export const make = (model: AptModel): Apt["Service"] => {
  let stamps = 0
  const guard = <A>(effect: Effect.Effect<A, AptError>): Effect.Effect<A, AptError> =>
    Effect.suspend(() =>
      !model.installed
        ? Effect.fail(new AptNotInstalled({ tool: "apt-get" }))
        : model.busy !== undefined
        ? Effect.fail(new PackageManagerBusy({ lock: model.busy, holder: "process 4242 (apt-get)" }))
        : effect
    )
  const simulation = (packages?: ReadonlyArray<string>): Simulation => {
    const upgrades = packages === undefined ? model.upgrades : model.upgrades.filter((u) => packages.includes(u.name))
    const installs = packages === undefined ? model.installs : []
    const removals = packages === undefined ? model.removals : []
    const keptBack = packages === undefined ? model.keptBack : []
    return {
      upgrades,
      installs,
      removals,
      keptBack,
      summary: { upgraded: upgrades.length, newlyInstalled: installs.length, removed: removals.length, notUpgraded: keptBack.length }
    }
  }
  const valid = (packages: ReadonlyArray<string> | undefined) =>
    packages === undefined ? Effect.void : Effect.asVoid(Effect.fromResult(validatePackages(packages)))
  return Apt.of({
    refresh: guard(Effect.suspend(() => {
      model.executed.push(refreshArgv)
      if (model.refreshFails !== undefined) {
        return Effect.fail(new AptFailed({ command: "apt-get update", exitCode: 100, output: model.refreshFails }))
      }
      model.upgrades.push(...model.pending.splice(0))
      model.index = { lists: Math.max(1, model.index.lists), refreshedAt: model.now().toISOString() }
      return Effect.succeed({ warnings: [] })
    })),
    simulate: (packages) =>
      guard(Effect.andThen(valid(packages), Effect.sync(() => {
        model.executed.push(simulateArgv(packages))
        return simulation(packages)
      }))),
    holds: guard(Effect.sync(() => [...model.holds])),
    index: guard(Effect.sync(() => ({ ...model.index, statusStamp: model.statusStamp ?? `call-${++stamps}` }))),
    rebootFlag: Effect.sync(() => model.rebootFlag),
    kernel: Effect.sync(() => model.kernel),
    upgradeCommand: (packages) => ({ command: upgradeArgv(packages), env: upgradeEnv(undefined) }),
    upgrade: (packages) =>
      guard(Effect.andThen(Effect.andThen(valid(packages), Effect.sleep(model.upgradeMs)), Effect.sync(() => {
        const argv = upgradeArgv(packages)
        model.executed.push(argv)
        if (model.statusStamp !== undefined) model.statusStamp = `${model.statusStamp}+`
        const done = simulation(packages)
        model.upgrades = model.upgrades.filter((u) => !done.upgrades.some((d) => d.name === u.name))
        if (packages === undefined) {
          model.installs = []
          model.removals = []
        }
        return { command: argv, output: `${done.summary.upgraded} upgraded, ${done.summary.newlyInstalled} newly installed, ${done.summary.removed} to remove and ${model.keptBack.length} not upgraded.` }
      })))
  })
}

export const layer = (model: AptModel) => Layer.succeed(Apt, make(model))
