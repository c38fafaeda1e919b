/** The real /proc: four small reads per sample, parsed by the pure parsers. */
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { Clock, Effect, Layer } from "effect"
import { parseSample } from "./parse.ts"
import { ProcStats, ProcStatsError } from "./ProcStats.ts"

const readText = (path: string) =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (cause) =>
      new ProcStatsError({ source: path, reason: `cannot read: ${cause instanceof Error ? cause.message : String(cause)}` })
  })

/** Reads `stat`, `meminfo`, `loadavg` and `diskstats` under `procRoot` (tests point it at fixtures). */
export const make = (procRoot: string): ProcStats["Service"] =>
  ProcStats.of({
    sample: Effect.gen(function*() {
      const nanos = yield* Clock.monotonicTimeNanos
      const texts = yield* Effect.all({
        stat: readText(join(procRoot, "stat")),
        meminfo: readText(join(procRoot, "meminfo")),
        loadavg: readText(join(procRoot, "loadavg")),
        diskstats: readText(join(procRoot, "diskstats"))
      }, { concurrency: "unbounded" })
      return yield* Effect.fromResult(parseSample(texts, Number(nanos / 1_000_000n)))
    })
  })

export const layerAt = (procRoot: string): Layer.Layer<ProcStats> => Layer.succeed(ProcStats, make(procRoot))

export const layer: Layer.Layer<ProcStats> = layerAt("/proc")
