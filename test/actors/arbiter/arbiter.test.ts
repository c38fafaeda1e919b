/**
 * ARBITER: the rules (resources, containment, the conflict matrix, which
 * docs/leases.md prints), leases granted and refused through the runtime,
 * TTLs on the TestClock, holders stopping and restarting, persistence across
 * a restart of the agent and of the daemon, and a fast-check property over
 * random interleavings: never two conflicting live leases, and every answer
 * the model's.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Option, Result } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { StateStore } from "../../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../../src/adapters/state/StateStoreTest.ts"
import { arbiterAgent } from "../../../src/actors/arbiter/index.ts"
import { Arbiter, type Lease } from "../../../src/actors/arbiter/messages.ts"
import { clash, CONFLICTS, conflictBetween, LEASE_JOBS, type LeaseJob, overlapsByName, parseResource, pathResource } from "../../../src/actors/shared/leaseRules.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import { counterAgent, decodedReply, ROOT, tree } from "../../support/agents.ts"

const START = Date.parse("2026-12-07T12:00:00Z")
const iso = (ms: number) => new Date(ms).toISOString()

// ---- the rules ------------------------------------------------------------------

describe("lease rules", () => {
  it("reads the five kinds of resource and refuses anything else with the reason", () => {
    for (const ok of ["pool:tank", "dataset:tank", "dataset:tank/photos/2024", "disk:sda", "disk:/dev/disk/by-id/ata-X_1", "path:/", "path:/srv/photos", "network"]) {
      assert.isTrue(Result.isSuccess(parseResource(ok)), ok)
    }
    const refusal = (input: string) => {
      const parsed = parseResource(input)
      return Result.isFailure(parsed) ? parsed.failure : "accepted"
    }
    assert.include(refusal("tank"), "expected pool:<pool>")
    assert.include(refusal("volume:tank"), "unknown kind of resource 'volume'")
    assert.include(refusal("path:srv"), "absolute")
    assert.include(refusal("path:/srv/../etc"), "'..'")
    assert.include(refusal("path:/srv//a"), "'//'")
    assert.include(refusal("path:/srv/"), "end in '/'")
    assert.include(refusal("path:/srv/a\u0000b"), "NUL")
    assert.strictEqual(refusal("path:/srv/a\nb"), "accepted")
    assert.strictEqual(pathResource("/srv//a/./../b/"), "path:/srv/b")
    assert.strictEqual(pathResource("/../.."), "path:/")
    assert.strictEqual(pathResource("/srv/photos"), "path:/srv/photos")
    assert.notStrictEqual(refusal("pool:-o"), "accepted")
    assert.notStrictEqual(refusal("dataset:tank@snap"), "accepted")
    assert.notStrictEqual(refusal("disk:../sda"), "accepted")
  })

  it("containment: a pool holds its datasets, a dataset its descendants, a path its descendants segment-wise", () => {
    const overlap: ReadonlyArray<readonly [string, string, boolean]> = [
      ["pool:tank", "pool:tank", true],
      ["pool:tank", "pool:backup", false],
      ["pool:tank", "dataset:tank/photos", true],
      ["pool:tank", "dataset:tankx/photos", false],
      ["dataset:tank/photos", "dataset:tank/photos/2024", true],
      ["dataset:tank/photos", "dataset:tank/photosx", false],
      ["dataset:tank/photos", "dataset:tank/music", false],
      ["dataset:tank", "dataset:tank/music", true],
      ["path:/srv/a", "path:/srv/a/b/c", true],
      ["path:/srv/a", "path:/srv/ab", false],
      ["path:/", "path:/srv", true],
      ["disk:sda", "disk:sda", true],
      ["disk:sda", "disk:sdb", false],
      ["disk:sda", "pool:tank", false],
      ["network", "network", true],
      ["network", "pool:tank", false],
      ["path:/tank", "pool:tank", false]
    ]
    for (const [a, b, expected] of overlap) {
      assert.strictEqual(overlapsByName(a, b), expected, `${a} ~ ${b}`)
      assert.strictEqual(overlapsByName(b, a), expected, `${b} ~ ${a}`)
    }
  })

  it("the conflict matrix is symmetric, gives a reason for every refusal, and holds the pairs the issue names", () => {
    for (const a of LEASE_JOBS) for (const b of LEASE_JOBS) assert.strictEqual(conflictBetween(a, b), conflictBetween(b, a), `${a}/${b}`)
    for (const [, , reason] of CONFLICTS) assert.isAbove(reason.length, 10)
    const must: ReadonlyArray<readonly [LeaseJob, LeaseJob]> = [
      ["scrub", "benchmark"], ["scrub", "resilver"], ["scrub", "replication"], ["resilver", "benchmark"],
      ["resilver", "replication"], ["benchmark", "replication"], ["snapshot", "replication"], ["scrub", "scrub"]
    ]
    for (const [a, b] of must) assert.isDefined(conflictBetween(a, b), `${a}/${b}`)
    assert.isUndefined(conflictBetween("verify", "verify"), "two reads share")
    assert.isUndefined(conflictBetween("scrub", "verify"), "two reads share")
    assert.isUndefined(conflictBetween("snapshot", "scrub"))
    assert.isDefined(clash({ resource: "dataset:tank/photos", job: "benchmark" }, { resource: "pool:tank", job: "scrub" }))
    assert.isUndefined(clash({ resource: "dataset:backup/photos", job: "benchmark" }, { resource: "pool:tank", job: "scrub" }))
  })

  it("docs/leases.md prints the same matrix", () => {
    const doc = readFileSync(join(import.meta.dirname, "../../../docs/leases.md"), "utf8")
    const rows = doc.split("\n").filter((line) => /^\| `[a-z]+` \| `[a-z]+` \|/.test(line))
    const documented = rows.map((line) => {
      const [a, b, reason] = line.split("|").slice(1, 4).map((cell) => cell.trim().replaceAll("`", ""))
      return [a, b, reason] as const
    }).filter(([a]) => (LEASE_JOBS as ReadonlyArray<string>).includes(a!))
    assert.deepStrictEqual(documented, CONFLICTS.map(([a, b, reason]) => [a, b, reason] as const))
  })
})

// ---- the agent --------------------------------------------------------------------

const HOLDERS = ["HOLDER-A", "HOLDER-B", "HOLDER-C"] as const

const boot = Effect.gen(function*() {
  const system = yield* ActorSystem.make({ root: tree<StateStore>("root", "one_for_one", [...HOLDERS.map((h) => counterAgent(h)), arbiterAgent]) })
  const ask = (message: Record<string, unknown>) => system.injectAsk(ROOT, "ARBITER", message)
  const acquire = (resource: string, job: LeaseJob, holder: string, ttlSeconds?: number) =>
    Effect.map(ask({ type: "acquire", resource, job, holder, ...(ttlSeconds === undefined ? {} : { ttlSeconds }) }), (wire) =>
      decodedReply(Arbiter.get("acquire")!, wire) as Lease)
  const leases = Effect.map(ask({ type: "leases" }), (wire) => (decodedReply(Arbiter.get("leases")!, wire) as { leases: ReadonlyArray<Lease> }).leases)
  /** The rejection's tag and fields, as a client decodes them. */
  const refusal = (effect: Effect.Effect<unknown, unknown>) =>
    Effect.map(Effect.flip(effect), (error): Record<string, unknown> => {
      const e = error as { _tag: string; rejection?: Record<string, unknown>; message: string }
      return e._tag === "Rejected" ? { ...(e.rejection as Record<string, unknown>), text: e.message } : { _tag: e._tag, text: e.message }
    })
  return { system, ask, acquire, leases, refusal }
})

describe("ARBITER", () => {
  it.effect("grants a lease, refuses a conflicting one naming its holder, job, resource and expiry, lets reads share", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(START)
      const { acquire, leases, refusal, ask } = yield* boot
      const scrub = yield* acquire("pool:tank", "scrub", "HOLDER-A", 600)
      assert.deepStrictEqual(scrub, {
        id: "lease-1",
        resource: "pool:tank",
        job: "scrub",
        holder: "HOLDER-A",
        caller: "uid 0 (socket)",
        acquiredAt: iso(START),
        expiresAt: iso(START + 600_000),
        ttlSeconds: 600,
        outlivesDaemon: false,
        inherited: false
      })
      const conflict = yield* refusal(acquire("dataset:tank/photos", "benchmark", "HOLDER-B"))
      assert.strictEqual(conflict["_tag"], "LeaseConflict")
      assert.strictEqual(conflict["holder"], "HOLDER-A")
      assert.strictEqual(conflict["heldJob"], "scrub")
      assert.strictEqual(conflict["heldResource"], "pool:tank")
      assert.strictEqual(conflict["lease"], "lease-1")
      assert.strictEqual(conflict["expiresAt"], iso(START + 600_000))
      assert.include(conflict["text"] as string, "HOLDER-A holds pool:tank for scrub")
      // Another pool, and a job that shares with a scrub.
      yield* acquire("dataset:backup/photos", "benchmark", "HOLDER-B")
      yield* acquire("dataset:tank/photos", "verify", "HOLDER-B")
      yield* acquire("dataset:tank/photos", "verify", "HOLDER-C")
      assert.deepStrictEqual((yield* leases).map((l) => `${l.id} ${l.holder} ${l.job} ${l.resource}`), [
        "lease-1 HOLDER-A scrub pool:tank",
        "lease-2 HOLDER-B benchmark dataset:backup/photos",
        "lease-3 HOLDER-B verify dataset:tank/photos",
        "lease-4 HOLDER-C verify dataset:tank/photos"
      ])
      const filtered = decodedReply(Arbiter.get("leases")!, yield* ask({ type: "leases", resource: "dataset:backup" })) as { leases: ReadonlyArray<Lease> }
      assert.deepStrictEqual(filtered.leases.map((l) => l.id), ["lease-2"])
      // Released, the pool is free for a resilver.
      yield* ask({ type: "release", lease: "lease-1" })
      const stillVerifying = yield* refusal(acquire("pool:tank", "resilver", "HOLDER-A"))
      assert.strictEqual(stillVerifying["heldJob"], "verify")
      yield* ask({ type: "release", lease: "lease-3" })
      yield* ask({ type: "release", lease: "lease-4" })
      assert.strictEqual((yield* acquire("pool:tank", "resilver", "HOLDER-A")).id, "lease-5")
      assert.strictEqual((yield* refusal(ask({ type: "release", lease: "lease-1" })))["_tag"], "NoSuchLease")
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer())))

  it.effect("refuses hostile resources at the boundary, naming the field, and holders that are not running agents", () =>
    Effect.gen(function*() {
      const { ask, refusal, acquire } = yield* boot
      for (const resource of ["path:relative", "pool:-f", "path:/a/../etc", "dataset:tank@x", "network:eth0", ""]) {
        const refused = yield* refusal(ask({ type: "acquire", resource, job: "scrub", holder: "HOLDER-A" }))
        assert.strictEqual(refused["_tag"], "InvalidMessage", resource)
        assert.include(refused["text"] as string, "resource", resource)
      }
      assert.strictEqual((yield* refusal(ask({ type: "acquire", resource: "network", job: "dance", holder: "HOLDER-A" })))["_tag"], "InvalidMessage")
      assert.strictEqual((yield* refusal(ask({ type: "acquire", resource: "network", job: "scrub", holder: "HOLDER-A", ttlSeconds: 86_401 })))["_tag"], "InvalidMessage")
      const nobody = yield* refusal(acquire("network", "replication", "NOBODY"))
      assert.deepInclude(nobody, { _tag: "HolderNotRunning", holder: "NOBODY", lifecycle: "unknown" })
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer())))

  it.effect("a lease may be given its id: asking again answers the same lease, another request with that id is refused", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(START)
      const { ask, refusal, leases } = yield* boot
      const first = yield* ask({ type: "acquire", resource: "pool:tank", job: "scrub", holder: "HOLDER-A", lease: "a-scrub" })
      const again = yield* ask({ type: "acquire", resource: "pool:tank", job: "scrub", holder: "HOLDER-A", lease: "a-scrub" })
      assert.deepStrictEqual(again, first)
      assert.deepStrictEqual((yield* leases).map((l) => l.id), ["a-scrub"])
      const taken = yield* refusal(ask({ type: "acquire", resource: "network", job: "replication", holder: "HOLDER-B", lease: "a-scrub" }))
      assert.deepInclude(taken, { _tag: "LeaseIdTaken", lease: "a-scrub", holder: "HOLDER-A", job: "scrub", resource: "pool:tank" })
      assert.strictEqual((yield* refusal(ask({ type: "acquire", resource: "network", job: "replication", holder: "HOLDER-B", lease: "-x" })))["_tag"], "InvalidMessage")
      // Generated ids skip one a caller chose.
      yield* ask({ type: "acquire", resource: "network", job: "replication", holder: "HOLDER-B", lease: "lease-1" })
      assert.strictEqual(((yield* ask({ type: "acquire", resource: "disk:sda", job: "benchmark", holder: "HOLDER-B" })) as Lease).id, "lease-2")
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer())))

  it.effect("a lease expires after its TTL on the clock; renew extends it from now", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(START)
      const { acquire, leases, refusal, ask } = yield* boot
      yield* acquire("pool:tank", "scrub", "HOLDER-A", 60)
      yield* TestClock.setTime(START + 59_999)
      assert.strictEqual((yield* refusal(acquire("pool:tank", "benchmark", "HOLDER-B")))["holder"], "HOLDER-A")
      const renewed = decodedReply(Arbiter.get("renew")!, yield* ask({ type: "renew", lease: "lease-1", ttlSeconds: 120 })) as Lease
      assert.strictEqual(renewed.expiresAt, iso(START + 59_999 + 120_000))
      yield* TestClock.setTime(START + 59_999 + 119_999)
      assert.lengthOf(yield* leases, 1)
      yield* TestClock.setTime(START + 59_999 + 120_000)
      assert.lengthOf(yield* leases, 0)
      assert.strictEqual((yield* refusal(ask({ type: "renew", lease: "lease-1" })))["_tag"], "NoSuchLease")
      assert.strictEqual((yield* acquire("pool:tank", "benchmark", "HOLDER-B")).id, "lease-2")
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer())))

  it.effect("a lease ends when its holder restarts, crashes or is stopped", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(START)
      const { system, acquire, leases } = yield* boot
      yield* acquire("pool:tank", "scrub", "HOLDER-A")
      yield* acquire("pool:backup", "scrub", "HOLDER-B")
      yield* acquire("network", "replication", "HOLDER-C")
      yield* system.operate(ROOT, "HOLDER-A", "restart")
      yield* system.operate(ROOT, "HOLDER-C", "stop")
      assert.deepStrictEqual((yield* leases).map((l) => l.holder), ["HOLDER-B"])
      // A crash: the holder runs again, in another incarnation.
      const before = system.status("HOLDER-B")!.incarnation
      yield* system.tell("HOLDER-B", { type: "crash" })
      while (system.status("HOLDER-B")!.incarnation === before || system.status("HOLDER-B")!.lifecycle !== "running") {
        yield* TestClock.adjust(100)
      }
      assert.deepStrictEqual(yield* leases, [])
      yield* acquire("pool:tank", "benchmark", "HOLDER-A")
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer())))

  it.effect("leases survive a restart of ARBITER still bound to their holders", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(START)
      const { system, acquire, leases, refusal } = yield* boot
      yield* acquire("pool:tank", "scrub", "HOLDER-A")
      yield* system.operate(ROOT, "ARBITER", "restart")
      assert.deepStrictEqual((yield* leases).map((l) => `${l.id} ${l.inherited}`), ["lease-1 false"])
      assert.strictEqual((yield* refusal(acquire("pool:tank", "scrub", "HOLDER-B")))["holder"], "HOLDER-A")
      assert.strictEqual((yield* acquire("network", "replication", "HOLDER-B")).id, "lease-2", "ids are not reused")
      yield* system.operate(ROOT, "HOLDER-A", "restart")
      assert.deepStrictEqual((yield* leases).map((l) => l.id), ["lease-2"])
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer())))

  it.effect("across a restart of the daemon, leases whose job outlives it are kept as inherited; the others, and expired ones, are dropped", () =>
    Effect.gen(function*() {
      const store = yield* StateStoreTest.make()
      const withStore = Effect.provideService(StateStore, store)
      yield* TestClock.setTime(START)
      yield* Effect.scoped(withStore(Effect.gen(function*() {
        const { ask, acquire, system } = yield* boot
        yield* ask({ type: "acquire", resource: "pool:tank", job: "scrub", holder: "HOLDER-A", ttlSeconds: 3_600, outlivesDaemon: true })
        yield* ask({ type: "acquire", resource: "pool:backup", job: "scrub", holder: "HOLDER-A", ttlSeconds: 60, outlivesDaemon: true })
        yield* acquire("network", "replication", "HOLDER-B", 3_600)
        yield* system.shutdown()
      })))
      const saved = yield* store.read("arbiter")
      assert.isTrue(Option.isSome(saved))
      yield* TestClock.setTime(START + 120_000)
      yield* Effect.scoped(withStore(Effect.gen(function*() {
        const { acquire, leases, refusal, ask } = yield* boot
        const after = yield* leases
        assert.deepStrictEqual(after.map((l) => `${l.id} ${l.holder} ${l.resource} ${l.inherited} ${l.expiresAt}`), [
          `lease-1 HOLDER-A pool:tank true ${iso(START + 3_600_000)}`
        ])
        // Still in force: the scrub may well run on in the kernel.
        assert.strictEqual((yield* refusal(acquire("dataset:tank/x", "benchmark", "HOLDER-C")))["lease"], "lease-1")
        // Renewed by its holder, it is bound to the holder's run again.
        const renewed = decodedReply(Arbiter.get("renew")!, yield* ask({ type: "renew", lease: "lease-1" })) as Lease
        assert.isFalse(renewed.inherited)
        // The replication's lease ended with the daemon: the network is free.
        assert.strictEqual((yield* acquire("network", "replication", "HOLDER-B")).id, "lease-4")
      })))
    }))

  it.effect("a state file from a newer release is not overwritten; a damaged one costs the leases, never the agent", () =>
    Effect.gen(function*() {
      const newer = yield* StateStoreTest.make()
      ;(newer.documents as Map<string, string>).set("arbiter", `{"version":99,"data":{}}\n`)
      yield* Effect.scoped(Effect.provideService(StateStore, newer)(Effect.gen(function*() {
        const { acquire } = yield* boot
        yield* acquire("network", "replication", "HOLDER-B")
      })))
      assert.strictEqual(newer.documents.get("arbiter"), `{"version":99,"data":{}}\n`)
      const damaged = yield* StateStoreTest.make({ arbiter: { leases: "nonsense" } })
      yield* Effect.scoped(Effect.provideService(StateStore, damaged)(Effect.gen(function*() {
        const { acquire, leases } = yield* boot
        assert.deepStrictEqual(yield* leases, [])
        assert.strictEqual((yield* acquire("network", "replication", "HOLDER-B")).id, "lease-1")
      })))
    }))

  // ---- random interleavings ------------------------------------------------------

  const RESOURCES = [
    "pool:tank", "pool:backup", "dataset:tank", "dataset:tank/a", "dataset:tank/a/b", "dataset:backup/x",
    "disk:sda", "path:/srv", "path:/srv/a", "path:/srva", "network"
  ] as const
  type Command =
    | { readonly op: "acquire"; readonly resource: number; readonly job: LeaseJob; readonly holder: number; readonly ttl: number }
    | { readonly op: "renew"; readonly lease: number; readonly ttl: number }
    | { readonly op: "release"; readonly lease: number }
    | { readonly op: "advance"; readonly seconds: number }
    | { readonly op: "restart"; readonly holder: number }
  const command: fc.Arbitrary<Command> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ op: fc.constant("acquire" as const), resource: fc.nat(RESOURCES.length - 1), job: fc.constantFrom(...LEASE_JOBS), holder: fc.nat(2), ttl: fc.integer({ min: 1, max: 120 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("renew" as const), lease: fc.nat(15), ttl: fc.integer({ min: 1, max: 120 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("release" as const), lease: fc.nat(15) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("advance" as const), seconds: fc.integer({ min: 1, max: 90 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("restart" as const), holder: fc.nat(2) }) }
  )

  interface ModelLease {
    readonly id: string
    readonly resource: string
    readonly job: LeaseJob
    readonly holder: number
    readonly generation: number
    expiresAt: number
  }

  const scenario = (commands: ReadonlyArray<Command>) =>
    Effect.gen(function*() {
      yield* TestClock.setTime(START)
      const { system, acquire, leases, ask } = yield* boot
      let now = START
      let next = 1
      const generation = [0, 0, 0]
      let model: Array<ModelLease> = []
      const liveModel = () => model.filter((l) => l.expiresAt > now && l.generation === generation[l.holder])
      for (const [step, c] of commands.entries()) {
        const what = `step ${step}: ${JSON.stringify(c)}`
        model = liveModel()
        if (c.op === "acquire") {
          const wanted = { resource: RESOURCES[c.resource]!, job: c.job }
          const blocking = model.find((l) => clash(wanted, l) !== undefined)
          const exit = yield* Effect.exit(acquire(wanted.resource, c.job, HOLDERS[c.holder]!, c.ttl))
          if (blocking === undefined) {
            assert.isTrue(Exit.isSuccess(exit), `${what}: granted`)
            model.push({ id: `lease-${next++}`, resource: wanted.resource, job: c.job, holder: c.holder, generation: generation[c.holder]!, expiresAt: now + c.ttl * 1000 })
          } else {
            assert.isTrue(Exit.isFailure(exit), `${what}: refused`)
            const rejection = (Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as { rejection: Record<string, unknown> }).rejection
            assert.strictEqual(rejection["_tag"], "LeaseConflict", what)
            assert.isTrue(model.some((l) => l.id === rejection["lease"] && l.holder === HOLDERS.indexOf(rejection["holder"] as never)), `${what}: names a live holder`)
          }
        } else if (c.op === "renew" || c.op === "release") {
          const id = `lease-${c.lease}`
          const held = model.find((l) => l.id === id)
          const exit = yield* Effect.exit(ask(c.op === "renew" ? { type: "renew", lease: id, ttlSeconds: c.ttl } : { type: "release", lease: id }))
          assert.strictEqual(Exit.isSuccess(exit), held !== undefined, what)
          if (held !== undefined && c.op === "renew") held.expiresAt = now + c.ttl * 1000
          if (held !== undefined && c.op === "release") model = model.filter((l) => l !== held)
        } else if (c.op === "advance") {
          now += c.seconds * 1000
          yield* TestClock.setTime(now)
        } else {
          yield* system.operate(ROOT, HOLDERS[c.holder]!, "restart")
          generation[c.holder]!++
        }
        model = liveModel()
        const held = yield* leases
        assert.sameMembers(held.map((l) => l.id), model.map((l) => l.id), `${what}: the live leases are the model's`)
        for (const a of held) {
          for (const b of held) if (a !== b) assert.isUndefined(clash(a, b), `${what}: ${a.id} and ${b.id} conflict`)
        }
      }
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer()))

  it.effect("property: over random acquire/renew/release/expiry/holder restarts, no two live leases conflict and every answer is the model's", () =>
    Effect.gen(function*() {
      const run = Effect.runPromiseWith(yield* Effect.context<never>())
      yield* Effect.promise(() =>
        fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), (commands) => run(scenario(commands))), { numRuns: 60 })
      )
    }), 120_000)
})
