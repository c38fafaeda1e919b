/**
 * An agent's mailbox: a bounded user lane and an unbounded system lane that is
 * always served first. One JavaScript thread owns it, so no locking is needed;
 * waiting is expressed with Effect.callback so fibers suspend instead of spin.
 */
import { Effect } from "effect"
import { Fifo } from "./internal/Fifo.ts"
import { RingBuffer } from "./internal/RingBuffer.ts"

export class Mailbox<S, U> {
  private readonly user: RingBuffer<U>
  /** Unbounded. */
  private readonly system = new Fifo<S>()
  private takers: Array<() => void> = []
  private spaceWaiters: Array<() => void> = []
  private closed = false
  private takerWakeScheduled = false
  private highWater = 0

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`mailbox capacity must be a positive integer, got ${capacity}`)
    }
    this.user = new RingBuffer<U>(capacity)
  }

  get depth(): number {
    return this.user.size
  }

  get highWaterMark(): number {
    return this.highWater
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Offers to the user lane without waiting: false when full or closed. */
  offerUnsafe(item: U): boolean {
    if (this.closed || !this.user.push(item)) return false
    if (this.user.size > this.highWater) this.highWater = this.user.size
    this.wakeTaker()
    return true
  }

  /**
   * Offers to the user lane, suspending while it is full (back-pressure for
   * internal senders). Succeeds with false if the mailbox closes meanwhile.
   */
  offer(item: U): Effect.Effect<boolean> {
    return Effect.suspend(() => {
      if (this.offerUnsafe(item)) return Effect.succeed(true)
      if (this.closed) return Effect.succeed(false)
      return Effect.andThen(this.awaitSpace, Effect.suspend(() => this.offer(item)))
    })
  }

  /** System messages are never refused while the mailbox is open. */
  offerSystem(item: S): boolean {
    if (this.closed) return false
    this.system.push(item)
    this.wakeTaker()
    return true
  }

  get isEmpty(): boolean {
    return this.system.size === 0 && this.user.size === 0
  }

  pollSystemUnsafe(): S | undefined {
    return this.system.shift()
  }

  pollUserUnsafe(): U | undefined {
    const item = this.user.shift()
    if (item !== undefined) this.wakeSpaceWaiter()
    return item
  }

  /** Completes as soon as the mailbox holds anything (at once if it already does). */
  readonly waitForMail: Effect.Effect<void> = Effect.suspend(() =>
    this.isEmpty ? Effect.andThen(this.awaitItem, this.waitForMail) : Effect.void
  )

  /** Empties the user lane (for dead-lettering on stop); waiters are released. */
  drainUser(): Array<U> {
    const items = this.user.drain()
    this.releaseSpaceWaiters()
    return items
  }

  drainSystem(): Array<S> {
    return this.system.drain()
  }

  /** Refuses new messages; senders waiting for space are released (their offer yields false). */
  close(): void {
    this.closed = true
    this.releaseSpaceWaiters()
  }

  reopen(): void {
    this.closed = false
  }

  private readonly awaitItem: Effect.Effect<void> = Effect.callback<void>((resume) => {
    const wake = () => resume(Effect.void)
    this.takers.push(wake)
    return Effect.sync(() => {
      this.takers = this.takers.filter((w) => w !== wake)
    })
  })

  private readonly awaitSpace: Effect.Effect<void> = Effect.callback<void>((resume) => {
    const wake = () => resume(Effect.void)
    this.spaceWaiters.push(wake)
    return Effect.sync(() => {
      this.spaceWaiters = this.spaceWaiters.filter((w) => w !== wake)
    })
  })

  /**
   * Effect resumes a waiting fiber synchronously inside `resume`. Waking the agent's fiber from
   * within a sender would run the two in lock-step, one message at a time; a microtask lets the
   * sender finish its turn and the agent then drains the whole batch.
   */
  private wakeTaker(): void {
    if (this.takerWakeScheduled || this.takers.length === 0) return
    this.takerWakeScheduled = true
    queueMicrotask(() => {
      this.takerWakeScheduled = false
      const taker = this.takers.shift()
      if (taker !== undefined) taker()
    })
  }

  /** Blocked senders resume once the lane has drained to half: they refill in batches, not one slot at a time. */
  private wakeSpaceWaiter(): void {
    if (this.spaceWaiters.length > 0 && this.user.size <= this.capacity >> 1) this.releaseSpaceWaiters()
  }

  private releaseSpaceWaiters(): void {
    const waiters = this.spaceWaiters
    if (waiters.length === 0) return
    this.spaceWaiters = []
    queueMicrotask(() => {
      for (const wake of waiters) wake()
    })
  }
}
