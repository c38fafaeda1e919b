/**
 * Runtime benchmarks. Each compares with its anchor measured in the same run:
 * raw XState (`createActor(machine).send`) for throughput and memory, an Effect
 * fiber ping-pong for ask latency, a raw XState stop+create for restarts.
 */
import { Deferred, Effect, Queue } from "effect"
import { createActor } from "xstate"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { heapUsed, now, round, summarise } from "../support.ts"
import { benchTree, noopAgent, noopMachine } from "./fixtures.ts"

const N = Number(process.env.BENCH_MESSAGES ?? 300_000)

const rawXStateThroughput = (n: number) => {
  const actor = createActor(noopMachine).start()
  const event = { type: "noop" as const }
  const t0 = now()
  for (let i = 0; i < n; i++) actor.send(event)
  const ms = now() - t0
  actor.stop()
  return n / ms * 1000
}

const withSystem = <A>(children: Parameters<typeof benchTree>[0], f: (system: ActorSystem.ActorSystem) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(Effect.scoped(Effect.flatMap(ActorSystem.make({ root: benchTree(children), inspectionBuffer: 64 }), f)))

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export const tellThroughput = async () => {
  // Raw and supervised rounds alternate so both see the same machine load; medians of 5 each.
  const rounds = 5
  const rawRates: Array<number> = []
  const supervisedRates: Array<number> = []
  await withSystem([noopAgent("NOOP")], (system) =>
    Effect.gen(function*() {
      const message = { type: "noop" }
      const once = Effect.gen(function*() {
        const t0 = now()
        for (let i = 0; i < N; i++) yield* system.tell("NOOP", message)
        yield* system.ask("NOOP", { type: "get" }, { timeoutMs: 60_000 }) // all handled
        return N / (now() - t0) * 1000
      })
      rawXStateThroughput(N / 10) // warm-up
      yield* once
      for (let r = 0; r < rounds; r++) {
        rawRates.push(rawXStateThroughput(N))
        supervisedRates.push(yield* once)
      }
    }))
  const raw = median(rawRates)
  const supervised = median(supervisedRates)
  return {
    name: "tell throughput, one supervised no-op agent",
    messages: N,
    rounds,
    supervisedMsgPerSec: Math.round(supervised),
    rawXStateMsgPerSec: Math.round(raw),
    ratio: round(supervised / raw, 3),
    goal: ">= 0.8 of raw XState"
  }
}

export const fanOut = async () => {
  const agents = Array.from({ length: 40 }, (_, i) => noopAgent(`A${i}`))
  const perAgent = Math.floor(N / 40)
  const raw = (() => {
    const actors = agents.map(() => createActor(noopMachine).start())
    const event = { type: "noop" as const }
    const t0 = now()
    for (let i = 0; i < perAgent; i++) for (const actor of actors) actor.send(event)
    const ms = now() - t0
    return perAgent * 40 / ms * 1000
  })()
  const supervised = await withSystem(agents, (system) =>
    Effect.gen(function*() {
      const message = { type: "noop" }
      const t0 = now()
      yield* Effect.forEach(agents, (agent) =>
        Effect.gen(function*() {
          for (let i = 0; i < perAgent; i++) yield* system.tell(agent.name, message)
        }), { concurrency: "unbounded", discard: true })
      yield* Effect.forEach(agents, (agent) => system.ask(agent.name, { type: "get" }, { timeoutMs: 60_000 }), {
        discard: true
      })
      return perAgent * 40 / (now() - t0) * 1000
    }))
  return {
    name: "fan-out: 40 agents receiving concurrently",
    messages: perAgent * 40,
    supervisedMsgPerSec: Math.round(supervised),
    rawXStateMsgPerSec: Math.round(raw),
    ratio: round(supervised / raw, 3)
  }
}

export const askLatency = async () => {
  const rounds = 20_000
  const anchor = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    // Anchor: the cheapest fiber request/reply Effect offers — a queue to a server fiber and a Deferred back.
    const requests = yield* Queue.unbounded<Deferred.Deferred<number>>()
    yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.take(requests), (d) => Deferred.succeed(d, 1))))
    const samples: Array<number> = []
    for (let i = 0; i < rounds; i++) {
      const t0 = now()
      const reply = yield* Deferred.make<number>()
      yield* Queue.offer(requests, reply)
      yield* Deferred.await(reply)
      samples.push((now() - t0) * 1000)
    }
    return summarise(samples.slice(rounds / 10))
  })))
  const ours = await withSystem([noopAgent("NOOP")], (system) =>
    Effect.gen(function*() {
      const samples: Array<number> = []
      const get = { type: "get" }
      for (let i = 0; i < rounds; i++) {
        const t0 = now()
        yield* system.ask("NOOP", get)
        samples.push((now() - t0) * 1000)
      }
      return summarise(samples.slice(rounds / 10))
    }))
  return {
    name: "ask round trip, in process",
    ...ours,
    anchorFiberPingPong: anchor,
    ratioP50: round(ours.p50Us / Math.max(anchor.p50Us, 0.01), 2),
    goal: "p99 < 100 us"
  }
}

/** Crashes the agent `cycles` times and measures each crash until the new incarnation answers. */
const crashCycles = (system: ActorSystem.ActorSystem, cycles: number) =>
  Effect.gen(function*() {
    const samples: Array<number> = []
    const subscriber = yield* system.inspection.subscribe
    for (let i = 0; i < cycles; i++) {
      const t0 = now()
      yield* system.tell("NOOP", { type: "crash" })
      while (true) {
        const event = yield* subscriber.take
        if (event._tag === "Started" && event.agent === "NOOP") break
      }
      samples.push((now() - t0) * 1000)
    }
    return samples
  })

export const crashRestart = async () => {
  const cycles = 2_000
  const rawSamples: Array<number> = []
  let actor = createActor(noopMachine).start()
  for (let i = 0; i < cycles; i++) {
    const t0 = now()
    actor.stop()
    actor = createActor(noopMachine).start()
    rawSamples.push((now() - t0) * 1000)
  }
  actor.stop()
  const ours = await withSystem([noopAgent("NOOP")], (system) =>
    Effect.scoped(Effect.map(crashCycles(system, cycles), (samples) => summarise(samples.slice(cycles / 10)))))
  return {
    name: "crash -> restarted (new incarnation running)",
    ...ours,
    anchorRawXStateStopAndCreate: summarise(rawSamples.slice(cycles / 10)),
    goal: "p50 < 1 ms"
  }
}

export const soak = async () => {
  const cycles = 10_000
  const result = await withSystem([noopAgent("NOOP")], (system) =>
    Effect.scoped(Effect.gen(function*() {
      yield* crashCycles(system, 500) // warm-up: JIT, pools
      const before = heapUsed()
      yield* crashCycles(system, cycles)
      const after = heapUsed()
      return { before, after, restarts: system.status("NOOP")!.restarts }
    })))
  const rawBefore = heapUsed()
  for (let i = 0; i < cycles; i++) createActor(noopMachine).start().stop()
  const rawAfter = heapUsed()
  return {
    name: "soak: crash/restart cycles",
    cycles,
    restarts: result.restarts,
    heapGrowthMB: round((result.after - result.before) / 2 ** 20, 3),
    anchorRawXStateCreateStopGrowthMB: round((rawAfter - rawBefore) / 2 ** 20, 3),
    goal: "< 5 MB"
  }
}

export const idleMemory = async () => {
  const count = 1_000
  const rawBefore = heapUsed()
  const actors = Array.from({ length: count }, () => createActor(noopMachine).start())
  const rawPerActor = (heapUsed() - rawBefore) / count
  actors.forEach((a) => a.stop())
  const ours = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const before = heapUsed()
    const system = yield* ActorSystem.make({
      root: benchTree(Array.from({ length: count }, (_, i) => noopAgent(`IDLE${i}`, 1024)))
    })
    const after = heapUsed()
    return { perAgent: (after - before) / count, running: system.summary().running }
  })))
  return {
    name: "memory per idle agent",
    agents: count,
    running: ours.running,
    bytesPerAgent: Math.round(ours.perAgent),
    anchorRawXStateBytesPerActor: Math.round(rawPerActor),
    ratio: round(ours.perAgent / rawPerActor, 2),
    note: "includes a 1024-slot mailbox, metrics histogram and supervisor bookkeeping per agent"
  }
}
