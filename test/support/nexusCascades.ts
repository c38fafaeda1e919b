/**
 * Seeded storage failures for NEXUS's tests and benchmark: a NAS topology in
 * VERTEX's shape (disk → partition → vdev → pool → dataset → mountpoint →
 * share), cascades (a disk failing → its vdev and pool degraded → datasets
 * and shares unhealthy, raised by the agents that watch each, in a shuffled
 * order, with duplicates) and unrelated noise (SENTRY, PHOTON, FORTRESS,
 * MORPH), each alert labelled with the group it truly belongs to.
 */
import {
  emptyState,
  finalIncident,
  ingest,
  nextDeadline,
  type Notice,
  type Outcome,
  type RawAlert,
  type Settings,
  type State,
  tick
} from "../../src/actors/nexus/correlate.ts"
import { graphOf } from "../../src/actors/nexus/subjects.ts"

export interface TopologyShape {
  readonly nodes: Array<{ id: string; kind: string; label: string }>
  readonly edges: Array<{ from: string; to: string }>
}

export interface Timed {
  readonly at: number
  readonly alert: RawAlert
  /** The true group ("cascade-3", "noise-12"); undefined for a recovery. */
  readonly truth: string | undefined
}

export interface Scenario {
  readonly topology: TopologyShape
  readonly events: ReadonlyArray<Timed>
  readonly cascades: number
  readonly noise: number
}

/** mulberry32: small, fast, seeded. */
export const prng = (seed: number) => {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: ReadonlyArray<T>): T => xs[Math.floor(next() * xs.length)]! }
}

interface Pool {
  readonly name: string
  readonly mirrors: ReadonlyArray<{ readonly vdev: string; readonly disks: ReadonlyArray<string> }>
  readonly datasets: ReadonlyArray<string>
  readonly shares: ReadonlyArray<{ readonly name: string; readonly dataset: string }>
}

export const nasTopology = (pools: number, mirrorsPerPool = 2, datasetsPerPool = 4): { topology: TopologyShape; pools: ReadonlyArray<Pool> } => {
  const nodes: TopologyShape["nodes"] = []
  const edges: TopologyShape["edges"] = []
  const out: Array<Pool> = []
  let disk = 0
  const diskName = (n: number) => `sd${String.fromCharCode(97 + (n % 26))}${n >= 26 ? String.fromCharCode(97 + Math.floor(n / 26) - 1) : ""}`
  for (let p = 0; p < pools; p++) {
    const name = `pool${p}`
    nodes.push({ id: `pool:${name}`, kind: "pool", label: name })
    const mirrors: Array<{ vdev: string; disks: Array<string> }> = []
    for (let m = 0; m < mirrorsPerPool; m++) {
      const vdev = `mirror-${m}`
      nodes.push({ id: `vdev:${name}/${vdev}`, kind: "vdev", label: vdev })
      edges.push({ from: `pool:${name}`, to: `vdev:${name}/${vdev}` })
      const disks: Array<string> = []
      for (let d = 0; d < 2; d++) {
        const dev = diskName(disk++)
        disks.push(dev)
        nodes.push({ id: `disk:/dev/${dev}`, kind: "disk", label: dev })
        nodes.push({ id: `part:/dev/${dev}1`, kind: "partition", label: `${dev}1` })
        edges.push({ from: `part:/dev/${dev}1`, to: `disk:/dev/${dev}` })
        nodes.push({ id: `vdev:${name}/${vdev}/${dev}1`, kind: "vdev", label: `${dev}1` })
        edges.push({ from: `vdev:${name}/${vdev}`, to: `vdev:${name}/${vdev}/${dev}1` })
        edges.push({ from: `vdev:${name}/${vdev}/${dev}1`, to: `part:/dev/${dev}1` })
      }
      mirrors.push({ vdev, disks })
    }
    nodes.push({ id: `dataset:${name}`, kind: "dataset", label: name })
    edges.push({ from: `dataset:${name}`, to: `pool:${name}` })
    const datasets: Array<string> = []
    const shares: Array<{ name: string; dataset: string }> = []
    for (let d = 0; d < datasetsPerPool; d++) {
      const ds = `${name}/data${d}`
      datasets.push(ds)
      nodes.push({ id: `dataset:${ds}`, kind: "dataset", label: ds })
      edges.push({ from: `dataset:${ds}`, to: `dataset:${name}` })
      nodes.push({ id: `mount:/srv/${ds}`, kind: "mountpoint", label: `/srv/${ds}` })
      edges.push({ from: `mount:/srv/${ds}`, to: `dataset:${ds}` })
      const share = `${name}-share${d}`
      shares.push({ name: share, dataset: ds })
      nodes.push({ id: `share:smb/${share}`, kind: "share", label: `${share} (smb)` })
      edges.push({ from: `share:smb/${share}`, to: `mount:/srv/${ds}` })
    }
    out.push({ name, mirrors, datasets, shares })
  }
  return { topology: { nodes, edges }, pools: out }
}

/** The alerts of one disk failing, as the agents raise them today, plus what clears them `recoverAfter` ms later. */
const cascade = (
  rng: ReturnType<typeof prng>,
  pool: Pool,
  start: number,
  truth: string,
  recoverAfter: number | undefined
): Array<Timed> => {
  const mirror = rng.pick(pool.mirrors)
  const dev = rng.pick(mirror.disks)
  const faulted = rng.next() < 0.3
  const raised: Array<RawAlert> = [
    { agent: "ORACLE", severity: "critical", subject: `/dev/${dev}`, text: `/dev/${dev} (WDC WD40EFRX, serial X${dev}): critical, score 100: reallocated sectors` },
    { agent: "LATTICE", severity: "warning", subject: `pool ${pool.name}`, text: `${pool.name}: ${mirror.vdev}/${dev}1 is FAULTED` },
    { agent: "LATTICE", severity: "warning", subject: `pool ${pool.name}`, text: `${pool.name}: ${mirror.vdev} is ${faulted ? "UNAVAIL" : "DEGRADED"}` },
    {
      agent: "LATTICE",
      severity: faulted ? "critical" : "warning",
      subject: `pool ${pool.name}`,
      text: `pool ${pool.name} is ${faulted ? "FAULTED" : "DEGRADED"}: One or more devices are faulted`
    }
  ]
  // Duplicates: errors counted again, SMART read again.
  for (let i = rng.int(4); i > 0; i--) {
    raised.push({ agent: "LATTICE", severity: "warning", subject: `pool ${pool.name}`, text: `${pool.name}: ${mirror.vdev}/${dev}1 read errors ${i} → ${i + 3}` })
  }
  if (rng.next() < 0.5) raised.push(raised[0]!)
  for (const ds of pool.datasets) {
    if (rng.next() < 0.7) raised.push({ agent: "HELIX", severity: "warning", subject: `snapshots of ${ds}`, text: `no snapshot of ${ds} could be taken: pool ${pool.name} is not healthy` })
    if (rng.next() < 0.4) raised.push({ agent: "ATLAS", severity: "warning", subject: `dataset ${ds}`, text: `dataset ${ds} is not responding` })
  }
  for (const share of pool.shares) {
    if (rng.next() < 0.6) raised.push({ agent: "BRIDGE", severity: faulted ? "critical" : "warning", subject: `share smb/${share.name}`, text: `share ${share.name} is unavailable` })
  }
  // The order agents notice in is not the order of cause and effect.
  const events: Array<Timed> = raised.map((alert) => ({ at: start + rng.int(120_000), alert, truth }))
  if (recoverAfter !== undefined) {
    const end = start + 120_000 + recoverAfter
    events.push(
      { at: end, alert: { agent: "ORACLE", severity: "info", subject: `/dev/${dev}`, text: `/dev/${dev}: back to ok` }, truth: undefined },
      { at: end + 1000, alert: { agent: "LATTICE", severity: "warning", subject: `pool ${pool.name}`, text: `${pool.name}: ${mirror.vdev}/${dev}1 is ONLINE (was FAULTED)` }, truth: undefined },
      { at: end + 2000, alert: { agent: "LATTICE", severity: "warning", subject: `pool ${pool.name}`, text: `${pool.name}: ${mirror.vdev} is ONLINE (was DEGRADED)` }, truth: undefined },
      { at: end + 3000, alert: { agent: "LATTICE", severity: "info", subject: `pool ${pool.name}`, text: `pool ${pool.name} is ONLINE (was DEGRADED)` }, truth: undefined }
    )
  }
  return events
}

/** One unrelated problem: raised once or a few times, and (for agents that do) cleared later. */
const noise = (rng: ReturnType<typeof prng>, start: number, n: number): Array<Timed> => {
  const truth = `noise-${n}`
  const kind = rng.int(4)
  const repeat = 1 + rng.int(3)
  const out: Array<Timed> = []
  const at = (i: number) => start + i * 60_000 + rng.int(30_000)
  if (kind === 0) {
    const key = rng.pick(["cpu", "memory", "load", "disk busy"])
    for (let i = 0; i < repeat; i++) out.push({ at: at(i), alert: { agent: "SENTRY", severity: "warning", subject: key, text: `alert raised: ${key} at ${90 + i}% busy, at or above 90` }, truth })
    out.push({ at: at(repeat) + 600_000, alert: { agent: "SENTRY", severity: "info", subject: key, text: `alert cleared: ${key} at 20, at or below 90` }, truth: undefined })
  } else if (kind === 1) {
    const link = `eth${rng.int(3)}`
    for (let i = 0; i < repeat; i++) out.push({ at: at(i), alert: { agent: "PHOTON", severity: "warning", subject: `link ${link}`, text: `${link} is down (no carrier)` }, truth })
    out.push({ at: at(repeat) + 300_000, alert: { agent: "PHOTON", severity: "info", subject: `link ${link}`, text: `${link} is up at 1000 Mb/s` }, truth: undefined })
  } else if (kind === 2) {
    const port = 1000 + n
    out.push({ at: at(0), alert: { agent: "FORTRESS", severity: "warning", subject: `tcp/${port}`, text: `LISTENER_UNEXPECTED: a service listens on tcp/${port}` }, truth })
  } else {
    out.push({ at: at(0), alert: { agent: "MORPH", severity: "warning", subject: `migration m${n}`, text: `migration m${n} stopped: ENOSPC; its journal keeps its place (MORPH resume)` }, truth })
  }
  return out
}

/**
 * `cascades` disk failures, one every `spacingMs` (each in a random pool;
 * they never overlap), and `noise` unrelated problems spread over the same time.
 */
export const scenario = (seed: number, options: { readonly pools?: number; readonly datasetsPerPool?: number; readonly cascades: number; readonly noise: number; readonly spacingMs?: number; readonly recover?: boolean; readonly roundRobin?: boolean; readonly recoverMs?: number }): Scenario => {
  const rng = prng(seed)
  const { topology, pools } = nasTopology(options.pools ?? 4, 2, options.datasetsPerPool ?? 4)
  const spacing = options.spacingMs ?? 6 * 3_600_000
  const start = Date.UTC(2026, 0, 5)
  const events: Array<Timed> = []
  for (let c = 0; c < options.cascades; c++) {
    const recoverMs = options.recoverMs ?? 3_600_000
    const pool = options.roundRobin === true ? pools[c % pools.length]! : rng.pick(pools)
    events.push(...cascade(rng, pool, start + c * spacing, `cascade-${c}`, options.recover === false ? undefined : recoverMs + rng.int(recoverMs)))
  }
  const span = Math.max(1, options.cascades) * spacing
  const noisy: Array<Array<Timed>> = []
  for (let n = 0; n < options.noise; n++) noisy.push(noise(rng, start + rng.int(span), n))
  // Two episodes of one subject that overlap or follow within an hour (cpu busy again soon after it cleared)
  // are one problem flapping: one truth, as NEXUS's window (default 1 h) means it.
  noisy.sort((a, b) => a[0]!.at - b[0]!.at)
  const running = new Map<string, { truth: string; until: number }>()
  for (const episode of noisy) {
    const subject = episode[0]!.alert.subject
    const end = episode[episode.length - 1]!.at
    const before = running.get(subject)
    const truth = before !== undefined && before.until + 3_600_000 >= episode[0]!.at ? before.truth : episode[0]!.truth!
    running.set(subject, { truth, until: Math.max(end, before?.until ?? 0) })
    events.push(...episode.map((e) => e.truth === undefined ? e : { ...e, truth }))
  }
  events.sort((a, b) => a.at - b.at)
  return { topology, events, cascades: options.cascades, noise: options.noise }
}

/**
 * Pairwise grouping quality: of the pairs of alerts put together, how many
 * truly belong together (precision); of those that belong together, how
 * many were put together (recall). Alerts without a placement are skipped.
 */
export const pairwise = (placed: ReadonlyArray<{ readonly truth: string; readonly group: string }>) => {
  const pairs = (n: number) => (n * (n - 1)) / 2
  const cells = new Map<string, number>()
  const truths = new Map<string, number>()
  const groups = new Map<string, number>()
  for (const { truth, group } of placed) {
    cells.set(`${truth}\u0000${group}`, (cells.get(`${truth}\u0000${group}`) ?? 0) + 1)
    truths.set(truth, (truths.get(truth) ?? 0) + 1)
    groups.set(group, (groups.get(group) ?? 0) + 1)
  }
  const together = [...cells.values()].reduce((s, n) => s + pairs(n), 0)
  const predicted = [...groups.values()].reduce((s, n) => s + pairs(n), 0)
  const actual = [...truths.values()].reduce((s, n) => s + pairs(n), 0)
  return { precision: predicted === 0 ? 1 : together / predicted, recall: actual === 0 ? 1 : together / actual }
}

export interface Simulated {
  readonly state: State
  readonly notices: ReadonlyArray<Notice & { readonly at: number }>
  /** Each event's outcome and, for alerts placed in an incident, the incident holding it at the end. */
  readonly placed: ReadonlyArray<{ readonly event: Timed; readonly outcome: Outcome; readonly incident: string | undefined }>
}

/**
 * Runs a scenario through the model as the agent does: time advances from
 * deadline to deadline (tick) and alert to alert (ingest, then tick).
 * `before(at)` may change the state first (a silence, an acknowledgement).
 */
export const simulate = (
  sc: Pick<Scenario, "topology" | "events">,
  settings: Settings,
  options: { readonly until?: number; readonly before?: (state: State, at: number, notices: Array<Notice & { readonly at: number }>) => void } = {}
): Simulated => {
  const state = emptyState()
  const graph = graphOf(sc.topology)
  const notices: Array<Notice & { at: number }> = []
  const placed: Array<{ event: Timed; outcome: Outcome; incident: string | undefined }> = []
  let clock = sc.events[0]?.at ?? 0
  const advance = (to: number) => {
    for (let guard = 0; guard < 100_000; guard++) {
      const due = nextDeadline(state, settings, clock)
      if (due === undefined || due > to) break
      clock = Math.max(clock, due)
      notices.push(...tick(state, settings, graph, clock).map((n) => ({ ...n, at: clock })))
    }
    clock = Math.max(clock, to)
  }
  for (const event of sc.events) {
    advance(event.at)
    options.before?.(state, clock, notices)
    const result = ingest(state, settings, graph, event.alert, clock)
    placed.push({ event, outcome: result.outcome, incident: result.incident })
    notices.push(...tick(state, settings, graph, clock).map((n) => ({ ...n, at: clock })))
  }
  advance(options.until ?? clock + 2 * (settings.groupWaitMs + settings.groupIntervalMs))
  const placedNow = placed.map((p) => ({
    ...p,
    incident: p.incident === undefined || p.outcome === "recovered" ? p.incident : finalIncident(state, p.incident)
  }))
  return { state, notices, placed: placedNow }
}
