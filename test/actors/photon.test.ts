import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import type { LinkReading, LinkSample } from "../../src/adapters/netlinks/NetLinks.ts"
import * as NetLinksTest from "../../src/adapters/netlinks/NetLinksTest.ts"
import { defaultPhotonConfig, PhotonConfig, type PhotonConfigShape } from "../../src/actors/photon/config.ts"
import { photonAgent } from "../../src/actors/photon/index.ts"
import { type Book, conditionOf, counterDelta, emptyBook, ratesBetween, step } from "../../src/actors/photon/links.ts"
import type { AlertTransition, InterfaceReport } from "../../src/actors/photon/messages.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { MetricHistory, type MetricHistoryShape } from "../../src/history/History.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import { fastBackoff, generous, ROOT, watch } from "../support/agents.ts"

const { link, zeroCounters } = NetLinksTest

const withCounters = (reading: LinkReading, counters: Partial<LinkReading["counters"]>): LinkReading => ({
  ...reading,
  counters: { ...reading.counters, ...counters }
})

describe("counters between two samples", () => {
  it("counts the difference, a 32-bit wrap, and a reset", () => {
    assert.deepStrictEqual(counterDelta(100, 350), { delta: 250, reset: false })
    // A driver's 32-bit counter wrapped: 2^32 - 4294967000 + 704 = 1000.
    assert.deepStrictEqual(counterDelta(4_294_967_000, 704), { delta: 1000, reset: false })
    // A 64-bit counter that went back, or a small one that went to near zero: counted again from zero.
    assert.deepStrictEqual(counterDelta(2 ** 40, 500), { delta: 500, reset: true })
    assert.deepStrictEqual(counterDelta(1000, 10), { delta: 10, reset: true })
    assert.isNull(counterDelta(null, 5))
    assert.isNull(counterDelta(5, null))
  })

  it("property: a delta is never negative, and without a drop it is the plain difference", () => {
    fc.assert(fc.property(fc.maxSafeNat(), fc.maxSafeNat(), (before, after) => {
      const delta = counterDelta(before, after)!
      assert.isAtLeast(delta.delta, 0)
      if (after >= before) assert.deepStrictEqual(delta, { delta: after - before, reset: false })
    }))
  })

  it("rates are per second over the interval; unknown counters give unknown rates", () => {
    const before = link("eth0", { counters: { ...zeroCounters, rxBytes: 1_000, txErrors: null } })
    const after = withCounters(before, { rxBytes: 21_000, rxPackets: 40, rxErrors: 3 })
    const rates = ratesBetween(before, after, 10_000)!
    assert.strictEqual(rates.rxBytesPerSecond, 2_000)
    assert.strictEqual(rates.rxPacketsPerSecond, 4)
    assert.strictEqual(rates.rxErrorsPerSecond, 0.3)
    assert.isNull(rates.txErrorsPerSecond)
    assert.strictEqual(rates.newErrors, 3)
    assert.isFalse(rates.countersReset)
    assert.isNull(ratesBetween(before, after, 0))
  })

  it("a link re-created under the same name (a new ifindex) counts from zero", () => {
    const before = withCounters(link("veth0", { ifindex: 7 }), { rxBytes: 5_000_000 })
    const after = withCounters(link("veth0", { ifindex: 9 }), { rxBytes: 600 })
    const rates = ratesBetween(before, after, 1_000)!
    assert.strictEqual(rates.rxBytesPerSecond, 600)
    assert.isTrue(rates.countersReset)
  })
})

describe("a link's condition", () => {
  it("is disabled when set down, down without carrier, up otherwise; lo's 'unknown' operstate with carrier is up", () => {
    assert.strictEqual(conditionOf(link("eth0", { adminUp: false, operstate: "down", carrier: null })), "disabled")
    assert.strictEqual(conditionOf(link("eth0", { carrier: false, operstate: "lowerlayerdown" })), "down")
    // A veth whose peer just went down: carrier 0 before operstate follows.
    assert.strictEqual(conditionOf(link("eth0", { carrier: false, operstate: "up" })), "down")
    assert.strictEqual(conditionOf(link("lo", { operstate: "unknown", carrier: true })), "up")
    assert.strictEqual(conditionOf(link("wg0", { operstate: "unknown", carrier: null })), "unknown")
  })
})

const config = { errorBurst: 10, flapChanges: 4, flapWindowMs: 60_000 }

/** Feeds samples `intervalMs` apart through the book; returns every transition as "at interface kind change". */
const run = (samples: ReadonlyArray<ReadonlyArray<LinkReading>>, intervalMs = 10_000) => {
  let book: Book = emptyBook
  const seen: Array<string> = []
  samples.forEach((links, index) => {
    const sample: LinkSample = { monotonicMs: index * intervalMs, links }
    const next = step(book, sample, index * intervalMs, config, 100)
    book = next.book
    seen.push(...next.transitions.map((t) => `${t.at / 1000} ${t.interface} ${t.kind} ${t.change} ${t.severity}`))
  })
  return { book, seen }
}

describe("link alerts", () => {
  const up = link("eth0")
  const down = link("eth0", { carrier: false, operstate: "lowerlayerdown", speedMbps: null, carrierChanges: 2 })
  const upAgain = link("eth0", { carrierChanges: 3 })

  it("a link that goes down raises one alert however long it stays down, and one clear when it is back", () => {
    const { book, seen } = run([[up], [down], [down], [down], [upAgain], [upAgain]])
    assert.deepStrictEqual(seen, ["10 eth0 down raised warning", "40 eth0 down cleared info"])
    assert.deepStrictEqual(book.history.map((t) => t.text), [
      "eth0 is down: no carrier (operstate lowerlayerdown)",
      "eth0 is up again at 1000 Mbit/s"
    ])
  })

  it("a port that was never up is not 'down'; one set down by an administrator is an info alert", () => {
    assert.deepStrictEqual(run([[down], [down], [down]]).seen, [])
    const disabled = link("eth0", { adminUp: false, operstate: "down", carrier: null, speedMbps: null })
    assert.deepStrictEqual(run([[up], [disabled]]).seen, ["10 eth0 down raised info"])
  })

  it("an error burst raises once while errors keep coming, and clears after an interval without errors", () => {
    const errors = (n: number) => withCounters(up, { rxErrors: n })
    const { seen } = run([[errors(0)], [errors(5)], [errors(20)], [errors(40)], [errors(41)], [errors(41)], [errors(60)]])
    assert.deepStrictEqual(seen, [
      "20 eth0 errors raised warning",
      // 1 new error: still raised (only an interval without any clears it).
      "50 eth0 errors cleared info",
      "60 eth0 errors raised warning"
    ])
  })

  it("a flapping link raises one flapping alert instead of a down alert per flap, and clears once the window is quiet", () => {
    const flap = (changes: number, isUp: boolean) =>
      isUp ? link("eth0", { carrierChanges: changes }) : { ...down, carrierChanges: changes }
    // Each sample sees the link after one more change: down, up, down, up, … then steady.
    const samples = [flap(1, true), flap(2, false), flap(3, true), flap(4, false), flap(5, true), flap(6, false), flap(7, true)]
    const steady = Array.from({ length: 8 }, () => flap(7, true))
    const { book, seen } = run([...samples, ...steady].map((l) => [l]))
    assert.deepStrictEqual(seen, [
      // Until 4 changes are in the window, each flap is a down alert…
      "10 eth0 down raised warning",
      "20 eth0 down cleared info",
      "30 eth0 down raised warning",
      // …then one flapping alert, and no more down alerts while it lasts.
      "40 eth0 flapping raised warning",
      "40 eth0 down cleared info",
      // 60 s after the last change (at 60 s) the window holds no change.
      "120 eth0 flapping cleared info"
    ])
    assert.deepStrictEqual(book.active.size, 0)
  })

  it("a vanished device that was up is down; a vanished virtual link simply ends", () => {
    const veth = link("veth1", { virtual: true })
    const { book, seen } = run([[up, veth], [up, veth], []])
    assert.deepStrictEqual(seen, ["20 eth0 down raised warning"])
    assert.deepStrictEqual([...book.active.values()].map((a) => a.text), ["eth0 is gone: the device disappeared"])
  })

  it("property: every (link, kind) alternates raised and cleared, whatever the samples", () => {
    const reading = fc.record({
      adminUp: fc.constantFrom(true, false, null),
      carrier: fc.constantFrom(true, false, null),
      operstate: fc.constantFrom("up", "down", "unknown", "lowerlayerdown" as const),
      carrierChanges: fc.option(fc.nat(20), { nil: null }),
      rxErrors: fc.option(fc.nat(100), { nil: null })
    })
    fc.assert(fc.property(fc.array(fc.array(reading, { minLength: 0, maxLength: 2 }), { maxLength: 25 }), (script) => {
      const samples = script.map((links) =>
        links.map((r, i) =>
          link(`eth${i}`, { adminUp: r.adminUp, carrier: r.carrier, operstate: r.operstate, carrierChanges: r.carrierChanges, counters: { ...zeroCounters, rxErrors: r.rxErrors } })
        )
      )
      const { book } = run(samples)
      const last = new Map<string, string>()
      for (const t of book.history) {
        const key = `${t.interface}:${t.kind}`
        assert.notStrictEqual(last.get(key), t.change, `${key} ${t.change} twice in a row`)
        last.set(key, t.change)
      }
      for (const [key, change] of last) assert.strictEqual(book.active.has(key), change === "raised", key)
    }), { numRuns: 500 })
  })
})

describe("the PHOTON agent", () => {
  const agentConfig: PhotonConfigShape = { ...defaultPhotonConfig, intervalMs: 1_000, errorBurst: 10 }

  const start = (table: NetLinksTest.NetLinksTable, logs: Array<string> = [], history: Effect.Effect<MetricHistoryShape> = HistoryTest.make()) =>
    ActorSystem.make({
      root: { name: "root", strategy: "one_for_one", intensity: generous, backoff: fastBackoff, children: [photonAgent] }
    }).pipe(
      Effect.provide(table.layer),
      Effect.provideServiceEffect(MetricHistory, history),
      Effect.provideService(PhotonConfig, agentConfig),
      Effect.provideService(
        Logger.CurrentLoggers,
        new Set([Logger.make(({ logLevel, message }) => logs.push(`${logLevel} ${[message].flat().join(" ")}`))])
      )
    )

  type Interfaces = { sampledAt: number; intervalMs: number; interfaces: ReadonlyArray<InterfaceReport> }

  it.effect("samples on the interval, reports rates between the last two samples, and alerts on a link going down", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const table = NetLinksTest.make([link("eth0"), link("lo", { type: 772, virtual: true, operstate: "unknown", speedMbps: null })])
      const system = yield* start(table, logs)
      const events = yield* watch(system)
      const interfaces = () => system.ask("PHOTON", { type: "interfaces" }) as Effect.Effect<Interfaces, unknown>

      let reply = yield* interfaces()
      assert.deepStrictEqual(reply.interfaces.map((i) => [i.name, i.condition, i.rates]), [["eth0", "up", null], ["lo", "up", null]])

      table.update("eth0", (l) => withCounters(l, { rxBytes: 125_000_000, txBytes: 1_000 }))
      yield* TestClock.adjust(1_000)
      reply = yield* interfaces()
      assert.strictEqual(reply.sampledAt, 1_000)
      const eth0 = reply.interfaces.find((i) => i.name === "eth0")!
      assert.strictEqual(eth0.rates!.rxBytesPerSecond, 125_000_000)
      assert.strictEqual(eth0.rates!.txBytesPerSecond, 1_000)

      table.update("eth0", (l) => ({ ...l, carrier: false, operstate: "lowerlayerdown", speedMbps: null, carrierChanges: 2 }))
      yield* TestClock.adjust(3_000)
      const one = (yield* system.ask("PHOTON", { type: "interface", name: "eth0" })) as { interface: InterfaceReport }
      assert.deepStrictEqual([one.interface.condition, one.interface.carrier, one.interface.speedMbps], ["down", false, null])
      const alerts = (yield* system.ask("PHOTON", { type: "alerts" })) as {
        active: ReadonlyArray<{ interface: string; kind: string }>
        history: ReadonlyArray<AlertTransition>
        settings: { intervalMs: number }
      }
      assert.deepStrictEqual(alerts.active.map((a) => `${a.interface} ${a.kind}`), ["eth0 down"])
      assert.strictEqual(alerts.settings.intervalMs, 1_000)
      // Three samples saw it down: one alert.
      assert.deepStrictEqual(logs.filter((line) => line.includes("eth0 is")), ["Warn eth0 is down: no carrier (operstate lowerlayerdown)"])
      const alert = yield* events.until((e) => e._tag === "Alert")
      assert.deepInclude(alert, { subject: "link eth0", code: "PHOTON-LINK-DOWN" })
    }))

  it.effect("an unknown interface is refused naming the known ones; a name that is not an interface name never reaches it", () =>
    Effect.gen(function*() {
      const system = yield* start(NetLinksTest.make([link("eth0")]))
      const refused = yield* Effect.flip(system.ask("PHOTON", { type: "interface", name: "eth9" }))
      assert.strictEqual(refused.message, "PHOTON 'interface': no network interface named 'eth9'; the interfaces are eth0")
      const invalid = yield* Effect.flip(system.injectAsk(ROOT, "PHOTON", { type: "interface", name: "../../etc" }))
      assert.strictEqual((invalid as { _tag: string })._tag, "InvalidMessage")
    }))

  it.effect("when /sys/class/net cannot be read, queries say why, the failure is logged once, and recovery is logged", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const table = NetLinksTest.make([link("eth0")])
      table.fail("EACCES")
      const system = yield* start(table, logs)
      const refused = yield* Effect.flip(system.ask("PHOTON", { type: "interfaces" }))
      assert.strictEqual(refused.message, "PHOTON 'interfaces': no reading of /sys/class/net yet: NetLinksTest: EACCES")
      yield* TestClock.adjust(5_000)
      table.set([link("eth0")])
      yield* TestClock.adjust(1_000)
      const reply = (yield* system.ask("PHOTON", { type: "interfaces" })) as Interfaces
      assert.deepStrictEqual(reply.interfaces.map((i) => i.name), ["eth0"])
      assert.deepStrictEqual(logs.filter((line) => line.includes("/sys/class/net")), [
        "Warn cannot read /sys/class/net: NetLinksTest: EACCES",
        "Info reading /sys/class/net works again after: NetLinksTest: EACCES"
      ])
      assert.isAtLeast(table.samples(), 7)
    }))
  it.effect("records each link's state and counters in the metric history, labelled by interface", () =>
    Effect.gen(function*() {
      const history = yield* HistoryTest.make()
      const table = NetLinksTest.make([
        link("eth0", { counters: { ...zeroCounters, rxBytes: 1_000, txBytes: 2_000, rxPackets: 10, txPackets: 20, rxErrors: 1, txErrors: null }, carrierChanges: 3 }),
        link("lo", { type: 772, virtual: true, operstate: "unknown", speedMbps: null, mtu: 65536, carrierChanges: null }),
        // A container's end of a veth pair: not recorded (a new name with every container).
        link("veth3f2a1b0", { virtual: true })
      ])
      yield* start(table, [], Effect.succeed(history))
      table.update("eth0", (l) => ({ ...withCounters(l, { rxBytes: 5_000 }), carrier: false, operstate: "lowerlayerdown", speedMbps: null }))
      yield* TestClock.adjust(1_000)
      const latest = Object.fromEntries((yield* history.latest()).map((s) => [`${s.name}{${s.labels.interface}}`, [s.at, s.value]]))
      assert.deepStrictEqual(latest, {
        "sigmavault_network_up{eth0}": [1_000, 0],
        "sigmavault_network_mtu_bytes{eth0}": [1_000, 1500],
        "sigmavault_network_receive_bytes_total{eth0}": [1_000, 5_000],
        "sigmavault_network_transmit_bytes_total{eth0}": [1_000, 2_000],
        "sigmavault_network_receive_packets_total{eth0}": [1_000, 10],
        "sigmavault_network_transmit_packets_total{eth0}": [1_000, 20],
        "sigmavault_network_receive_errors_total{eth0}": [1_000, 1],
        "sigmavault_network_receive_drop_total{eth0}": [1_000, 0],
        "sigmavault_network_transmit_drop_total{eth0}": [1_000, 0],
        "sigmavault_network_carrier_changes_total{eth0}": [1_000, 3],
        // Seen at 1 Gbit/s in the first sample, unknown in the second.
        "sigmavault_network_speed_bytes{eth0}": [0, 125_000_000],
        "sigmavault_network_up{lo}": [1_000, 1],
        "sigmavault_network_mtu_bytes{lo}": [1_000, 65536],
        "sigmavault_network_receive_bytes_total{lo}": [1_000, 0],
        "sigmavault_network_transmit_bytes_total{lo}": [1_000, 0],
        "sigmavault_network_receive_packets_total{lo}": [1_000, 0],
        "sigmavault_network_transmit_packets_total{lo}": [1_000, 0],
        "sigmavault_network_receive_errors_total{lo}": [1_000, 0],
        "sigmavault_network_transmit_errors_total{lo}": [1_000, 0],
        "sigmavault_network_receive_drop_total{lo}": [1_000, 0],
        "sigmavault_network_transmit_drop_total{lo}": [1_000, 0]
      })
      const up = yield* history.query({ name: "sigmavault_network_up", matchers: [{ label: "interface", op: "=", value: "eth0" }], from: 0, to: 1_000, step: 1_000 })
      assert.deepStrictEqual(up.map((s) => [s.labels, s.points]), [[{ interface: "eth0" }, [[0, 1], [1_000, 0]]]])
    }))
})
