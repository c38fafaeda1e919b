import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import { makeInspectionBus } from "../../src/runtime/Inspection.ts"

describe("filtered inspection subscriptions", () => {
  it.effect("receive only their tags, in their own buffer, counting each loss exactly", () =>
    Effect.scoped(Effect.gen(function*() {
      const bus = yield* makeInspectionBus({ bufferPerSubscriber: 4, now: () => 0 })
      const alerts = yield* bus.subscribeTo({ tags: ["Alert"], buffer: 3 })
      const everything = yield* bus.subscribe
      for (let i = 0; i < 5; i++) {
        yield* bus.publish({ _tag: "Alert", agent: "A", severity: "warning", subject: "s", text: `alert ${i}` })
        // noise that must not take the alert subscriber's room
        for (let j = 0; j < 10; j++) yield* bus.publish({ _tag: "Progress", agent: "B", job: "j", done: j, unit: "bytes" })
      }
      expect(alerts.lost()).toBe(2)
      const seen: Array<string> = []
      for (let i = 0; i < 3; i++) {
        const event = yield* alerts.take
        if (event._tag === "Alert") seen.push(event.text)
      }
      expect(seen).toEqual(["alert 2", "alert 3", "alert 4"])
      expect(bus.wants("Alert")).toBe(true)
      yield* everything.take
    })))

  it.effect("property: next() hands out events oldest first, each with the losses before it, exactly as a drop-oldest buffer would", () =>
    Effect.gen(function*() {
      type Step = { readonly op: "publish"; readonly tag: "Alert" | "Progress" | "Incident" } | { readonly op: "next" } | { readonly op: "poll" }
      const step = fc.oneof(
        fc.record({ op: fc.constant("publish" as const), tag: fc.constantFrom("Alert" as const, "Progress" as const, "Incident" as const) }),
        fc.record({ op: fc.constant("next" as const) }),
        fc.record({ op: fc.constant("poll" as const) })
      )
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 5 }), fc.array(step, { maxLength: 80 }), (buffer, steps: ReadonlyArray<Step>) =>
          Effect.runSync(Effect.scoped(Effect.gen(function*() {
            const bus = yield* makeInspectionBus({ bufferPerSubscriber: 8, now: () => 0 })
            const sub = yield* bus.subscribeTo({ tags: ["Alert", "Incident"], buffer })
            let model: Array<number> = []
            let lost = 0
            let delivered = 0
            for (const s of steps) {
              if (s.op === "publish") {
                yield* bus.publish(s.tag === "Progress"
                  ? { _tag: "Progress", agent: "A", job: "j", done: 0, unit: "b" }
                  : s.tag === "Alert"
                  ? { _tag: "Alert", agent: "A", severity: "info", subject: "s", text: "t" }
                  : { _tag: "Incident", agent: "N", id: "i", state: "opened", severity: "info", subject: "s", title: "t", alerts: 1 })
                if (s.tag === "Progress") continue
                if (model.length === buffer) {
                  model = model.slice(1)
                  lost++
                }
                model.push(bus.published())
                continue
              }
              if (model.length === 0) {
                expect(sub.poll()).toBeUndefined()
                continue
              }
              const expected = model[0]!
              model = model.slice(1)
              delivered++
              if (s.op === "next") {
                const got = yield* sub.next
                expect([got.event.seq, got.lost]).toEqual([expected, lost])
              } else {
                expect(sub.poll()?.seq).toBe(expected)
              }
            }
            expect([sub.lost(), sub.size(), sub.delivered()]).toEqual([lost, model.length, delivered])
            expect(bus.subscriptions()[0]).toMatchObject({ lost, buffered: model.length, delivered, capacity: buffer })
          })))
        ),
        { numRuns: 300 }
      )
    }))
})
