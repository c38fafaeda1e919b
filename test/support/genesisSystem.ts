/**
 * GENESIS among the real agents it works with — ARCHITECT, ORACLE, LATTICE,
 * ORBIT, HELIX, BRIDGE (and FORGE, ARBITER) over the test adapters — and a
 * stand-in APEX (built on another branch) that runs a plan's tasks in order
 * with `askAs` on the plan's caller, as the real one will. By-id links are
 * real symbolic links in a temporary directory (named after the pid, removed
 * when the scope ends). For GENESIS's tests and its benchmark.
 */
import { mkdtempSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Cause, Effect, Exit, Layer, Schema, type Scope } from "effect"
import type { BlockDevice } from "../../src/adapters/disks/Disks.ts"
import * as DisksTest from "../../src/adapters/disks/DisksTest.ts"
import * as ConfigCheckTest from "../../src/adapters/configcheck/ConfigCheckTest.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as StreamsLive from "../../src/adapters/command/StreamsLive.ts"
import * as PathSnapshotsLive from "../../src/adapters/pathsnap/PathSnapshotsLive.ts"
import * as SharesTest from "../../src/adapters/shares/SharesTest.ts"
import { parseSmartReport } from "../../src/adapters/smart/parse.ts"
import * as SmartTest from "../../src/adapters/smart/SmartTest.ts"
import * as StateStoreTest from "../../src/adapters/state/StateStoreTest.ts"
import * as WireGuardTest from "../../src/adapters/wireguard/WireGuardTest.ts"
import * as ReplicationTest from "../../src/adapters/zfs/ReplicationTest.ts"
import * as ZfsTest from "../../src/adapters/zfs/ZfsTest.ts"
import { makePolicy } from "../../src/access/Policy.ts"
import { arbiterAgent } from "../../src/actors/arbiter/index.ts"
import { architectAgent } from "../../src/actors/architect/index.ts"
import { bridgeAgent } from "../../src/actors/bridge/index.ts"
import { forgeAgent } from "../../src/actors/forge/index.ts"
import { defaultGenesisConfig, GenesisConfig } from "../../src/actors/genesis/config.ts"
import { genesisAgent } from "../../src/actors/genesis/index.ts"
import { helixAgent } from "../../src/actors/helix/index.ts"
import { latticeAgent } from "../../src/actors/lattice/index.ts"
import { LatticeConfig, defaultLatticeConfig } from "../../src/actors/lattice/config.ts"
import { oracleAgent } from "../../src/actors/oracle/index.ts"
import { OrbitConfig, orbitAgent } from "../../src/actors/orbit/index.ts"
import { Plan } from "../../src/actors/shared/plan.ts"
import { serviceMachine } from "../../src/actors/shared/serve.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { AgentEnv, type AgentDefinition, define } from "../../src/runtime/Agent.ts"
import type { Caller } from "../../src/runtime/Caller.ts"
import type { AuditedRequest, Gate } from "../../src/runtime/Gate.ts"
import * as Protocol from "../../src/runtime/Protocol.ts"
import { ataJson } from "./smartctlJson.ts"
import { tree } from "./agents.ts"

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

/** What the stand-in APEX was asked to run, and by whom. */
export const apexRuns: Array<{ caller: Caller; plan: typeof Plan.Type }> = []

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
            apexRuns.push({ caller, plan: { goal: message.goal, tasks: message.tasks } })
            const results: Array<typeof TaskResult.Type> = []
            for (const task of message.tasks) {
              const exit = yield* Effect.exit(env.system.askAs({ ...caller, via: "plan" }, task.agent, task.message, { timeoutMs: 20_000 }))
              results.push({ id: task.id, ok: Exit.isSuccess(exit), detail: Exit.isSuccess(exit) ? "" : (Cause.squash(exit.cause) as Error).message })
            }
            return { id: `plan-${apexRuns.length}`, state: results.every((r) => r.ok) ? "succeeded" : "failed", tasks: results }
          })
      }
    })
  })
})

// ---- the machine: its disks, their by-id links, SMART for each ------------------------------------------

export const READER: Caller = { uid: 2001, gid: 600, groups: [], via: "socket" }
export const ADMIN: Caller = { uid: 2002, gid: 700, groups: [], via: "socket" }
const policy = makePolicy({ read: [{ name: "readers", gid: 600 }], operate: [], admin: [{ name: "admins", gid: 700 }] })

const smart = (devices: ReadonlyArray<BlockDevice>, failing: ReadonlyArray<string>) =>
  new Map(devices.filter((d) => d.serial !== undefined).map((d) => {
    const json = ataJson({ device: d.path, serial: d.serial!, ...(failing.includes(d.name) ? { passed: false } : {}) })
    return [d.path, Effect.runSync(Effect.fromResult(parseSmartReport(json, JSON.parse(json).smartctl.exit_status, d.path)))] as const
  }))

const byIdDir = (devices: ReadonlyArray<BlockDevice>) => {
  const dir = mkdtempSync(join(tmpdir(), `sigmavault-genesis-${process.pid}-`))
  for (const d of devices) if (d.serial !== undefined) symlinkSync(`../../${d.name}`, join(dir, `ata-WDC_WD40EFRX-68N32N0_${d.serial}`))
  return dir
}

export interface GenesisWorld {
  readonly system: ActorSystem.ActorSystem
  readonly zfs: ZfsTest.ZfsModel
  /** What the gate recorded, with whom. */
  readonly records: Array<{ caller: Caller; request: AuditedRequest }>
}

/** Runs `body` in a system of GENESIS and its peers over `devices`; `failing` names disks whose SMART says FAILED. */
export const withGenesisSystem = <A, E>(
  devices: ReadonlyArray<BlockDevice>,
  options: { readonly failing?: ReadonlyArray<string> },
  body: (world: GenesisWorld) => Effect.Effect<A, E, Scope.Scope>
): Effect.Effect<A, E | never> => {
  const dir = byIdDir(devices)
  const zfs = ZfsTest.model()
  const records: GenesisWorld["records"] = []
  const gate: Gate = {
    check: (caller, what, access) => policy.check(caller, what, access),
    record: (caller, request) => Effect.sync(() => void records.push({ caller, request })),
    refused: () => {}
  }
  const agents = [genesisAgent, architectAgent, oracleAgent, latticeAgent, orbitAgent, helixAgent, bridgeAgent, forgeAgent, arbiterAgent, fakeApex]
  return Effect.gen(function*() {
    const system = yield* ActorSystem.make({ root: tree("root", "one_for_one", agents as unknown as ReadonlyArray<AgentDefinition<never>>), gate })
    return yield* body({ system, zfs, records })
  }).pipe(
    Effect.scoped,
    Effect.provide(Layer.mergeAll(
      DisksTest.layer({ devices }),
      ZfsTest.layer(zfs),
      FilesLive.layer,
      SmartTest.layer({ reports: smart(devices, options.failing ?? []) }),
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
  ) as Effect.Effect<A, E>
}
