/**
 * The real /proc: four small reads per sample, parsed by the pure parsers.
 * The reads are synchronous, as NetLinksLive's are: the kernel answers from
 * memory in microseconds, and four thread-pool round trips per sample cost
 * more than the reads (each wakes a pool thread and then the event loop).
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Clock, Effect, Layer } from "effect"
import { parseSample } from "./parse.ts"
import { ProcStats, ProcStatsError } from "./ProcStats.ts"

const readText = (path: string) =>
  Effect.try({
    try: () => readFileSync(path, "utf8"),
    catch: (cause) =>
      new ProcStatsError({ source: path, reason: `cannot read: ${cause instanceof Error ? cause.message : String(cause)}` })
  })

/** Reads `stat`, `meminfo`, `loadavg` and `diskstats` under `procRoot` (tests point it at fixtures). */
export const make = (procRoot: string): ProcStats["Service"] =>
  ProcStats.of({
    sample: Effect.gen(function*() {
      const nanos = yield* Clock.monotonicTimeNanos
      const texts = {
        stat: yield* readText(join(procRoot, "stat")),
        meminfo: yield* readText(join(procRoot, "meminfo")),
        loadavg: yield* readText(join(procRoot, "loadavg")),
        diskstats: yield* readText(join(procRoot, "diskstats"))
      }
      return yield* Effect.fromResult(parseSample(texts, Number(nanos / 1_000_000n)))
    })
  })

export const layerAt = (procRoot: string): Layer.Layer<ProcStats> => Layer.succeed(ProcStats, make(procRoot))

export const layer: Layer.Layer<ProcStats> = layerAt("/proc")
