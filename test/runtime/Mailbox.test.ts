import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { Mailbox } from "../../src/runtime/Mailbox.ts"

/** Takes what the agent's host loop would take next: the system lane first. */
const next = (mailbox: Mailbox<string, number>) => {
  const system = mailbox.pollSystemUnsafe()
  return system !== undefined ? `system:${system}` : `user:${mailbox.pollUserUnsafe()}`
}

describe("Mailbox", () => {
  it("keeps system messages apart so they can be served before user messages", () => {
    const mailbox = new Mailbox<string, number>(4)
    mailbox.offerUnsafe(1)
    mailbox.offerUnsafe(2)
    mailbox.offerSystem("stop")
    assert.deepStrictEqual([next(mailbox), next(mailbox), next(mailbox)], ["system:stop", "user:1", "user:2"])
    assert.isTrue(mailbox.isEmpty)
  })

  it("refuses a user message when full but still accepts system messages", () => {
    const mailbox = new Mailbox<string, number>(2)
    assert.isTrue(mailbox.offerUnsafe(1))
    assert.isTrue(mailbox.offerUnsafe(2))
    assert.isFalse(mailbox.offerUnsafe(3))
    assert.isTrue(mailbox.offerSystem("ping"))
    assert.strictEqual(mailbox.depth, 2)
    assert.strictEqual(mailbox.highWaterMark, 2)
  })

  it.effect("back-pressures an internal sender until the lane has drained to half", () =>
    Effect.gen(function*() {
      const mailbox = new Mailbox<string, number>(4)
      for (let i = 1; i <= 4; i++) mailbox.offerUnsafe(i)
      const sender = yield* Effect.forkChild(mailbox.offer(5))
      yield* Effect.yieldNow
      assert.isUndefined(sender.pollUnsafe(), "sender waits while the mailbox is full")
      mailbox.pollUserUnsafe()
      yield* Effect.yieldNow
      assert.isUndefined(sender.pollUnsafe(), "one free slot is not enough to wake it")
      mailbox.pollUserUnsafe()
      assert.isTrue(yield* Fiber.join(sender))
      assert.deepStrictEqual([mailbox.pollUserUnsafe(), mailbox.pollUserUnsafe(), mailbox.pollUserUnsafe()], [3, 4, 5])
    }))

  it.effect("a waiting agent wakes when mail arrives, after the sender's turn", () =>
    Effect.gen(function*() {
      const mailbox = new Mailbox<string, number>(4)
      const waiter = yield* Effect.forkChild(mailbox.waitForMail)
      yield* Effect.yieldNow
      assert.isUndefined(waiter.pollUnsafe())
      mailbox.offerUnsafe(7)
      mailbox.offerUnsafe(8)
      assert.isUndefined(waiter.pollUnsafe(), "not woken inside the sender's call")
      yield* Fiber.join(waiter)
      assert.strictEqual(mailbox.depth, 2, "both messages wait for one batch")
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
