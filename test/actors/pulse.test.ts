/**
 * PULSE under a real actor system and TestClock: watchdog pings go out only
 * while every tier supervisor runs; a tier that gave up stops them until the
 * root has restarted it. Service liveness through the test ServiceManager.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { TestClock } from "effect/testing"
import type { Notify } from "../../src/adapters/systemd/Notify.ts"
import * as NotifyTest from "../../src/adapters/systemd/NotifyTest.ts"
import type { ServiceManager } from "../../src/adapters/systemd/ServiceManager.ts"
import * as ServiceManagerTest from "../../src/adapters/systemd/ServiceManagerTest.ts"
import { assessHealth } from "../../src/actors/pulse/health.ts"
import {
  defaultPulseConfig,
  type HeartbeatDecision,
  PulseConfig,
  type PulseConfigShape,
  pulseAgent,
  type ServiceLiveness
} from "../../src/actors/pulse/index.ts"
import type { TreeNode } from "../../src/runtime/Status.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { counterAgent, fastBackoff, generous, tree, ROOT } from "../support/agents.ts"

const INTERVAL = 1_000
/** The root waits this long before restarting a tier that gave up. */
const TIER_RESTART_MS = 5_000

interface HeartbeatReport {
  readonly enabled: boolean
  readonly last: HeartbeatDecision | null
  readonly lastSentAt: number | null
  readonly reason: string | null
}

const start = (
  config: Partial<PulseConfigShape>,
  notify: NotifyTest.NotifyRecorder,
  services: ServiceManagerTest.FakeServiceManager = ServiceManagerTest.make(),
  logs: Array<string> = []
) =>
  ActorSystem.make({
    root: tree<Notify | ServiceManager>("root", "one_for_one", [
      tree("tier-a", "one_for_one", [pulseAgent]),
      // Gives up on the first crash of B, so the root restarts the whole tier after TIER_RESTART_MS.
      tree("tier-b", "one_for_one", [counterAgent("B")], { intensity: { maxRestarts: 0, withinMs: 60_000 } })
    ], {
      intensity: generous,
      backoff: { initialMs: TIER_RESTART_MS, maxMs: TIER_RESTART_MS, jitter: 0, resetAfterMs: 60_000 }
    })
  }).pipe(
    Effect.provide(notify.layer),
    Effect.provide(services.layer),
    Effect.provideService(PulseConfig, { ...defaultPulseConfig, ...config }),
    Effect.provideService(
      Logger.CurrentLoggers,
      new Set([Logger.make(({ logLevel, message }) => logs.push(`${logLevel} ${[message].flat().join(" ")}`))])
    )
  )

const heartbeat = (system: ActorSystem.ActorSystem) =>
  system.ask("PULSE", { type: "heartbeat" }) as Effect.Effect<HeartbeatReport, unknown>

const tierB = (system: ActorSystem.ActorSystem) => {
  const root = system.tree()
  const tier = root.kind === "supervisor" ? root.children.find((c) => c.kind === "supervisor" && c.status.name === "tier-b") : undefined
  return tier?.kind === "supervisor" ? tier.status : undefined
}

/** Lets the runtime's fibers run until `condition` holds; fails instead of hanging. */
const waitFor = (condition: () => boolean) =>
  Effect.gen(function*() {
    for (let turn = 0; turn < 10_000; turn++) {
      if (condition()) return
      yield* Effect.yieldNow
    }
    return yield* Effect.die(new Error("condition never held"))
  })

describe("PULSE watchdog", () => {
  it.effect("pings every interval while every tier supervisor runs, with the STATUS line when it changes", () =>
    Effect.gen(function*() {
      const notify = NotifyTest.make()
      const system = yield* start({ watchdogIntervalMs: INTERVAL }, notify)
      assert.deepStrictEqual(notify.sent, [])
      yield* TestClock.adjust(INTERVAL)
      const first = yield* heartbeat(system)
      assert.deepStrictEqual(notify.sent, [{ WATCHDOG: "1", STATUS: "2/2 agents running" }])
      assert.deepStrictEqual(first.last, {
        at: INTERVAL,
        sent: true,
        reason: "sent: 2 tier supervisors running, timers on time",
        status: "2/2 agents running"
      })
      yield* TestClock.adjust(INTERVAL)
      yield* TestClock.adjust(INTERVAL)
      const third = yield* heartbeat(system)
      assert.deepStrictEqual(notify.sent.slice(1), [{ WATCHDOG: "1" }, { WATCHDOG: "1" }])
      assert.strictEqual(third.lastSentAt, 3 * INTERVAL)
    }).pipe(Effect.scoped))

  it.effect("skips the ping while a tier supervisor is down, says why, and resumes when it is back", () =>
    Effect.gen(function*() {
      const notify = NotifyTest.make()
      const logs: Array<string> = []
      const system = yield* start({ watchdogIntervalMs: INTERVAL }, notify, undefined, logs)
      yield* TestClock.adjust(INTERVAL)
      yield* heartbeat(system)
      assert.strictEqual(notify.sent.length, 1)

      // The root restarts a tier at once the first time, after TIER_RESTART_MS the second time.
      yield* system.inject(ROOT, "B", { type: "crash" })
      yield* waitFor(() => tierB(system)?.restarts === 1 && system.status("B")?.lifecycle === "running")
      yield* system.inject(ROOT, "B", { type: "crash" })
      yield* waitFor(() => tierB(system)?.lifecycle === "restarting")
      for (let beat = 0; beat < 3; beat++) yield* TestClock.adjust(INTERVAL)
      const down = yield* heartbeat(system)
      assert.isFalse(down.last!.sent)
      assert.match(down.last!.reason, /^skipped: tier supervisor tier-b is restarting/)
      assert.strictEqual(down.lastSentAt, INTERVAL)
      // No WATCHDOG=1 while down; systemd learns the degraded status once.
      assert.deepStrictEqual(notify.sent.slice(1).filter((fields) => fields.WATCHDOG !== undefined), [])
      assert.lengthOf(notify.sent.slice(1).filter((fields) => fields.STATUS?.startsWith("degraded: 1/2 running")), 1)
      // Three skips for the same reason, one log line.
      assert.lengthOf(logs.filter((line) => line.startsWith("Warn watchdog ping skipped: tier supervisor tier-b")), 1)

      // The root restarts tier-b TIER_RESTART_MS after it gave up; pings resume on the next beat.
      for (let beat = 0; beat < TIER_RESTART_MS / INTERVAL; beat++) yield* TestClock.adjust(INTERVAL)
      assert.strictEqual(tierB(system)?.lifecycle, "running")
      const back = yield* heartbeat(system)
      assert.isTrue(back.last!.sent, back.last!.reason)
      assert.deepStrictEqual(notify.sent.at(-1)?.WATCHDOG, "1")
      assert.isTrue(logs.some((line) => line.startsWith("Info watchdog pings resumed after: skipped: tier supervisor tier-b")))
    }).pipe(Effect.scoped))

  it.effect("sends nothing when systemd is not watching, and says so", () =>
    Effect.gen(function*() {
      const notify = NotifyTest.make()
      const system = yield* start({ watchdogIntervalMs: undefined }, notify)
      yield* TestClock.adjust(60_000)
      const report = yield* heartbeat(system)
      assert.isFalse(report.enabled)
      assert.include(report.reason, "WATCHDOG_USEC")
      assert.deepStrictEqual(notify.sent, [])
    }).pipe(Effect.scoped))

  it.effect("a failing notification is a skipped ping with its reason, not a crash", () =>
    Effect.gen(function*() {
      const notify = NotifyTest.make()
      notify.failWith = "connection refused"
      const system = yield* start({ watchdogIntervalMs: INTERVAL }, notify)
      yield* TestClock.adjust(INTERVAL)
      const report = yield* heartbeat(system)
      assert.isFalse(report.last!.sent)
      assert.include(report.last!.reason, "connection refused")
      notify.failWith = undefined
      yield* TestClock.adjust(INTERVAL)
      assert.isTrue((yield* heartbeat(system)).last!.sent)
      // The STATUS that failed to arrive is sent again.
      assert.deepStrictEqual(notify.sent, [{ WATCHDOG: "1", STATUS: "2/2 agents running" }])
    }).pipe(Effect.scoped))
})

describe("PULSE health", () => {
  const supervisor = (name: string, lifecycle: "running" | "restarting", children: ReadonlyArray<TreeNode> = []): TreeNode => ({
    kind: "supervisor",
    status: { name, strategy: "one_for_one", intensity: generous, backoff: fastBackoff, lifecycle, restarts: 0, lastError: null },
    children
  })
  const healthyTree = supervisor("OMNISCIENT", "running", [supervisor("tier-1", "running"), supervisor("tier-2", "running")])

  it("is healthy with every tier running and the timer on time, up to twice its interval", () => {
    assert.deepStrictEqual(assessHealth(healthyTree, 1_000, 1_000), { healthy: true, problems: [], tiers: 2 })
    assert.isTrue(assessHealth(healthyTree, 2_000, 1_000).healthy)
  })

  it("is unhealthy when the timer fired more than twice its interval late: the event loop was blocked", () => {
    const health = assessHealth(healthyTree, 2_001, 1_000)
    assert.isFalse(health.healthy)
    assert.match(health.problems[0]!, /^event loop unresponsive: the heartbeat timer fired 2001 ms after/)
  })

  it("names every tier supervisor that is not running", () => {
    const tree = supervisor("OMNISCIENT", "running", [supervisor("tier-1", "restarting"), supervisor("tier-2", "running")])
    assert.deepStrictEqual(assessHealth(tree, 1_000, 1_000).problems, ["tier supervisor tier-1 is restarting"])
  })
})

describe("PULSE liveness", () => {
  it.effect("reports the state of each watched unit, logs changes, and rechecks on its interval", () =>
    Effect.gen(function*() {
      const services = ServiceManagerTest.make({ "smbd.service": "active", "nfs-server.service": "failed" })
      const logs: Array<string> = []
      const system = yield* start(
        { services: ["smbd", "nfs-server.service", "zfs-import@tank.service"], livenessIntervalMs: 10_000 },
        NotifyTest.make(),
        services,
        logs
      )
      const liveness = () =>
        system.ask("PULSE", { type: "liveness" }) as Effect.Effect<{ checkedAt: number; services: Array<ServiceLiveness> }, unknown>
      const first = yield* liveness()
      assert.deepStrictEqual(first.services.map(({ state, unit }) => [unit, state]), [
        ["smbd", "active"],
        ["nfs-server.service", "failed"],
        ["zfs-import@tank.service", "inactive"]
      ])
      assert.deepStrictEqual(services.queried, ["smbd.service", "nfs-server.service", "zfs-import@tank.service"])

      services.states.set("nfs-server.service", "active")
      services.states.set("smbd.service", "failed")
      yield* TestClock.adjust(10_000)
      const second = yield* liveness()
      assert.strictEqual(second.checkedAt, 10_000)
      assert.deepStrictEqual(second.services.map(({ state }) => state), ["failed", "active", "inactive"])
      assert.deepStrictEqual(logs.filter((line) => /service/.test(line) || line.includes("smbd")), [
        "Warn nfs-server.service is failed",
        "Warn zfs-import@tank.service is inactive",
        "Warn smbd is failed",
        "Info nfs-server.service is active again (was failed)"
      ])
    }).pipe(Effect.scoped))

  it.effect("refuses hostile unit names without querying them", () =>
    Effect.gen(function*() {
      const services = ServiceManagerTest.make()
      const hostile = ["-x", "../etc/passwd", "smb d", "smbd\nrm", "--now.service", "a@.service", ""]
      const system = yield* start({ services: hostile, livenessIntervalMs: 10_000 }, NotifyTest.make(), services)
      const report = (yield* system.ask("PULSE", { type: "liveness" })) as { services: Array<ServiceLiveness> }
      assert.deepStrictEqual(report.services.map(({ state }) => state), hostile.map(() => "invalid"))
      for (const service of report.services) assert.include(service.detail, "invalid unit name")
      assert.deepStrictEqual(services.queried, [])
    }).pipe(Effect.scoped))
})
