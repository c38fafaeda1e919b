/**
 * The Apt port over apt-get, apt-mark and apt-config, run through the
 * CommandRunner with argument arrays, `LC_ALL=C` and the configured
 * `APT_CONFIG`; the reboot flag and the kernels are read from files.
 *
 * Exit codes: apt-get exits 100 on any error (a failed fetch, a lock held, an
 * unsigned repository); a lock is PackageManagerBusy, anything else AptFailed
 * with apt's E: lines.
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { release, uptime } from "node:os"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { type CommandOutput, CommandRunner } from "../command/Command.ts"
import { AptFailed, AptNotInstalled, Apt, type AptError, type KernelState, PackageManagerBusy, type RebootFlag } from "./Apt.ts"
import {
  aptEnv,
  display,
  holdsArgv,
  listsDirArgv,
  lockProblem,
  problemLines,
  refreshArgv,
  simulateArgv,
  upgradeArgv,
  upgradeEnv,
  validatePackages
} from "./commands.ts"
import { compareKernelReleases } from "./kernel.ts"
import { parseHolds, parseSimulation } from "./simulate.ts"

export interface AptSettings {
  /** APT_CONFIG for every call; undefined: the host's apt configuration. */
  readonly aptConfig?: string | undefined
  /** Debian's flag file; its `.pkgs` sibling lists the packages. */
  readonly rebootRequired?: string
  /** Where the kernels are. */
  readonly bootDir?: string
  /** The running kernel's release (uname -r); default: this machine's. */
  readonly runningKernel?: string
  readonly refreshTimeoutMs?: number
  readonly simulateTimeoutMs?: number
  readonly upgradeTimeoutMs?: number
}

export const DEFAULT_REBOOT_REQUIRED = "/run/reboot-required"

const mtimeIso = (path: string): string | null => {
  try {
    return statSync(path).mtime.toISOString()
  } catch {
    return null
  }
}

/** Index files apt keeps: `…_Packages`, possibly compressed (`.lz4`, `.gz`, `.xz`, `.zst`) with Acquire::GzipIndexes. */
const INDEX_FILE = /_Packages(\.(lz4|gz|xz|zst|bz2))?$/

export const make = (runner: CommandRunner["Service"], settings: AptSettings = {}): Apt["Service"] => {
  const env = aptEnv(settings.aptConfig)
  const rebootRequired = settings.rebootRequired ?? DEFAULT_REBOOT_REQUIRED
  const bootDir = settings.bootDir ?? "/boot"

  const run = (argv: ReadonlyArray<string>, timeoutMs: number, runEnv: Readonly<Record<string, string>> = env) =>
    runner.run(argv[0]!, argv.slice(1), { timeoutMs, env: runEnv }).pipe(
      Effect.catchTag("ToolMissing", (missing) => Effect.fail(new AptNotInstalled({ tool: missing.tool }))),
      Effect.flatMap((output): Effect.Effect<CommandOutput, AptError> => {
        if (output.exitCode === 0) return Effect.succeed(output)
        const lock = lockProblem(output.stderr)
        if (lock !== undefined) return Effect.fail(new PackageManagerBusy(lock))
        const errors = problemLines(output.stderr, "E")
        const said = (errors.length > 0 ? errors.join("; ") : output.stderr.trim() || output.stdout.trim().split("\n").slice(-3).join("; "))
        return Effect.fail(new AptFailed({ command: display(argv), exitCode: output.exitCode, output: said.slice(0, 2048) }))
      })
    )

  const paths = Effect.map(run(listsDirArgv, 10_000), (output) => {
    const value = (name: string) => {
      const found = new RegExp(`^${name}='(.*)'$`, "m").exec(output.stdout)
      return found === null ? undefined : found[1]!.replaceAll(`'\\''`, "'")
    }
    // apt-config always prints both; only apt's own answer is used (it follows APT_CONFIG), never a guessed path.
    return { lists: value("LISTS"), status: value("STATUS") }
  })

  const kernel = Effect.sync((): KernelState => {
    const running = settings.runningKernel ?? release()
    let releases: Array<string> = []
    try {
      releases = readdirSync(bootDir).filter((name) => name.startsWith("vmlinuz-")).map((name) => name.slice("vmlinuz-".length))
    } catch {
      releases = []
    }
    const newest = releases.reduce<string | null>((best, r) => best === null || compareKernelReleases(r, best) > 0 ? r : best, null)
    const managed = releases.includes(running)
    if (!managed) {
      return {
        running,
        newestInstalled: newest,
        managed,
        rebootRequired: false,
        reason: newest === null
          ? `no kernel in ${bootDir}: the running kernel (${running}) is not managed by this system's packages`
          : `the running kernel (${running}) is not in ${bootDir} (a container's or a VM's own kernel): not managed here`
      }
    }
    if (newest !== null && compareKernelReleases(newest, running) > 0) {
      return { running, newestInstalled: newest, managed, rebootRequired: true, reason: `kernel ${newest} is installed; ${running} is running` }
    }
    const bootedAt = Date.now() - uptime() * 1000
    const replaced = (() => {
      try {
        return statSync(join(bootDir, `vmlinuz-${running}`)).mtimeMs > bootedAt + 60_000
      } catch {
        return false
      }
    })()
    return replaced
      ? { running, newestInstalled: newest, managed, rebootRequired: true, reason: `the image of the running kernel ${running} was replaced after boot` }
      : { running, newestInstalled: newest, managed, rebootRequired: false, reason: `the newest installed kernel (${running}) is running` }
  })

  const rebootFlag = Effect.sync((): RebootFlag => {
    const since = mtimeIso(rebootRequired)
    let packages: ReadonlyArray<string> = []
    try {
      // Writers append without care for newlines: trim and drop empties, keep the first of duplicates.
      packages = [...new Set(readFileSync(`${rebootRequired}.pkgs`, "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== ""))]
    } catch {
      packages = []
    }
    return { required: since !== null, since, packages }
  })

  return Apt.of({
    refresh: Effect.map(run(refreshArgv, settings.refreshTimeoutMs ?? 600_000), (output) => ({
      warnings: problemLines(output.stderr, "W")
    })),
    simulate: (packages) =>
      Effect.gen(function*() {
        if (packages !== undefined) yield* Effect.fromResult(validatePackages(packages))
        const output = yield* run(simulateArgv(packages), settings.simulateTimeoutMs ?? 300_000)
        return yield* Effect.fromResult(parseSimulation(output.stdout))
      }),
    holds: Effect.map(run(holdsArgv, 30_000), (output) => parseHolds(output.stdout)),
    index: Effect.map(paths, ({ lists: dir, status }) => {
      let lists = 0
      try {
        lists = dir === undefined ? 0 : readdirSync(dir).filter((name) => INDEX_FILE.test(name)).length
      } catch {
        lists = 0
      }
      let statusStamp: string | undefined
      try {
        const stat = status === undefined ? undefined : statSync(status)
        statusStamp = stat === undefined ? undefined : `${stat.size}@${stat.mtimeMs}`
      } catch {
        statusStamp = undefined
      }
      return { lists, refreshedAt: lists === 0 || dir === undefined ? null : mtimeIso(join(dir, "partial")), statusStamp }
    }),
    rebootFlag,
    kernel,
    upgradeCommand: (packages) => ({ command: upgradeArgv(packages), env: upgradeEnv(settings.aptConfig) }),
    upgrade: (packages) =>
      Effect.gen(function*() {
        if (packages !== undefined) yield* Effect.fromResult(validatePackages(packages))
        const argv = upgradeArgv(packages)
        const output = yield* run(argv, settings.upgradeTimeoutMs ?? 6 * 3_600_000, upgradeEnv(settings.aptConfig))
        return { command: argv, output: output.stdout.trim().split("\n").slice(-20).join("\n") }
      })
  })
}

export const layer = (settings: AptSettings = {}) => Layer.effect(Apt, Effect.map(Effect.service(CommandRunner), (runner) => make(runner, settings)))
