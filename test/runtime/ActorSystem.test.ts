import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Logger, References } from "effect"
import { TestClock } from "effect/testing"
import { makePolicy } from "../../src/access/Policy.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import type { Caller } from "../../src/runtime/Caller.ts"
import type { AuditedRequest, Gate } from "../../src/runtime/Gate.ts"
import { counterAgent, counterProtocol, started, tree, watch, ROOT } from "../support/agents.ts"

const oneAgent = (options: Parameters<typeof counterAgent>[1] = {}, systemOptions = {}) =>
  ActorSystem.make({ root: tree("root", "one_for_one", [counterAgent("A", options), counterAgent("B")]), ...systemOptions })

describe("tell and ask", () => {
  it.effect("ask returns the agent's reply; a message it did not answer is acknowledged with its state", () =>
    Effect.gen(function*() {
      const system = yield* oneAgent()
      assert.deepStrictEqual(yield* system.ask("A", { type: "inc" }), { type: "ack", state: "idle" })
      assert.strictEqual(yield* system.ask("A", { type: "get" }), 1)
    }).pipe(Effect.scoped))

  it.effect("an agent's own rejection reaches the asker as Rejected, carrying the typed rejection in its wire form", () =>
    Effect.gen(function*() {
      const system = yield* oneAgent()
      const error = yield* Effect.flip(system.ask("A", { type: "refuse" }))
      assert.strictEqual(error._tag, "Rejected")
      assert.strictEqual(error.message, "A 'refuse': refused on purpose")
      if (error._tag === "Rejected") assert.deepStrictEqual(error.rejection, { _tag: "RefusedOnPurpose" })
    }).pipe(Effect.scoped))

  it.effect("a typed call decodes the rejection into its class, so a caller branches on its tag", () =>
    Effect.gen(function*() {
      const system = yield* oneAgent()
      const handled = yield* system.call(counterProtocol("A"), { type: "refuse" }).pipe(
        Effect.as("answered"),
        Effect.catchTag("RefusedOnPurpose", (refusal) => Effect.succeed(`caught: ${refusal.message}`))
      )
      assert.strictEqual(handled, "caught: refused on purpose")
      assert.strictEqual(yield* system.call(counterProtocol("A"), { type: "get" }), 0)
    }).pipe(Effect.scoped))

  it.effect("a message the current state does not accept is refused with NotAccepted, not dropped", () =>
    Effect.gen(function*() {
      const system = yield* oneAgent()
      yield* system.tell("A", { type: "pause" })
      const error = yield* Effect.flip(system.ask("A", { type: "inc" }))
      assert.strictEqual(error._tag, "Rejected")
      assert.strictEqual(error.message, "A 'inc': not accepted while in state paused")
      assert.strictEqual(system.status("A")!.rejected, 1)
      yield* system.tell("A", { type: "resume" })
      assert.deepStrictEqual(yield* system.ask("A", { type: "inc" }), { type: "ack", state: "idle" })
    }).pipe(Effect.scoped))

  it.effect("an internal sender's message of a type the agent does not declare is refused, as an injection is", () =>
    Effect.gen(function*() {
      const system = yield* oneAgent()
      const error = yield* Effect.flip(system.ask("A", { type: "nonsense" }))
      assert.strictEqual(error._tag, "InvalidMessage")
      assert.match(error.message, /unknown message type 'nonsense'/)
    }).pipe(Effect.scoped))

  it.effect("ask times out with a typed error; the late reply becomes a dead letter", () =>
    Effect.gen(function*() {
      const system = yield* oneAgent()
      const asking = yield* Effect.forkChild(Effect.flip(system.ask("A", { type: "sleep", ms: 500 }, { timeoutMs: 100 })))
      yield* TestClock.adjust(100)
      const error = yield* Fiber.join(asking)
      assert.strictEqual(error._tag, "AskTimeout")
      assert.strictEqual(error.message, "A did not answer 'sleep' within 100 ms")
      yield* TestClock.adjust(400)
      yield* system.ask("A", { type: "get" })
      assert.strictEqual(system.deadLetters.countFor("A", "late-reply"), 1)
    }).pipe(Effect.scoped))

  it.effect("an unknown agent is a typed error listing the known ones, and a dead letter", () =>
    Effect.gen(function*() {
      const system = yield* oneAgent()
      const error = yield* Effect.flip(system.tell("NOPE", { type: "inc" }))
      assert.strictEqual(error._tag, "UnknownAgent")
      assert.strictEqual(error.message, "unknown agent 'NOPE'; known agents: A, B")
      assert.strictEqual(system.deadLetters.countFor("(unknown)", "unknown-agent"), 1)
    }).pipe(Effect.scoped))
})

describe("asks on someone's behalf", () => {
  it.effect("askAs checks the message and the caller's rights, records state changes as theirs, and answers like ask", () =>
    Effect.gen(function*() {
      const OPERATOR: Caller = { uid: 1000, gid: 500, groups: [], via: "plan" }
      const READER: Caller = { uid: 1001, gid: 600, groups: [], via: "rule" }
      const policy = makePolicy({ read: [{ name: "readers", gid: 600 }], operate: [{ name: "ops", gid: 500 }], admin: [] })
      const records: Array<{ caller: Caller; request: AuditedRequest }> = []
      const gate: Gate = {
        check: (caller, what, access) => policy.check(caller, what, access),
        record: (caller, request) => Effect.sync(() => void records.push({ caller, request })),
        refused: () => {}
      }
      const system = yield* oneAgent({}, { gate })
      assert.deepStrictEqual(yield* system.askAs(OPERATOR, "A", { type: "inc" }), { type: "ack", state: "idle" })
      assert.strictEqual(yield* system.askAs(READER, "A", { type: "get" }), 1)
      const denied = yield* Effect.flip(system.askAs(READER, "A", { type: "inc" }))
      assert.strictEqual(denied.message, "uid 1001 may not send A 'inc': it needs operate access, and uid 1001 has read access")
      const invalid = yield* Effect.flip(system.askAs(OPERATOR, "A", { type: "sleep", ms: "long" }))
      assert.strictEqual(invalid._tag, "InvalidMessage")
      assert.deepStrictEqual(
        records.map((r) => [r.caller.uid, r.caller.via, r.request._tag === "Message" ? r.request.message.type : r.request._tag]),
        [[1000, "plan", "inc"]],
        "only the state change is recorded, as the operator's, from a plan"
      )
      assert.strictEqual(yield* system.ask("A", { type: "get" }), 1)
    }).pipe(Effect.scoped))
})

describe("mailbox overflow", () => {
  it.effect("external injection into a full mailbox is refused at once, naming agent and capacity", () =>
    Effect.gen(function*() {
      const system = yield* oneAgent({ mailboxCapacity: 2 })
      yield* system.tell("A", { type: "sleep", ms: 1_000 })
      yield* Effect.yieldNow // A takes the sleep and is busy
      yield* system.inject(ROOT, "A", { type: "inc" })
      yield* system.inject(ROOT, "A", { type: "inc" })
      const error = yield* Effect.flip(system.inject(ROOT, "A", { type: "inc" }))
      assert.strictEqual(error._tag, "MailboxFull")
      assert.strictEqual(error.message, "mailbox of A is full (capacity 2); message refused, try again later")
      assert.strictEqual(system.deadLetters.countFor("A", "mailbox-full"), 1)
      yield* TestClock.adjust(1_000)
      assert.strictEqual(yield* system.ask("A", { type: "get" }), 2)
    }).pipe(Effect.scoped))

  it.effect("an internal sender waits for space instead of losing the message", () =>
    Effect.gen(function*() {
      const system = yield* oneAgent({ mailboxCapacity: 1 })
      yield* system.tell("A", { type: "sleep", ms: 1_000 })
      yield* Effect.yieldNow
      yield* system.tell("A", { type: "inc" })
      const sender = yield* Effect.forkChild(system.tell("A", { type: "inc" }))
      yield* Effect.yieldNow
      assert.isUndefined(sender.pollUnsafe(), "the sender is back-pressured")
      yield* TestClock.adjust(1_000)
      yield* Fiber.join(sender)
      assert.strictEqual(yield* system.ask("A", { type: "get" }), 2)
      assert.strictEqual(system.deadLetters.count, 0)
      assert.strictEqual(system.status("A")!.mailboxHighWater, 1)
    }).pipe(Effect.scoped))

  it.effect("an internal sender that waits past the back-pressure timeout gets MailboxFull and a dead letter", () =>
    Effect.gen(function*() {
      const system = yield* oneAgent({ mailboxCapacity: 1 }, { backpressureTimeoutMs: 200 })
      yield* system.tell("A", { type: "sleep", ms: 1_000 })
      yield* Effect.yieldNow
      yield* system.tell("A", { type: "inc" })
      const sender = yield* Effect.forkChild(Effect.flip(system.tell("A", { type: "inc" })))
      yield* TestClock.adjust(200)
      assert.strictEqual((yield* Fiber.join(sender))._tag, "MailboxFull")
      assert.strictEqual(system.deadLetters.countFor("A", "mailbox-full"), 1)
    }).pipe(Effect.scoped))
})

describe("system lane", () => {
  it.effect("status is served before queued user messages", () =>
    Effect.gen(function*() {
      const system = yield* oneAgent()
      yield* system.tell("A", { type: "sleep", ms: 1_000 })
      yield* Effect.yieldNow
      for (let i = 0; i < 5; i++) yield* system.tell("A", { type: "inc" })
      const status = yield* Effect.forkChild(system.ask("A", { type: "status" }))
      yield* TestClock.adjust(1_000)
      const seen = (yield* Fiber.join(status)) as { handled: number; mailboxDepth: number }
      assert.strictEqual(seen.handled, 1, "only the sleep was handled before status")
      assert.strictEqual(seen.mailboxDepth, 5, "the five incs were still queued")
    }).pipe(Effect.scoped))

  it.effect("ping and describe answer for the agent, honestly", () =>
    Effect.gen(function*() {
      const system = yield* oneAgent()
      assert.deepStrictEqual(yield* system.ask("A", { type: "ping" }), { type: "pong", agent: "A", state: "idle" })
      const described = (yield* system.ask("A", { type: "describe" })) as { capabilities: Array<{ available: boolean }> }
      assert.deepStrictEqual(described.capabilities.map((c) => c.available), [true])
    }).pipe(Effect.scoped))
})

describe("external validation", () => {
  it.effect("injected messages are checked against the agent's schema with a clear reason", () =>
    Effect.gen(function*() {
      const system = yield* oneAgent()
      const reason = (input: unknown) => Effect.map(Effect.flip(system.inject(ROOT, "A", input)), (e) => e.message)
      assert.strictEqual(
        yield* reason({ type: "jump" }),
        "invalid message for A: unknown message type 'jump'; A accepts: inc, get, crash, refuse, sleep, finish, pause, resume, ping, status, describe"
      )
      assert.strictEqual(yield* reason({ type: "sleep", ms: "soon" }), "invalid message for A: 'sleep': Expected number at [\"ms\"]")
      assert.match(yield* reason({ type: "inc", extra: 1 }), /excess property/)
      assert.match(yield* reason([1, 2]), /a message is a JSON object with a string "type" field/)
      assert.match(yield* reason({ type: "ping", x: 1 }), /'ping': .*excess property.*\["x"\]/)
      assert.strictEqual(yield* system.injectAsk(ROOT, "A", { type: "get" }), 0, "the agent is unharmed")
    }).pipe(Effect.scoped))
})

describe("dead letters", () => {
  it.effect("are counted per agent and reason, and logged as one summary line per interval", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const capture = Logger.make((options) => {
        lines.push(String((options.message as ReadonlyArray<unknown>).join(" ")))
      })
      yield* Effect.gen(function*() {
        const system = yield* oneAgent({ mailboxCapacity: 1 }, { deadLetterLogIntervalMs: 10_000 })
        yield* system.tell("A", { type: "sleep", ms: 1_000 })
        yield* Effect.yieldNow
        yield* system.tell("A", { type: "inc" })
        for (let i = 0; i < 50; i++) yield* Effect.flip(system.inject(ROOT, "A", { type: "inc" }))
        for (let i = 0; i < 3; i++) yield* Effect.flip(system.tell("GHOST", { type: "inc" }))
        yield* TestClock.adjust(10_000)
        assert.deepStrictEqual(system.deadLetters.snapshot(), {
          A: { "mailbox-full": 50 },
          "(unknown)": { "unknown-agent": 3 }
        })
        const summaries = lines.filter((line) => line.startsWith("dead letters"))
        assert.deepStrictEqual(summaries, ["dead letters: 53 (A:mailbox-full=50 (unknown):unknown-agent=3)"])
        yield* TestClock.adjust(10_000)
        assert.strictEqual(lines.filter((line) => line.startsWith("dead letters")).length, 1, "quiet interval, no line")
      }).pipe(Effect.provideService(References.CurrentLoggers, new Set([capture])), Effect.scoped)
    }))

  it.effect("messages queued for an agent that stops for good are dead letters, and their askers are told", () =>
    Effect.gen(function*() {
      const system = yield* oneAgent({ restart: "temporary" })
      yield* system.tell("A", { type: "sleep", ms: 1_000 })
      yield* system.tell("A", { type: "crash" })
      const asker = yield* Effect.forkChild(Effect.flip(system.ask("A", { type: "get" })))
      yield* system.tell("A", { type: "inc" })
      yield* TestClock.adjust(1_000)
      assert.strictEqual((yield* Fiber.join(asker))._tag, "AgentStopped")
      assert.strictEqual(system.deadLetters.countFor("A", "handler-crashed"), 1)
      assert.strictEqual(system.deadLetters.countFor("A", "agent-stopped"), 2)
      assert.strictEqual((yield* Effect.flip(system.tell("A", { type: "inc" })))._tag, "AgentStopped")
    }).pipe(Effect.scoped))
})

describe("inspection", () => {
  it.effect("publishes transitions and handled messages with durations", () =>
    Effect.gen(function*() {
      const system = yield* oneAgent()
      const events = yield* watch(system)
      yield* system.ask("A", { type: "sleep", ms: 10 }).pipe(Effect.forkChild)
      yield* TestClock.adjust(10)
      const handled = yield* events.until((e) => e._tag === "MessageHandled" && e.agent === "A")
      assert.strictEqual(handled._tag === "MessageHandled" && handled.messageType, "sleep")
      assert.deepStrictEqual(
        events.labels((e) => e._tag === "Transition" ? `${e.from}->${e.to}` : undefined),
        ["idle->sleeping", "sleeping->idle"]
      )
    }).pipe(Effect.scoped))

  it.effect("a slow subscriber loses its oldest events, counted, and never slows the agents", () =>
    Effect.gen(function*() {
      const system = yield* oneAgent({}, { inspectionBuffer: 8 })
      const slow = yield* system.inspection.subscribe
      const subscribedAt = system.inspection.published()
      for (let i = 0; i < 100; i++) yield* system.tell("A", { type: "inc" })
      assert.strictEqual(yield* system.ask("A", { type: "get" }), 100, "the agent kept going")
      const first = yield* slow.take
      assert.isAbove(first.seq, 90, "the oldest events slid out")
      assert.strictEqual(slow.lost(), first.seq - subscribedAt - 1, "every lost event is counted")
    }).pipe(Effect.scoped))
})

describe("metrics", () => {
  it.effect("per-agent metrics: handled, depth high-water mark, latency quantiles, state, restarts", () =>
    Effect.gen(function*() {
      const system = yield* oneAgent()
      const events = yield* watch(system)
      for (let i = 0; i < 20; i++) yield* system.tell("A", { type: "inc" })
      yield* Effect.flip(system.ask("A", { type: "crash" }))
      yield* events.until(started("A"))
      yield* system.ask("A", { type: "get" })
      const status = system.status("A")!
      assert.strictEqual(status.handled, 21)
      assert.isAtLeast(status.mailboxHighWater, 1)
      assert.isAbove(status.handlingP50Us, 0)
      assert.isAtLeast(status.handlingP99Us, status.handlingP50Us)
      assert.strictEqual(status.state, "idle")
      assert.strictEqual(status.restarts, 1)
      assert.strictEqual(status.deadLetters, 1)
      assert.strictEqual(status.lastError, "A was told to crash")
    }).pipe(Effect.scoped))
})
