import { assert, describe, it } from "@effect/vitest"
import { DateTime, Effect, Layer, Logger, Option, Random, Result } from "effect"
import { TestClock } from "effect/testing"
import {
  StateStore,
  type StateStoreShape,
  StateVersionTooNew
} from "../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../src/adapters/state/StateStoreTest.ts"
import { eclipseAgent, type HealthReport } from "../../src/actors/eclipse/index.ts"
import * as OrbitCron from "../../src/actors/orbit/cron.ts"
import { OrbitConfig, orbitAgent, type ScheduleSpec } from "../../src/actors/orbit/index.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import type { AgentDefinition } from "../../src/runtime/Agent.ts"
import type { Caller } from "../../src/runtime/Caller.ts"
import type { AuditedRequest, Gate } from "../../src/runtime/Gate.ts"
import { makePolicy, type Policy } from "../../src/access/Policy.ts"
import type { InspectionEvent } from "../../src/runtime/Inspection.ts"
import { counterAgent, fastBackoff, generous, watch, ROOT } from "../support/agents.ts"

// ---- cron dialect -------------------------------------------------------------

const utc = DateTime.zoneMakeNamedUnsafe("UTC")

const runs = (expression: string, fromIso: string, count: number, zone: DateTime.TimeZone = utc) => {
  const parsed = OrbitCron.parse(expression, zone)
  if (Result.isFailure(parsed)) throw new Error(parsed.failure.message)
  const out: Array<string> = []
  let after = Date.parse(fromIso)
  for (let i = 0; i < count; i++) {
    after = OrbitCron.nextRun(parsed.success, after)!
    out.push(new Date(after).toISOString().replace(":00.000Z", "Z"))
  }
  return out
}

const refusal = (expression: string) => {
  const parsed = OrbitCron.parse(expression, utc)
  return Result.isFailure(parsed) ? parsed.failure.message : "accepted"
}

describe("ORBIT cron dialect", () => {
  it("expands the @ aliases", () => {
    const from = "2024-03-13T10:15:00Z" // a Wednesday
    assert.deepStrictEqual(runs("@hourly", from, 2), ["2024-03-13T11:00Z", "2024-03-13T12:00Z"])
    assert.deepStrictEqual(runs("@daily", from, 2), ["2024-03-14T00:00Z", "2024-03-15T00:00Z"])
    assert.deepStrictEqual(runs("@midnight", from, 1), runs("@daily", from, 1))
    assert.deepStrictEqual(runs("@weekly", from, 2), ["2024-03-17T00:00Z", "2024-03-24T00:00Z"])
    assert.deepStrictEqual(runs("@monthly", from, 2), ["2024-04-01T00:00Z", "2024-05-01T00:00Z"])
    assert.deepStrictEqual(runs("@yearly", from, 2), ["2025-01-01T00:00Z", "2026-01-01T00:00Z"])
    assert.deepStrictEqual(runs("@ANNUALLY", from, 1), runs("@yearly", from, 1))
  })

  it("day-of-month and day-of-week both restricted: either matches, as in Vixie cron", () => {
    // Fridays and the 13th: Fri 6, Fri 13, Fri 20, Fri 27 Sep, Fri 4, Fri 11, Sun 13 Oct.
    assert.deepStrictEqual(runs("0 0 13 * fri", "2024-09-01T00:00:00Z", 7), [
      "2024-09-06T00:00Z",
      "2024-09-13T00:00Z",
      "2024-09-20T00:00Z",
      "2024-09-27T00:00Z",
      "2024-10-04T00:00Z",
      "2024-10-11T00:00Z",
      "2024-10-13T00:00Z"
    ])
  })

  it("a day field starting with * makes both day fields required", () => {
    // Odd-numbered days that are Mondays (Vixie cron's rule for '*'-prefixed day fields).
    assert.deepStrictEqual(runs("0 0 */2 * mon", "2024-01-01T00:00:00Z", 3), [
      "2024-01-15T00:00Z",
      "2024-01-29T00:00Z",
      "2024-02-05T00:00Z"
    ])
  })

  it("Feb 29 runs only in leap years", () => {
    assert.deepStrictEqual(runs("0 0 29 feb *", "2024-03-01T00:00:00Z", 2), ["2028-02-29T00:00Z", "2032-02-29T00:00Z"])
  })

  it("lists, ranges, steps over ranges and from a start", () => {
    assert.deepStrictEqual(runs("1-10/3 * * * *", "2024-01-01T00:00:00Z", 5), [
      "2024-01-01T00:01Z",
      "2024-01-01T00:04Z",
      "2024-01-01T00:07Z",
      "2024-01-01T00:10Z",
      "2024-01-01T01:01Z"
    ])
    assert.deepStrictEqual(runs("5/20 * * * *", "2024-01-01T00:00:00Z", 4), [
      "2024-01-01T00:05Z",
      "2024-01-01T00:25Z",
      "2024-01-01T00:45Z",
      "2024-01-01T01:05Z"
    ])
    assert.deepStrictEqual(runs("0 8,12-13 * * *", "2024-01-01T09:00:00Z", 3), [
      "2024-01-01T12:00Z",
      "2024-01-01T13:00Z",
      "2024-01-02T08:00Z"
    ])
  })

  it("month and day names, any case; Sunday is 0 or 7", () => {
    assert.deepStrictEqual(runs("30 9 * JAN,jul Mon-Fri", "2024-06-28T00:00:00Z", 2), [
      "2024-07-01T09:30Z",
      "2024-07-02T09:30Z"
    ])
    assert.deepStrictEqual(runs("0 0 * * 7", "2024-03-13T00:00:00Z", 1), runs("0 0 * * sun", "2024-03-13T00:00:00Z", 1))
    assert.deepStrictEqual(runs("0 0 * * 0", "2024-03-13T00:00:00Z", 1), ["2024-03-17T00:00Z"])
  })

  it("reads the fields in the given time zone, across daylight saving time", () => {
    const berlin = DateTime.zoneMakeNamedUnsafe("Europe/Berlin")
    // 09:00 in Berlin is 08:00Z in winter (CET) and 07:00Z in summer (CEST, from 31 March 2024).
    assert.deepStrictEqual(runs("0 9 * * *", "2024-03-30T00:00:00Z", 2, berlin), [
      "2024-03-30T08:00Z",
      "2024-03-31T07:00Z"
    ])
  })

  it("refuses out-of-range values, naming the field", () => {
    assert.include(refusal("60 * * * *"), "minute field '60': expected a value between 0 and 59")
    assert.include(refusal("0 24 * * *"), "hour field '24'")
    assert.include(refusal("0 0 32 * *"), "day-of-month field '32'")
    assert.include(refusal("0 0 0 * *"), "day-of-month field '0'")
    assert.include(refusal("0 0 * 13 *"), "month field '13'")
    assert.include(refusal("0 0 * * 8"), "day-of-week field '8'")
    assert.include(refusal("0 0 * * funday"), "day-of-week field 'funday'")
    assert.include(refusal("0 0 * mon *"), "month field 'mon'")
    assert.include(refusal("5-1 * * * *"), "minute field '5-1': invalid value range")
    assert.include(refusal("*/0 * * * *"), "minute field '*/0'")
    assert.include(refusal("1,,2 * * * *"), "minute field '1,,2'")
  })

  it("refuses six fields, the wrong count, unknown aliases, garbage, and dates that never occur", () => {
    assert.include(refusal("0 0 0 * * *"), "expected 5 fields (minute hour day-of-month month day-of-week), got 6; a seconds field is not supported")
    assert.include(refusal("0 0 * *"), "got 4")
    assert.include(refusal("   "), "it is empty")
    assert.include(refusal("@reboot"), "unknown alias @reboot; known aliases: @yearly")
    assert.include(refusal("every day at noon"), "expected 5 fields")
    assert.include(refusal("0 0 L * *"), "day-of-month field 'L'")
    assert.include(refusal("0 0 30 feb *"), "never occurs")
    assert.include(refusal("0 0 31 apr,jun,sep,nov *"), "never occurs")
    assert.strictEqual(refusal("0 0 31 apr,may *"), "accepted")
    assert.strictEqual(refusal("0 0 30 feb fri"), "accepted") // OR: every Friday in February
  })
})

// ---- the agent ------------------------------------------------------------------

const START = "2024-03-10T10:13:30.000Z"
const ms = (iso: string) => Date.parse(iso)

const handled = (agent: string, messageType: string) => (e: InspectionEvent) =>
  e._tag === "MessageHandled" && e.agent === agent && e.messageType === messageType

const schedule = (name: string, cron: string, extra: Partial<ScheduleSpec> = {}): ScheduleSpec => ({
  name,
  cron,
  target: "COUNTER",
  message: { type: "inc" },
  ...extra
})

interface Listing {
  readonly timeZone: string
  readonly schedules: ReadonlyArray<{
    readonly name: string
    readonly cron: string
    readonly target: string
    readonly messageType: string
    readonly jitterMs: number
    readonly origin: string
    readonly addedBy: string
    readonly nextRun: string | null
    readonly lastRun: string | null
    readonly lastOutcome: string | null
  }>
}

/** A system with COUNTER, ORBIT and `others`, started at START with `schedules` configured, in UTC. */
const boot = (schedules: ReadonlyArray<ScheduleSpec>, others: ReadonlyArray<AgentDefinition> = [], gate?: Gate) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(ms(START))
    const root: ActorSystem.SupervisorNode<StateStore> = {
      name: "root",
      strategy: "one_for_one",
      intensity: generous,
      backoff: fastBackoff,
      children: [counterAgent("COUNTER"), ...others, orbitAgent]
    }
    const system = yield* ActorSystem.make({ root, ...(gate === undefined ? {} : { gate }) })
    const events = yield* watch(system)
    const list = Effect.map(system.ask("ORBIT", { type: "list" }), (value) => value as Listing)
    /**
     * ORBIT's table once its invoked effects (firing, saving) have settled: the
     * runtime handles the second `list` only after the first one's effects finish.
     */
    const settled = Effect.andThen(list, list)
    const count = Effect.map(system.ask("COUNTER", { type: "get" }), (n) => n as number)
    return { system, events, list, settled, count }
  }).pipe(Effect.provideService(OrbitConfig, { timeZone: "UTC", schedules }))

/** Collects what agents log, as "Level: message" lines. */
const captureLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make((options) => {
    lines.push(`${options.logLevel}: ${[options.message].flat().join(" ")}`)
  })
  return { lines, layer: Logger.layer([logger]) }
}

const storedState = Effect.gen(function*() {
  const store = yield* StateStore
  return yield* store.read("orbit")
})

describe("ORBIT", () => {
  it.effect("tells the target at the cron times, on the test clock", () =>
    Effect.gen(function*() {
      const { events, count, list } = yield* boot([schedule("tick", "*/5 * * * *")])
      yield* TestClock.setTime(ms("2024-03-10T10:14:59Z"))
      assert.strictEqual(yield* count, 0)
      yield* TestClock.setTime(ms("2024-03-10T10:15:00Z"))
      const first = yield* events.until(handled("COUNTER", "inc"))
      assert.strictEqual(new Date(first.at).toISOString(), "2024-03-10T10:15:00.000Z")
      yield* TestClock.setTime(ms("2024-03-10T10:29:59Z"))
      const second = yield* events.until(handled("COUNTER", "inc"))
      const third = yield* events.until(handled("COUNTER", "inc"))
      assert.deepStrictEqual([second.at, third.at].map((t) => new Date(t).toISOString()), [
        "2024-03-10T10:20:00.000Z",
        "2024-03-10T10:25:00.000Z"
      ])
      assert.strictEqual(yield* count, 3)
      const tick = (yield* list).schedules[0]!
      assert.strictEqual(tick.lastRun, "2024-03-10T10:25:00.000Z")
      assert.strictEqual(tick.nextRun, "2024-03-10T10:30:00.000Z")
      assert.strictEqual(tick.lastOutcome, "sent")
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer())))

  it.effect("after 3 days down, an @hourly schedule catches up exactly once at start", () =>
    Effect.gen(function*() {
      const { events, count, settled } = yield* boot([schedule("hourly", "@hourly")])
      const hourly = (yield* settled).schedules[0]!
      assert.strictEqual(hourly.lastRun, START)
      assert.strictEqual(hourly.nextRun, "2024-03-10T11:00:00.000Z")
      assert.strictEqual(yield* count, 1)
      assert.deepStrictEqual(yield* storedState, Option.some({ lastRuns: { hourly: ms(START) }, added: [], removed: [] }))
      yield* TestClock.setTime(ms("2024-03-10T10:59:59Z"))
      assert.strictEqual(yield* count, 1)
      yield* TestClock.setTime(ms("2024-03-10T11:00:00Z"))
      // The catch-up run may or may not have been seen by the watcher, which started with the system.
      const onTheHour = yield* events.until((e) => handled("COUNTER", "inc")(e) && e.at > ms(START))
      assert.strictEqual(onTheHour.at, ms("2024-03-10T11:00:00Z"))
      assert.strictEqual(yield* count, 2)
    }).pipe(
      Effect.scoped,
      Effect.provide(StateStoreTest.layer({ orbit: { lastRuns: { hourly: ms("2024-03-07T10:00:00Z") } } }))
    ))

  it.effect("does not catch up when the last run is recent, nor on a first start", () =>
    Effect.gen(function*() {
      const { count, settled } = yield* boot([schedule("hourly", "@hourly"), schedule("fresh", "@hourly")])
      const table = yield* settled
      assert.deepStrictEqual(table.schedules.map((s) => [s.name, s.lastRun, s.nextRun]), [
        ["hourly", "2024-03-10T10:00:00.000Z", "2024-03-10T11:00:00.000Z"],
        ["fresh", null, "2024-03-10T11:00:00.000Z"]
      ])
      yield* TestClock.setTime(ms("2024-03-10T10:59:59Z"))
      assert.strictEqual(yield* count, 0)
    }).pipe(
      Effect.scoped,
      Effect.provide(StateStoreTest.layer({ orbit: { lastRuns: { hourly: ms("2024-03-10T10:00:00Z") } } }))
    ))

  it.effect("jitter delays each run by a random 0..jitterMs drawn from Effect's Random", () =>
    Effect.gen(function*() {
      const { events, count, list } = yield* boot([schedule("spread", "*/5 * * * *", { jitterMs: 60_000 })])
      // The fixed Random draws 0.5: a delay of 30 s after each slot.
      assert.strictEqual((yield* list).schedules[0]!.nextRun, "2024-03-10T10:15:30.000Z")
      yield* TestClock.setTime(ms("2024-03-10T10:15:29Z"))
      assert.strictEqual(yield* count, 0)
      yield* TestClock.setTime(ms("2024-03-10T10:15:30Z"))
      assert.strictEqual((yield* events.until(handled("COUNTER", "inc"))).at, ms("2024-03-10T10:15:30Z"))
      assert.strictEqual((yield* list).schedules[0]!.nextRun, "2024-03-10T10:20:30.000Z")
    }).pipe(
      Effect.scoped,
      Effect.provideService(Random.Random, { nextDoubleUnsafe: () => 0.5, nextIntUnsafe: () => 0 }),
      Effect.provide(StateStoreTest.layer())
    ))

  it.effect("add, remove and list; the changes survive a restart of the daemon", () =>
    Effect.gen(function*() {
      const first = yield* boot([schedule("nightly", "@daily")])
      const before = yield* first.list
      assert.strictEqual(before.timeZone, "UTC")
      assert.deepStrictEqual(before.schedules, [{
        name: "nightly",
        cron: "@daily",
        target: "COUNTER",
        messageType: "inc",
        jitterMs: 0,
        origin: "config",
        addedBy: "the daemon",
        nextRun: "2024-03-11T00:00:00.000Z",
        lastRun: null,
        lastOutcome: null
      }])

      const added = yield* first.system.injectAsk(ROOT, "ORBIT", {
        type: "add",
        name: "soon",
        cron: "*/5 * * * *",
        target: "COUNTER",
        message: { type: "inc" }
      })
      assert.deepStrictEqual(added, { added: "soon", nextRun: "2024-03-10T10:15:00.000Z" })
      const duplicate = yield* Effect.flip(first.system.injectAsk(ROOT, "ORBIT", {
        type: "add",
        name: "soon",
        cron: "@hourly",
        target: "COUNTER",
        message: { type: "inc" }
      }))
      assert.include(duplicate.message, "a schedule named 'soon' already exists; remove it first to replace it")

      // The added schedule is due before the configured one: ORBIT re-arms its timer for it.
      yield* TestClock.setTime(ms("2024-03-10T10:15:00Z"))
      assert.strictEqual((yield* first.events.until(handled("COUNTER", "inc"))).at, ms("2024-03-10T10:15:00Z"))

      assert.deepStrictEqual(yield* first.system.injectAsk(ROOT, "ORBIT", { type: "remove", name: "nightly" }), {
        removed: "nightly"
      })
      const missing = yield* Effect.flip(first.system.injectAsk(ROOT, "ORBIT", { type: "remove", name: "nightly" }))
      assert.include(missing.message, "no schedule named 'nightly'; schedules: soon")
      const after = yield* first.settled
      assert.deepStrictEqual(after.schedules.map((s) => [s.name, s.origin, s.lastRun]), [
        ["soon", "added", "2024-03-10T10:15:00.000Z"]
      ])
      yield* first.system.shutdown()

      // The same state directory, a new daemon, the same configuration.
      const second = yield* boot([schedule("nightly", "@daily")])
      const restored = yield* second.settled
      assert.deepStrictEqual(restored.schedules.map((s) => [s.name, s.origin, s.lastRun, s.nextRun]), [
        ["soon", "added", "2024-03-10T10:15:00.000Z", "2024-03-10T10:15:00.000Z"]
      ])
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer())))

  it.effect("a schedule sends its adder's message on the adder's behalf: checked when added, and again each time it fires", () =>
    Effect.gen(function*() {
      const OPERATOR: Caller = { uid: 1000, gid: 500, groups: [], via: "socket" }
      const READER: Caller = { uid: 1001, gid: 600, groups: [], via: "socket" }
      const granted = makePolicy({ read: [{ name: "readers", gid: 600 }], operate: [{ name: "ops", gid: 500 }], admin: [] })
      let policy: Policy = granted
      const records: Array<{ caller: Caller; request: AuditedRequest }> = []
      const gate: Gate = {
        check: (caller, what, access) => policy.check(caller, what, access),
        record: (caller, request) => Effect.sync(() => void records.push({ caller, request })),
        refused: () => {}
      }
      const { system, list, settled, count } = yield* boot([], [], gate)
      const add = (caller: Caller, name: string, message: { type: string }) =>
        system.injectAsk(caller, "ORBIT", { type: "add", name, cron: "*/5 * * * *", target: "COUNTER", message })

      const reader = yield* Effect.flip(add(READER, "mine", { type: "inc" }))
      assert.strictEqual(reader.message, "uid 1001 may not send ORBIT 'add': it needs operate access, and uid 1001 has read access")
      const tooHigh = yield* Effect.flip(add(OPERATOR, "crasher", { type: "crash" }))
      assert.strictEqual(tooHigh._tag, "Rejected")
      assert.strictEqual(tooHigh.message, "ORBIT 'add': uid 1000 may not send COUNTER 'crash': it needs admin access, and uid 1000 has operate access")

      assert.deepStrictEqual(yield* add(OPERATOR, "counting", { type: "inc" }), { added: "counting", nextRun: "2024-03-10T10:15:00.000Z" })
      assert.deepStrictEqual((yield* list).schedules.map((s) => [s.name, s.addedBy]), [["counting", "uid 1000"]])

      yield* TestClock.setTime(ms("2024-03-10T10:15:00Z"))
      assert.strictEqual((yield* settled).schedules[0]!.lastOutcome, "sent")
      assert.strictEqual(yield* count, 1)
      const fired = records.filter((r) => r.request._tag === "Message" && r.request.agent === "COUNTER")
      assert.deepStrictEqual(fired.map((r) => [r.caller.uid, r.caller.via]), [[1000, "schedule"]], "recorded as the operator's, from a schedule")

      // The operator leaves the group: the schedule stays, and is refused when it fires.
      policy = makePolicy({ read: [], operate: [], admin: [] })
      yield* TestClock.setTime(ms("2024-03-10T10:20:00Z"))
      const refused = (yield* settled).schedules[0]!
      assert.strictEqual(refused.lastOutcome, "failed: uid 1000 may not send COUNTER 'inc': it needs operate access, and uid 1000 has none")
      assert.strictEqual(yield* count, 1)
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer())))

  it.effect("refuses bad schedules with a reason, at the boundary and from other agents", () =>
    Effect.gen(function*() {
      const { system, list } = yield* boot([])
      const add = (fields: Record<string, unknown>) => ({
        type: "add",
        name: "job",
        cron: "@hourly",
        target: "COUNTER",
        message: { type: "inc" },
        ...fields
      })
      const injected = (fields: Record<string, unknown>) =>
        Effect.map(Effect.flip(system.injectAsk(ROOT, "ORBIT", add(fields))), (e) => e.message)
      const internal = (fields: Record<string, unknown>) =>
        Effect.map(Effect.flip(system.ask("ORBIT", add(fields) as { type: string })), (e) => e.message)

      for (const send of [injected, internal]) {
        assert.include(yield* send({ cron: "61 * * * *" }), "minute field '61': expected a value between 0 and 59")
        assert.include(yield* send({ cron: "0 0 0 * * *" }), "got 6; a seconds field is not supported")
        assert.include(yield* send({ cron: "@reboot" }), "unknown alias @reboot")
        assert.include(yield* send({ target: "NOBODY" }), "schedule 'job' cannot send to NOBODY: unknown agent 'NOBODY'")
        assert.include(
          yield* send({ message: { type: "explode" } }),
          "cannot send to COUNTER: invalid message for COUNTER: unknown message type 'explode'"
        )
        assert.include(yield* send({ message: { type: "sleep" } }), "invalid message for COUNTER: 'sleep'")
      }
      assert.include(yield* injected({ jitterMs: -1 }), "invalid message for ORBIT")
      assert.include(yield* internal({ jitterMs: -1 }), "whole milliseconds from 0 to 86400000")
      assert.include(yield* internal({ jitterMs: 1.5 }), `Expected an integer at ["jitterMs"]`)
      assert.include(yield* internal({ name: "../etc" }), `at ["name"]`)
      assert.include(yield* internal({ cron: 5 }), `at ["cron"]`)
      assert.deepStrictEqual((yield* list).schedules, [])
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer())))

  it.effect("a tell that fails is logged and shown in list, not a crash", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const { system, events, settled } = yield* boot(
        [schedule("to-gone", "*/5 * * * *", { target: "GONE" }), schedule("tick", "*/5 * * * *")],
        [counterAgent("GONE", { restart: "temporary" })]
      )
      yield* system.tell("GONE", { type: "finish" })
      yield* events.until((e) => e._tag === "Stopped" && e.agent === "GONE")
      yield* TestClock.setTime(ms("2024-03-10T10:15:00Z"))
      yield* events.until(handled("COUNTER", "inc"))
      const table = yield* settled
      const stopped = "agent GONE is stopped and cannot receive messages"
      assert.deepStrictEqual(table.schedules.map((s) => [s.name, s.lastRun, s.lastOutcome, s.nextRun]), [
        ["to-gone", "2024-03-10T10:15:00.000Z", `failed: ${stopped}`, "2024-03-10T10:20:00.000Z"],
        ["tick", "2024-03-10T10:15:00.000Z", "sent", "2024-03-10T10:20:00.000Z"]
      ])
      assert.include(logs.lines, `Warn: schedule 'to-gone' could not tell GONE: ${stopped}`)
      assert.strictEqual(system.status("ORBIT")!.restarts, 0)
      assert.strictEqual(system.status("ORBIT")!.lifecycle, "running")
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer()), Effect.provide(logs.layer))
  })

  it.effect("a schedule saved without the identity of whoever added it is not run again, and says so", () => {
    const logs = captureLogs()
    const saved = { added: [{ name: "legacy", cron: "*/5 * * * *", target: "COUNTER", message: { type: "inc" } }] }
    return Effect.gen(function*() {
      const { settled } = yield* boot([])
      assert.deepStrictEqual((yield* settled).schedules, [])
      assert.include(logs.lines, "Warn: schedule 'legacy' is skipped: it was saved without the identity of whoever added it; add it again")
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer({ orbit: saved })), Effect.provide(logs.layer))
  })

  it.effect("a state file from a newer release is neither misread nor overwritten", () => {
    const logs = captureLogs()
    const writes: Array<unknown> = []
    const newer: StateStoreShape = {
      read: () => Effect.fail(new StateVersionTooNew({ file: "/var/lib/sigmavault/orbit.json", version: 9, supported: 1 })),
      write: (_key, value) => Effect.sync(() => void writes.push(value))
    }
    return Effect.gen(function*() {
      const { events, settled } = yield* boot([schedule("tick", "*/5 * * * *")])
      yield* TestClock.setTime(ms("2024-03-10T10:15:00Z"))
      yield* events.until(handled("COUNTER", "inc"))
      assert.strictEqual((yield* settled).schedules[0]!.lastRun, "2024-03-10T10:15:00.000Z")
      assert.deepStrictEqual(writes, [])
      assert.isTrue(logs.lines.some((line) =>
        line.startsWith("Error: state file /var/lib/sigmavault/orbit.json has format version 9") &&
        line.includes("ORBIT runs without saving its state")
      ))
    }).pipe(Effect.scoped, Effect.provide(Layer.succeed(StateStore, newer)), Effect.provide(logs.layer))
  })

  it.effect("skips a configured schedule it cannot run, and says why in the log", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const { list } = yield* boot([schedule("broken", "61 * * * *"), schedule("ok", "@daily")])
      assert.deepStrictEqual((yield* list).schedules.map((s) => s.name), ["ok"])
      assert.include(
        logs.lines,
        `Warn: schedule 'broken' is skipped: invalid cron expression "61 * * * *": minute field '61': expected a value between 0 and 59`
      )
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer()), Effect.provide(logs.layer))
  })

  it.effect("out of the box it runs ECLIPSE's self-check every five minutes, in the local time zone", () =>
    Effect.gen(function*() {
      assert.strictEqual(OrbitConfig.defaultValue().timeZone, undefined)
      yield* TestClock.setTime(ms(START))
      const root: ActorSystem.SupervisorNode<StateStore> = {
        name: "root",
        strategy: "one_for_one",
        intensity: generous,
        backoff: fastBackoff,
        children: [eclipseAgent, counterAgent("COUNTER"), orbitAgent]
      }
      const system = yield* ActorSystem.make({ root })
      const events = yield* watch(system)
      const table = (yield* system.ask("ORBIT", { type: "list" })) as Listing
      assert.strictEqual(table.timeZone, DateTime.zoneToString(DateTime.zoneMakeLocal()))
      assert.deepStrictEqual(table.schedules.map((s) => [s.name, s.cron, s.target, s.messageType]), [
        ["eclipse-self-check", "*/5 * * * *", "ECLIPSE", "check"]
      ])
      yield* TestClock.setTime(ms("2024-03-10T10:15:00Z"))
      assert.strictEqual((yield* events.until(handled("ECLIPSE", "check"))).at, ms("2024-03-10T10:15:00Z"))
      const report = (yield* system.ask("ECLIPSE", { type: "report" })) as HealthReport
      assert.strictEqual(report.checkedAt, "2024-03-10T10:15:00.000Z")
      assert.isTrue(report.ok)
      assert.strictEqual(report.responsive, 2)
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer())))
})
