/**
 * VANGUARD: updates. `updates` reads what `apt-get -s -V dist-upgrade` would
 * do (upgradable packages with security updates flagged by origin/suite,
 * new packages, removals, kept-back packages with holds told apart), when
 * the index was last refreshed (honest when never), and whether a reboot is
 * required (/run/reboot-required and .pkgs, and the kernels in /boot against
 * the running one). `refresh` runs `apt-get update`. `upgrade` is planned
 * with apt's own simulation of the exact command and runs only with
 * `confirm: true`, non-interactively.
 *
 * Every `update_check_interval_hours` (daily by default) it refreshes the
 * index (unless update_check_refresh = off) and checks: new pending security
 * updates, a reboot becoming required and a failing refresh are alerted
 * (codes.ts), and their clearing announced. The last check is kept in the
 * state directory, so a restart does not check again at once; a fresh daemon
 * waits 10 minutes before its first check.
 */
import { Clock, Effect, Option, Schema } from "effect"
import { Apt, type AptError } from "../../adapters/apt/Apt.ts"
import { display } from "../../adapters/apt/commands.ts"
import type { Simulation } from "../../adapters/apt/simulate.ts"
import { StateStore } from "../../adapters/state/StateStore.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { describeError } from "../../runtime/Errors.ts"
import { serviceMachine } from "../shared/serve.ts"
import { REBOOT_REQUIRED, REFRESH_FAILED, SECURITY_UPDATES } from "./codes.ts"
import { VanguardConfig } from "./config.ts"
import { NothingToUpgrade, type UpdatesReply, type UpgradeReply, Vanguard } from "./messages.ts"

export const vanguardCapabilities: ReadonlyArray<Capability> = [
  {
    name: "update-check",
    available: true,
    detail: "reads `apt-get -s -V dist-upgrade` in the C locale: upgradable packages with security updates flagged by origin/suite (label Debian-Security or a -security suite), new packages, removals, kept-back and held packages, the index's age, /run/reboot-required and the kernels in /boot; checked daily with an alert when security updates are pending"
  },
  {
    name: "index-refresh",
    available: true,
    detail: "refreshes the apt package index (`apt-get update`), refused as busy while another package manager holds the lock"
  },
  {
    name: "upgrade",
    available: true,
    detail: "plans `apt-get -y dist-upgrade` (or only the security updates, `install --only-upgrade`) with apt's own simulation of the exact command; runs it with DEBIAN_FRONTEND=noninteractive, keeping changed configuration files, only with confirm"
  }
]

/** The StateStore key of the last periodic check. */
export const STATE_KEY = "vanguard"

const Kept = Schema.Struct({
  checkedAt: Schema.String,
  /** Security updates pending at that check (name=version). */
  security: Schema.Array(Schema.String),
  reboot: Schema.Boolean,
  refreshProblem: Schema.optional(Schema.String)
})
type Kept = typeof Kept.Type
const decodeKept = Schema.decodeUnknownOption(Kept)

const CACHE_MS = 3_600_000

const NEVER_REFRESHED = "the package index was never refreshed: this list means nothing until `refresh` (apt-get update) has run"

export const vanguardMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const apt = yield* Apt
  const store = yield* StateStore
  const config = yield* VanguardConfig
  const startedAt = yield* Clock.currentTimeMillis

  let kept: Kept | undefined = yield* store.read(STATE_KEY).pipe(
    Effect.map(Option.flatMap(decodeKept)),
    Effect.map(Option.getOrUndefined),
    Effect.catch((error) => Effect.as(Effect.logWarning(`VANGUARD: the last check cannot be read (${error.message}); starting afresh`), undefined))
  )

  const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

  /**
   * The last simulation and holds, reused while the index and the dpkg status are unchanged (for an hour at most):
   * a simulate takes seconds on a real index, an ask's default timeout is 5 s.
   */
  let cached: { readonly key: string; readonly at: number; readonly simulation: Simulation; readonly holds: ReadonlyArray<string> } | undefined
  const reading = Effect.gen(function*() {
    const index = yield* apt.index
    const key = index.statusStamp === undefined ? undefined : `${index.lists}|${index.refreshedAt}|${index.statusStamp}`
    const at = yield* Clock.currentTimeMillis
    if (key !== undefined && cached !== undefined && cached.key === key && at - cached.at < CACHE_MS) {
      return { index, simulation: cached.simulation, holds: cached.holds }
    }
    const [simulation, holds] = yield* Effect.all([apt.simulate(), apt.holds])
    cached = key === undefined ? undefined : { key, at, simulation, holds }
    return { index, simulation, holds }
  })

  const updates = (securityOnly: boolean): Effect.Effect<UpdatesReply, AptError> =>
    Effect.gen(function*() {
      const [{ holds, index, simulation }, flag, kernel] = yield* Effect.all([reading, apt.rebootFlag, apt.kernel])
      const held = new Set(holds.map((name) => name.replace(/:.*$/, "")))
      const refreshed = index.lists > 0
      return {
        checkedAt: yield* now,
        index: { refreshed, refreshedAt: index.refreshedAt, lists: index.lists, ...(refreshed ? {} : { note: NEVER_REFRESHED }) },
        upgradable: simulation.upgrades.filter((p) => !securityOnly || p.security),
        newPackages: simulation.installs.filter((p) => !securityOnly || p.security),
        removals: simulation.removals,
        keptBack: simulation.keptBack.map((k) => ({ ...k, held: held.has(k.name.replace(/:.*$/, "")) })),
        securityCount: simulation.upgrades.filter((p) => p.security).length,
        reboot: {
          required: flag.required || kernel.rebootRequired,
          flag: flag.required,
          since: flag.since,
          packages: flag.packages,
          kernel
        }
      }
    })

  const refresh = Effect.gen(function*() {
    const job = "apt-get update"
    yield* env.progress({ job, done: 0, total: 2, unit: "steps" })
    const outcome = yield* apt.refresh
    yield* env.progress({ job, done: 1, total: 2, unit: "steps" })
    const [simulation, index] = yield* Effect.all([apt.simulate(), apt.index])
    yield* env.progress({ job, done: 2, total: 2, unit: "steps" })
    yield* Effect.logInfo(`VANGUARD: index refreshed; ${simulation.upgrades.length} upgradable`)
    return {
      refreshedAt: index.refreshedAt,
      warnings: outcome.warnings,
      upgradable: simulation.upgrades.length,
      securityCount: simulation.upgrades.filter((p) => p.security).length
    }
  })

  const upgrade = (securityOnly: boolean, confirm: boolean): Effect.Effect<UpgradeReply, AptError | NothingToUpgrade> =>
    Effect.gen(function*() {
      const scope = securityOnly ? "security" as const : "all" as const
      let packages: ReadonlyArray<string> | undefined
      let simulation: Simulation
      if (securityOnly) {
        const all = yield* apt.simulate()
        packages = all.upgrades.filter((p) => p.security).map((p) => p.name)
        simulation = packages.length === 0
          ? { upgrades: [], installs: [], removals: [], keptBack: [], summary: { upgraded: 0, newlyInstalled: 0, removed: 0, notUpgraded: 0 } }
          : yield* apt.simulate(packages)
      } else {
        simulation = yield* apt.simulate()
      }
      const { command, env: upgradeEnvironment } = apt.upgradeCommand(packages)
      const plan: UpgradeReply = {
        scope,
        command,
        env: { ...upgradeEnvironment },
        display: display(command, upgradeEnvironment),
        upgrades: simulation.upgrades,
        installs: simulation.installs,
        removals: simulation.removals,
        keptBack: simulation.keptBack.map((k) => k.name),
        executed: false
      }
      if (!confirm) return plan
      if (simulation.upgrades.length + simulation.installs.length + simulation.removals.length === 0) {
        return yield* new NothingToUpgrade({ scope })
      }
      yield* Effect.logInfo(`VANGUARD: upgrading (${scope}): ${display(command)}`)
      yield* env.progress({ job: `apt-get ${scope === "all" ? "dist-upgrade" : "upgrade of security updates"}`, done: 0, total: 1, unit: "steps" })
      // Once started, dpkg is never cut short: an asker who leaves (a closed connection, a passed timeoutMs)
      // loses the answer, not the system's consistency. The outcome is logged either way.
      const ran = yield* Effect.uninterruptible(apt.upgrade(packages).pipe(
        Effect.tap((done) => Effect.logInfo(`VANGUARD: upgrade (${scope}) finished: ${done.output.split("\n").at(-1) ?? ""}`)),
        Effect.tapError((error) => Effect.logWarning(`VANGUARD: upgrade (${scope}) failed: ${describeError(error)}`))
      ))
      yield* env.progress({ job: `apt-get ${scope === "all" ? "dist-upgrade" : "upgrade of security updates"}`, done: 1, total: 1, unit: "steps" })
      return { ...plan, executed: true, output: ran.output }
    })

  /** The periodic check: refresh (when configured), read, alert on what changed, keep the result. */
  const check = Effect.gen(function*() {
    let refreshProblem: string | undefined
    if (config.refresh) {
      const refreshed = yield* Effect.result(apt.refresh)
      if (refreshed._tag === "Failure") refreshProblem = describeError(refreshed.failure)
    }
    const found = yield* updates(false)
    const security = found.upgradable.filter((p) => p.security).map((p) => `${p.name}=${p.to}`)
    const before = new Set(kept?.security ?? [])
    const fresh = security.filter((s) => !before.has(s))
    const subject = "updates"
    if (fresh.length > 0) {
      yield* env.alert({
        severity: "warning",
        subject,
        code: SECURITY_UPDATES,
        text: `${security.length} security update(s) pending: ${security.slice(0, 10).join(", ")}${security.length > 10 ? ", …" : ""}; plan them with VANGUARD upgrade {"security":true}`
      })
    } else if (security.length === 0 && before.size > 0) {
      yield* env.alert({ severity: "info", subject, code: SECURITY_UPDATES, text: "no security update is pending any more" })
    }
    if (found.reboot.required && kept?.reboot !== true) {
      const why = [...(found.reboot.flag ? [`/run/reboot-required (${found.reboot.packages.join(", ") || "no package named"})`] : []), ...(found.reboot.kernel.rebootRequired ? [found.reboot.kernel.reason] : [])]
      yield* env.alert({ severity: "warning", subject: "reboot", code: REBOOT_REQUIRED, text: `a reboot is required: ${why.join("; ")}` })
    } else if (!found.reboot.required && kept?.reboot === true) {
      yield* env.alert({ severity: "info", subject: "reboot", code: REBOOT_REQUIRED, text: "no reboot is required any more" })
    }
    if (refreshProblem !== undefined && kept?.refreshProblem === undefined) {
      yield* env.alert({ severity: "warning", subject: "package index", code: REFRESH_FAILED, text: `apt-get update failed: ${refreshProblem}` })
    } else if (refreshProblem === undefined && kept?.refreshProblem !== undefined) {
      yield* env.alert({ severity: "info", subject: "package index", code: REFRESH_FAILED, text: "the package index refreshes again" })
    }
    const next: Kept = { checkedAt: found.checkedAt, security, reboot: found.reboot.required, ...(refreshProblem === undefined ? {} : { refreshProblem }) }
    kept = next
    const stored = yield* Effect.result(store.write(STATE_KEY, next))
    if (stored._tag === "Failure") yield* Effect.logWarning(`VANGUARD: the check could not be kept: ${describeError(stored.failure)}`)
    yield* Effect.logInfo(`VANGUARD: ${found.upgradable.length} upgradable, ${security.length} security update(s), reboot ${found.reboot.required ? "required" : "not required"}`)
  })

  let lastProblem: string | undefined
  const periodic = Effect.gen(function*() {
    const at = yield* Clock.currentTimeMillis
    if (at - startedAt < config.firstCheckDelayMs) return
    if (kept !== undefined && at - Date.parse(kept.checkedAt) < config.intervalMs) return
    yield* check
    lastProblem = undefined
  }).pipe(
    // A machine without apt, or one whose apt fails, is logged once, not every hour.
    Effect.catch((error) => {
      const problem = describeError(error)
      return problem === lastProblem ? Effect.void : Effect.sync(() => (lastProblem = problem)).pipe(Effect.andThen(Effect.logWarning(`VANGUARD: cannot check for updates: ${problem}`)))
    })
  )

  return yield* serviceMachine(Vanguard, {
    // Ticks hourly (or at the interval, if shorter); the check itself runs when the kept one is older than the interval.
    ...(config.intervalMs > 0 ? { every: { intervalMs: Math.min(config.intervalMs, 3_600_000), run: periodic } } : {}),
    handlers: {
      updates: (message) => updates(message.security === true),
      refresh: () => refresh,
      upgrade: (message) => upgrade(message.security === true, message.confirm === true)
    }
  })
})
