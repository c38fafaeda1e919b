/**
 * A window of concurrent block jobs whose results are consumed in order:
 * while block n is written, blocks n+1 … n+size-1 are being (de)compressed
 * on the thread pool. Memory stays at `size` blocks, whatever the input.
 */
import { Effect, Exit, Fiber } from "effect"

/**
 * Runs the jobs `next` hands out (undefined: no more), at most `size` at
 * once, and gives each result to `finish` in the order the jobs were
 * handed out. When `next` fails, the jobs already running are finished
 * first, so a failure earlier in the input is the one reported. An
 * interruption interrupts the running jobs with it.
 *
 * While `next` waits for input, the oldest jobs that complete are finished
 * meanwhile: an input that stalls (a pipe whose writer pauses) does not hold
 * back output that is ready, however large the blocks are.
 */
export const inOrder = <A, E, E2, E3>(
  size: number,
  next: Effect.Effect<Effect.Effect<A, E> | undefined, E2>,
  finish: (result: A) => Effect.Effect<void, E3>
): Effect.Effect<void, E | E2 | E3> =>
  Effect.gen(function*() {
    const running: Array<Fiber.Fiber<A, E>> = []
    const finishOldest = Effect.suspend(() => Effect.flatMap(Fiber.join(running.shift()!), finish))
    for (;;) {
      // Started at once: a read that needs no waiting (a file) is done before the fork returns.
      const reading = yield* Effect.forkChild(Effect.exit(next), { startImmediately: true })
      while (reading.pollUnsafe() === undefined && running.length > 0) {
        const first = yield* Effect.raceFirst(Effect.as(Fiber.await(reading), "read" as const), Effect.as(Fiber.await(running[0]!), "job" as const))
        if (first === "read") break
        yield* finishOldest
      }
      const job = yield* Fiber.join(reading)
      if (Exit.isFailure(job)) {
        while (running.length > 0) yield* finishOldest
        return yield* job
      }
      if (job.value === undefined) break
      // Started at once, so the codec call reaches the thread pool before this fiber reads the next block.
      running.push(yield* Effect.forkChild(job.value, { startImmediately: true }))
      if (running.length >= size) yield* finishOldest
    }
    while (running.length > 0) yield* finishOldest
  })
