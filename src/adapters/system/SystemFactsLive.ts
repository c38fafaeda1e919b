/**
 * The real machine: os-release and /proc files through node:fs/promises, the
 * rest through node:os (both available under Node and Bun).
 */
import { readFile } from "node:fs/promises"
import * as os from "node:os"
import { join } from "node:path"
import { Effect, Layer, Option, Result } from "effect"
import { parseMeminfo } from "../procfs/parse.ts"
import { parseCpuInfo, parseOsRelease, UNKNOWN, unknownOsRelease } from "./parse.ts"
import { type Facts, SystemFacts, SystemFactsError } from "./SystemFacts.ts"

export interface SystemPaths {
  /** Tried in order, as os-release(5) prescribes. */
  readonly osRelease: ReadonlyArray<string>
  readonly proc: string
}

export const defaultPaths: SystemPaths = { osRelease: ["/etc/os-release", "/usr/lib/os-release"], proc: "/proc" }

const describe = (cause: unknown): string => cause instanceof Error ? cause.message : String(cause)

const readText = (path: string) =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (cause) => new SystemFactsError({ source: path, reason: `cannot read: ${describe(cause)}` })
  })

/** Bun answers os.machine() with Node-style names on some targets ("arm64"); the port promises `uname -m` names. */
const UNAME_NAMES: Readonly<Record<string, string>> = { arm64: "aarch64", x64: "x86_64", ia32: "i686" }
export const unameMachine = (machine: string): string => UNAME_NAMES[machine] ?? machine

/** The first readable os-release; a machine without one is still described, as "unknown". */
const readOsRelease = (candidates: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    for (const path of candidates) {
      const text = yield* Effect.option(readText(path))
      if (Option.isSome(text)) return parseOsRelease(text.value)
    }
    yield* Effect.logDebug(`no os-release found (tried ${candidates.join(", ")}); the OS reads as unknown`)
    return unknownOsRelease
  })

const fromNodeOs = Effect.try({
  try: () => {
    const cpus = os.cpus()
    const [one = 0, five = 0, fifteen = 0] = os.loadavg()
    return {
      hostname: os.hostname(),
      kernel: { release: os.release(), version: os.version(), arch: unameMachine(os.machine()) },
      cpuModel: cpus[0]?.model.trim() || undefined,
      cpuCount: cpus.length,
      uptimeSeconds: os.uptime(),
      loadAverage: [one, five, fifteen] as const
    }
  },
  catch: (cause) => new SystemFactsError({ source: "node:os", reason: describe(cause) })
})

export const make = (paths: SystemPaths): SystemFacts["Service"] =>
  SystemFacts.of({
    facts: Effect.gen(function*() {
      const [osRelease, meminfo, cpuinfo, host] = yield* Effect.all([
        readOsRelease(paths.osRelease),
        readText(join(paths.proc, "meminfo")),
        Effect.option(readText(join(paths.proc, "cpuinfo"))),
        fromNodeOs
      ], { concurrency: "unbounded" })
      const memory = yield* Effect.fromResult(
        Result.mapError(parseMeminfo(meminfo), (error) => new SystemFactsError({ source: error.source, reason: error.reason }))
      )
      const cpu = Option.match(cpuinfo, { onNone: () => ({ model: undefined, count: 0 }), onSome: parseCpuInfo })
      return {
        hostname: host.hostname,
        os: osRelease,
        kernel: host.kernel,
        cpu: { model: cpu.model ?? host.cpuModel ?? UNKNOWN, count: cpu.count > 0 ? cpu.count : host.cpuCount },
        memory: { totalBytes: memory.totalBytes, availableBytes: memory.availableBytes },
        uptimeSeconds: host.uptimeSeconds,
        loadAverage: host.loadAverage
      } satisfies Facts
    })
  })

export const layerAt = (paths: SystemPaths): Layer.Layer<SystemFacts> => Layer.succeed(SystemFacts, make(paths))

export const layer: Layer.Layer<SystemFacts> = layerAt(defaultPaths)
