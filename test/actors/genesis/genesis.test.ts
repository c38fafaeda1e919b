/**
 * GENESIS among the real agents it works with — ARCHITECT, ORACLE, LATTICE,
 * ORBIT, HELIX, BRIDGE (and FORGE, ARBITER) over the test adapters — and a
 * stand-in APEX (built on another branch) that runs a plan's tasks in order
 * with `askAs` on the plan's caller, as the real one will. By-id links are
 * real symbolic links in a temporary directory.
 */
import { mkdtempSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Schema } from "effect"
import type { BlockDevice } from "../../../src/adapters/disks/Disks.ts"
import * as DisksTest from "../../../src/adapters/disks/DisksTest.ts"
import * as ConfigCheckTest from "../../../src/adapters/configcheck/ConfigCheckTest.ts"
import * as FilesLive from "../../../src/adapters/fs/FilesLive.ts"
import * as StreamsLive from "../../../src/adapters/command/StreamsLive.ts"
import * as PathSnapshotsLive from "../../../src/adapters/pathsnap/PathSnapshotsLive.ts"
import * as SharesTest from "../../../src/adapters/shares/SharesTest.ts"
import { parseSmartReport } from "../../../src/adapters/smart/parse.ts"
import * as SmartTest from "../../../src/adapters/smart/SmartTest.ts"
import * as StateStoreTest from "../../../src/adapters/state/StateStoreTest.ts"
import * as WireGuardTest from "../../../src/adapters/wireguard/WireGuardTest.ts"
import * as ReplicationTest from "../../../src/adapters/zfs/ReplicationTest.ts"
import * as ZfsTest from "../../../src/adapters/zfs/ZfsTest.ts"
import { makePolicy } from "../../../src/access/Policy.ts"
import { arbiterAgent } from "../../../src/actors/arbiter/index.ts"
import { architectAgent } from "../../../src/actors/architect/index.ts"
import { bridgeAgent } from "../../../src/actors/bridge/index.ts"
import { forgeAgent } from "../../../src/actors/forge/index.ts"
import { defaultGenesisConfig, GenesisConfig } from "../../../src/actors/genesis/config.ts"
import { genesisAgent } from "../../../src/actors/genesis/index.ts"
import { helixAgent } from "../../../src/actors/helix/index.ts"
import { latticeAgent } from "../../../src/actors/lattice/index.ts"
import { LatticeConfig, defaultLatticeConfig } from "../../../src/actors/lattice/config.ts"
import { oracleAgent } from "../../../src/actors/oracle/index.ts"
import { orbitAgent } from "../../../src/actors/orbit/index.ts"
import { Plan } from "../../../src/actors/shared/plan.ts"
import { serviceMachine } from "../../../src/actors/shared/serve.ts"
import * as HistoryTest from "../../../src/history/HistoryTest.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import { AgentEnv, define } from "../../../src/runtime/Agent.ts"
import type { Caller } from "../../../src/runtime/Caller.ts"
import type { AuditedRequest, Gate } from "../../../src/runtime/Gate.ts"
import * as Protocol from "../../../src/runtime/Protocol.ts"
import { ataJson } from "../../support/smartctlJson.ts"
import { ROOT, tree } from "../../support/agents.ts"
import { OrbitConfig } from "../../../src/actors/orbit/index.ts"
import { blankDisk, byIdName, rootDisk } from "../../support/genesisInventory.ts"

// ---- a stand-in APEX: runs the tasks in the order given, each on the plan caller's behalf -------------

const TaskResult = Schema.Struct({ id: Schema.String, ok: Schema.Boolean, detail: Schema.String })
const FakeApex = Protocol.make("APEX", [
  Protocol.message("run", {
    doc: "stand-in: runs the tasks in order with askAs",
    access: "operate",
    fields: { ...Plan.fields, confirm: Schema.optionalKey(Schema.Boolean) },
    reply: Schema.Struct({ id: Schema.String, state: Schema.String, tasks: Schema.Array(TaskResult) })
  })
])
const runs: Array<{ caller: Caller; plan: typeof Plan.Type }> = []
const fakeApex = define({
  protocol: FakeApex,
  tier: "1",
  description: "stand-in APEX for GENESIS's tests",
  capabilities: [{ name: "dag-execution", available: true, detail: "in order, on the caller's behalf" }],
  machine: Effect.gen(function*() {
    const env = yield* AgentEnv
    return yield* serviceMachine(FakeApex, {
      handlers: {
        run: (message, { caller }) =>
          Effect.gen(function*() {
            runs.push({ caller, plan: { goal: message.goal, tasks: message.tasks } })
            const results: Array<typeof TaskResult.Type> = []
            for (const task of message.tasks) {
              const exit = yield* Effect.exit(env.system.askAs({ ...caller, via: "plan" }, task.agent, task.message, { timeoutMs: 20_000 }))
              results.push({ id: task.id, ok: Exit.isSuccess(exit), detail: Exit.isSuccess(exit) ? "" : (Cause.squash(exit.cause) as Error).message })
            }
            return { id: `plan-${runs.length}`, state: results.every((r) => r.ok) ? "succeeded" : "failed", tasks: results }
          })
      }
    })
  })
})

// ---- the machine: a root disk and n blank disks; their by-id links; SMART for each ------------------

const READER: Caller = { uid: 2001, gid: 600, groups: [], via: "socket" }
const ADMIN: Caller = { uid: 2002, gid: 700, groups: [], via: "socket" }
const policy = makePolicy({ read: [{ name: "readers", gid: 600 }], operate: [], admin: [{ name: "admins", gid: 700 }] })

const smart = (devices: ReadonlyArray<BlockDevice>, failing: ReadonlyArray<string> = []) =>
  new Map(devices.filter((d) => d.serial !== undefined).map((d) => {
    const json = ataJson({ device: d.path, serial: d.serial!, ...(failing.includes(d.name) ? { passed: false } : {}) })
    return [d.path, Effect.runSync(Effect.fromResult(parseSmartReport(json, JSON.parse(json).smartctl.exit_status, d.path)))] as const
  }))

const byIdDir = (devices: ReadonlyArray<BlockDevice>) => {
  const dir = mkdtempSync(join(tmpdir(), `sigmavault-genesis-${process.pid}-`))
  for (const d of devices) if (d.serial !== undefined) symlinkSync(`../../${d.name}`, join(dir, `ata-WDC_WD40EFRX-68N32N0_${d.serial}`))
  return dir
}

const withSystem = <A, E>(
  devices: ReadonlyArray<BlockDevice>,
  options: { readonly failing?: ReadonlyArray<string> },
  body: (
    system: ActorSystem.ActorSystem,
    zfs: ZfsTest.ZfsModel,
    records: Array<{ caller: Caller; request: AuditedRequest }>,
    dir: string
  ) => Effect.Effect<A, E>
) => {
  const dir = byIdDir(devices)
  const zfs = ZfsTest.model()
  const records: Array<{ caller: Caller; request: AuditedRequest }> = []
  const gate: Gate = {
    check: (caller, what, access) => policy.check(caller, what, access),
    record: (caller, request) => Effect.sync(() => void records.push({ caller, request })),
    refused: () => {}
  }
  return Effect.gen(function*() {
    const system = yield* ActorSystem.make({
      root: tree<never>("root", "one_for_one", [
        genesisAgent, architectAgent, oracleAgent, latticeAgent, orbitAgent, helixAgent, bridgeAgent, forgeAgent, arbiterAgent, fakeApex
      ] as never),
      gate
    })
    return yield* body(system, zfs, records, dir)
  }).pipe(
    Effect.scoped,
    Effect.provide(Layer.mergeAll(
      DisksTest.layer({ devices }),
      ZfsTest.layer(zfs),
      FilesLive.layer,
      SmartTest.layer({ reports: smart(devices, options.failing) }),
      StateStoreTest.layer(),
      HistoryTest.layer(),
      SharesTest.layer(),
      ConfigCheckTest.make().layer,
      WireGuardTest.make().layer,
      ReplicationTest.layer(),
      PathSnapshotsLive.layer(Effect.succeed({ roots: [], forbidden: [] })).pipe(Layer.provide(StreamsLive.layer()))
    )),
    Effect.provideService(GenesisConfig, { ...defaultGenesisConfig, byIdDir: dir }),
    Effect.provideService(LatticeConfig, { ...defaultLatticeConfig, scheduleScrubs: false }),
    Effect.provideService(OrbitConfig, { timeZone: "UTC", schedules: [] }),
    Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
  )
}

interface SetupReply {
  readonly plan: typeof Plan.Type
  readonly summary: ReadonlyArray<string>
  readonly warnings: ReadonlyArray<string>
  readonly layout: { readonly name: string; readonly disks: ReadonlyArray<string> }
  readonly discovery: { readonly disks: ReadonlyArray<{ device: string; byId?: string; health: { level: string } }>; readonly refused: ReadonlyArray<{ device: string; reason: string }>; readonly used: ReadonlyArray<{ device: string; reason: string }>; readonly notes: ReadonlyArray<string> }
  readonly executed?: boolean
  readonly apex?: { readonly state: string; readonly tasks: ReadonlyArray<{ id: string; ok: boolean; detail: string }> }
}

const disks = (n: number) => [rootDisk(), ...Array.from({ length: n }, (_, i) => blankDisk(i))]

describe("GENESIS with the real agents", () => {
  it.live("discover: the free disks with by-id names and ORACLE's health; the root disk is used; a failing disk is refused with the reason", () =>
    withSystem(disks(4), { failing: ["sdc"] }, (system) =>
      Effect.gen(function*() {
        const found = (yield* system.injectAsk(READER, "GENESIS", { type: "discover" })) as SetupReply["discovery"]
        assert.deepStrictEqual(found.disks.map((d) => [d.device, d.byId, d.health.level]), [
          ["/dev/sda", `/dev/disk/by-id/${byIdName(0)}`, "ok"],
          ["/dev/sdb", `/dev/disk/by-id/${byIdName(1)}`, "ok"],
          ["/dev/sdd", `/dev/disk/by-id/${byIdName(3)}`, "ok"]
        ])
        assert.deepStrictEqual(found.refused.map((r) => r.device), ["/dev/sdc"])
        assert.match(found.refused[0]!.reason, /^ORACLE says it is failing \(critical\): .*SMART health check says FAILED/)
        assert.deepStrictEqual(found.used, [{ device: "/dev/vda", reason: "holds the root filesystem (/dev/vda1 is mounted at /)" }])
        assert.deepStrictEqual(found.notes, [])
      })))

  it.live("setup-plan for 1 to 12 disks: each plan passes the real agents' validation, and LATTICE's and HELIX's own dry runs of its steps", () =>
    Effect.forEach([1, 2, 3, 5, 8, 12], (n) =>
      withSystem(disks(n), {}, (system, zfs) =>
        Effect.gen(function*() {
          const setup = (yield* system.injectAsk(READER, "GENESIS", { type: "setup-plan" })) as SetupReply
          assert.strictEqual(setup.layout.disks.length + (setup as unknown as { layout: { spares: Array<string> } }).layout.spares.length, n)
          for (const task of setup.plan.tasks) {
            assert.isTrue(Exit.isSuccess(system.validate(task.agent, task.message)), `${n}: ${task.id}`)
            // Each step's own dry run, where the agent plans without the earlier steps having run.
            if (task.message.type === "create-pool" || task.message.type === "create-dataset" || task.message.type === "policy") {
              const { confirm: _, ...dryRun } = task.message
              const planned = (yield* system.injectAsk(ROOT, task.agent, dryRun)) as { executed?: boolean; saved?: boolean; display?: string }
              assert.isFalse(planned.executed ?? planned.saved, `${n}: ${task.id} is only planned`)
            }
          }
          assert.deepStrictEqual(zfs.executed, [], "nothing ran")
          if (n === 1) assert.match(setup.warnings.join("\n"), /too few for redundancy/)
        }))))

  it.live("setup: a reader cannot; an admin's dry run changes nothing; with confirm APEX runs the plan as the admin's, recorded as theirs", () =>
    withSystem(disks(4), {}, (system, zfs, records) =>
      Effect.gen(function*() {
        const refused = yield* Effect.flip(system.injectAsk(READER, "GENESIS", { type: "setup", confirm: true }))
        assert.strictEqual(refused._tag, "AccessDenied")
        const dry = (yield* system.injectAsk(ADMIN, "GENESIS", { type: "setup" })) as SetupReply
        assert.isFalse(dry.executed)
        assert.deepStrictEqual([runs.length, zfs.executed.length], [0, 0])

        const done = (yield* system.injectAsk(ADMIN, "GENESIS", { type: "setup", confirm: true }, { timeoutMs: 60_000 })) as SetupReply
        assert.isTrue(done.executed)
        assert.deepStrictEqual(runs.at(-1)!.caller, ADMIN, "APEX was asked as the admin")
        assert.deepStrictEqual(runs.at(-1)!.plan.tasks.map((t) => t.id), done.plan.tasks.map((t) => t.id))
        const results = Object.fromEntries(done.apex!.tasks.map((t) => [t.id, t]))
        for (const id of ["pool", "dataset-home", "dataset-media", "dataset-backup", "snapshot-policy", "snapshot-schedule", "scrub-schedule"]) {
          assert.isTrue(results[id]!.ok, `${id}: ${results[id]!.detail}`)
        }
        // /tank/home is not a real directory here: BRIDGE refuses the share, and says why.
        assert.isFalse(results["share-home"]!.ok)
        assert.match(results["share-home"]!.detail, /tank\/home/)
        assert.deepStrictEqual(zfs.executed.map((c) => c.join(" ")).filter((c) => c.includes("create")), [
          `zpool create -o ashift=12 tank raidz2 ${[0, 1, 2, 3].map((i) => `${dry.discovery.disks[i]!.byId}`).join(" ")}`,
          "zfs create -o compression=lz4 tank/home",
          "zfs create -o compression=lz4 -o recordsize=1M tank/media",
          "zfs create -o compression=lz4 tank/backup"
        ])
        // The gate recorded GENESIS 'setup' (twice), APEX 'run' and each task as the admin's, the tasks as from a plan.
        const mine = records.filter((r) => r.caller.uid === ADMIN.uid).map((r) => `${r.caller.via} ${r.request.agent} ${r.request._tag === "Message" ? r.request.message.type : r.request.op}`)
        assert.includeMembers(mine, ["socket GENESIS setup", "socket APEX run", "plan LATTICE create-pool", "plan HELIX policy", "plan BRIDGE add-share"])

        // The disks are pooled now: GENESIS says so, naming each.
        const after = yield* Effect.flip(system.injectAsk(READER, "GENESIS", { type: "setup-plan" }))
        assert.match(after.message, /no unpooled disks to set up: .*\/dev\/sda \(in pool tank \(as .*ata-WDC_WD40EFRX-68N32N0_WD-WCC7K00ABCDE\)\)/)
      })))

  it.live("no free disks, ORACLE unreachable: said plainly", () =>
    withSystem([rootDisk()], {}, (system) =>
      Effect.gen(function*() {
        const none = yield* Effect.flip(system.injectAsk(READER, "GENESIS", { type: "setup-plan", goal: "redundancy" }))
        assert.strictEqual(none.message, "GENESIS 'setup-plan': no unpooled disks to set up: /dev/vda (holds the root filesystem (/dev/vda1 is mounted at /))")
        yield* system.operate(ROOT, "ORACLE", "stop")
        const lone = (yield* system.injectAsk(READER, "GENESIS", { type: "discover" })) as SetupReply["discovery"]
        assert.deepStrictEqual(lone.disks, [])
      }).pipe(Effect.andThen(withSystem(disks(2), {}, (system) =>
        Effect.gen(function*() {
          yield* system.operate(ROOT, "ORACLE", "stop")
          const found = (yield* system.injectAsk(READER, "GENESIS", { type: "setup-plan" })) as SetupReply
          assert.deepStrictEqual(found.discovery.disks.map((d) => d.health.level), ["unknown", "unknown"])
          assert.match(found.discovery.notes.join("\n"), /ORACLE could not assess the disks/)
          assert.match(found.warnings.join("\n"), /\/dev\/sda: health unknown/)
          assert.strictEqual(found.layout.name, "mirror")
        }))))))
})
