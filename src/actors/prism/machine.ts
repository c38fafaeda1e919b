/**
 * PRISM: SigmaVault's numbers for Prometheus. At each exposition it takes the
 * runtime's figures live from the actor system (per agent: messages handled,
 * mailbox depth, p99 handling time, restarts, up; dead letters), the newest
 * sample of every series the agents recorded in the metric history, and the
 * history's own stats, and renders them in the text exposition format 0.0.4
 * (or JSON) with the catalogue's HELP and TYPE. It also answers history
 * queries (`query`, `series`), and, when configured, writes the exposition
 * for node_exporter's textfile collector (atomically, through the Files port).
 *
 * The HTTP listener (metrics_listen) is a transport of the daemon's
 * (src/adapters/http/MetricsListener.ts): it asks PRISM for `metrics`.
 */
import { Clock, Effect } from "effect"
import { Files } from "../../adapters/fs/Files.ts"
import { HistoryQueryInvalid, type LatestSample, MetricHistory } from "../../history/History.ts"
import { metricDef, METRICS } from "../../history/catalogue.ts"
import { runtimeSamples } from "../../history/runtime.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { describeError } from "../../runtime/Errors.ts"
import { serviceMachine } from "../shared/serve.ts"
import { PrismConfig } from "./config.ts"
import { assemble, type Assembled, type Family, type Gathered, renderText, TEXT_CONTENT_TYPE, UNCATALOGUED_HELP } from "./exposition.ts"
import { type FamilyView, NoSuchMetric, Prism } from "./messages.ts"
import { resolveRange } from "./range.ts"

export const prismCapabilities: ReadonlyArray<Capability> = [
  {
    name: "exposition",
    available: true,
    detail: "the runtime's metrics (messages, mailboxes, p99 handling time, restarts, up, dead letters) taken live, the newest sample of every history series and the history's own stats, in the Prometheus text format 0.0.4 or JSON (docs/metrics.md)"
  },
  { name: "metric-lookup", available: true, detail: "one metric's current samples with their labels and its catalogue entry" },
  { name: "history-query", available: true, detail: "a metric's history with PromQL-style label matchers, a range or `since`, a step and a consolidation" },
  {
    name: "textfile",
    available: true,
    detail: "with metrics_textfile set, rewrites that file atomically every metrics_textfile_interval_seconds for node_exporter's textfile collector"
  }
]

/** Names PRISM renders from the runtime and the history's stats, never from the history's samples. */
const LIVE = new Set(METRICS.filter((m) => m.source === "runtime" || m.source === "PRISM").map((m) => m.name))

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits

export const prismMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const history = yield* MetricHistory
  const files = yield* Files
  const config = yield* PrismConfig

  /** The runtime's figures, read from the actor system now (the same samples the daemon's sampler records). */
  const runtime = (): Array<Gathered> => runtimeSamples(env.system).map((s) => ({ name: s.name, labels: s.labels ?? {}, value: s.value }))

  const historyStats = Effect.map(history.stats, (stats): Array<Gathered> => [
    { name: "sigmavault_history_series", labels: {}, value: stats.series },
    { name: "sigmavault_history_series_limit", labels: {}, value: stats.maxSeries },
    { name: "sigmavault_history_bytes", labels: {}, value: stats.bytes },
    { name: "sigmavault_history_bytes_limit", labels: {}, value: stats.maxBytes },
    { name: "sigmavault_history_refused_total", labels: { reason: "series_cap" }, value: stats.refused.seriesCap },
    { name: "sigmavault_history_refused_total", labels: { reason: "byte_cap" }, value: stats.refused.byteCap },
    { name: "sigmavault_history_refused_total", labels: { reason: "invalid" }, value: stats.refused.invalid }
  ])

  const recorded = (latest: ReadonlyArray<LatestSample>): Array<Gathered> =>
    latest.filter((s) => !LIVE.has(s.name)).map((s) => ({ name: s.name, labels: s.labels, value: s.value, at: s.at }))

  /** Everything, live first (so a live figure wins over a recorded one of the same series), then PRISM's own counts. */
  const gather = Effect.gen(function*() {
    const assembled = assemble([...runtime(), ...(yield* historyStats), ...recorded(yield* history.latest())])
    const own = (name: string, value: number): Family => {
      const def = metricDef(name)!
      return { name, type: def.type, help: def.help, unit: def.unit, samples: [{ labels: {}, value }] }
    }
    return {
      ...assembled,
      families: [
        ...assembled.families,
        own("sigmavault_exposition_uncatalogued_series", assembled.uncatalogued),
        own("sigmavault_exposition_dropped_samples", assembled.dropped)
      ],
      series: assembled.series + 2
    }
  })

  const view = (assembled: Assembled): ReadonlyArray<FamilyView> =>
    assembled.families.map((f) => ({
      name: f.name,
      type: f.type,
      help: f.help,
      ...(f.unit === undefined ? {} : { unit: f.unit }),
      samples: f.samples.map((s) => ({ labels: s.labels, value: s.value, ...(s.at === undefined ? {} : { at: s.at }) }))
    }))

  const counts = (a: Assembled) => ({ series: a.series, uncatalogued: a.uncatalogued, dropped: a.dropped })

  const textfile = config.textfile
  let firstRun = true
  const writeTextfile = (path: string) =>
    Effect.gen(function*() {
      // At the daemon's start, agents of later tiers may not have started yet: a textfile now would say they are down.
      const starting = firstRun && env.system.agentNames().some((agent) => env.system.status(agent)?.lifecycle === "idle")
      firstRun = false
      if (starting) return
      // No timestamps: node_exporter's textfile collector refuses them.
      const text = renderText((yield* gather).families)
      yield* files.writeAtomic(path, new TextEncoder().encode(text), { replace: true, mode: 0o644 })
    }).pipe(Effect.catch((error) => Effect.logWarning(`PRISM cannot write the metrics textfile ${path}: ${describeError(error)}`)))

  return yield* serviceMachine(Prism, {
    handlers: {
      metrics: (request) =>
        Effect.map(gather, (assembled) =>
          request.format === "json"
            ? { format: "json" as const, contentType: "application/json", families: view(assembled), ...counts(assembled) }
            : {
              format: "prometheus" as const,
              contentType: TEXT_CONTENT_TYPE,
              text: renderText(assembled.families, { timestamps: request.timestamps === true }),
              ...counts(assembled)
            }),
      metric: (request) =>
        Effect.gen(function*() {
          const def = metricDef(request.name)
          const assembled = yield* gather
          const family = view(assembled).find((f) => f.name === request.name)
          if (def === undefined && family === undefined) return yield* new NoSuchMetric({ name: request.name })
          return {
            name: request.name,
            type: def?.type ?? "untyped",
            help: def?.help ?? UNCATALOGUED_HELP,
            ...(def === undefined ? {} : { unit: def.unit }),
            labels: def?.labels ?? [...new Set(family!.samples.flatMap((s) => Object.keys(s.labels)))].sort(),
            catalogued: def !== undefined,
            samples: family?.samples ?? []
          }
        }),
      query: (request) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const range = resolveRange(request, now)
          if (range instanceof HistoryQueryInvalid) return yield* range
          const series = yield* history.query({
            name: request.name,
            matchers: request.matchers,
            from: range.from,
            to: range.to,
            step: range.step,
            consolidate: request.consolidate
          })
          return { from: range.from, to: range.to, series }
        }),
      series: (request) => Effect.map(history.series(request.name), (series) => ({ series }))
    },
    ...(textfile === undefined ? {} : { every: { intervalMs: config.textfileIntervalMs, run: writeTextfile(textfile) } })
  })
})
