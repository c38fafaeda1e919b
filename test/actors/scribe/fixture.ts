/**
 * SCRIBE's test world: stand-ins for the agents a report asks, speaking their
 * real protocols (every answer is checked against the real reply schema by
 * the runtime) with fixed answers, a metric history with a week of samples,
 * and a fixed clock. Reports built in it are deterministic: the golden files
 * under test/fixtures/scribe/ are what they render to.
 */
import { createHash } from "node:crypto"
import { Effect, Schema } from "effect"
import { Fortress } from "../../../src/actors/fortress/messages.ts"
import { Axiom } from "../../../src/actors/axiom/messages.ts"
import { Lattice } from "../../../src/actors/lattice/messages.ts"
import { Ledger } from "../../../src/actors/ledger/messages.ts"
import { Nexus } from "../../../src/actors/nexus/messages.ts"
import { Omniscient } from "../../../src/actors/omniscient/messages.ts"
import { Oracle } from "../../../src/actors/oracle/messages.ts"
import { Orbit } from "../../../src/actors/orbit/messages.ts"
import { Sentry } from "../../../src/actors/sentry/messages.ts"
import { Vanguard } from "../../../src/actors/vanguard/messages.ts"
import { serviceMachine } from "../../../src/actors/shared/serve.ts"
import type { MetricHistoryShape, Sample } from "../../../src/history/History.ts"
import * as HistoryTest from "../../../src/history/HistoryTest.ts"
import { type AgentDefinition, define } from "../../../src/runtime/Agent.ts"
import * as Protocol from "../../../src/runtime/Protocol.ts"

/** Monday 7 December 2026, 07:00 UTC: when the weekly reports are written. */
export const NOW = Date.parse("2026-12-07T07:00:00.000Z")
const HOUR = 3_600_000
const DAY = 24 * HOUR
const iso = (ms: number) => new Date(ms).toISOString()

/** An agent speaking `protocol` that answers with fixed values (a handler per message it answers). */
export const stub = <P extends Protocol.AnyProtocol>(
  protocol: P,
  handlers: Readonly<Record<string, (request: any) => Effect.Effect<unknown, unknown>>>
): AgentDefinition =>
  define({
    protocol,
    tier: "5-8",
    description: `${protocol.agent} stand-in with fixed answers`,
    capabilities: [{ name: "fixed", available: true, detail: "fixed answers for SCRIBE's tests" }],
    machine: serviceMachine(protocol, { handlers: handlers as any })
  })

const answer = (value: unknown) => () => Effect.succeed(value)

export const omniscient = stub(Omniscient, {
  summary: answer({
    agents: 40,
    running: 39,
    restarting: 0,
    failed: 1,
    stopped: 0,
    ready: 33,
    planned: 6,
    deadLetters: 2,
    escalations: [],
    lifecycle: "running"
  })
})

const scrub = { function: "scrub", state: "finished", paused: false, endTime: "2026-12-01T03:41:07Z", errors: 0, percent: 100 }

export const lattice = stub(Lattice, {
  health: answer({
    checkedAt: iso(NOW),
    healthy: false,
    pools: [
      {
        name: "tank",
        state: "DEGRADED",
        healthy: false,
        capacity: { percent: 82.4, sizeBytes: 16 * 2 ** 40, allocatedBytes: 13.184 * 2 ** 40, freeBytes: 2.816 * 2 ** 40, level: "warn" },
        errors: { read: 0, write: 0, checksum: 3 },
        problems: [{ vdev: "raidz1-0/sdc", state: "FAULTED", readErrors: 0, writeErrors: 0, checksumErrors: 3 }],
        scrub,
        status: "One or more devices are faulted in response to persistent errors.",
        action: "Replace the faulted device, or use 'zpool clear' to mark the device repaired.",
        dataErrors: "No known data errors"
      },
      {
        name: "fast",
        state: "ONLINE",
        healthy: true,
        capacity: { percent: 31, sizeBytes: 2 ** 40, allocatedBytes: 0.31 * 2 ** 40, freeBytes: 0.69 * 2 ** 40, level: "ok" },
        errors: { read: 0, write: 0, checksum: 0 },
        problems: [],
        scrub: { function: "none", state: "none", paused: false, errors: 0 },
        dataErrors: "No known data errors"
      }
    ]
  }),
  datasets: answer({
    datasets: [
      { name: "tank", pool: "tank", type: "filesystem", usedBytes: 13 * 2 ** 40, availableBytes: 2.7 * 2 ** 40, referencedBytes: 2 ** 20, mountpoint: "/tank", mounted: true },
      { name: "tank/media", pool: "tank", type: "filesystem", usedBytes: 9 * 2 ** 40, availableBytes: 2.7 * 2 ** 40, referencedBytes: 9 * 2 ** 40, mountpoint: "/tank/media", mounted: true },
      { name: "tank/backup", pool: "tank", type: "filesystem", usedBytes: 3.5 * 2 ** 40, availableBytes: 2.7 * 2 ** 40, referencedBytes: 3.5 * 2 ** 40, mountpoint: "/tank/backup", mounted: true },
      { name: "fast", pool: "fast", type: "filesystem", usedBytes: 0.3 * 2 ** 40, availableBytes: 0.6 * 2 ** 40, referencedBytes: 2 ** 20, mountpoint: "/fast", mounted: true },
      { name: "fast/vm", pool: "fast", type: "volume", usedBytes: 0.25 * 2 ** 40, availableBytes: 0.6 * 2 ** 40, referencedBytes: 0.25 * 2 ** 40 }
    ]
  })
})

export const oracle = stub(Oracle, {
  assess: answer({
    assessedAt: iso(NOW),
    disks: [
      { device: "/dev/sda", model: "WDC WD40EFRX", serial: "WD-1", protocol: "ATA", level: "ok", score: 0, evidence: [], counters: { "5": 0 }, historyDays: 30 },
      {
        device: "/dev/sdc",
        model: "WDC WD40EFRX",
        serial: "WD-3",
        protocol: "ATA",
        level: "warn",
        score: 42,
        evidence: [{ code: "SMART-197", weight: 30, text: "sectors pending reallocation (SMART 197): 24, up 16 in 7 days" }],
        counters: { "197": 24 },
        historyDays: 30
      }
    ],
    unreadable: [{ device: "/dev/sdd", reason: "smartctl: open failed: No such device" }]
  })
})

export const sentry = stub(Sentry, {
  alerts: answer({
    active: [{ key: "memory", metric: "memory", since: NOW - 2 * HOUR, raisedValue: 91.2, latest: 92.5 }],
    history: [
      { key: "cpu", metric: "cpu", change: "raised", at: NOW - 3 * DAY, value: 97, threshold: 95 },
      { key: "cpu", metric: "cpu", change: "cleared", at: NOW - 3 * DAY + HOUR, value: 40, threshold: 80 },
      { key: "memory", metric: "memory", change: "raised", at: NOW - 2 * HOUR, value: 91.2, threshold: 90 }
    ]
  })
})

const incident = (id: string, state: "open" | "resolved", severity: string, subject: string, title: string, openedAt: number, resolvedAt?: number) => ({
  id,
  state,
  severity,
  subject,
  root: subject,
  title,
  openedAt: iso(openedAt),
  updatedAt: iso(resolvedAt ?? openedAt),
  ...(resolvedAt === undefined ? {} : { resolvedAt: iso(resolvedAt), resolution: "recovered" }),
  silenced: false,
  notified: true,
  notifications: 1,
  alerts: 1,
  firing: state === "open" ? 1 : 0,
  raised: 1,
  inhibited: 0,
  dropped: 0
})

const feed = { received: 4, lost: 0, deduplicated: 0, silenced: 0, inhibited: 0, recoveries: 1, info: 0, notifications: 3, pruned: 0, topology: "VERTEX (12 nodes)" }
const openIncident = incident("inc-7", "open", "critical", "disk /dev/sdc", "disk /dev/sdc faulted in pool tank", NOW - 20 * HOUR)
const resolvedIncident = incident("inc-6", "resolved", "warning", "host", "cpu busy above 95 %", NOW - 3 * DAY, NOW - 3 * DAY + HOUR)
const oldIncident = incident("inc-2", "resolved", "warning", "pool fast", "scrub overdue", NOW - 40 * DAY, NOW - 39 * DAY)

export const nexus = stub(Nexus, {
  incidents: (request: { readonly open?: boolean }) =>
    Effect.succeed(
      request.open === false
        ? { incidents: [openIncident, resolvedIncident, oldIncident], open: 1, kept: 3, feed }
        : { incidents: [openIncident], open: 1, kept: 3, feed }
    )
})

const crossing = (percent: number, days: number | null, status: "reached" | "expected" | "not-growing") => ({
  percent,
  bytes: (percent / 100) * 16 * 2 ** 40,
  status,
  days,
  low: days === null ? null : days * 0.8,
  high: days === null ? null : days * 1.3,
  date: days === null ? null : iso(NOW + days * DAY)
})

export const axiom = stub(Axiom, {
  forecasts: answer({
    forecasts: [
      {
        subject: { kind: "pool", pool: "tank" },
        series: "sigmavault_pool_allocated_bytes{pool=\"tank\"}",
        capacityBytes: 16 * 2 ** 40,
        usedBytes: 13.184 * 2 ** 40,
        usedPercent: 82.4,
        trend: "growing",
        growthBytesPerDay: 120 * 2 ** 30,
        growthLowBytesPerDay: 100 * 2 ** 30,
        growthHighBytesPerDay: 140 * 2 ** 30,
        crossings: [crossing(80, 0, "reached"), crossing(90, 10.4, "expected"), crossing(100, 24.1, "expected")],
        fit: {
          method: "theil-sen",
          window: { from: NOW - 30 * DAY, to: NOW, days: 30, stepMs: HOUR },
          from: NOW - 30 * DAY,
          to: NOW,
          points: 720,
          shifts: [],
          levelBytes: 13.184 * 2 ** 40,
          residualSdBytes: 2 ** 30,
          confidence: 0.93
        },
        summary: "pool tank is 82.4 % full, growing 120 GiB a day: 90 % in about 10 days, full in about 24"
      }
    ],
    skipped: [{ subject: { kind: "pool", pool: "fast" }, reason: "not enough history (2 days; 7 needed)" }]
  })
})

export const fortress = stub(Fortress, {
  findings: answer({
    auditedAt: iso(NOW - 5 * HOUR),
    findings: [
      {
        code: "SSH_PASSWORD_AUTH",
        severity: "medium",
        check: "sshd",
        subject: "sshd",
        title: "SSH accepts passwords",
        evidence: { source: "sshd -T", detail: "passwordauthentication yes" },
        fix: "set PasswordAuthentication no in /etc/ssh/sshd_config and reload sshd"
      },
      {
        code: "LISTENER_CLEARTEXT_SERVICE",
        severity: "high",
        check: "sockets",
        subject: "tcp 0.0.0.0:23",
        title: "a cleartext service (telnet) listens on every interface",
        evidence: { source: "ss -H -tulnp", detail: "tcp LISTEN 0.0.0.0:23 telnetd" },
        fix: "stop and disable the telnet service"
      }
    ],
    unread: []
  })
})

export const orbit = stub(Orbit, {
  list: answer({
    timeZone: "UTC",
    schedules: [
      { name: "scrub-tank", cron: "0 3 1 * *", target: "LATTICE", messageType: "scrub", jitterMs: 0, origin: "added", addedBy: "the daemon", nextRun: "2027-01-01T03:00:00.000Z", lastRun: "2026-12-01T03:00:00.000Z", lastOutcome: "sent" },
      { name: "nightly-backup", cron: "0 2 * * *", target: "HELIX", messageType: "replicate", jitterMs: 0, origin: "added", addedBy: "uid 1000", nextRun: "2026-12-08T02:00:00.000Z", lastRun: "2026-12-07T02:00:00.000Z", lastOutcome: "uid 1000 may not send HELIX 'replicate': it needs admin access, and uid 1000 has operate access" }
    ]
  })
})

export const vanguard = stub(Vanguard, {
  updates: answer({
    checkedAt: iso(NOW - HOUR),
    index: { refreshed: true, refreshedAt: iso(NOW - 2 * HOUR), lists: 6 },
    upgradable: [
      { name: "openssl", from: "3.0.15-1~deb12u1", to: "3.0.17-1~deb12u2", arch: "amd64", origins: ["Debian-Security:12/stable-security"], suites: ["bookworm-security"], security: true },
      { name: "tzdata", from: "2024b-0+deb12u1", to: "2025b-0+deb12u1", arch: "all", origins: ["Debian:12.11/stable"], suites: ["bookworm"], security: false }
    ],
    newPackages: [],
    removals: [],
    keptBack: [],
    securityCount: 1,
    reboot: {
      required: false,
      flag: false,
      since: null,
      packages: [],
      kernel: { running: "6.1.0-37-amd64", newestInstalled: "6.1.0-37-amd64", managed: true, rebootRequired: false, reason: "the running kernel is the newest installed" }
    }
  })
})

/** A planned VANGUARD, as VANGUARD was before its issue: its `updates` answers NotBuiltYet (any planned agent is read this way). */
export const plannedVanguard = define({
  protocol: Protocol.make("VANGUARD", [
    Protocol.planned("updates", { doc: "upgradable packages", access: "read", capability: "updates" })
  ]),
  tier: "2",
  description: "VANGUARD, not built yet",
  capabilities: [{ name: "updates", available: false, detail: "lists upgradable packages" }]
})

const LedgerEntryFields = Schema.Struct({ actor: Schema.String, action: Schema.String, detail: Schema.optionalKey(Schema.Record(Schema.String, Schema.Json)) })
type Appended = typeof LedgerEntryFields.Type

/**
 * A LEDGER that keeps its entries in memory, hash-chained, stamped from the
 * test's clock so reports that list them are deterministic. `entries` may be
 * pre-filled (the activity report's week).
 */
export const memoryLedger = (seed: ReadonlyArray<Appended & { readonly at: number }> = []) => {
  const entries: Array<{ seq: number; at: string; actor: string; action: string; detail: Record<string, unknown>; prev: string; hash: string }> = []
  const push = (fields: Appended, at: number) => {
    const prev = entries.at(-1)?.hash ?? "0".repeat(64)
    const body = { seq: entries.length + 1, at: iso(at), actor: fields.actor, action: fields.action, detail: fields.detail ?? {}, prev }
    const entry = { ...body, hash: createHash("sha256").update(JSON.stringify(body)).digest("hex") }
    entries.push(entry)
    return entry
  }
  for (const fields of seed) push(fields, fields.at)
  const agent = stub(Ledger, {
    append: (request: Appended) => Effect.map(Effect.clockWith((clock) => Effect.sync(() => clock.currentTimeMillisUnsafe())), (at) => push(request, at)),
    entries: (request: { readonly limit?: number }) => Effect.succeed(entries.slice(-(request.limit ?? 20))),
    verify: () =>
      Effect.succeed({
        file: "/var/lib/sigmavault/ledger/audit.log",
        ok: true,
        entries: entries.length,
        checkpoints: 0,
        head: { seq: entries.length, hash: entries.at(-1)?.hash ?? "0".repeat(64) },
        keyIds: [],
        unsignedTail: entries.length,
        warnings: entries.length === 0 ? [] : [`${entries.length} entries after the last checkpoint`],
        summary: [`${entries.length} entries verified`]
      })
  })
  return { agent, entries }
}

/** The activity report's week in LEDGER, before any report is written. */
export const LEDGER_WEEK = [
  { actor: "uid:0", action: "LATTICE scrub", detail: { pool: "tank" }, at: NOW - 6 * DAY },
  { actor: "uid:1000", action: "HELIX snapshot", detail: { dataset: "tank/media" }, at: NOW - 2 * DAY },
  { actor: "SIGMAVAULT", action: "agent.restarted", detail: { agent: "PHOTON" }, at: NOW - DAY },
  { actor: "uid:1000", action: "HELIX snapshot", detail: { dataset: "tank/backup" }, at: NOW - 10 * HOUR },
  { actor: "uid:0", action: "FORTRESS audit", detail: {}, at: NOW - 5 * HOUR }
] as const

/** A week of temperatures and pool usage, hourly. */
export const historySamples: ReadonlyArray<Sample> = Array.from({ length: 7 * 24 + 1 }, (_, h) => {
  const at = NOW - h * HOUR
  return [
    { name: "sigmavault_disk_temperature_celsius", labels: { device: "/dev/sda" }, value: 34 + (h % 24 === 14 ? 4 : 0), at },
    { name: "sigmavault_disk_temperature_celsius", labels: { device: "/dev/sdc" }, value: 41 + (h === 30 ? 7 : 0), at },
    { name: "sigmavault_pool_allocated_bytes", labels: { pool: "tank" }, value: 13.184 * 2 ** 40 - h * 5 * 2 ** 30, at }
  ]
}).flat()

/** The history, filled once the clock reads NOW (it refuses samples from the future). */
export const seededHistory = (samples: ReadonlyArray<Sample> = historySamples): Effect.Effect<MetricHistoryShape> =>
  Effect.tap(HistoryTest.make(), (history) => history.record(samples))
