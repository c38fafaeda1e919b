/**
 * SCRIBE: one health report end to end (six sources asked in turn, the JSON
 * built, Markdown rendered, the file written atomically to an in-memory
 * archive, its SHA-256 appended to LEDGER) against an anchor in the same run:
 * the same six asks done one after the other by hand, their answers thrown
 * away. The ratio is what a report costs over the asks it is made of.
 */
import { Effect, Layer } from "effect"
import { defaultScribeConfig, ScribeConfig } from "../../src/actors/scribe/config.ts"
import { scribeAgent } from "../../src/actors/scribe/index.ts"
import * as FilesTest from "../../src/adapters/fs/FilesTest.ts"
import { MetricHistory } from "../../src/history/History.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import type { Caller } from "../../src/runtime/Caller.ts"
import { historySamples, lattice, memoryLedger, nexus, omniscient, oracle, sentry } from "../../test/actors/scribe/fixture.ts"
import { tree } from "../../test/support/agents.ts"
import { now, round, summarise } from "../support.ts"

const ROOT: Caller = { uid: 0, gid: 0, groups: [], via: "socket" }
const ROUNDS = Number(process.env["BENCH_SCRIBE_ROUNDS"] ?? 200)
const WARMUP = 50

export const scribe = () =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const history = yield* HistoryTest.make()
    const latest = Math.max(...historySamples.map((s) => s.at ?? 0))
    // The fixture's week, moved to end now (the history refuses samples from the future).
    const shift = Date.now() - latest
    yield* history.record(historySamples.map((s) => ({ ...s, at: (s.at ?? 0) + shift })))
    const ledger = memoryLedger()
    const system = yield* ActorSystem.make({
      root: tree("root", "one_for_one", [omniscient, lattice, oracle, sentry, nexus, ledger.agent, scribeAgent])
    }).pipe(
      Effect.provideService(MetricHistory, history),
      Effect.provide(Layer.mergeAll(
        FilesTest.make().layer,
        Layer.succeed(ScribeConfig, { ...defaultScribeConfig, dir: "/reports", schedule: undefined, keep: 50 })
      ))
    )
    const report = system.injectAsk(ROOT, "SCRIBE", { type: "report", kind: "health" }, { timeoutMs: 60_000 })
    const byHand = Effect.gen(function*() {
      yield* system.injectAsk(ROOT, "OMNISCIENT", { type: "summary" })
      yield* system.injectAsk(ROOT, "LATTICE", { type: "health" })
      yield* system.injectAsk(ROOT, "ORACLE", { type: "assess" })
      const to = Date.now()
      yield* history.query({ name: "sigmavault_disk_temperature_celsius", from: to - 7 * 86_400_000, to, step: 7 * 86_400_000, consolidate: "max" })
      yield* history.latest("sigmavault_disk_temperature_celsius")
      yield* system.injectAsk(ROOT, "SENTRY", { type: "alerts" })
      yield* system.injectAsk(ROOT, "NEXUS", { type: "incidents", open: true })
    })
    const time = (effect: Effect.Effect<unknown, unknown>) =>
      Effect.gen(function*() {
        const samples: Array<number> = []
        for (let i = 0; i < WARMUP + ROUNDS; i++) {
          const t0 = now()
          yield* effect
          if (i >= WARMUP) samples.push((now() - t0) * 1000)
        }
        return summarise(samples)
      })
    // Interleaved halves, so drift in the machine's load falls on both alike.
    const anchorA = yield* time(byHand)
    const scribeA = yield* time(report)
    const anchorB = yield* time(byHand)
    const scribeB = yield* time(report)
    const p50 = (a: { p50Us: number }, b: { p50Us: number }) => (a.p50Us + b.p50Us) / 2
    const anchorUs = p50(anchorA, anchorB)
    const scribeUs = p50(scribeA, scribeB)
    return {
      what: `SCRIBE health report end to end (6 sources, JSON + Markdown, atomic archive write, SHA-256 to LEDGER), ${ROUNDS} x 2 rounds, ` +
        "against the same six asks done sequentially by hand (answers discarded)",
      reportP50Us: round(scribeUs, 1),
      anchorP50Us: round(anchorUs, 1),
      reportRuns: [scribeA, scribeB],
      anchorRuns: [anchorA, anchorB],
      ratio: round(scribeUs / anchorUs, 2),
      ratioMeaning: "report time per the asks' time (1: the report costs nothing over its sources)"
    }
  })))
