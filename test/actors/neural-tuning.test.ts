/**
 * NEURAL's tuning as an agent: choose/outcome/tuning/reset-tuning over the
 * validated path, the table remembered in MNEMONIC across a restart (the
 * MemoryTest storage kept), `describe` showing it; and TENSOR ↔ NEURAL in
 * one system: the chosen level is used, the outcome reported, an explicit
 * level never overridden, a stopped or stalled NEURAL falls back to the default.
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import type { CallerFiles } from "../../src/adapters/fs/CallerFiles.ts"
import type { StateStore } from "../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../src/adapters/state/StateStoreTest.ts"
import { arbiterAgent } from "../../src/actors/arbiter/index.ts"
import { NeuralConfig } from "../../src/actors/neural/config.ts"
import { neuralAgent } from "../../src/actors/neural/index.ts"
import { tensorAgent } from "../../src/actors/tensor/index.ts"
import { DEFAULT_STRATEGY } from "../../src/compress/Strategy.ts"
import { MetricHistory } from "../../src/history/History.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import { Memory } from "../../src/memory/Memory.ts"
import { makeInMemoryStorage, makeMemoryTest } from "../../src/memory/MemoryTest.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import type { AgentDefinition } from "../../src/runtime/Agent.ts"
import { ROOT, tree } from "../support/agents.ts"
import { callerFilesInTmp, tempDir } from "../support/security.ts"

interface Table {
  tuning: string
  memory: { collection: string; problem?: string }
  classes: ReadonlyArray<{ class: string; bestLevel: number; meanReward?: number; pulls: number; decisions: number; explored: number; outcomes: number; ignored: number; arms: ReadonlyArray<{ level: number; pulls: number }> }>
  decisions: number
  outcomes: number
}

const MiB = 1024 * 1024

/** Shared by every system of a test file: what NEURAL recorded can be read back. */
const history = Effect.runSync(HistoryTest.make())

const startWith = <R>(agents: ReadonlyArray<AgentDefinition<R>>, storage = makeInMemoryStorage()) =>
  Effect.flatMap(makeMemoryTest(storage), (memory) =>
    ActorSystem.make({ root: tree<R | Memory | MetricHistory>("root", "one_for_one", agents), testFaults: true }).pipe(
      Effect.provideService(Memory, memory),
      Effect.provideService(MetricHistory, history)
    ))
const start = (agents: ReadonlyArray<AgentDefinition<any>>, storage = makeInMemoryStorage()) =>
  startWith<Memory>(agents, storage)
const startFiles = (agents: ReadonlyArray<AgentDefinition<any>>) => startWith<StateStore | CallerFiles | Memory>(agents)

/** An outcome of `level` for `class` whose reward is `reward` (64 MiB in, ratio 4, the time set to match). */
const outcomeWith = (klass: string, level: number, reward: number) => ({
  type: "outcome",
  class: klass,
  level,
  bytesIn: 64 * MiB,
  bytesOut: 16 * MiB,
  seconds: 64 * 4 / 2 ** reward
})

describe("NEURAL's tuning", () => {
  it.effect("learns from outcomes, shows the table and describe, and remembers it across a restart", () =>
    Effect.gen(function*() {
      const storage = makeInMemoryStorage()
      yield* Effect.scoped(Effect.gen(function*() {
        const system = yield* start([neuralAgent], storage)
        const ask = (message: unknown) => system.injectAsk(ROOT, "NEURAL", message)
        // A fresh table answers the default.
        const first = (yield* ask({ type: "choose", class: "json", defaultLevel: 5, bytes: 64 * MiB })) as { level: number; explored: boolean; decision: string; tuning: string }
        assert.deepStrictEqual([first.level, first.explored, first.tuning], [5, false, "on"])
        const reported = (yield* ask({ ...outcomeWith("json", 5, 9), decision: first.decision })) as { learned: boolean; reward: number; pulls: number }
        assert.deepStrictEqual([reported.learned, reported.pulls], [true, 1])
        assert.closeTo(reported.reward, 9, 1e-9)
        // A decision is used once, and only for what it decided.
        const again = yield* Effect.flip(ask({ ...outcomeWith("json", 5, 9), decision: first.decision }))
        assert.include(again.message, "not a decision waiting for its outcome")
        const other = (yield* ask({ type: "choose", class: "json", defaultLevel: 5 })) as { decision: string }
        const mismatch = yield* Effect.flip(ask({ ...outcomeWith("json", 2, 9), decision: other.decision }))
        assert.include(mismatch.message, "it was level 5 for class json")
        // Level 2 does better than 5: after MIN_PULLS outcomes it is the one chosen.
        for (let i = 0; i < 3; i++) yield* ask(outcomeWith("json", 2, 11))
        const chosen = (yield* ask({ type: "choose", class: "json", defaultLevel: 5, bytes: 64 * MiB })) as { level: number; why: string }
        assert.strictEqual(chosen.level, 2)
        assert.include(chosen.why, "best level so far: 2")
        // The metric history has the class's level and outcomes (names from the catalogue).
        const level = (yield* history.latest("sigmavault_tuning_level")).find((sample) => sample.labels["class"] === "json")
        assert.strictEqual(level?.value, 2)
        const pulls = (yield* history.latest("sigmavault_tuning_outcomes_total")).find((sample) => sample.labels["class"] === "json" && sample.labels["level"] === "2")
        assert.strictEqual(pulls?.value, 3)
        // A small job is counted, not learned.
        const small = (yield* ask({ type: "outcome", class: "json", level: 2, bytesIn: 1000, bytesOut: 100, seconds: 0.001 })) as { learned: boolean; why: string }
        assert.isFalse(small.learned)
        const table = (yield* ask({ type: "tuning" })) as Table
        assert.strictEqual(table.memory.problem, undefined)
        const json = table.classes.find((c) => c.class === "json")!
        assert.deepStrictEqual([json.bestLevel, json.pulls, json.outcomes, json.ignored, json.decisions], [2, 3, 4, 1, 3])
        const described = (yield* ask({ type: "describe" })) as { capabilities: ReadonlyArray<{ name: string; available: boolean; detail: string }> }
        const tuning = described.capabilities.find((c) => c.name === "tuning")!
        assert.isTrue(tuning.available)
        assert.include(tuning.detail, "json: level 2 (mean reward 11.00, 3 jobs)")
      }))
      // A new system over the same storage: what was learned is still there.
      yield* Effect.scoped(Effect.gen(function*() {
        const system = yield* start([neuralAgent], storage)
        const ask = (message: unknown) => system.injectAsk(ROOT, "NEURAL", message)
        const table = (yield* ask({ type: "tuning" })) as Table
        assert.deepStrictEqual(table.classes.map((c) => [c.class, c.bestLevel, c.pulls, c.outcomes]), [["json", 2, 3, 4]])
        assert.strictEqual(((yield* ask({ type: "choose", class: "json", defaultLevel: 5, bytes: 64 * MiB })) as { level: number }).level, 2)
        // reset-tuning plans, then forgets with confirm; the forgetting is durable too.
        const plan = (yield* ask({ type: "reset-tuning" })) as { confirmed: boolean; classes: Array<string>; outcomes: number; plan: string }
        assert.deepStrictEqual([plan.confirmed, plan.classes, plan.outcomes], [false, ["json"], 4])
        assert.include(plan.plan, "send confirm: true")
        assert.strictEqual(((yield* ask({ type: "tuning" })) as Table).classes.length, 1)
        const done = (yield* ask({ type: "reset-tuning", confirm: true })) as { confirmed: boolean }
        assert.isTrue(done.confirmed)
        assert.deepStrictEqual(((yield* ask({ type: "tuning" })) as Table).classes, [])
      }))
      const system = yield* start([neuralAgent], storage)
      assert.deepStrictEqual(((yield* system.injectAsk(ROOT, "NEURAL", { type: "tuning" })) as Table).classes, [])
    }))

  it.effect("off: the default level every time, and outcomes are still recorded", () =>
    Effect.gen(function*() {
      const system = yield* start([neuralAgent]).pipe(Effect.provideService(NeuralConfig, { tuning: false, explorePercent: 20, levels: [1, 3, 5] }))
      const ask = (message: unknown) => system.injectAsk(ROOT, "NEURAL", message)
      for (let i = 0; i < 4; i++) yield* ask(outcomeWith("log", 1, 14))
      for (let i = 0; i < 50; i++) {
        const chosen = (yield* ask({ type: "choose", class: "log", defaultLevel: 5, bytes: 64 * MiB })) as { level: number; explored: boolean; tuning: string }
        assert.deepStrictEqual([chosen.level, chosen.explored, chosen.tuning], [5, false, "off"])
      }
      const table = (yield* ask({ type: "tuning" })) as Table
      assert.strictEqual(table.tuning, "off")
      assert.deepStrictEqual(table.classes.map((c) => [c.class, c.outcomes, c.explored, c.decisions]), [["log", 4, 0, 50]])
    }))

  it.effect("refuses bad classes and levels at the boundary", () =>
    Effect.gen(function*() {
      const system = yield* start([neuralAgent])
      const refusal = (message: unknown) => Effect.map(Effect.flip(system.injectAsk(ROOT, "NEURAL", message)), (e) => e.message)
      assert.include(yield* refusal({ type: "choose", class: "../etc", defaultLevel: 3 }), "content class")
      assert.include(yield* refusal({ type: "choose", class: "json", defaultLevel: 30 }), "defaultLevel")
      assert.include(yield* refusal({ type: "outcome", class: "json", level: 3, bytesIn: -1, bytesOut: 1, seconds: 1 }), "bytesIn")
      assert.include(yield* refusal({ type: "outcome", class: "json", level: 3, bytesIn: 1, bytesOut: 1, seconds: -1 }), "seconds")
      // The table's own collection is not writable through MNEMONIC's messages.
      for (const message of [
        { type: "remember", collection: "neural-tuning", id: "class:log", text: "x", meta: {} },
        { type: "forget", collection: "neural-tuning", id: "index" },
        { type: "create", collection: "neural-tuning", kind: "text" },
        { type: "tune", collection: "neural-tuning", ef: 10 }
      ]) assert.include(yield* refusal(message), "reserved for NEURAL's tuning")
    }))
})

describe("TENSOR ↔ NEURAL", () => {
  const logText = (lines: number) =>
    Array.from({ length: lines }, (_, i) => `2026-11-22T08:00:${String(i % 60).padStart(2, "0")}Z INFO scrub of tank: ${i} blocks checked`).join("\n")

  const untilOutcomes = (ask: (message: unknown) => Effect.Effect<unknown, unknown>, outcomes: number) =>
    Effect.gen(function*() {
      for (let i = 0; i < 200; i++) {
        const table = (yield* ask({ type: "tuning" })) as Table
        if (table.outcomes >= outcomes) return table
        yield* Effect.sleep("20 millis")
      }
      return assert.fail(`NEURAL never heard ${outcomes} outcomes`)
    })

  it.live("TENSOR uses the level NEURAL chooses, reports the outcome, and never overrides an explicit level", () =>
    Effect.gen(function*() {
      const system = yield* startFiles([tensorAgent, arbiterAgent, neuralAgent])
      const neural = (message: unknown) => system.injectAsk(ROOT, "NEURAL", message)
      const dir = yield* tempDir("sigmavault-neural-")
      const log = path.join(dir, "daemon.log")
      yield* Effect.promise(() => fs.writeFile(log, logText(40_000)))
      // NEURAL has learned that level 2 is best for logs.
      for (let i = 0; i < 3; i++) yield* neural(outcomeWith("log", 2, 14))
      const compressed = (yield* system.injectAsk(ROOT, "TENSOR", { type: "compress", input: log })) as {
        detection: { format: string }
        strategy: { codec: string; level: number; reason: string }
        originalBytes: number
      }
      assert.isAtLeast(compressed.originalBytes, 2 * MiB)
      assert.deepStrictEqual([compressed.detection.format, compressed.strategy.codec, compressed.strategy.level], ["log", "zstd", 2])
      assert.include(compressed.strategy.reason, "level 2 from NEURAL's tuning")
      // The file really is level 2, and round-trips.
      const back = (yield* system.injectAsk(ROOT, "TENSOR", { type: "decompress", input: `${log}.svz`, output: `${log}.back` })) as { level: number }
      assert.strictEqual(back.level, 2)
      let table = yield* untilOutcomes(neural, 4)
      let row = table.classes.find((c) => c.class === "log")!
      assert.deepStrictEqual([row.decisions, row.arms.find((a) => a.level === 2)!.pulls], [1, 4])
      // An explicit level is used as given; NEURAL is not asked, but hears the outcome.
      const fixed = (yield* system.injectAsk(ROOT, "TENSOR", { type: "compress", input: log, output: `${log}.7.svz`, level: 7 })) as { strategy: { level: number; reason: string } }
      assert.strictEqual(fixed.strategy.level, 7)
      assert.notInclude(fixed.strategy.reason, "NEURAL")
      table = yield* untilOutcomes(neural, 5)
      row = table.classes.find((c) => c.class === "log")!
      assert.deepStrictEqual([row.decisions, row.arms.find((a) => a.level === 7)!.pulls], [1, 1])
      // Stored content (random bytes) is not tuned: no decision, no outcome.
      const random = path.join(dir, "random.bin")
      yield* Effect.promise(() => fs.writeFile(random, new Uint8Array(Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) >>> 24))))
      yield* system.injectAsk(ROOT, "TENSOR", { type: "compress", input: random })
      assert.strictEqual(((yield* neural({ type: "tuning" })) as Table).decisions, 1)
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(callerFilesInTmp, StateStoreTest.layer()))))

  it.live("a stopped, stalled or absent NEURAL: the fixed default level, never a failed compression", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir("sigmavault-neural-")
      const log = path.join(dir, "daemon.log")
      yield* Effect.promise(() => fs.writeFile(log, logText(20_000)))
      const compress = (system: ActorSystem.ActorSystem, output: string) =>
        Effect.map(system.injectAsk(ROOT, "TENSOR", { type: "compress", input: log, output: path.join(dir, output) }), (r) => (r as { strategy: { level: number; reason: string } }).strategy)

      // The strategy table's fixed level for text (a log is text), which tuning would replace.
      const fixed = DEFAULT_STRATEGY.find((rule) => rule.kind === "text")!.level
      assert.notStrictEqual(fixed, 1)
      const absent = yield* startFiles([tensorAgent, arbiterAgent])
      const alone = yield* compress(absent, "absent.svz")
      assert.strictEqual(alone.level, fixed)
      assert.notInclude(alone.reason, "NEURAL")

      const system = yield* startFiles([tensorAgent, arbiterAgent, neuralAgent])
      for (let i = 0; i < 3; i++) yield* system.injectAsk(ROOT, "NEURAL", outcomeWith("log", 1, 14))
      assert.strictEqual((yield* compress(system, "tuned.svz")).level, 1)
      // Stalled: busy for 3 s, longer than TENSOR waits.
      yield* system.inject(ROOT, "NEURAL", { type: "sv.stall", ms: 3000 })
      const stalled = yield* compress(system, "stalled.svz")
      assert.strictEqual(stalled.level, fixed)
      yield* system.operate(ROOT, "NEURAL", "stop")
      const stopped = yield* compress(system, "stopped.svz")
      assert.strictEqual(stopped.level, fixed)
      assert.strictEqual(system.status("TENSOR")?.restarts, 0)
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(callerFilesInTmp, StateStoreTest.layer()))))
})
