/**
 * NEXUS's correlation model on a seeded cascade (disk → vdev → pool →
 * datasets → shares) mixed with unrelated noise: grouping, the single
 * notification, inhibition, silences and their expiry, acknowledgement,
 * resolution; and properties over random cascades and noise.
 */
import { describe, expect, it } from "vitest"
import * as fc from "fast-check"
import { defaultNexusConfig } from "../../../src/actors/nexus/config.ts"
import {
  acknowledge,
  emptyState,
  find,
  ingest,
  nextDeadline,
  type Notice,
  type RawAlert,
  restore,
  type Settings,
  type State,
  tick
} from "../../../src/actors/nexus/correlate.ts"
import { dependsOn, entityOf, type Graph, graphOf, kindOf, patternMatches } from "../../../src/actors/nexus/subjects.ts"
import { nasTopology, pairwise, scenario, simulate } from "../../support/nexusCascades.ts"

const settings: Settings = { ...defaultNexusConfig }
const T0 = Date.UTC(2026, 0, 5, 3, 0, 0)
const s = (seconds: number) => T0 + seconds * 1000
const { topology } = nasTopology(2, 2, 2)
const graph = graphOf(topology)

/** A little harness: alerts at times, ticks in between, notices collected. */
const run = (g: Graph = graph, config: Settings = settings) => {
  const state = emptyState()
  const notices: Array<Notice & { at: number }> = []
  let clock = T0
  const advance = (to: number) => {
    for (;;) {
      const due = nextDeadline(state, config, clock)
      if (due === undefined || due > to) break
      clock = Math.max(clock, due)
      notices.push(...tick(state, config, g, clock).map((n) => ({ ...n, at: clock })))
    }
    clock = Math.max(clock, to)
  }
  const alert = (at: number, a: RawAlert) => {
    advance(at)
    const result = ingest(state, config, g, a, clock)
    notices.push(...tick(state, config, g, clock).map((n) => ({ ...n, at: clock })))
    return result
  }
  return { state, notices, alert, advance, now: () => clock }
}

// pool0: mirror-0 (sda, sdb), mirror-1 (sdc, sdd); datasets pool0/data0, pool0/data1; shares pool0-share0, pool0-share1.
const oracle = (dev: string, severity: "warning" | "critical" | "info" = "critical"): RawAlert => ({
  agent: "ORACLE",
  severity,
  subject: `/dev/${dev}`,
  text: severity === "info" ? `/dev/${dev}: back to ok` : `/dev/${dev} (WDC, serial X): ${severity}, score 90: pending sectors`
})
const lattice = (text: string, severity: "info" | "warning" | "critical" = "warning", pool = "pool0"): RawAlert => ({ agent: "LATTICE", severity, subject: `pool ${pool}`, text })
const helix = (ds: string): RawAlert => ({ agent: "HELIX", severity: "warning", subject: `snapshots of ${ds}`, text: `no snapshot of ${ds} for 3 days` })
const bridge = (share: string, severity: "warning" | "critical" = "warning"): RawAlert => ({ agent: "BRIDGE", severity, subject: `share smb/${share}`, text: `share ${share} is unavailable` })
const sentry = (severity: "warning" | "info" = "warning"): RawAlert => ({
  agent: "SENTRY",
  severity,
  subject: "cpu",
  text: severity === "info" ? "alert cleared: cpu at 20, at or below 90" : "alert raised: cpu at 97% busy, at or above 90"
})
const photon = (severity: "warning" | "info" = "warning"): RawAlert => ({ agent: "PHOTON", severity, subject: "link eth0", text: severity === "info" ? "eth0 is up" : "eth0 is down (no carrier)" })

const cascade = (h: ReturnType<typeof run>, at: number, poolState: "DEGRADED" | "FAULTED" = "DEGRADED") => {
  h.alert(s(at), oracle("sda"))
  h.alert(s(at + 5), lattice("pool0: mirror-0/sda1 is FAULTED"))
  h.alert(s(at + 6), lattice("pool0: mirror-0 is DEGRADED"))
  h.alert(s(at + 7), lattice(`pool pool0 is ${poolState}: One or more devices are faulted`, poolState === "FAULTED" ? "critical" : "warning"))
  h.alert(s(at + 8), helix("pool0/data0"))
  h.alert(s(at + 9), helix("pool0/data1"))
  h.alert(s(at + 10), bridge("pool0-share0"))
  h.alert(s(at + 11), bridge("pool0-share1"))
}

describe("NEXUS subjects as agents write them", () => {
  it("maps subjects to VERTEX's nodes, LATTICE's device problems to their vdev", () => {
    expect(entityOf(graph, "ORACLE", "/dev/sda", "")).toBe("disk:/dev/sda")
    expect(entityOf(graph, "SENTRY", "disk:sda", "alert raised: disk:sda at 100% busy")).toBe("disk:/dev/sda")
    expect(entityOf(graph, "LATTICE", "pool pool0", "pool pool0 is DEGRADED")).toBe("pool:pool0")
    expect(entityOf(graph, "LATTICE", "pool pool0", "pool0: mirror-0/sda1 is FAULTED")).toBe("vdev:pool0/mirror-0/sda1")
    expect(entityOf(graph, "LATTICE", "pool pool0", "pool0: mirror-0 is DEGRADED")).toBe("vdev:pool0/mirror-0")
    expect(entityOf(graph, "LATTICE", "pool pool0", "pool0: mirror-0/sda1 read errors 0 → 3")).toBe("vdev:pool0/mirror-0/sda1")
    expect(entityOf(graph, "HELIX", "snapshots of pool0/data0", "")).toBe("dataset:pool0/data0")
    expect(entityOf(graph, "X", "share pool0-share1", "")).toBe("share:smb/pool0-share1")
    expect(entityOf(graph, "PHOTON", "link eth0", "")).toBe("subject:link eth0")
    expect(dependsOn(graph, "share:smb/pool0-share0", "disk:/dev/sda")).toBe(true)
    expect(dependsOn(graph, "share:smb/pool0-share0", "disk:/dev/sde")).toBe(false)
    expect(dependsOn(graph, "disk:/dev/sda", "pool:pool0")).toBe(false)
  })

  it("relates datasets to their pool by name when VERTEX could not be asked", () => {
    const empty = graphOf({ nodes: [], edges: [] })
    expect(dependsOn(empty, "dataset:tank/a/b", "pool:tank")).toBe(true)
    expect(dependsOn(empty, "pool:tank", "vdev:tank/mirror-0")).toBe(true)
    expect(dependsOn(empty, "dataset:tanker", "pool:tank")).toBe(false)
  })

  it("tells recoveries from raises, by agent", () => {
    expect(kindOf("LATTICE", "pool tank", "warning", "tank: mirror-0/sda1 is ONLINE (was FAULTED)")).toMatchObject({ kind: "device mirror-0/sda1", recovery: true })
    expect(kindOf("LATTICE", "pool tank", "info", "pool tank is ONLINE (was DEGRADED)")).toMatchObject({ kind: "state", recovery: true })
    expect(kindOf("LATTICE", "pool tank", "info", "pool tank is back to 85% full (warn)")).toMatchObject({ kind: "capacity", recovery: false })
    expect(kindOf("LATTICE", "pool tank", "info", "scrub of tank finished with 0 errors")).toMatchObject({ kind: "scan", recovery: true })
    expect(kindOf("ORACLE", "/dev/sda", "info", "/dev/sda: back to ok")).toMatchObject({ kind: "*", recovery: true })
    expect(kindOf("FORTRESS", "tcp/23", "warning", "LISTENER: tcp/23 open")).toMatchObject({ recovery: false, announcesRecovery: false })
    expect(patternMatches("snapshots of *", "snapshots of tank/a")).toBe(true)
    expect(patternMatches("/dev/sd?", "/dev/sda")).toBe(false)
    expect(patternMatches("pool (x)", "pool (x)")).toBe(true)
  })
})

describe("NEXUS on a seeded cascade mixed with noise", () => {
  it("groups the cascade into one incident rooted at the disk, keeps noise apart, and notifies once after group_wait", () => {
    const h = run()
    h.alert(s(0), sentry())
    cascade(h, 2)
    h.alert(s(15), photon())
    h.alert(s(16), oracle("sde", "warning")) // another pool's disk: unrelated
    h.advance(s(60))
    const open = h.state.incidents.filter((i) => i.state === "open")
    expect(open.map((i) => [i.root, i.distinct])).toEqual([
      ["subject:cpu", 1],
      ["disk:/dev/sda", 8],
      ["subject:link eth0", 1],
      ["disk:/dev/sde", 1]
    ])
    const opened = h.notices.filter((n) => n.state === "opened")
    expect(opened.map((n) => [n.id, n.subject, n.alerts, n.at - T0])).toEqual([
      ["inc-1", "cpu", 1, 30_000],
      ["inc-2", "disk /dev/sda", 8, 32_000],
      ["inc-3", "link eth0", 1, 45_000],
      ["inc-4", "disk /dev/sde", 1, 46_000]
    ])
    expect(h.notices).toHaveLength(4)
    expect(opened[1]!.severity).toBe("critical")
  })

  it("a cascade noticed backwards (shares first, the disk last) still ends as one incident rooted at the disk", () => {
    const h = run()
    h.alert(s(0), bridge("pool0-share0"))
    h.alert(s(1), helix("pool0/data1"))
    h.alert(s(2), lattice("pool pool0 is DEGRADED: One or more devices are faulted"))
    h.alert(s(3), lattice("pool0: mirror-0/sda1 is FAULTED"))
    h.alert(s(4), oracle("sda"))
    h.advance(s(600))
    const live = h.state.incidents.filter((i) => i.mergedInto === undefined)
    expect(live.map((i) => [i.root, i.distinct])).toEqual([["disk:/dev/sda", 5]])
    expect(h.notices.map((n) => n.state)).toEqual(["opened"])
  })

  it("inhibition: under a FAULTED pool, datasets' and shares' alerts join muted; a new cause is news (one update per group_interval)", () => {
    const h = run()
    h.alert(s(0), lattice("pool pool0 is FAULTED: the pool cannot work", "critical"))
    h.advance(s(40))
    expect(h.notices.map((n) => n.state)).toEqual(["opened"])
    for (let i = 0; i < 20; i++) h.alert(s(41 + i), i % 2 === 0 ? helix(`pool0/data${i % 2}`) : bridge(`pool0-share${i % 2}`, "critical"))
    const incident = find(h.state, "inc-1")!
    expect(incident.alerts.filter((a) => a.inhibited).map((a) => a.entity)).toEqual(["dataset:pool0/data0", "share:smb/pool0-share1"])
    expect(incident.raised).toBe(21)
    expect(h.state.counters.inhibited).toBe(2)
    expect(h.state.counters.deduplicated).toBe(18)
    h.advance(s(1000))
    expect(h.notices.map((n) => n.state)).toEqual(["opened"])
    // The cause below the pool turns up: the incident is re-rooted, and that is worth one update, at group_interval.
    h.alert(s(1001), oracle("sdb"))
    h.alert(s(1002), oracle("sda"))
    h.advance(s(2000))
    // sdb at once (the last notice is old enough), the second cause (sda) one group_interval later.
    expect(h.notices.map((n) => [n.state, n.subject, n.alerts, (n.at - T0) / 1000])).toEqual([
      ["opened", "pool pool0", 1, 30],
      ["updated", "disk /dev/sdb", 4, 1001],
      ["updated", "disk /dev/sdb", 5, 1301]
    ])
  })

  it("silences: matching alerts are counted, not notified; after the expiry they make incidents again", () => {
    const h = run()
    h.state.silences.push({ id: "sil-1", agent: "SENTRY", subject: "c*", reason: "load test", createdBy: "uid:0", createdAt: s(0), expiresAt: s(3600), silenced: 0 })
    expect(h.alert(s(10), sentry()).outcome).toBe("silenced")
    expect(h.alert(s(20), sentry()).outcome).toBe("silenced")
    expect(h.alert(s(30), photon()).outcome).toBe("opened")
    h.advance(s(3599))
    expect(h.state.silences[0]!.silenced).toBe(2)
    expect(h.state.counters.silenced).toBe(2)
    h.advance(s(3600))
    expect(h.state.silences).toEqual([])
    expect(h.state.counters.expiredSilences).toBe(1)
    expect(h.alert(s(3700), sentry()).outcome).toBe("opened")
    h.advance(s(4000))
    expect(h.notices.map((n) => [n.state, n.subject])).toEqual([["opened", "link eth0"], ["opened", "cpu"]])
  })

  it("a silence over an open incident mutes it (one 'silenced' notice); after it, only news is notified", () => {
    const h = run()
    h.alert(s(0), photon())
    h.advance(s(60))
    h.state.silences.push({ id: "sil-1", subject: "link *", reason: "cabling", createdBy: "uid:0", createdAt: s(60), expiresAt: s(7200), silenced: 0 })
    h.advance(s(61))
    expect(h.alert(s(100), { ...photon(), text: "eth0 is down (cable unplugged)", severity: "critical" }).outcome).toBe("silenced")
    h.advance(s(7300))
    expect(h.notices.map((n) => n.state)).toEqual(["opened", "silenced"])
    expect(h.alert(s(7400), { agent: "PHOTON", severity: "warning", subject: "link eth0", text: "eth0 is flapping: 9 carrier changes" }).outcome).toBe("joined")
    h.advance(s(8000))
    expect(h.notices.map((n) => [n.state, n.alerts, (n.at - T0) / 1000])).toEqual([["opened", 1, 30], ["silenced", 1, 60], ["updated", 2, 7400]])
  })

  it("acknowledge: no more updates unless it gets worse", () => {
    const h = run()
    h.alert(s(0), lattice("pool pool0 is DEGRADED: One or more devices are faulted"))
    h.advance(s(60))
    const ack = acknowledge(h.state, find(h.state, "inc-1")!, "uid:1000", h.now())
    expect(ack).toMatchObject({ id: "inc-1", state: "acknowledged", severity: "warning" })
    h.alert(s(100), lattice("pool0: mirror-0 is DEGRADED"))
    h.advance(s(1000))
    expect(h.notices.map((n) => n.state)).toEqual(["opened"])
    h.alert(s(1100), lattice("pool pool0 is FAULTED (was DEGRADED)", "critical"))
    h.advance(s(2000))
    expect(h.notices.map((n) => [n.state, n.severity])).toEqual([["opened", "warning"], ["updated", "critical"]])
  })

  it("resolution: when the causes recover, effects that cannot recover on their own clear with them; one resolved notice", () => {
    const h = run()
    cascade(h, 0)
    h.alert(s(20), sentry())
    h.advance(s(400))
    h.alert(s(3600), oracle("sda", "info"))
    h.alert(s(3601), lattice("pool0: mirror-0/sda1 is ONLINE (was FAULTED)"))
    h.alert(s(3602), lattice("pool0: mirror-0 is ONLINE (was DEGRADED)"))
    expect(find(h.state, "inc-1")!.state).toBe("open") // the pool itself is still DEGRADED
    h.alert(s(3603), lattice("pool pool0 is ONLINE (was DEGRADED)", "info"))
    const incident = find(h.state, "inc-1")!
    expect(incident.state).toBe("resolved")
    expect(incident.alerts.map((a) => a.cleared)).toEqual(["recovered", "recovered", "recovered", "recovered", "with-cause", "with-cause", "with-cause", "with-cause"])
    expect(h.notices.filter((n) => n.id === "inc-1").map((n) => n.state)).toEqual(["opened", "resolved"])
    expect(find(h.state, "inc-2")!.state).toBe("open")
    h.alert(s(3700), sentry("info"))
    expect(find(h.state, "inc-2")!.state).toBe("resolved")
  })

  it("alerts of agents that never announce recovery expire after the resolve timeout; one resolved before group_wait is never notified", () => {
    const h = run(graph, { ...settings, resolveTimeoutMs: 3_600_000 })
    h.alert(s(0), { agent: "FORTRESS", severity: "warning", subject: "tcp/23", text: "LISTENER_CLEARTEXT_SERVICE: telnet on tcp/23" })
    h.alert(s(1), photon())
    h.alert(s(5), photon("info"))
    h.advance(s(3599))
    expect(find(h.state, "inc-1")!.state).toBe("open")
    h.advance(s(3600))
    expect(find(h.state, "inc-1")).toMatchObject({ state: "resolved", resolution: "its alerts expired (resolve timeout)" })
    expect(find(h.state, "inc-2")!.state).toBe("resolved")
    expect(h.notices.map((n) => [n.id, n.state])).toEqual([["inc-1", "opened"], ["inc-1", "resolved"]])
  })

  it("the same cause back soon after resolving reopens its incident instead of notifying anew", () => {
    const h = run()
    h.alert(s(0), photon())
    h.advance(s(60))
    h.alert(s(100), photon("info"))
    h.alert(s(200), photon())
    h.advance(s(1000))
    expect(h.state.incidents).toHaveLength(1)
    expect(h.notices.map((n) => n.state)).toEqual(["opened", "resolved", "updated"])
  })

  it("caps alerts per incident and prunes the oldest resolved incidents, counting both", () => {
    const h = run(graph, { ...settings, maxAlerts: 3, kept: 3 })
    h.alert(s(0), lattice("pool pool0 is DEGRADED"))
    for (let i = 0; i < 6; i++) h.alert(s(1 + i), helix(`pool0/x${i}`))
    expect(find(h.state, "inc-1")).toMatchObject({ distinct: 7, dropped: 4 })
    expect(find(h.state, "inc-1")!.alerts).toHaveLength(3)
    for (let i = 0; i < 5; i++) {
      h.alert(s(100 + i * 100), { agent: "PHOTON", severity: "warning", subject: `link eth${i}`, text: "down" })
      h.alert(s(150 + i * 100), { agent: "PHOTON", severity: "info", subject: `link eth${i}`, text: "up" })
    }
    expect(h.state.incidents.length).toBeLessThanOrEqual(3)
    expect(h.state.counters.pruned).toBeGreaterThan(0)
    expect(find(h.state, "inc-1")).toBeDefined() // open incidents are never pruned
  })

  it("the kept document round-trips through JSON; an unknown shape is refused", () => {
    const h = run()
    cascade(h, 0)
    h.state.silences.push({ id: "sil-1", agent: "SENTRY", reason: "x", createdBy: "uid:0", createdAt: s(0), expiresAt: s(60), silenced: 1 })
    h.advance(s(45))
    const back = restore(JSON.parse(JSON.stringify(h.state)))
    expect(back).toEqual(JSON.parse(JSON.stringify(h.state)))
    expect(restore({ version: 2 })).toBeUndefined()
    expect(restore("x")).toBeUndefined()
  })
})

describe("NEXUS properties over random cascades and noise", () => {
  const params = fc.record({
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    pools: fc.integer({ min: 1, max: 4 }),
    cascades: fc.integer({ min: 0, max: 6 }),
    noise: fc.integer({ min: 0, max: 15 }),
    spacingMs: fc.integer({ min: 60_000, max: 8 * 3_600_000 }),
    silence: fc.boolean()
  })

  it("every alert is in exactly one incident or silenced; notifications never storm", () => {
    fc.assert(
      fc.property(params, (p) => {
        const sc = scenario(p.seed, { pools: p.pools, cascades: p.cascades, noise: p.noise, spacingMs: p.spacingMs, datasetsPerPool: 2 })
        const config = { ...settings, maxAlerts: 10_000 }
        let silenced = false
        const sim = simulate(sc, config, {
          before: (state: State, at: number) => {
            if (!p.silence || silenced) return
            silenced = true
            state.silences.push({ id: "sil-1", agent: "SENTRY", reason: "p", createdBy: "uid:0", createdAt: at, expiresAt: at + 3_600_000, silenced: 0 })
          }
        })
        for (const placed of sim.placed) {
          const { alert } = placed.event
          if (placed.outcome === "silenced") {
            expect(alert.agent).toBe("SENTRY")
            continue
          }
          if (placed.outcome === "info" || placed.outcome === "recovered") continue
          expect(["opened", "joined", "inhibited", "deduplicated"]).toContain(placed.outcome)
          const holder = find(sim.state, placed.incident!)!
          expect(holder.mergedInto).toBeUndefined()
          const kind = kindOf(alert.agent, alert.subject, alert.severity, alert.text).kind
          const entity = entityOf(graphOf(sc.topology), alert.agent, alert.subject, alert.text)
          expect(holder.alerts.some((a) => a.fingerprint === `${alert.agent}|${entity}|${kind}`)).toBe(true)
        }
        // No fingerprint is in two open incidents.
        const openPrints = sim.state.incidents.filter((i) => i.state === "open").flatMap((i) => i.alerts.map((a) => a.fingerprint))
        expect(new Set(openPrints).size).toBe(openPrints.length)
        // One "opened" per incident; "opened"/"updated" of one incident at least group_interval apart.
        const byIncident = new Map<string, Array<Notice & { at: number }>>()
        for (const n of sim.notices) byIncident.set(n.id, [...(byIncident.get(n.id) ?? []), n])
        for (const list of byIncident.values()) {
          expect(list.filter((n) => n.state === "opened")).toHaveLength(1)
          expect(list[0]!.state).toBe("opened")
          const loud = list.filter((n) => n.state === "opened" || n.state === "updated")
          for (let i = 1; i < loud.length; i++) expect(loud[i]!.at - loud[i - 1]!.at).toBeGreaterThanOrEqual(config.groupIntervalMs)
        }
        // Never more notifications than alerts.
        expect(sim.notices.length).toBeLessThanOrEqual(Math.max(1, sc.events.length))
      }),
      { numRuns: 60, seed: 19 }
    )
  })

  it("on non-overlapping cascades, grouping is precise (>= 0.95) and complete (>= 0.9)", () => {
    fc.assert(
      fc.property(params, (p) => {
        const sc = scenario(p.seed, { pools: p.pools, cascades: Math.max(1, p.cascades), noise: p.noise, spacingMs: 3 * 3_600_000, datasetsPerPool: 3 })
        const sim = simulate(sc, settings)
        const alerts = sim.placed.filter((x) => x.event.truth !== undefined && x.incident !== undefined && x.outcome !== "recovered")
        const q = pairwise(alerts.map((x) => ({ truth: x.event.truth!, group: x.incident! })))
        expect(q.precision).toBeGreaterThanOrEqual(0.95)
        expect(q.recall).toBeGreaterThanOrEqual(0.9)
      }),
      { numRuns: 40, seed: 7 }
    )
  })
})
