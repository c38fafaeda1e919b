/**
 * Every agent's protocol, held against what the agents really do. The whole
 * roster runs over test adapters fed with captured tool output (and the live
 * /proc, /sys/class/net and system-facts adapters, which every Linux machine has); every
 * message type an agent handles is sent for real, and its answer must decode
 * with the schemas `describe` lists — a reply by its reply schema (and encode
 * back to the same wire form), a refusal by its declared rejections. A message
 * type added without a sample here fails the test, so no reply goes unchecked.
 */
import { ROOT } from "../support/agents.ts"
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Result } from "effect"
import { parseLsblk } from "../../src/adapters/disks/parse.ts"
import * as ConfigCheckTest from "../../src/adapters/configcheck/ConfigCheckTest.ts"
import * as DisksTest from "../../src/adapters/disks/DisksTest.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as NetLinksLive from "../../src/adapters/netlinks/NetLinksLive.ts"
import * as ProcStatsLive from "../../src/adapters/procfs/ProcStatsLive.ts"
import { parseSmartReport } from "../../src/adapters/smart/parse.ts"
import { BridgeConfig } from "../../src/actors/bridge/config.ts"
import * as SharesTest from "../../src/adapters/shares/SharesTest.ts"
import * as SmartTest from "../../src/adapters/smart/SmartTest.ts"
import * as HostProbeTest from "../../src/adapters/hostprobe/HostProbeTest.ts"
import * as AptTest from "../../src/adapters/apt/AptTest.ts"
import * as Gateway from "../../src/adapters/socket/Gateway.ts"
import * as StateStoreTest from "../../src/adapters/state/StateStoreTest.ts"
import { FIO_PRESETS } from "../../src/adapters/storagebench/fio.ts"
import * as StorageBenchTest from "../../src/adapters/storagebench/StorageBenchTest.ts"
import * as SystemFactsLive from "../../src/adapters/system/SystemFactsLive.ts"
import * as NotifyTest from "../../src/adapters/systemd/NotifyTest.ts"
import * as ServiceManagerTest from "../../src/adapters/systemd/ServiceManagerTest.ts"
import { parseDatasetList, parsePoolList, parsePoolStatus } from "../../src/adapters/zfs/parse.ts"
import * as WireGuardTest from "../../src/adapters/wireguard/WireGuardTest.ts"
import * as ZfsTest from "../../src/adapters/zfs/ZfsTest.ts"
import * as ReplicationTest from "../../src/adapters/zfs/ReplicationTest.ts"
import * as StreamsLive from "../../src/adapters/command/StreamsLive.ts"
import * as PathSnapshotsLive from "../../src/adapters/pathsnap/PathSnapshotsLive.ts"
import { defaultPhantomConfig, PhantomConfig } from "../../src/actors/phantom/config.ts"
import { defaultScribeConfig, ScribeConfig } from "../../src/actors/scribe/config.ts"
import { OrbitConfig } from "../../src/actors/orbit/config.ts"
import { PROTOCOLS } from "../../src/actors/protocols.ts"
import { agents, rosterTree } from "../../src/actors/roster.ts"
import { AccessPolicy, grants, makePolicy } from "../../src/access/Policy.ts"
import type { Caller } from "../../src/runtime/Caller.ts"
import { type AccessClass, AccessDenied } from "../../src/runtime/Errors.ts"
import type { Gate } from "../../src/runtime/Gate.ts"
import * as fc from "fast-check"
import { MemoryTest } from "../../src/memory/MemoryTest.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import { MetricHistory, type Sample } from "../../src/history/History.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import * as Protocol from "../../src/runtime/Protocol.ts"
import { Description } from "../../src/runtime/Status.ts"
import { blankDisk } from "../support/genesisInventory.ts"
import { begin as beginMigration, forward as forwardMigration } from "../support/morph.ts"
import { callerFilesInTmp, migrationFilesInTmp, morphJournals, testSecurity } from "../support/security.ts"

const fixture = (dir: string, name: string) => readFileSync(join(import.meta.dirname, "../fixtures", dir, name), "utf8")
const smartReport = (name: string, device: string) => {
  const json = fixture("smart", name)
  return Result.getOrThrow(parseSmartReport(json, JSON.parse(json).smartctl.exit_status, device))
}

const files = mkdtempSync(join(tmpdir(), "sigmavault-protocols-"))
writeFileSync(join(files, "notes.txt"), "the quick brown fox jumps over the lazy dog\n".repeat(2_000))
mkdirSync(join(files, "tree"))
writeFileSync(join(files, "tree", "a.txt"), "alpha\n")
// A finished MORPH migration for its samples to name (`resume`, `revert`), made before the agents start.
await Effect.runPromise(Effect.flatMap(
  beginMigration(morphJournals, realpathSync(tmpdir()), "sample", "copy", join(realpathSync(files), "notes.txt"), join(realpathSync(files), "notes-copy.txt")),
  ({ plan }) => forwardMigration(morphJournals, realpathSync(tmpdir()), plan)
))
// An archived report for SCRIBE's get-report and verify-report samples (adopted from the archive directory: no LEDGER record).
mkdirSync(join(files, "reports"))
writeFileSync(join(files, "reports", "health-20000101T000000Z.json"), `${JSON.stringify({
  format: "sigmavault-report/1",
  id: "health-20000101T000000Z",
  kind: "health",
  generatedAt: "2000-01-01T00:00:00.000Z",
  period: { name: "week", from: "1999-12-25T00:00:00.000Z", to: "2000-01-01T00:00:00.000Z" },
  requestedBy: "the daemon",
  status: "ok",
  summary: "Health: ok; no findings; 0 of 0 sources answered",
  findings: [],
  sections: [],
  sources: []
})}\n`)
mkdirSync(join(files, "photos"))
writeFileSync(join(files, "photos", "cat.jpg"), "not really a cat\n")

// Two days of hourly usage of a pool and a dataset, for AXIOM's forecasts and anomaly scores and ATLAS's trends.
const seededAt = Date.now()
const hourly = (name: string, labels: Record<string, string>, value: (hoursAgo: number) => number): Array<Sample> =>
  Array.from({ length: 49 }, (_, h) => ({ name, labels, value: value(h), at: seededAt - h * 3_600_000 }))
const seededHistory = Layer.effect(MetricHistory, Effect.tap(HistoryTest.make(), (history) => history.record([
  ...hourly("sigmavault_pool_size_bytes", { pool: "seeded" }, () => 2 ** 40),
  ...hourly("sigmavault_pool_allocated_bytes", { pool: "seeded" }, (h) => 2 ** 39 - h * 2 ** 30 + (h % 3) * 2 ** 20),
  ...hourly("sigmavault_dataset_used_bytes", { pool: "seeded", dataset: "seeded/data" }, (h) => 2 ** 38 - h * 2 ** 29),
  ...hourly("sigmavault_dataset_available_bytes", { pool: "seeded", dataset: "seeded/data" }, () => 2 ** 39)
])))

const adapters = Layer.mergeAll(
  FilesLive.layer,
  AptTest.layer(AptTest.makeModel({
    index: { lists: 2, refreshedAt: "2026-12-07T03:00:00.000Z" },
    upgrades: [
      AptTest.change("openssl", "3.0.11-1~deb12u1", "3.0.11-1~deb12u2", "Debian-Security:12/stable-security"),
      AptTest.change("tzdata", "2024a-0+deb12u1", "2025b-0+deb12u1", "Debian:12.4/stable")
    ],
    keptBack: [{ name: "sv-held", from: "1.0-1", to: "1.1-1" }],
    holds: ["sv-held"]
  })),
  HostProbeTest.layer(HostProbeTest.fromTexts({
    ss: "tcp LISTEN 0 128 0.0.0.0:23 0.0.0.0:* users:((\"telnetd\",pid=7,fd=3))\ntcp LISTEN 0 128 127.0.0.1:631 0.0.0.0:*\n",
    sshdT: "passwordauthentication yes\npermitrootlogin prohibit-password\n",
    smbConf: { path: "/etc/samba/smb.conf", text: "[public]\npath = /srv/public\nguest ok = yes\n" },
    exports: { path: "/etc/exports", text: "/srv/public 192.168.1.0/24(rw,no_root_squash)\n" },
    paths: { "/srv/public": { type: "directory", mode: 0o1777, uid: 0, gid: 0 } }
  })),
  callerFilesInTmp,
  migrationFilesInTmp,
  NotifyTest.make().layer,
  ServiceManagerTest.make({ "smbd.service": "active" }).layer,
  Gateway.layerTest([{ kind: "control-socket", address: "/run/sigmavault/control.sock", connections: 1, since: 0 }]),
  ProcStatsLive.layer,
  NetLinksLive.layer,
  SystemFactsLive.layer,
  StateStoreTest.layer(),
  MemoryTest,
  seededHistory,
  testSecurity,
  Layer.succeed(AccessPolicy, makePolicy({ read: [], operate: [], admin: [] })),
  ZfsTest.layer(ZfsTest.model({
    summaries: [...Result.getOrThrow(parsePoolList(fixture("zfs", "list.int.json")))],
    statuses: [...Result.getOrThrow(parsePoolStatus(fixture("zfs", "status-raidz1-degraded.int.json")))],
    datasets: [...Result.getOrThrow(parseDatasetList(fixture("zfs", "datasets.int.json")))],
    snapshots: [{ name: "tank/photos@before", creation: 1796400000 }]
  })),
  ReplicationTest.layer(ReplicationTest.model({ "tank/photos": [ReplicationTest.ref("tank/photos@monday", "101", 1), ReplicationTest.ref("tank/photos@tuesday", "102", 2)] })),
  PathSnapshotsLive.layer(Effect.succeed({ roots: [files], forbidden: [] })).pipe(Layer.provide(StreamsLive.layer())),
  WireGuardTest.make({ wg0: WireGuardTest.freshInterface("wg0") }).layer,
  Layer.succeed(PhantomConfig, { ...defaultPhantomConfig, endpointHost: "vpn.example.org", subnet: "10.8.0.0/30" }),
  DisksTest.layer({ devices: [...Result.getOrThrow(parseLsblk(fixture("lsblk", "nas-4hdd-nvme-usb.json"))), blankDisk(5)] }),
  SharesTest.layer(),
  Layer.succeed(BridgeConfig, { shareRoots: [files], forbidden: [] }),
  Layer.succeed(ScribeConfig, { ...defaultScribeConfig, dir: join(files, "reports") }),
  // No wall-clock schedule: ORBIT's default ECLIPSE check every five minutes would, at a :x0 or :x5
  // boundary, answer ECLIPSE 'report' before its sample expects NoCheckYet.
  Layer.succeed(OrbitConfig, { timeZone: "UTC", schedules: [] }),
  ConfigCheckTest.make({
    nfs: () => ({ accepted: false, tool: "exportfs -ra", reason: "exportfs: /etc/exports.d/x.exports:1: unknown keyword \"bogus\"", line: 1, reading: "" }),
    calendar: (expression) =>
      expression === "never"
        ? { accepted: false, tool: "systemd-analyze calendar", reason: "Failed to parse calendar specification 'never': Invalid argument", reading: "" }
        : { accepted: true, tool: "systemd-analyze calendar", warnings: [], reading: "*-*-* 00:00:00" }
  }).layer,
  StorageBenchTest.make({
    fioVersion: "fio-3.33",
    reports: Object.fromEntries(FIO_PRESETS.map((preset) => [preset, fixture("fio", `${preset}.json`)]))
  }).layer,
  SmartTest.layer({
    reports: new Map([
      ["/dev/sda", smartReport("ata-hdd-failing.json", "/dev/sda")],
      ["/dev/nvme0", smartReport("nvme-healthy.json", "/dev/nvme0")]
    ])
  })
)

/** For each agent, requests that reach each message type it handles, in an order that makes each meaningful. */
const SAMPLES: Readonly<Record<string, ReadonlyArray<Record<string, unknown>>>> = {
  CORE: [{ type: "facts" }],
  LINGUA: [
    { type: "parse", text: "how are my pools?" },
    { type: "parse", text: "what time is it on the moon" },
    { type: "run", text: "system info" },
    { type: "run", text: "rotate the keys" },
    { type: "phrases" }
  ],
  OMNISCIENT: [
    { type: "summary" },
    { type: "tree" },
    { type: "prioritise", jobs: [{ job: "benchmark", resource: "pool:tank", agent: "VELOCITY" }, { job: "resilver", resource: "pool:tank" }] }
  ],
  SYNAPSE: [{ type: "endpoints" }, { type: "connections" }],
  ECLIPSE: [{ type: "report" }, { type: "check", deadlineMs: 1_000 }, { type: "report" }],
  ORBIT: [
    { type: "add", name: "facts", cron: "@daily", target: "CORE", message: { type: "facts" } },
    { type: "add", name: "facts", cron: "@daily", target: "CORE", message: { type: "facts" } },
    { type: "add", name: "bad", cron: "61 * * * *", target: "CORE", message: { type: "facts" } },
    { type: "list" },
    { type: "remove", name: "facts" },
    { type: "remove", name: "facts" }
  ],
  LATTICE: [
    { type: "health" },
    { type: "health", pool: "nosuch" },
    { type: "datasets" },
    { type: "scrub", pool: "tank", action: "status" },
    { type: "schedule-scrub", pool: "tank" },
    { type: "schedule-scrub", pool: "backup", cron: "not a cron" },
    { type: "create-pool", pool: "backup", vdevs: [{ kind: "mirror", disks: ["sde", "sdf"] }] },
    { type: "create-dataset", dataset: "tank/new" },
    { type: "set", dataset: "tank", property: "compression", value: "zstd" },
    { type: "destroy", dataset: "tank/photos" }
  ],
  HELIX: [
    { type: "policy", template: "keep", settings: { hourly: 2, daily: 1, monthly: 0 }, confirm: true },
    { type: "policy", dataset: "tank/photos", policy: { templates: ["keep"] }, confirm: true },
    { type: "policy", dataset: "tank", policy: { templates: ["nosuch"] } },
    { type: "policies" },
    { type: "snapshot", dataset: "tank/photos", name: "after" },
    { type: "snapshot", dataset: "tank/photos", name: "after", confirm: true },
    { type: "snapshots", dataset: "tank/photos" },
    { type: "hold", snapshot: "tank/photos@before", tag: "keep", confirm: true },
    { type: "holds", snapshot: "tank/photos@before" },
    { type: "release", snapshot: "tank/photos@before", tag: "keep", confirm: true },
    { type: "prune", dataset: "tank/photos" },
    { type: "prune", dataset: "tank/nosuch" },
    { type: "autosnap" },
    { type: "overview" },
    { type: "schedule" },
    { type: "replicate", dataset: "tank/photos", target: "backup/photos" },
    { type: "replicate", dataset: "tank/photos", target: "tank/photos/copy" },
    { type: "replication-pairs" },
    { type: "path-snapshot", source: join(files, "photos"), root: join(files, "snaps"), period: "hourly" },
    { type: "path-snapshot", source: "/usr/share", root: join(files, "snaps") },
    { type: "path-snapshots", root: join(files, "snaps") },
    { type: "path-prune", root: join(files, "snaps") },
    { type: "path-sync", source: join(files, "photos"), destination: join(files, "mirror") }
  ],
  VANGUARD: [
    { type: "updates" },
    { type: "updates", security: true },
    { type: "refresh" },
    { type: "upgrade" },
    { type: "upgrade", security: true, confirm: true },
    { type: "upgrade", security: true, confirm: true }
  ],
  FORTRESS: [
    { type: "findings" },
    { type: "audit" },
    { type: "audit", checks: ["sshd"] },
    { type: "findings", severity: "high" }
  ],
  PHANTOM: [
    { type: "server" },
    { type: "add-peer", name: "laptop", allowedIps: ["192.168.1.0/33"] },
    { type: "add-peer", name: "phone" },
    { type: "add-peer", name: "phone", confirm: true },
    { type: "add-peer", name: "phone", confirm: true },
    { type: "add-peer", name: "laptop", confirm: true },
    { type: "peers" },
    { type: "disable-peer", name: "phone", confirm: true },
    { type: "enable-peer", name: "phone", confirm: true },
    { type: "enable-peer", name: "nosuch" },
    { type: "disable-peer", name: "nosuch" },
    { type: "peer-config", name: "phone", qr: true },
    { type: "peer-config", name: "nosuch" },
    { type: "apply" },
    { type: "apply", confirm: true },
    { type: "remove-peer", name: "phone", confirm: true },
    { type: "remove-peer", name: "phone" }
  ],
  SENTRY: [{ type: "thresholds" }, { type: "current" }, { type: "sample" }, { type: "current" }, { type: "alerts" }],
  PULSE: [{ type: "heartbeat" }, { type: "liveness" }],
  LEDGER: [
    { type: "append", actor: "TEST", action: "test.appended", detail: { n: 1 } },
    { type: "entries", limit: 5 },
    { type: "verify" },
    { type: "checkpoint" },
    { type: "checkpoint" }
  ],
  QUANTUM: [
    { type: "export" },
    { type: "keys" },
    { type: "rotate" },
    { type: "signing-key" },
    { type: "export", id: "0000000000000000" },
    { type: "sign-manifest", bodySha256: "0".repeat(64) }
  ],
  CRYPTO: [
    { type: "hash", path: join(files, "notes.txt") },
    { type: "manifest", root: join(files, "tree"), output: join(files, "tree.manifest") },
    { type: "manifest", root: join(files, "tree"), output: join(files, "tree", "inside.manifest") },
    { type: "verify", manifest: join(files, "tree.manifest") },
    { type: "verify", manifest: join(files, "notes.txt") }
  ],
  NEURAL: [
    { type: "create", collection: "notes", kind: "text" },
    { type: "remember", collection: "notes", id: "a", text: "scrub of pool tank finished", meta: { pool: "tank" } },
    { type: "recall", collection: "notes", text: "pool scrub finished", mode: "similar", k: 1 },
    { type: "get", collection: "notes", id: "a" },
    { type: "get", collection: "notes", id: "nope" },
    { type: "tune", collection: "notes", ef: 32 },
    { type: "forget", collection: "notes", id: "a" },
    { type: "stats" },
    { type: "choose", class: "log", defaultLevel: 5, bytes: 4194304 },
    { type: "outcome", class: "log", level: 5, bytesIn: 4194304, bytesOut: 524288, seconds: 0.02 },
    { type: "outcome", class: "log", level: 5, bytesIn: 4194304, bytesOut: 524288, seconds: 0.02, decision: "nope" },
    { type: "tuning" },
    { type: "reset-tuning" },
    { type: "reset-tuning", confirm: true }
  ],
  CIPHER: [
    { type: "encrypt", input: join(files, "notes.txt"), output: join(files, "notes.sv") },
    { type: "encrypt", input: join(files, "notes.txt"), output: join(files, "notes.sv") },
    { type: "encrypt", input: join(files, "notes.txt"), output: join(files, "other.sv"), recipients: ["svpk1nonsense"] },
    { type: "decrypt", input: join(files, "notes.sv"), output: join(files, "notes.back") },
    { type: "decrypt", input: join(files, "notes.txt"), output: join(files, "not-a-vault") },
    { type: "inspect", input: join(files, "notes.sv") },
    { type: "inspect", input: join(files, "notes.txt") }
  ],
  TENSOR: [
    { type: "compress", input: join(files, "notes.txt"), output: join(files, "notes.svz") },
    { type: "decompress", input: join(files, "notes.svz"), output: join(files, "notes.unz") },
    { type: "decompress", input: join(files, "notes.txt") },
    { type: "estimate", path: files, sampleMiB: 1, seed: 3 },
    { type: "estimate", path: "/etc" },
    { type: "jobs" }
  ],
  MORPH: [
    { type: "migrate", source: join(files, "notes.txt"), destination: join(files, "notes-moved.txt"), mode: "copy" },
    { type: "migrate", source: join(files, "notes.txt"), destination: join(files, "notes-moved.txt"), mode: "copy", id: "sample", confirm: true },
    { type: "migrate", source: join(files, "notes.txt"), destination: join(files, "notes-moved.txt"), mode: "copy", id: "other" },
    { type: "migrate", source: join(files, "notes.txt"), destination: join(files, "notes.txt"), mode: "move" },
    { type: "migrations" },
    { type: "resume", id: "sample" },
    { type: "resume", id: "nosuch" },
    { type: "revert", id: "sample" }
  ],
  ARCHITECT: [
    { type: "recommend" },
    { type: "recommend", disks: ["sda", "sdb", "sdc", "sdd"], goal: "redundancy" },
    { type: "recommend", disks: ["sdz"] },
    { type: "validate", pool: "tank2", vdevs: [{ kind: "raidz1", disks: ["sda", "sdb"] }] }
  ],
  VELOCITY: [
    { type: "engines" },
    { type: "benchmark", target: files, sizeMiB: 1, seconds: 1 },
    { type: "benchmark", target: "/etc", sizeMiB: 1, seconds: 1 },
    { type: "benchmark-device", device: "sdb", presets: ["seq1m-q8t1-read"] },
    { type: "benchmark-device", device: "sdb" },
    { type: "history", limit: 5 }
  ],
  ATLAS: [
    { type: "usage", path: files, maxEntries: 100 },
    { type: "usage" },
    { type: "usage", dataset: "tank/nosuch" },
    { type: "trends" },
    { type: "trends", pool: "seeded", days: 1, top: 1 }
  ],
  AXIOM: [
    { type: "forecast", pool: "seeded" },
    { type: "forecast", dataset: "seeded/data", days: 7 },
    { type: "forecast" },
    { type: "forecast", pool: "nosuch" },
    { type: "forecasts" },
    { type: "anomaly", metric: "sigmavault_pool_allocated_bytes", labels: { pool: "seeded" }, hours: 48 },
    { type: "anomaly", metric: "sigmavault_pool_allocated_bytes", labels: { pool: "seeded" }, value: 0, threshold: 3, halfLife: 10 },
    { type: "anomaly", metric: "sigmavault_nothing_recorded" },
    { type: "anomalies", metric: "sigmavault_pool_allocated_bytes", hours: 48, limit: 5 }
  ],
  SCRIBE: [
    { type: "report", kind: "health", format: "json" },
    { type: "report", kind: "security", period: "day" },
    { type: "report", kind: "capacity", format: "markdown", period: "month" },
    { type: "report", kind: "activity" },
    { type: "reports" },
    { type: "reports", kind: "health" },
    { type: "get-report", id: "health-20000101T000000Z" },
    { type: "get-report", id: "health-20000101T000000Z", format: "json" },
    { type: "get-report", id: "health-20000101T000000Z", format: "html" },
    { type: "get-report", id: "health-20000102T000000Z" },
    { type: "verify-report", id: "health-20000101T000000Z" },
    { type: "verify-report", id: "health-20000102T000000Z" }
  ],
  VERTEX: [{ type: "topology" }, { type: "impact", disk: "sdb" }, { type: "shares" }],
  PRISM: [
    { type: "metrics" },
    { type: "metrics", format: "json", timestamps: true },
    { type: "metric", name: "sigmavault_agent_up" },
    { type: "metric", name: "sigmavault_no_such_metric" },
    { type: "query", name: "sigmavault_agent_up", since: "1h", step: "1m" },
    { type: "query", name: "sigmavault_agent_up", since: "forever" },
    { type: "series" }
  ],
  FLUX: [
    { type: "add-rule", name: "on-critical", when: { kind: "alert", severity: "critical" }, if: "event.agent in [\"ORACLE\", \"LATTICE\"]", do: { agent: "CORE", message: { type: "facts" } } },
    { type: "add-rule", name: "on-critical", when: { kind: "alert", severity: "critical" }, do: { agent: "CORE", message: { type: "facts" } }, confirm: true },
    { type: "add-rule", name: "on-critical", when: { kind: "alert" }, do: { agent: "CORE", message: { type: "facts" } }, confirm: true },
    { type: "add-rule", name: "bad", when: { kind: "alert" }, if: "event.severity ==", do: { agent: "CORE", message: { type: "facts" } } },
    { type: "rules" },
    { type: "rule", name: "on-critical" },
    { type: "rule", name: "nosuch" },
    { type: "disable", name: "on-critical", confirm: true },
    { type: "enable", name: "on-critical", confirm: true },
    { type: "test-rule", name: "on-critical", events: [{ kind: "alert", agent: "ORACLE", severity: "critical", subject: "/dev/sdb", text: "failing" }] },
    { type: "remove-rule", name: "on-critical", confirm: true },
    { type: "remove-rule", name: "on-critical" }
  ],
  NEXUS: [
    { type: "report", source: "LATTICE", subject: "pool tank", severity: "critical", summary: "pool tank is FAULTED" },
    { type: "report", source: "LATTICE", subject: "pool tank", severity: "warning", summary: "pool tank is DEGRADED", code: "ZFS-8000-2Q" },
    { type: "report", source: "HELIX", subject: "snapshots of tank/photos", severity: "warning", summary: "no snapshot of tank/photos for 3 days" },
    { type: "incidents" },
    { type: "incidents", open: false },
    { type: "incident", id: "inc-1" },
    { type: "incident", id: "inc-999" },
    { type: "acknowledge", id: "inc-1" },
    { type: "acknowledge", id: "inc-1", confirm: true },
    { type: "acknowledge", id: "inc-999", confirm: true },
    { type: "silence", agent: "HELIX", subject: "snapshots of *", reason: "maintenance", expiresInSeconds: 3600 },
    { type: "silence", agent: "HELIX", subject: "snapshots of *", reason: "maintenance", expiresInSeconds: 3600, confirm: true },
    { type: "silence", reason: "everything", expiresInSeconds: 3600 },
    { type: "silences" },
    { type: "unsilence", id: "sil-1" },
    { type: "unsilence", id: "sil-1", confirm: true },
    { type: "unsilence", id: "sil-1", confirm: true },
    { type: "report", source: "LATTICE", subject: "pool tank", severity: "info", summary: "pool tank is ONLINE (was FAULTED)" },
    { type: "acknowledge", id: "inc-1", confirm: true }
  ],
  BRIDGE: [
    { type: "shares" },
    { type: "shares", protocol: "nfs", live: false },
    { type: "add-share", protocol: "smb", name: "notes", path: files, comment: "notes" },
    { type: "add-share", protocol: "smb", name: "notes", path: files, confirm: true },
    { type: "add-share", protocol: "smb", name: "notes", path: files },
    { type: "add-share", protocol: "nfs", name: "etc", path: "/etc", hosts: ["192.168.1.0/24"] },
    { type: "update-share", protocol: "smb", name: "notes", path: files, readOnly: true, confirm: true },
    { type: "update-share", protocol: "nfs", name: "none", path: files },
    { type: "remove-share", protocol: "smb", name: "notes" },
    { type: "remove-share", protocol: "smb", name: "notes", confirm: true },
    { type: "remove-share", protocol: "nfs", name: "none" },
    { type: "reload" },
    { type: "reload", protocol: "nfs", confirm: true }
  ],
  AEGIS: [
    { type: "whoami" },
    { type: "explain", agent: "LATTICE", messageType: "destroy" },
    { type: "explain", agent: "LATTICE", messageType: "frobnicate" },
    { type: "policy" }
  ],
  PHOTON: [{ type: "interfaces" }, { type: "interface", name: "lo" }, { type: "interface", name: "nosuch0" }, { type: "alerts" }],
  FORGE: [
    { type: "render-share", protocol: "smb", name: "photos", path: "/srv/photos", hosts: ["192.168.1.0/24"], users: ["alice"] },
    { type: "render-share", protocol: "nfs", name: "photos", path: "/srv/photos", hosts: ["192.168.1.0/24"], readOnly: true },
    { type: "render-share", protocol: "nfs", name: "photos", path: "/srv/photos" },
    { type: "render-timer", name: "scrub", onCalendar: "daily", agent: "LATTICE", message: { type: "scrub", pool: "tank", action: "start" } },
    { type: "render-timer", name: "scrub", onCalendar: "never", agent: "LATTICE", message: { type: "scrub" } },
    { type: "validate", kind: "smb", text: "[photos]\n\tpath = /srv/photos\n" },
    { type: "validate", kind: "nfs", text: "/srv/photos 192.168.1.0/24(ro,bogus)\n" },
    { type: "validate", kind: "systemd-timer", text: "[Timer]\nOnCalendar=daily\n", service: "[Service]\nExecStart=/bin/true\n" },
    { type: "validate", kind: "wireguard", text: "[Interface]\nListenPort = 51820\n" },
    { type: "render-wireguard", interface: "wg0", listenPort: 51820, peers: [{ publicKey: "Hfszse6nFmK04Yy/3gCN4xpWb5mKa4UVKfDTFtiMYUk=", allowedIps: ["10.8.0.2/32"] }] },
    { type: "render-wireguard", interface: "wg0", peers: [{ publicKey: "not a key", allowedIps: [] }] }
  ],
  ARBITER: [
    { type: "acquire", resource: "pool:sample", job: "scrub", holder: "LATTICE", lease: "sample-scrub" },
    { type: "acquire", resource: "dataset:sample/photos", job: "benchmark", holder: "VELOCITY" },
    { type: "acquire", resource: "network", job: "replication", holder: "NOSUCH" },
    { type: "acquire", resource: "network", job: "replication", holder: "LATTICE", lease: "sample-scrub" },
    { type: "renew", lease: "sample-scrub" },
    { type: "leases" },
    { type: "release", lease: "sample-scrub" },
    { type: "release", lease: "sample-scrub" }
  ],
  ORACLE: [{ type: "assess" }, { type: "assess", device: "/dev/sda" }, { type: "trend", device: "/dev/sda", days: 7 }, { type: "assess", device: "/dev/sdq" }],
  CANVAS: [
    { type: "chart", metric: "sigmavault_pool_allocated_bytes", matchers: [{ label: "pool", op: "=", value: "tank" }], since: "7d" },
    { type: "chart", metric: "sigmavault_agent_messages_total", from: 0, to: 3_600_000, width: 640, limit: 3, utcOffsetMinutes: 60 },
    { type: "chart", metric: "sigmavault_no_such_thing" },
    { type: "sparkline", metric: "sigmavault_agent_latency_p99_seconds", matchers: [{ label: "agent", op: "=~", value: "CORE|ORACLE" }], since: "1h", width: 30 },
    { type: "sparkline", metric: "sigmavault_agent_up", since: "1h", from: 0 }
  ],
  APEX: [
    { type: "run", goal: "read the facts", tasks: [{ id: "facts", agent: "CORE", message: { type: "facts" } }] },
    { type: "run", goal: "read the facts", id: "sample", tasks: [{ id: "facts", agent: "CORE", message: { type: "facts" } }], confirm: true },
    {
      type: "run",
      goal: "a cycle",
      tasks: [{ id: "a", agent: "CORE", message: { type: "facts" }, after: ["b"] }, { id: "b", agent: "CORE", message: { type: "facts" }, after: ["a"] }]
    },
    {
      type: "run",
      goal: "many facts, one at a time",
      id: "long",
      concurrency: 1,
      tasks: Array.from({ length: 500 }, (_, i) => ({ id: `t${i}`, agent: "CORE", message: { type: "facts" } })),
      confirm: true
    },
    { type: "plans" },
    { type: "plan", id: "sample" },
    { type: "plan", id: "nosuch" },
    { type: "cancel", id: "long" },
    { type: "cancel", id: "long" },
    { type: "resume", id: "long" },
    { type: "resume", id: "long", confirm: true },
    { type: "cancel", id: "long" },
    { type: "forget", id: "long" },
    { type: "forget", id: "long" }
  ],
  STREAM: [
    { type: "topics" },
    { type: "subscribe", subscriber: "sample", topics: ["alerts", "lifecycle"], buffer: 8 },
    { type: "subscribe", subscriber: "sample", topics: ["alerts", "lifecycle"], buffer: 8, confirm: true },
    { type: "subscribe", subscriber: "sample", topics: ["alerts"], confirm: true },
    { type: "subscribers" },
    { type: "take", subscriber: "sample", max: 5 },
    { type: "take", subscriber: "nobody" },
    { type: "unsubscribe", subscriber: "sample" },
    { type: "unsubscribe", subscriber: "sample", confirm: true },
    { type: "unsubscribe", subscriber: "sample", confirm: true }
  ],
  // GENESIS: one blank disk (sdf) besides the pooled ones. No confirmed setup here: it would start a plan in APEX
  // (test/actors/genesis and test/e2e/genesis.test.ts confirm one).
  GENESIS: [{ type: "discover" }, { type: "setup-plan", goal: "redundancy" }, { type: "setup" }],
  MENTOR: [
    { type: "explain", finding: "ZFS-8000-9P", subject: "pool tank" },
    { type: "explain", finding: "ZFS-8000-9Q" },
    { type: "remediation", finding: "[SMART-197-RISING] ORACLE /dev/sda: critical", agent: "ORACLE" },
    { type: "remediation", finding: "inc-999" },
    { type: "codes" },
    { type: "codes", source: "zfs" }
  ]
}

const wireOf = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown

describe("agent protocols", () => {
  it("the client registry holds every roster agent's protocol, and only those", () => {
    assert.sameMembers([...PROTOCOLS.keys()], agents.map((a) => a.name))
    for (const agent of agents) assert.strictEqual(PROTOCOLS.get(agent.name), agent.protocol, agent.name)
  })

  it("every message of every protocol has an access class and a JSON Schema for its request, reply and each rejection", () => {
    for (const protocol of PROTOCOLS.values()) {
      for (const [type, described] of Object.entries(Protocol.describeMessages(protocol))) {
        const what = `${protocol.agent} '${type}'`
        assert.include(["read", "operate", "admin", "runtime"], described.access, what)
        assert.isNotEmpty(described.doc, what)
        for (const schema of [described.request, described.reply, ...described.rejections]) {
          assert.notMatch(String(schema["description"] ?? ""), /not expressible/, what)
        }
        assert.strictEqual(described.rejections.length, protocol.get(type)!.rejections.length, what)
      }
    }
  })

  it.live("every agent describes itself with the schemas of its requests, replies and rejections", () =>
    Effect.gen(function*() {
      const system = yield* ActorSystem.make({ root: rosterTree() })
      for (const agent of agents) {
        const described = Protocol.codecs(Protocol.Describe).decodeReply(yield* system.injectAsk(ROOT, agent.name, { type: "describe" }))
        assert.isTrue(Exit.isSuccess(described), agent.name)
        const description = (described as Exit.Success<typeof Description.Type>).value
        assert.sameMembers(Object.keys(description.messages), [...agent.protocol.types], agent.name)
        assert.strictEqual(description.universalRejections.length, 2)
      }
    }).pipe(Effect.scoped, Effect.provide(adapters)))

  it.live("every reply and every refusal of every message type an agent handles decodes with its protocol's schemas", () =>
    Effect.gen(function*() {
      const system = yield* ActorSystem.make({ root: rosterTree() })
      const replied = new Set<string>()
      const refused = new Set<string>()
      for (const agent of agents) {
        const built = agent.protocol.messages.filter((m) => m.planned === undefined).map((m) => m.type)
        const samples = SAMPLES[agent.name] ?? []
        assert.sameMembers([...new Set(samples.map((s) => s.type as string))], built, `${agent.name}: a sample for every message it handles`)
        for (const request of samples) {
          const what = `${agent.name} ${JSON.stringify(request)}`
          const message = agent.protocol.get(request.type as string)!
          const codecs = Protocol.codecs(message)
          const exit = yield* Effect.exit(system.injectAsk(ROOT, agent.name, request, { timeoutMs: 20_000 }))
          if (Exit.isSuccess(exit)) {
            // What a client receives: the wire form, through JSON as the socket and D-Bus carry it.
            const wire = wireOf(exit.value)
            const decoded = codecs.decodeReply(wire)
            assert.isTrue(Exit.isSuccess(decoded), `${what}: the reply decodes: ${Exit.isFailure(decoded) ? Protocol.failureText(decoded.cause) : ""}`)
            const again = codecs.encodeReply((decoded as Exit.Success<unknown>).value)
            assert.isTrue(Exit.isSuccess(again), what)
            assert.deepStrictEqual(wireOf((again as Exit.Success<unknown>).value), wire, `${what}: the reply round-trips`)
            replied.add(`${agent.name} ${message.type}`)
            continue
          }
          const error = Cause.squash(exit.cause) as { _tag: string; message: string; rejection?: unknown }
          assert.strictEqual(error._tag, "Rejected", `${what}: ${error.message}`)
          const rejection = codecs.decodeRejection(wireOf(error.rejection))
          assert.isTrue(Exit.isSuccess(rejection), `${what}: the rejection decodes`)
          refused.add(`${agent.name} ${message.type} ${(rejection as Exit.Success<{ readonly _tag: string }, unknown>).value._tag}`)
        }
      }
      const every = agents.flatMap((a) => a.protocol.messages.filter((m) => m.planned === undefined).map((m) => `${a.name} ${m.type}`))
      // ECLIPSE 'report' is refused before its first check and answered after it, and so on: each message was seen answered.
      assert.sameMembers([...replied], every, "every handled message type produced a real reply")
      assert.includeMembers([...refused], [
        "ORBIT add ScheduleExists",
        "STREAM subscribe SubscriptionExists",
        "STREAM take NoSuchSubscription",
        "STREAM unsubscribe NoSuchSubscription",
        "ORBIT add InvalidSchedule",
        "ORBIT remove NoSuchSchedule",
        "LATTICE health CommandExited",
        "LATTICE schedule-scrub InvalidSchedule",
        "HELIX policy InvalidPolicy",
        "HELIX prune NoPolicy",
        "HELIX replicate InvalidReplicationPair",
        "HELIX path-snapshot PathRefused",
        "NEURAL get NoSuchRecord",
        "NEURAL outcome UnknownDecision",
        "ECLIPSE report NoCheckYet",
        "CIPHER encrypt VaultOutputExists",
        "CIPHER encrypt BadRecipient",
        "CIPHER decrypt NotAVaultFile",
        "CIPHER inspect NotAVaultFile",
        "TENSOR decompress NoDefaultOutput",
        "MORPH migrate UnsafePlan",
        "NEXUS incident NoSuchIncident",
        "FLUX add-rule RuleExists",
        "FLUX add-rule InvalidRule",
        "FLUX rule NoSuchRule",
        "FLUX remove-rule NoSuchRule",
        "NEXUS acknowledge NoSuchIncident",
        "NEXUS silence BadMatcher",
        "NEXUS unsilence NoSuchSilence",
        "MORPH resume NoSuchMigration",
        "TENSOR estimate FileError",
        "VELOCITY benchmark FileError",
        "VELOCITY benchmark-device DeviceInUse",
        "ARBITER acquire LeaseConflict",
        "ARBITER acquire HolderNotRunning",
        "ARBITER acquire LeaseIdTaken",
        "ARBITER release NoSuchLease",
        "ARCHITECT recommend NotAWholeDisk",
        "ATLAS usage PathOrDataset",
        "ATLAS usage NoSuchDataset",
        "AXIOM forecast PoolOrDataset",
        "AXIOM forecast NoSuchSeries",
        "AXIOM anomaly NoSuchSeries",
        "QUANTUM export KeyNotFound",
        "CRYPTO manifest OutputInsideTree",
        "CRYPTO verify ManifestMalformed",
        "ORACLE assess SmartUnreadable",
        "PHOTON interface NoSuchInterface",
        "FORGE render-wireguard InvalidSpec",
        "PHANTOM add-peer PeerExists",
        "PHANTOM add-peer InvalidSpec",
        "PHANTOM add-peer SubnetFull",
        "PHANTOM enable-peer NoSuchPeer",
        "PHANTOM peer-config NoSuchPeer",
        "PHANTOM remove-peer NoSuchPeer",
        "BRIDGE add-share ShareExists",
        "BRIDGE add-share PathNotAllowed",
        "BRIDGE update-share NoSuchShare",
        "BRIDGE remove-share NoSuchShare",
        "CANVAS chart UnknownMetric",
        "CANVAS sparkline InvalidWindow",
        "MENTOR explain UnknownFinding",
        "MENTOR remediation NoSuchIncident",
        "APEX run InvalidPlan",
        "APEX plan NoSuchPlan",
        "APEX cancel PlanStateConflict",
        "APEX forget NoSuchPlan"
      ])
      assert.strictEqual(system.summary().running, 40, "no agent crashed")
    }).pipe(Effect.scoped, Effect.provide(adapters), Effect.ensuring(Effect.sync(() => rmSync(files, { recursive: true, force: true })))))

  it.live("property: each role may send exactly what the access table grants it, to every agent, and nothing else reaches an agent", () =>
    Effect.gen(function*() {
      const policy = makePolicy({
        read: [{ name: "readers", gid: 100 }],
        operate: [{ name: "operators", gid: 200 }],
        admin: [{ name: "admins", gid: 300 }]
      })
      const gate: Gate = { check: policy.check, record: () => Effect.void, refused: () => {} }
      const system = yield* ActorSystem.make({ root: rosterTree(), gate })
      const callers: ReadonlyArray<readonly [AccessClass, Caller]> = [
        ["none", { uid: 5000, gid: 5000, groups: [], via: "socket" }],
        ["read", { uid: 5001, gid: 100, groups: [], via: "socket" }],
        ["operate", { uid: 5002, gid: 5002, groups: [100, 200], via: "dbus" }],
        ["admin", { uid: 5003, gid: 5003, groups: [300], via: "socket" }],
        ["admin", { uid: 0, gid: 0, groups: [], via: "socket" }]
      ]
      const routes = agents.flatMap((agent) => agent.protocol.types.map((type) => [agent.name, type] as const))
      const seen = new Map<string, number>()
      const run = Effect.runPromiseWith(yield* Effect.context<never>())
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.constantFrom(...callers), fc.constantFrom(...routes), ([klass, caller], [agent, type]) =>
            run(Effect.gen(function*() {
              const access = PROTOCOLS.get(agent)!.get(type)!.access
              const handled = system.status(agent)!.handled
              // Only the type: a granted message then meets its schema (or runs, if it has no fields); a refused one never gets that far.
              const exit = yield* Effect.exit(system.injectAsk(caller, agent, { type }, { timeoutMs: 20_000 }))
              const denied = Exit.isFailure(exit) && Cause.squash(exit.cause) instanceof AccessDenied
              const what = `${klass} uid ${caller.uid} -> ${agent} '${type}' (${access})`
              assert.strictEqual(denied, !grants(klass, access), what)
              if (denied) {
                assert.strictEqual(system.status(agent)!.handled, handled, `${what}: a refused message never reaches the agent`)
                const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as AccessDenied
                assert.deepStrictEqual([error.needed, error.class, error.caller.uid], [access, klass, caller.uid], what)
              }
              seen.set(`${klass}/${denied}`, (seen.get(`${klass}/${denied}`) ?? 0) + 1)
            }))
          ),
          { numRuns: 600 }
        )
      )
      for (const key of ["none/true", "read/true", "read/false", "operate/true", "operate/false", "admin/false"]) {
        assert.isAbove(seen.get(key) ?? 0, 0, `the property met ${key}`)
      }
      // Restarting, stopping and starting agents is admin's alone.
      for (const [klass, caller] of callers) {
        const exit = yield* Effect.exit(system.operate(caller, "VERTEX", "restart"))
        assert.strictEqual(Exit.isFailure(exit) && Cause.squash(exit.cause) instanceof AccessDenied, klass !== "admin", `${klass} restart`)
      }
      assert.strictEqual(system.summary().running, 40, "no agent crashed")
    }).pipe(Effect.scoped, Effect.provide(adapters)))
})
