import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
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
      expect(bus.hasSubscribers()).toBe(true)
      yield* everything.take
    })))
})
