/**
 * CANVAS under a real actor system and the in-memory history: golden SVG
 * documents for fixed inputs (UPDATE_GOLDEN=1 rewrites them), sparklines of
 * counters as rates, the series cap, and its refusals.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import { TestClock } from "effect/testing"
import { canvasAgent } from "../../../src/actors/canvas/index.ts"
import { windowOf } from "../../../src/actors/canvas/machine.ts"
import { Canvas, InvalidWindow } from "../../../src/actors/canvas/messages.ts"
import { DAY, HOUR, MINUTE } from "../../../src/actors/canvas/time.ts"
import { MetricHistory, type Sample } from "../../../src/history/History.ts"
import * as HistoryTest from "../../../src/history/HistoryTest.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import * as Protocol from "../../../src/runtime/Protocol.ts"
import { decodedReply, ROOT, tree } from "../../support/agents.ts"
import { parseXml } from "../../support/xml.ts"

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0)
const GOLDEN = join(import.meta.dirname, "../../fixtures/canvas")

/** A system running CANVAS over a history holding `samples`. */
const start = (samples: ReadonlyArray<Sample>) =>
  Effect.gen(function*() {
    const history = yield* HistoryTest.make()
    const recorded = yield* history.record(samples)
    assert.strictEqual(recorded.refused, 0)
    const system = yield* ActorSystem.make({ root: tree<MetricHistory>("root", "one_for_one", [canvasAgent]) }).pipe(
      Effect.provideService(MetricHistory, history)
    )
    return system
  })

const ask = <T extends "chart" | "sparkline">(system: ActorSystem.ActorSystem, request: { readonly type: T } & Record<string, unknown>) =>
  Effect.map(system.injectAsk(ROOT, "CANVAS", request), (wire) =>
    decodedReply(Canvas.get(request.type)! as Protocol.Typed<typeof Canvas, T>, JSON.parse(JSON.stringify(wire))))

const refusal = (system: ActorSystem.ActorSystem, request: Record<string, unknown>) =>
  Effect.map(Effect.exit(system.injectAsk(ROOT, "CANVAS", request)), (exit) => {
    assert.isTrue(Exit.isFailure(exit), JSON.stringify(request))
    const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as { _tag: string; messageType?: string; rejection?: unknown; message: string }
    if (error._tag !== "Rejected") return { _tag: error._tag, message: error.message }
    const decoded = Protocol.codecs(Canvas.get(error.messageType!)!).decodeRejection(JSON.parse(JSON.stringify(error.rejection)))
    assert.isTrue(Exit.isSuccess(decoded), "the rejection decodes")
    return (decoded as Exit.Success<{ _tag: string; message: string }>).value
  })

/** Compares with the golden file (written when missing or with UPDATE_GOLDEN=1). */
const golden = (name: string, svg: string) => {
  parseXml(svg)
  const file = join(GOLDEN, name)
  if (process.env["UPDATE_GOLDEN"] === "1" || !existsSync(file)) writeFileSync(file, svg)
  assert.strictEqual(svg, readFileSync(file, "utf8"), `${name} differs from the golden file (UPDATE_GOLDEN=1 rewrites it after a deliberate change)`)
}

const every = (from: number, to: number, stepMs: number) => {
  const out: Array<number> = []
  for (let t = from; t <= to; t += stepMs) out.push(t)
  return out
}

// Two pools over a week, sampled every 5 minutes: tank grows, backup steps down (a deleted snapshot), with a day's outage.
const pools: ReadonlyArray<Sample> = [
  ...every(T0 - 7 * DAY, T0, 5 * MINUTE).map((at, i) => ({ name: "sigmavault_pool_allocated_bytes", labels: { pool: "tank" }, at, value: 1.2 * 1024 ** 4 + i * 256 * 1024 ** 2 })),
  ...every(T0 - 7 * DAY, T0, 5 * MINUTE)
    .filter((at) => at < T0 - 4 * DAY || at > T0 - 3 * DAY)
    .map((at) => ({ name: "sigmavault_pool_allocated_bytes", labels: { pool: "backup" }, at, value: (at < T0 - 2 * DAY ? 900 : 600) * 1024 ** 3 }))
]

// Three agents' message counters over an hour, sampled every 10 s; ORACLE's daemon restarted (the counter reset) at half past.
const counters: ReadonlyArray<Sample> = ["CORE", "ORACLE", "LATTICE"].flatMap((agent, k) =>
  every(T0 - HOUR, T0, 10_000).map((at, i) => ({
    name: "sigmavault_agent_messages_total",
    labels: { agent },
    at,
    value: agent === "ORACLE" && at >= T0 - 30 * MINUTE ? (i - 180) * 3 : i * (k + 1) * 2 + (agent === "CORE" ? Math.floor(i / 60) * 40 : 0)
  })))

// p99 latencies over a day, one of them with a hostile label value.
const latencies: ReadonlyArray<Sample> = ["CORE", "<evil agent=\"x\">&amp;\u0007", "VERTEX"].flatMap((agent, k) =>
  every(T0 - DAY, T0, 10 * MINUTE).map((at, i) => ({
    name: "sigmavault_agent_latency_p99_seconds",
    labels: { agent },
    at,
    value: 0.002 * (k + 1) + 0.001 * Math.sin(i / 10) + 0.0005 * k
  })))

describe("CANVAS", () => {
  it.effect("golden: two pools over a week, in binary units, with a gap and a step", () =>
    Effect.gen(function*() {
      const system = yield* start(pools)
      const reply = yield* ask(system, { type: "chart", metric: "sigmavault_pool_allocated_bytes", from: T0 - 7 * DAY, to: T0 })
      assert.deepInclude(reply, { metric: "sigmavault_pool_allocated_bytes", selector: "sigmavault_pool_allocated_bytes", type: "gauge", unit: "bytes", rate: false, matched: 2, omitted: 0 })
      assert.strictEqual(reply.step, 30 * MINUTE)
      assert.include(reply.svg, ">TiB<")
      assert.include(reply.svg, "7 Dec")
      golden("pools-7d.svg", reply.svg)
      const tank = yield* ask(system, { type: "chart", metric: "sigmavault_pool_allocated_bytes", matchers: [{ label: "pool", op: "=", value: "tank" }], from: T0 - 7 * DAY, to: T0, width: 640, height: 300 })
      assert.strictEqual(tank.matched, 1)
      assert.strictEqual(tank.selector, "sigmavault_pool_allocated_bytes{pool=\"tank\"}")
      golden("tank-7d-640.svg", tank.svg)
    }))

  it.effect("golden: counters drawn as rates per second over an hour, a reset not drawn as a negative rate", () =>
    Effect.gen(function*() {
      const system = yield* start(counters)
      const reply = yield* ask(system, { type: "chart", metric: "sigmavault_agent_messages_total", from: T0 - HOUR, to: T0, utcOffsetMinutes: 60 })
      assert.deepInclude(reply, { type: "counter", unit: "messages/s", rate: true, matched: 3, step: 10_000 })
      assert.include(reply.svg, "time (UTC+01:00)")
      assert.include(reply.svg, "Drawn as a rate per second.")
      assert.notInclude(reply.svg, ">-")
      golden("messages-rate-1h.svg", reply.svg)
      const sparks = yield* ask(system, { type: "sparkline", metric: "sigmavault_agent_messages_total", matchers: [{ label: "agent", op: "=~", value: "ORACLE|LATTICE" }], from: T0 - HOUR, to: T0, width: 12 })
      // Read at 2-minute steps, four to a 5-minute cell.
      assert.strictEqual(sparks.step, 2 * MINUTE)
      const round = (n: number | undefined) => (n === undefined ? n : Math.round(n * 1000) / 1000)
      assert.deepStrictEqual(sparks.series.map((s) => [s.labels, s.line, round(s.min), round(s.max), round(s.last)]), [
        // A flat line sits at the bottom.
        [{ agent: "LATTICE" }, "▁▁▁▁▁▁▁▁▁▁▁▁", 0.6, 0.6, 0.6],
        // 0.4/s, then the cell of the reset (counted from zero, never negative), then 0.3/s.
        [{ agent: "ORACLE" }, "██████▁▂▂▂▂▂", 0.275, 0.4, 0.3]
      ])
      assert.strictEqual(sparks.series[0]!.text, "min 0.6 messages/s · max 0.6 messages/s · last 0.6 messages/s")
    }))

  it.effect("golden: seconds in ms, the series cap said in the legend, a hostile label escaped", () =>
    Effect.gen(function*() {
      const system = yield* start(latencies)
      const reply = yield* ask(system, { type: "chart", metric: "sigmavault_agent_latency_p99_seconds", from: T0 - DAY, to: T0, limit: 2 })
      assert.deepInclude(reply, { unit: "seconds", matched: 3, omitted: 1 })
      assert.include(reply.svg, ">ms<")
      assert.include(reply.svg, "1 more series not drawn")
      assert.include(reply.svg, "agent=&quot;\\&quot;&lt;evil agent=\\&quot;x\\&quot;&gt;&amp;amp;\\u0007&quot;".replace(/^agent=&quot;\\&quot;/, "agent=&quot;"))
      golden("p99-capped-24h.svg", reply.svg)
    }))

  it.effect("a selection with nothing recorded still draws, and says there is no data", () =>
    Effect.gen(function*() {
      const system = yield* start([])
      const reply = yield* ask(system, { type: "chart", metric: "sigmavault_agent_up", from: T0 - HOUR, to: T0 })
      assert.strictEqual(reply.matched, 0)
      assert.include(reply.svg, "no data in this window")
      const sparks = yield* ask(system, { type: "sparkline", metric: "sigmavault_agent_up", from: T0 - HOUR, to: T0 })
      assert.deepStrictEqual(sparks.series, [])
      assert.strictEqual(sparks.width, 60)
    }))

  it.effect("since counts back from the clock; the default window is a day", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const system = yield* start(counters)
      const reply = yield* ask(system, { type: "sparkline", metric: "sigmavault_agent_messages_total", since: "1h", width: 10 })
      assert.strictEqual(reply.to, T0)
      assert.strictEqual(reply.from, T0 - HOUR)
      assert.strictEqual(reply.series.length, 3)
      const day = yield* ask(system, { type: "sparkline", metric: "sigmavault_agent_messages_total", width: 24 })
      assert.strictEqual(day.from, T0 - DAY)
      // 23 empty hours, then the recorded one.
      assert.match(day.series[0]!.line, /^ {23}\S$/)
    }))

  it.effect("refuses a metric not in the catalogue, naming close ones, and a window it cannot draw", () =>
    Effect.gen(function*() {
      const system = yield* start([])
      const unknown = yield* refusal(system, { type: "chart", metric: "sigmavault_pool_alocated_bytes" })
      assert.strictEqual(unknown._tag, "UnknownMetric")
      assert.include(unknown.message, "did you mean sigmavault_pool_allocated_bytes")
      const both = yield* refusal(system, { type: "sparkline", metric: "sigmavault_agent_up", since: "1h", from: 0 })
      assert.strictEqual(both._tag, "InvalidWindow")
      assert.strictEqual(both.message, "window: since cannot be given with from or to")
      const backwards = yield* refusal(system, { type: "chart", metric: "sigmavault_agent_up", from: T0, to: T0 - 1 })
      assert.strictEqual(backwards.message, "window: from must be before 'to'")
      const long = yield* refusal(system, { type: "chart", metric: "sigmavault_agent_up", since: "900d" })
      assert.include(long.message, "longer than the two years")
      const invalid = yield* refusal(system, { type: "chart", metric: "sigmavault_agent_up", matchers: [{ label: "agent", op: "=~", value: "(" }] })
      assert.strictEqual(invalid._tag, "HistoryQueryInvalid")
      const field = yield* refusal(system, { type: "chart", metric: "bad name" })
      assert.strictEqual(field._tag, "InvalidMessage")
    }))

  it("windows: since, from/to, the default", () => {
    assert.deepStrictEqual(windowOf({ since: "7d" }, T0), { since: "7d", from: T0 - 7 * DAY, to: T0 })
    assert.deepStrictEqual(windowOf({}, T0), { since: "24h", from: T0 - DAY, to: T0 })
    assert.deepStrictEqual(windowOf({ from: T0 - HOUR }, T0), { since: undefined, from: T0 - HOUR, to: T0 })
    assert.deepStrictEqual(windowOf({ to: T0 - HOUR }, T0), { since: undefined, from: T0 - HOUR - DAY, to: T0 - HOUR })
    assert.instanceOf(windowOf({ from: 0, to: T0 }, T0), InvalidWindow)
  })
})
