/**
 * PRISM under a real actor system with the in-memory history: the exposition
 * holds the runtime's figures taken live, the history's newest samples and
 * its stats, every family with one HELP and one TYPE, hostile label values
 * escaped so that a strict reader (test/support/exposition.ts) and promtool
 * read them back; metrics the catalogue does not know are untyped and
 * counted; `metric`, `query` and `series` answer from the history; the
 * textfile is written atomically. The format's writer is also checked on its
 * own with fast-check.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as fc from "fast-check"
import type { Files } from "../../src/adapters/fs/Files.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import { PrismConfig } from "../../src/actors/prism/config.ts"
import { assemble, renderText, UNCATALOGUED_HELP } from "../../src/actors/prism/exposition.ts"
import { prismAgent } from "../../src/actors/prism/index.ts"
import { Prism } from "../../src/actors/prism/messages.ts"
import { parseDuration } from "../../src/actors/prism/range.ts"
import { METRICS } from "../../src/history/catalogue.ts"
import type { Sample } from "../../src/history/History.ts"
import { MetricHistory } from "../../src/history/History.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import * as Protocol from "../../src/runtime/Protocol.ts"
import { counterAgent, decodedReply, tree } from "../support/agents.ts"
import { parseExposition } from "../support/exposition.ts"

const dir = mkdtempSync(join(tmpdir(), `sigmavault-prism-${process.pid}-`))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const HOSTILE = "a\\b\"c\nd}{,=é\u0000 \t✓"
const NOW = Date.UTC(2026, 11, 7, 17, 0, 0)

const seed: ReadonlyArray<Sample> = [
  { name: "sigmavault_pool_allocated_bytes", labels: { pool: "tank" }, value: 100, at: NOW - 120_000 },
  { name: "sigmavault_pool_allocated_bytes", labels: { pool: "tank" }, value: 200, at: NOW - 60_000 },
  { name: "sigmavault_pool_allocated_bytes", labels: { pool: HOSTILE }, value: 7, at: NOW - 60_000 },
  { name: "sigmavault_dataset_used_bytes", labels: { pool: "tank", dataset: "tank/photos" }, value: 1.5e12, at: NOW - 60_000 },
  // Not in the catalogue: still rendered, as untyped, and counted.
  { name: "sigmavault_experimental_widgets", labels: { kind: "blue" }, value: 3, at: NOW - 30_000 },
  // A runtime name recorded in the history: PRISM renders the live figure, never this one.
  { name: "sigmavault_agent_up", labels: { agent: "C" }, value: 0, at: NOW - 30_000 }
]

const start = (textfile?: string) =>
  Effect.gen(function*() {
    const history = yield* MetricHistory
    yield* history.record(seed)
    return yield* ActorSystem.make({ root: tree<Files | MetricHistory>("root", "one_for_one", [prismAgent, counterAgent("C")]) })
  }).pipe(
    Effect.provide(Layer.mergeAll(HistoryTest.layer(), FilesLive.layer)),
    Effect.provideService(PrismConfig, { textfile, textfileIntervalMs: 100 })
  )

const ask = <const R extends Protocol.RequestOf<typeof Prism>>(system: ActorSystem.ActorSystem, request: R) =>
  Effect.map(
    system.ask("PRISM", request),
    (wire) => decodedReply(Prism.get(request.type)!, wire) as Protocol.Reply<Protocol.Typed<typeof Prism, R["type"]>>
  )

/** promtool's verdict on an exposition: its exit code and what it said. */
export const promtoolCheck = (text: string): { readonly status: number; readonly output: string } => {
  if (!existsSync("/usr/bin/promtool")) throw new Error("promtool is missing (/usr/bin/promtool, Debian package prometheus): cannot check the exposition")
  const run = spawnSync("/usr/bin/promtool", ["check", "metrics"], { input: text, encoding: "utf8" })
  return { status: run.status ?? -1, output: `${run.stdout}${run.stderr}` }
}

describe("PRISM exposition", () => {
  it.live("renders the runtime live, the history's newest samples and its stats; strict reader and promtool accept it", () =>
    Effect.scoped(Effect.gen(function*() {
      const system = yield* start()
      for (let i = 0; i < 3; i++) yield* system.tell("C", { type: "inc" })
      yield* system.ask("C", { type: "get" })
      const reply = yield* ask(system, { type: "metrics" })
      assert.strictEqual(reply.contentType, "text/plain; version=0.0.4; charset=utf-8")
      const families = parseExposition(reply.text!)
      const byName = new Map(families.map((f) => [f.name, f]))
      for (const f of families) {
        assert.isDefined(f.help, `${f.name} has HELP`)
        assert.isDefined(f.type, `${f.name} has TYPE`)
        assert.isAbove(f.samples.length, 0)
      }
      const value = (name: string, labels: Record<string, string>) =>
        byName.get(name)?.samples.find((s) => JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()))?.value
      assert.strictEqual(value("sigmavault_agent_messages_total", { agent: "C" }), 4)
      assert.strictEqual(value("sigmavault_agent_up", { agent: "C" }), 1, "the live figure, not the recorded 0")
      assert.strictEqual(value("sigmavault_agent_up", { agent: "PRISM" }), 1)
      assert.strictEqual(byName.get("sigmavault_agent_up")!.samples.length, 2)
      assert.strictEqual(value("sigmavault_dead_letters_total", {}), 0)
      assert.strictEqual(value("sigmavault_pool_allocated_bytes", { pool: "tank" }), 200, "the newest sample")
      assert.strictEqual(value("sigmavault_pool_allocated_bytes", { pool: HOSTILE }), 7, "a hostile label value round-trips")
      assert.strictEqual(value("sigmavault_dataset_used_bytes", { pool: "tank", dataset: "tank/photos" }), 1.5e12)
      assert.strictEqual(byName.get("sigmavault_experimental_widgets")!.type, "untyped")
      assert.strictEqual(byName.get("sigmavault_experimental_widgets")!.help, UNCATALOGUED_HELP)
      assert.strictEqual(value("sigmavault_exposition_uncatalogued_series", {}), 1)
      assert.strictEqual(reply.uncatalogued, 1)
      assert.strictEqual(value("sigmavault_history_series", {}), 5)
      assert.strictEqual(value("sigmavault_history_refused_total", { reason: "invalid" }), 0)
      assert.strictEqual(byName.get("sigmavault_pool_allocated_bytes")!.type, "gauge")
      assert.strictEqual(byName.get("sigmavault_agent_messages_total")!.type, "counter")
      assert.notInclude(reply.text!, "1796", "no timestamps unless asked")
      const checked = promtoolCheck(reply.text!)
      assert.strictEqual(checked.status, 0, `promtool check metrics: ${checked.output}`)
      const stamped = yield* ask(system, { type: "metrics", timestamps: true })
      const pool = parseExposition(stamped.text!).find((f) => f.name === "sigmavault_pool_allocated_bytes")!
      assert.strictEqual(pool.samples.find((s) => s.labels.pool === "tank")!.timestamp, NOW - 60_000)
    })))

  it.live("as JSON: the same families with their samples", () =>
    Effect.scoped(Effect.gen(function*() {
      const system = yield* start()
      const reply = yield* ask(system, { type: "metrics", format: "json" })
      assert.strictEqual(reply.contentType, "application/json")
      const pool = reply.families!.find((f) => f.name === "sigmavault_pool_allocated_bytes")!
      assert.strictEqual(pool.unit, "bytes")
      assert.deepStrictEqual(pool.samples.find((s) => s.labels.pool === "tank"), { labels: { pool: "tank" }, value: 200, at: NOW - 60_000 })
    })))

  it.live("metric: one metric's samples; an unknown one is refused", () =>
    Effect.scoped(Effect.gen(function*() {
      const system = yield* start()
      const pool = yield* ask(system, { type: "metric", name: "sigmavault_pool_allocated_bytes" })
      assert.isTrue(pool.catalogued)
      assert.deepStrictEqual(pool.labels, ["pool"])
      assert.strictEqual(pool.samples.length, 2)
      const widgets = yield* ask(system, { type: "metric", name: "sigmavault_experimental_widgets" })
      assert.isFalse(widgets.catalogued)
      assert.strictEqual(widgets.type, "untyped")
      assert.deepStrictEqual(widgets.labels, ["kind"])
      const free = yield* ask(system, { type: "metric", name: "sigmavault_pool_free_bytes" })
      assert.deepStrictEqual(free.samples, [], "catalogued, nothing recorded yet")
      const error = yield* Effect.flip(system.ask("PRISM", { type: "metric", name: "no_such_thing" }))
      assert.strictEqual(error._tag, "Rejected")
      assert.strictEqual((error as { rejection: { _tag: string } }).rejection._tag, "NoSuchMetric")
    })))

  it.live("query and series answer from the history; a bad range or matcher is refused naming the field", () =>
    Effect.scoped(Effect.gen(function*() {
      const system = yield* start()
      const q = yield* ask(system, {
        type: "query",
        name: "sigmavault_pool_allocated_bytes",
        matchers: [{ label: "pool", op: "=", value: "tank" }],
        from: new Date(NOW - 180_000).toISOString(),
        to: NOW,
        step: "1m",
        consolidate: "max"
      })
      assert.strictEqual(q.series.length, 1)
      assert.deepStrictEqual(q.series[0]!.points.map(([, v]) => v), [100, 200])
      const series = yield* ask(system, { type: "series", name: "sigmavault_pool_allocated_bytes" })
      assert.strictEqual(series.series.length, 2)
      const all = yield* ask(system, { type: "series" })
      assert.strictEqual(all.series.length, 5)
      const refusal = (request: Record<string, unknown>) =>
        Effect.map(Effect.flip(system.ask("PRISM", { type: "query", name: "sigmavault_pool_allocated_bytes", ...request })), (e) =>
          (e as { rejection: { _tag: string; field?: string } }).rejection)
      assert.deepInclude(yield* refusal({ since: "forever" }), { _tag: "HistoryQueryInvalid", field: "since" })
      assert.deepInclude(yield* refusal({ from: NOW, to: NOW - 1, step: 1000 }), { _tag: "HistoryQueryInvalid", field: "from" })
      assert.deepInclude(yield* refusal({ from: "yesterday" }), { _tag: "HistoryQueryInvalid", field: "from" })
      assert.deepInclude(yield* refusal({ since: "1h", step: "0s" }), { _tag: "HistoryQueryInvalid", field: "step" })
      assert.deepInclude(yield* refusal({ since: "1h", step: "1m", matchers: [{ label: "pool", op: "=~", value: "(" }] }), {
        _tag: "HistoryQueryInvalid",
        field: "matchers[0].value"
      })
    })))

  it.live("writes the textfile atomically, without timestamps, readable by the strict reader and promtool", () =>
    Effect.scoped(Effect.gen(function*() {
      const path = join(dir, "sigmavault.prom")
      yield* start(path)
      for (let i = 0; i < 100 && !existsSync(path); i++) yield* Effect.sleep(50)
      const text = readFileSync(path, "utf8")
      const families = parseExposition(text)
      assert.isTrue(families.some((f) => f.name === "sigmavault_pool_allocated_bytes"))
      assert.isTrue(families.every((f) => f.samples.every((s) => s.timestamp === undefined)))
      const checked = promtoolCheck(text)
      assert.strictEqual(checked.status, 0, checked.output)
    })))
})

describe("the exposition format", () => {
  const metricName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,30}$/)
  const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,20}$/).filter((l) => !l.startsWith("__"))
  const labelValue = fc.oneof(
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.string({ unit: fc.constantFrom("\\", "\"", "\n", "n", "{", "}", ",", "=", " ", "\\n"), maxLength: 20 })
  )
  const sample = fc.record({
    name: fc.oneof(metricName, fc.constantFrom(...METRICS.map((m) => m.name))),
    labels: fc.dictionary(labelName, labelValue, { maxKeys: 4 }),
    value: fc.double({ noNaN: true, noDefaultInfinity: true })
  })

  it("hostile names and label values round-trip; every family has HELP and TYPE once; no series twice", () => {
    fc.assert(fc.property(fc.array(sample, { maxLength: 30 }), (samples) => {
      const assembled = assemble(samples)
      const text = renderText(assembled.families)
      const parsed = parseExposition(text)
      const expected = new Map<string, number>()
      for (const s of samples) {
        const labels = Object.entries(s.labels).filter(([, v]) => v !== "").sort(([a], [b]) => (a < b ? -1 : 1))
        const key = `${s.name}${JSON.stringify(labels)}`
        if (!expected.has(key)) expected.set(key, s.value)
      }
      const got = new Map<string, number>()
      for (const f of parsed) {
        assert.isDefined(f.help)
        assert.isDefined(f.type)
        for (const s of f.samples) got.set(`${s.name}${JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`, s.value)
      }
      assert.deepStrictEqual(got, new Map([...expected].map(([k, v]) => [k, Object.is(v, -0) ? 0 : v])))
      assert.strictEqual(assembled.series, expected.size)
      assert.strictEqual(assembled.dropped, samples.length - expected.size)
    }), { numRuns: 300 })
  })

  it("help text round-trips whatever it holds", () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.string({ unit: fc.constantFrom(" ", "\t", "\\", "\n", "n", "\""), maxLength: 20 })), (help) => {
      const parsed = parseExposition(renderText([{ name: "m", type: "gauge", help, samples: [{ labels: {}, value: 1 }] }]))
      // Leading blanks are not part of a help text in the format (Prometheus skips them).
      assert.strictEqual(parsed[0]!.help, help.replace(/^[ \t]+/, ""))
    }), { numRuns: 500 })
  })

  it("promtool accepts an exposition of hostile label values", () => {
    const samples = fc.sample(fc.record({
      name: fc.constantFrom("sigmavault_pool_allocated_bytes", "sigmavault_dataset_used_bytes", "sigmavault_agent_messages_total", "sigmavault_experimental_things"),
      labels: fc.record({ pool: labelValue, dataset: labelValue }),
      value: fc.double({ noNaN: true, noDefaultInfinity: true })
    }), { numRuns: 300, seed: 19 })
    const text = renderText(assemble(samples).families)
    assert.isAbove(parseExposition(text).flatMap((f) => f.samples).length, 0)
    const checked = promtoolCheck(text)
    assert.strictEqual(checked.status, 0, `promtool check metrics: ${checked.output}`)
  })

  it("an invalid name is dropped and counted, never rendered", () => {
    const assembled = assemble([{ name: "1bad", labels: {}, value: 1 }, { name: "ok", labels: { "__x": "y" }, value: 1 }, { name: "ok", labels: {}, value: 2 }])
    assert.strictEqual(assembled.dropped, 2)
    assert.strictEqual(renderText(assembled.families), `# HELP ok ${UNCATALOGUED_HELP}\n# TYPE ok untyped\nok 2\n`)
  })

  it("escapes help text and label values as the format says", () => {
    const text = renderText([{ name: "m", type: "gauge", help: "back\\slash\nnewline \"quote\"", samples: [{ labels: { l: "a\\\"\n" }, value: 1 }] }])
    assert.strictEqual(text, "# HELP m back\\\\slash\\nnewline \"quote\"\n# TYPE m gauge\nm{l=\"a\\\\\\\"\\n\"} 1\n")
  })

  it("reads durations as Prometheus writes them", () => {
    assert.strictEqual(parseDuration("90s"), 90_000)
    assert.strictEqual(parseDuration("1h30m"), 5_400_000)
    assert.strictEqual(parseDuration("250ms"), 250)
    assert.isUndefined(parseDuration("1.5h"))
    assert.isUndefined(parseDuration("h"))
  })
})
