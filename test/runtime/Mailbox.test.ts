import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { Mailbox } from "../../src/runtime/Mailbox.ts"

describe("Mailbox", () => {
  it.effect("serves the system lane before user messages", () =>
    Effect.gen(function*() {
      const mailbox = new Mailbox<string, string>(4)
      mailbox.offerUnsafe("u1")
      mailbox.offerUnsafe("u2")
      mailbox.offerSystem("stop")
      const order = [yield* mailbox.take, yield* mailbox.take, yield* mailbox.take].map((n) => `${n.lane}:${n.item}`)
      assert.deepStrictEqual(order, ["system:stop", "user:u1", "user:u2"])
    }))

  it.effect("refuses a user message when full but keeps taking system messages", () =>
    Effect.gen(function*() {
      const mailbox = new Mailbox<string, number>(2)
      assert.isTrue(mailbox.offerUnsafe(1))
      assert.isTrue(mailbox.offerUnsafe(2))
      assert.isFalse(mailbox.offerUnsafe(3))
      assert.isTrue(mailbox.offerSystem("ping"))
      assert.strictEqual(mailbox.depth, 2)
      assert.strictEqual(mailbox.highWaterMark, 2)
    }))

  it.effect("back-pressures an internal sender until space frees up", () =>
    Effect.gen(function*() {
      const mailbox = new Mailbox<string, number>(1)
      mailbox.offerUnsafe(1)
      const sender = yield* Effect.forkChild(mailbox.offer(2))
      yield* Effect.yieldNow
      assert.isUndefined(sender.pollUnsafe(), "sender waits while the mailbox is full")
      assert.deepStrictEqual(yield* mailbox.take, { lane: "user", item: 1 })
      assert.isTrue(yield* Fiber.join(sender))
      assert.deepStrictEqual(yield* mailbox.take, { lane: "user", item: 2 })
    }))

  it.effect("a taker waits for the next message", () =>
    Effect.gen(function*() {
      const mailbox = new Mailbox<string, number>(1)
      const taker = yield* Effect.forkChild(mailbox.take)
      yield* Effect.yieldNow
      assert.isUndefined(taker.pollUnsafe())
      mailbox.offerUnsafe(7)
      assert.deepStrictEqual(yield* Fiber.join(taker), { lane: "user", item: 7 })
    }))

  it.effect("closing releases waiting senders with false and refuses new mail", () =>
    Effect.gen(function*() {
      const mailbox = new Mailbox<string, number>(1)
      mailbox.offerUnsafe(1)
      const sender = yield* Effect.forkChild(mailbox.offer(2))
      yield* Effect.yieldNow
      mailbox.close()
      assert.isFalse(yield* Fiber.join(sender))
      assert.isFalse(mailbox.offerUnsafe(3))
      assert.isFalse(mailbox.offerSystem("ping"))
      assert.deepStrictEqual(mailbox.drainUser(), [1])
    }))

  it("rejects a capacity that is not a positive integer", () => {
    assert.throws(() => new Mailbox(0), /positive integer/)
  })
})
