import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { AccessPolicy, makePolicy } from "../../src/access/Policy.ts"
import { MemoryTest } from "../../src/memory/MemoryTest.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import { callerFilesInTmp, migrationFilesInTmp, testSecurity } from "../support/security.ts"
import * as FilesTest from "../../src/adapters/fs/FilesTest.ts"
import * as NetLinksTest from "../../src/adapters/netlinks/NetLinksTest.ts"
import * as ProcStatsTest from "../../src/adapters/procfs/ProcStatsTest.ts"
import * as Gateway from "../../src/adapters/socket/Gateway.ts"
import * as StateStoreTest from "../../src/adapters/state/StateStoreTest.ts"
import * as SystemFactsTest from "../../src/adapters/system/SystemFactsTest.ts"
import * as NotifyTest from "../../src/adapters/systemd/NotifyTest.ts"
import * as ServiceManagerTest from "../../src/adapters/systemd/ServiceManagerTest.ts"
import * as DisksTest from "../../src/adapters/disks/DisksTest.ts"
import * as HostProbeTest from "../../src/adapters/hostprobe/HostProbeTest.ts"
import * as AptTest from "../../src/adapters/apt/AptTest.ts"
import * as SharesTest from "../../src/adapters/shares/SharesTest.ts"
import * as SmartTest from "../../src/adapters/smart/SmartTest.ts"
import * as WireGuardTest from "../../src/adapters/wireguard/WireGuardTest.ts"
import * as ZfsTest from "../../src/adapters/zfs/ZfsTest.ts"
import * as ReplicationTest from "../../src/adapters/zfs/ReplicationTest.ts"
import * as StreamsTest from "../../src/adapters/command/StreamsTest.ts"
import * as PathSnapshotsLive from "../../src/adapters/pathsnap/PathSnapshotsLive.ts"
import * as ConfigCheckTest from "../../src/adapters/configcheck/ConfigCheckTest.ts"
import * as StorageBenchTest from "../../src/adapters/storagebench/StorageBenchTest.ts"
import { agents, rosterTree } from "../../src/actors/roster.ts"
import type { SystemSummary } from "../../src/runtime/Status.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { restartsInARow } from "../../src/runtime/Supervisor.ts"

/** The 40 agents of SPEC.md with their tiers. */
const SPEC: ReadonlyArray<readonly [string, string]> = [
  ["APEX", "1"], ["CIPHER", "1"], ["ARCHITECT", "1"], ["AXIOM", "1"], ["VELOCITY", "1"],
  ["QUANTUM", "2"], ["TENSOR", "2"], ["FORTRESS", "2"], ["NEURAL", "2"], ["CRYPTO", "2"], ["FLUX", "2"],
  ["PRISM", "2"], ["SYNAPSE", "2"], ["CORE", "2"], ["HELIX", "2"], ["VANGUARD", "2"], ["ECLIPSE", "2"],
  ["ATLAS", "2"], ["FORGE", "2"], ["SENTRY", "2"],
  ["NEXUS", "3"], ["GENESIS", "3"], ["OMNISCIENT", "4"],
  ["STREAM", "5-8"], ["PHOTON", "5-8"], ["LATTICE", "5-8"], ["MORPH", "5-8"], ["PHANTOM", "5-8"], ["ORBIT", "5-8"],
  ["CANVAS", "5-8"], ["LINGUA", "5-8"], ["SCRIBE", "5-8"], ["MENTOR", "5-8"], ["BRIDGE", "5-8"], ["LEDGER", "5-8"],
  ["PULSE", "5-8"], ["AEGIS", "5-8"], ["ORACLE", "5-8"], ["ARBITER", "5-8"], ["VERTEX", "5-8"]
]

const socketEndpoint: Gateway.Endpoint = { kind: "control-socket", address: "/run/sigmavault/control.sock", connections: 2, since: 0 }

const testAdapters = Layer.mergeAll(
  FilesTest.layer(),
  AptTest.layer(AptTest.makeModel()),
  callerFilesInTmp,
  migrationFilesInTmp,
  NotifyTest.make().layer,
  ServiceManagerTest.make().layer,
  Gateway.layerTest([socketEndpoint]),
  ProcStatsTest.layer([]),
  NetLinksTest.layer([NetLinksTest.link("eth0")]),
  StateStoreTest.layer(),
  MemoryTest,
  HistoryTest.layer(),
  testSecurity,
  Layer.succeed(AccessPolicy, makePolicy({ read: [], operate: [], admin: [] })),
  ZfsTest.layer(ZfsTest.model({ installed: false })),
  ReplicationTest.layer(ReplicationTest.model()),
  PathSnapshotsLive.layer(Effect.succeed({ roots: [], forbidden: [] })).pipe(Layer.provide(StreamsTest.make().layer)),
  ConfigCheckTest.make().layer,
  DisksTest.layer({ devices: [] }),
  WireGuardTest.make().layer,
  SharesTest.layer(),
  SmartTest.layer({ reports: new Map() }),
  HostProbeTest.layer(),
  StorageBenchTest.make().layer,
  SystemFactsTest.layer({
    hostname: "nas",
    os: { id: "debian", name: "Debian GNU/Linux", version: "12", prettyName: "Debian GNU/Linux 12 (bookworm)" },
    kernel: { release: "6.1.0", version: "#1 SMP", arch: "x86_64" },
    cpu: { model: "test cpu", count: 2 },
    memory: { totalBytes: 2 ** 34, availableBytes: 2 ** 33 },
    uptimeSeconds: 100,
    loadAverage: [0.1, 0.2, 0.3]
  })
)

describe("the roster", () => {
  it("registers all 40 agents of the specification with their tiers", () => {
    assert.deepStrictEqual(agents.map((a) => [a.name, a.tier]), SPEC.map(([n, t]) => [n, t]))
  })

  it("a crash loop escalates before it could pass for stable: each supervisor's restarts in a row fit in its stable period, at the top of the jitter", () => {
    const check = (node: ActorSystem.SupervisorNode<unknown>) => {
      const { backoff, intensity } = node
      const inARow = restartsInARow(intensity)
      let worstMs = 0 // the first restart of a streak is immediate; the n-th waits initialMs doubled n-2 times
      for (let n = 2; n <= inARow; n++) worstMs += Math.min(backoff.maxMs, backoff.initialMs * 2 ** (n - 2)) * (1 + backoff.jitter)
      assert.isBelow(worstMs, backoff.resetAfterMs, `${node.name}: ${inARow} restarts in a row take up to ${worstMs} ms`)
      for (const child of node.children) if ("children" in child) check(child)
    }
    check(rosterTree())
  })

  it.effect("runs under OMNISCIENT with one supervisor per tier; OMNISCIENT reports the system", () =>
    Effect.gen(function*() {
      const system = yield* ActorSystem.make({ root: rosterTree() })
      const tree = system.tree()
      assert.strictEqual(tree.kind === "supervisor" && tree.status.name, "OMNISCIENT")
      const children = tree.kind === "supervisor" ? tree.children : []
      assert.deepStrictEqual(
        children.map((c) => c.kind === "agent" ? c.status.name : c.status.name),
        ["OMNISCIENT", "tier-1", "tier-2", "tier-3", "tier-5-8"]
      )
      const summary = (yield* system.ask("OMNISCIENT", { type: "summary" })) as SystemSummary
      assert.strictEqual(summary.agents, 40)
      assert.strictEqual(summary.running, 40)
      for (const name of system.agentNames()) {
        assert.deepStrictEqual(yield* system.ask(name, { type: "ping" }), {
          type: "pong",
          agent: name,
          state: system.status(name)!.state
        })
      }
      assert.deepStrictEqual(yield* system.ask("SYNAPSE", { type: "endpoints" }), [socketEndpoint])
      assert.deepStrictEqual(yield* system.ask("SYNAPSE", { type: "connections" }), {
        total: 2,
        byEndpoint: [socketEndpoint]
      })
      const report = yield* system.shutdown({ deadlineMs: 1_000 })
      assert.deepStrictEqual(report.killed, [])
    }).pipe(Effect.scoped, Effect.provide(testAdapters)))
})
