/**
 * STREAM: named topics over the inspection bus. Every loss is counted
 * exactly (held to a model of a bounded buffer that drops its oldest event,
 * under random interleavings of publishes and takes), a named subscription
 * belongs to the user who made it, and the listings say what is live.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber } from "effect"
import * as fc from "fast-check"
import { streamAgent } from "../../src/actors/stream/index.ts"
import { Stream } from "../../src/actors/stream/messages.ts"
import { type ActorSystem, make } from "../../src/runtime/ActorSystem.ts"
import type { Caller } from "../../src/runtime/Caller.ts"
import type { InspectionInput } from "../../src/runtime/Inspection.ts"
import { TOPICS } from "../../src/runtime/Topics.ts"
import { decodedReply, ROOT, tree } from "../support/agents.ts"

const ALICE: Caller = { uid: 1000, gid: 1000, groups: [], via: "socket" }
const BOB: Caller = { uid: 1001, gid: 1001, groups: [], via: "socket" }

const start = make({ root: tree("T", "one_for_one", [streamAgent]) })

const ask = (system: ActorSystem, caller: Caller, message: { readonly type: string; readonly [k: string]: unknown }) =>
  Effect.map(system.injectAsk(caller, "STREAM", message), (wire) => decodedReply(Stream.get(message.type)!, wire))

const rejection = (exit: Exit.Exit<unknown, unknown>) => {
  assert.isTrue(Exit.isFailure(exit))
  const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as { _tag: string; rejection?: { _tag: string } }
  return error._tag === "Rejected" ? error.rejection!._tag : error._tag
}

const alert = (text: string): InspectionInput => ({ _tag: "Alert", agent: "T", severity: "warning", subject: "s", text })
const progress = (done: number): InspectionInput => ({ _tag: "Progress", agent: "T", job: "j", done, unit: "bytes" })

type Step = { readonly op: "publish"; readonly alert: boolean } | { readonly op: "take"; readonly max: number }

describe("STREAM", () => {
  it("topics map onto inspection event tags, each tag in one topic", () => {
    const tags = Object.values(TOPICS).flat()
    assert.strictEqual(new Set(tags).size, tags.length)
    assert.deepStrictEqual([...TOPICS.alerts], ["Alert"])
    assert.deepStrictEqual([...TOPICS.incidents], ["Incident"])
  })

  it.live("property: a named subscription hands out every event or counts it lost, exactly as a drop-oldest buffer would", () =>
    Effect.gen(function*() {
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 1, max: 6 }),
            fc.array(
              fc.oneof(
                fc.record({ op: fc.constant("publish" as const), alert: fc.boolean() }),
                fc.record({ op: fc.constant("take" as const), max: fc.integer({ min: 1, max: 5 }) })
              ),
              { maxLength: 60 }
            ),
            (buffer, steps: ReadonlyArray<Step>) =>
              Effect.runPromise(Effect.scoped(Effect.gen(function*() {
                const system = yield* start
                yield* ask(system, ALICE, { type: "subscribe", subscriber: "feed", topics: ["alerts"], buffer, confirm: true })
                // The model: a bounded queue that drops its oldest, and a loss count.
                let model: Array<string> = []
                let modelLost = 0
                let reportedLost = 0
                let n = 0
                for (const step of steps) {
                  if (step.op === "publish") {
                    n++
                    // Progress events are another topic's: they take no room and are never lost here.
                    if (!step.alert) {
                      yield* system.inspection.publish(progress(n))
                      continue
                    }
                    yield* system.inspection.publish(alert(`a${n}`))
                    if (model.length === buffer) {
                      model = model.slice(1)
                      modelLost++
                    }
                    model.push(`a${n}`)
                    continue
                  }
                  const taken = (yield* ask(system, ALICE, { type: "take", subscriber: "feed", max: step.max })) as {
                    events: ReadonlyArray<{ _tag: string; text?: string }>
                    lost: number
                    lostTotal: number
                    buffered: number
                  }
                  const expected = model.slice(0, step.max)
                  model = model.slice(step.max)
                  assert.deepStrictEqual(taken.events.map((e) => e.text), expected)
                  assert.strictEqual(taken.lostTotal, modelLost)
                  assert.strictEqual(taken.lost, modelLost - reportedLost)
                  reportedLost = modelLost
                  assert.strictEqual(taken.buffered, model.length)
                }
                const listed = (yield* ask(system, ROOT, { type: "subscribers" })) as ReadonlyArray<{
                  transport: string
                  lost: number
                  buffered: number
                  capacity: number
                }>
                const mine = listed.find((s) => s.transport === "stream")!
                assert.strictEqual(mine.lost, modelLost)
                assert.strictEqual(mine.buffered, model.length)
                assert.strictEqual(mine.capacity, buffer)
              })))
          ),
          { numRuns: 40 }
        )
      )
    }))

  it.live("a named subscription is its owner's: another user can neither take from it nor end it", () =>
    Effect.gen(function*() {
      const system = yield* start
      const plan = yield* ask(system, ALICE, { type: "subscribe", subscriber: "mine", topics: ["alerts", "incidents"] })
      assert.deepInclude(plan as object, { applied: false, tags: ["Alert", "Incident"], buffer: 1024 })
      // A plan subscribes nothing.
      assert.strictEqual(rejection(yield* Effect.exit(ask(system, ALICE, { type: "take", subscriber: "mine" }))), "NoSuchSubscription")
      yield* ask(system, ALICE, { type: "subscribe", subscriber: "mine", topics: ["alerts", "incidents"], buffer: 4, confirm: true })
      yield* system.inspection.publish(alert("for alice"))
      assert.strictEqual(rejection(yield* Effect.exit(ask(system, BOB, { type: "take", subscriber: "mine" }))), "NoSuchSubscription")
      assert.strictEqual(
        rejection(yield* Effect.exit(ask(system, BOB, { type: "unsubscribe", subscriber: "mine", confirm: true }))),
        "NoSuchSubscription"
      )
      // Bob may hold his own of the same name: the names are per user.
      yield* ask(system, BOB, { type: "subscribe", subscriber: "mine", topics: ["progress"], confirm: true })
      const taken = (yield* ask(system, ALICE, { type: "take", subscriber: "mine" })) as { events: ReadonlyArray<{ text?: string }> }
      assert.deepStrictEqual(taken.events.map((e) => e.text), ["for alice"])
      assert.strictEqual(
        rejection(yield* Effect.exit(ask(system, ALICE, { type: "subscribe", subscriber: "mine", topics: ["alerts"], confirm: true }))),
        "SubscriptionExists"
      )
      const ended = yield* ask(system, ALICE, { type: "unsubscribe", subscriber: "mine", confirm: true })
      assert.deepInclude(ended as object, { applied: true })
      assert.strictEqual(rejection(yield* Effect.exit(ask(system, ALICE, { type: "take", subscriber: "mine" }))), "NoSuchSubscription")
      const listed = (yield* ask(system, ROOT, { type: "subscribers" })) as ReadonlyArray<{ who: string; topics: ReadonlyArray<string> }>
      assert.deepStrictEqual(listed.map((s) => [s.who, s.topics]), [["mine (uid 1001)", ["progress"]]])
    }).pipe(Effect.scoped))

  it.live("take waits up to waitMs for a first event, and an event published meanwhile ends the wait", () =>
    Effect.gen(function*() {
      const system = yield* start
      yield* ask(system, ALICE, { type: "subscribe", subscriber: "w", topics: ["incidents"], confirm: true })
      const empty = (yield* ask(system, ALICE, { type: "take", subscriber: "w", waitMs: 20 })) as { events: ReadonlyArray<unknown> }
      assert.strictEqual(empty.events.length, 0)
      const waiting = yield* Effect.forkChild(ask(system, ALICE, { type: "take", subscriber: "w", waitMs: 10_000 }))
      yield* Effect.sleep(50)
      yield* system.inspection.publish({
        _tag: "Incident",
        agent: "NEXUS",
        id: "inc-1",
        state: "opened",
        severity: "critical",
        subject: "pool tank",
        title: "pool tank degraded",
        alerts: 3
      })
      const got = (yield* Fiber.join(waiting)) as { events: ReadonlyArray<{ _tag: string; id?: string }> }
      assert.deepStrictEqual(got.events.map((e) => [e._tag, e.id]), [["Incident", "inc-1"]])
    }).pipe(Effect.scoped))

  it.live("topics counts what was published, and a restart ends the incarnation's named subscriptions", () =>
    Effect.gen(function*() {
      const system = yield* start
      yield* ask(system, ALICE, { type: "subscribe", subscriber: "r", topics: ["alerts"], confirm: true })
      yield* system.inspection.publish(alert("one"))
      yield* system.inspection.publish(alert("two"))
      const topics = (yield* ask(system, ROOT, { type: "topics" })) as ReadonlyArray<{ topic: string; published: number; subscribers: number }>
      assert.deepInclude(topics.find((t) => t.topic === "alerts")!, { published: 2, subscribers: 1 })
      yield* system.operate(ROOT, "STREAM", "restart")
      for (let i = 0; i < 100 && system.subscriptions().length > 0; i++) yield* Effect.sleep(10)
      assert.strictEqual(system.subscriptions().length, 0)
    }).pipe(Effect.scoped))
})
