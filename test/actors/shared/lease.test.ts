/**
 * withLease, the way every job-running agent takes ARBITER's leases: held
 * while the body runs and renewed on the clock, released after success,
 * failure and interruption; a conflict fails at once naming the holder, or is
 * waited out with `wait`; a lease lost mid-job stops the job; no ARBITER, no job.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Schema } from "effect"
import { TestClock } from "effect/testing"
import type { StateStore } from "../../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../../src/adapters/state/StateStoreTest.ts"
import { arbiterAgent } from "../../../src/actors/arbiter/index.ts"
import { Arbiter, type Lease, LeaseConflict } from "../../../src/actors/arbiter/messages.ts"
import { withLease } from "../../../src/actors/shared/lease.ts"
import { LEASE_JOBS } from "../../../src/actors/shared/leaseRules.ts"
import { DependencyFailed } from "../../../src/actors/shared/rejections.ts"
import { serviceMachine } from "../../../src/actors/shared/serve.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import { AgentEnv, define } from "../../../src/runtime/Agent.ts"
import * as Protocol from "../../../src/runtime/Protocol.ts"
import { counterAgent, decodedReply, ROOT, tree } from "../../support/agents.ts"

class Boom extends Schema.TaggedError<Boom>()("Boom", {}) {
  override get message() {
    return "the job failed on purpose"
  }
}

const Jobber = Protocol.make("JOBBER", [
  Protocol.message("job", {
    doc: "runs a job of `seconds` under a lease",
    access: "operate",
    fields: {
      resource: Schema.String,
      job: Schema.Literals(LEASE_JOBS),
      seconds: Schema.Number,
      fail: Schema.optionalKey(Schema.Boolean),
      ttlSeconds: Schema.optionalKey(Schema.Int),
      waitSeconds: Schema.optionalKey(Schema.Int)
    },
    reply: Schema.Struct({ heldDuring: Schema.Array(Schema.String) }),
    rejections: [LeaseConflict, DependencyFailed, Boom]
  })
])

const jobberAgent = define({
  protocol: Jobber,
  tier: "5-8",
  description: "runs jobs under leases, for tests",
  capabilities: [{ name: "jobs", available: true, detail: "sleeps under a lease" }],
  machine: Effect.gen(function*() {
    const env = yield* AgentEnv
    return yield* serviceMachine(Jobber, {
      handlers: {
        job: (request) =>
          withLease(
            env,
            { resource: request.resource, job: request.job },
            Effect.gen(function*() {
              const held = yield* Effect.orDie(env.system.call(Arbiter, { type: "leases" }))
              yield* Effect.sleep(request.seconds * 1000)
              if (request.fail === true) return yield* new Boom()
              return { heldDuring: held.leases.map((l) => `${l.id} ${l.holder} ${l.job} ${l.resource}`) }
            }),
            {
              ...(request.ttlSeconds === undefined ? {} : { ttlSeconds: request.ttlSeconds }),
              ...(request.waitSeconds === undefined ? {} : { wait: { maxSeconds: request.waitSeconds } })
            }
          )
      }
    })
  })
})

const START = Date.parse("2026-12-07T12:00:00Z")

const boot = (withArbiter = true) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(START)
    const system = yield* ActorSystem.make({
      root: tree<StateStore>("root", "one_for_one", [counterAgent("OTHER"), jobberAgent, ...(withArbiter ? [arbiterAgent] : [])])
    })
    const job = (fields: Record<string, unknown>, timeoutMs = 3_600_000) =>
      system.injectAsk(ROOT, "JOBBER", { type: "job", ...fields }, { timeoutMs })
    const leases = Effect.map(
      system.injectAsk(ROOT, "ARBITER", { type: "leases" }),
      (wire) => (decodedReply(Arbiter.get("leases")!, wire) as { leases: ReadonlyArray<Lease> }).leases
    )
    const rejection = (exit: Exit.Exit<unknown, unknown>): Record<string, unknown> => {
      assert.isTrue(Exit.isFailure(exit), "refused")
      const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as { _tag: string; rejection?: Record<string, unknown>; message: string }
      return error._tag === "Rejected" ? { ...error.rejection, text: error.message } : { _tag: error._tag, text: error.message }
    }
    return { system, job, leases, rejection }
  })

describe("withLease", () => {
  it.effect("holds the lease while the body runs, renewing it on the clock, and releases it after", () =>
    Effect.gen(function*() {
      const { job, leases } = yield* boot()
      const running = yield* Effect.forkChild(job({ resource: "pool:tank", job: "benchmark", seconds: 300, ttlSeconds: 60 }))
      yield* TestClock.adjust(1)
      // Well past the lease's first expiry: renewed every 20 s.
      for (let s = 0; s < 299; s++) yield* TestClock.adjust(1_000)
      const during = yield* leases
      assert.deepStrictEqual(during.map((l) => `${l.holder} ${l.job} ${l.resource} ${l.caller}`), ["JOBBER benchmark pool:tank the daemon"])
      assert.isAbove(Date.parse(during[0]!.expiresAt), START + 290_000)
      yield* TestClock.adjust(1_000)
      const done = yield* Fiber.join(running)
      assert.match((done as { heldDuring: Array<string> }).heldDuring.join(), /^jobber-[0-9a-z]{8} JOBBER benchmark pool:tank$/)
      assert.deepStrictEqual(yield* leases, [])
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer())))

  it.effect("a conflicting job fails at once with LeaseConflict naming the holder, and its body never runs", () =>
    Effect.gen(function*() {
      const { system, job, leases, rejection } = yield* boot()
      yield* system.injectAsk(ROOT, "ARBITER", { type: "acquire", resource: "pool:tank", job: "scrub", holder: "OTHER" })
      const refused = rejection(yield* Effect.exit(job({ resource: "dataset:tank/photos", job: "benchmark", seconds: 1 })))
      assert.deepInclude(refused, { _tag: "LeaseConflict", holder: "OTHER", heldJob: "scrub", heldResource: "pool:tank", lease: "lease-1" })
      assert.deepStrictEqual((yield* leases).map((l) => l.id), ["lease-1"])
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer())))

  it.effect("releases the lease when the body fails and when it is interrupted", () =>
    Effect.gen(function*() {
      const { job, leases, rejection } = yield* boot()
      const failing = yield* Effect.forkChild(job({ resource: "pool:tank", job: "benchmark", seconds: 5, fail: true }))
      yield* TestClock.adjust(5_000)
      assert.deepInclude(rejection(yield* Fiber.await(failing)), { _tag: "Boom" })
      assert.deepStrictEqual(yield* leases, [])
      // The asker gives up after 2 s: the job is interrupted, the lease released.
      const abandoned = yield* Effect.forkChild(job({ resource: "pool:tank", job: "benchmark", seconds: 600 }, 2_000))
      yield* TestClock.adjust(1)
      assert.lengthOf(yield* leases, 1)
      yield* TestClock.adjust(2_000)
      assert.deepInclude(rejection(yield* Fiber.await(abandoned)), { _tag: "AskTimeout" })
      for (let i = 0; i < 10 && (yield* leases).length > 0; i++) yield* TestClock.adjust(1)
      assert.deepStrictEqual(yield* leases, [])
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer())))

  it.effect("with wait, retries until the lease in the way ends; past maxSeconds, fails naming the holder", () =>
    Effect.gen(function*() {
      const { system, job, rejection } = yield* boot()
      yield* system.injectAsk(ROOT, "ARBITER", { type: "acquire", resource: "pool:tank", job: "scrub", holder: "OTHER", ttlSeconds: 30 })
      const waiting = yield* Effect.forkChild(job({ resource: "pool:tank", job: "benchmark", seconds: 1, waitSeconds: 60 }))
      for (let i = 0; i < 40; i++) yield* TestClock.adjust(1_000)
      const waited = (yield* Fiber.join(waiting)) as { heldDuring: Array<string> }
      assert.match(waited.heldDuring.join(), /^jobber-[0-9a-z]{8} JOBBER benchmark pool:tank$/)
      yield* system.injectAsk(ROOT, "ARBITER", { type: "acquire", resource: "pool:tank", job: "scrub", holder: "OTHER", ttlSeconds: 600 })
      const givingUp = yield* Effect.forkChild(job({ resource: "pool:tank", job: "benchmark", seconds: 1, waitSeconds: 10 }))
      for (let i = 0; i < 15; i++) yield* TestClock.adjust(1_000)
      assert.deepInclude(rejection(yield* Fiber.await(givingUp)), { _tag: "LeaseConflict", holder: "OTHER" })
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer())))

  it.effect("a lease lost while the job runs stops the job with DependencyFailed", () =>
    Effect.gen(function*() {
      const { system, job, leases, rejection } = yield* boot()
      const running = yield* Effect.forkChild(job({ resource: "pool:tank", job: "benchmark", seconds: 600, ttlSeconds: 60 }))
      yield* TestClock.adjust(1)
      // An administrator releases it by hand.
      const [held] = yield* leases
      yield* system.injectAsk(ROOT, "ARBITER", { type: "release", lease: held!.id })
      yield* TestClock.adjust(20_000)
      const refused = rejection(yield* Fiber.await(running))
      assert.strictEqual(refused["_tag"], "DependencyFailed")
      assert.include(refused["text"] as string, `lease ${held!.id} on pool:tank for benchmark was lost`)
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer())))

  it.effect("without ARBITER, the job does not run unprotected: DependencyFailed", () =>
    Effect.gen(function*() {
      const { job, rejection } = yield* boot(false)
      const refused = rejection(yield* Effect.exit(job({ resource: "pool:tank", job: "benchmark", seconds: 1 })))
      assert.strictEqual(refused["_tag"], "DependencyFailed")
      assert.include(refused["text"] as string, "ARBITER")
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer())))
})
