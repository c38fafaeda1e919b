/**
 * GENESIS among the real agents it works with, over the test adapters, with
 * a stand-in APEX that runs the plan's tasks on the caller's behalf
 * (test/support/genesisSystem.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import type { Plan } from "../../../src/actors/shared/plan.ts"
import { ROOT } from "../../support/agents.ts"
import { blankDisk, byIdName, rootDisk } from "../../support/genesisInventory.ts"
import { ADMIN, apexRuns as runs, READER, withGenesisSystem } from "../../support/genesisSystem.ts"

interface SetupReply {
  readonly plan: Plan
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
    withGenesisSystem(disks(4), { failing: ["sdc"] }, ({ system }) =>
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
      withGenesisSystem(disks(n), {}, ({ system, zfs }) =>
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
    withGenesisSystem(disks(4), {}, ({ system, zfs, records }) =>
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

  it.live("APEX not running: a confirmed setup is refused naming APEX, and nothing is created", () =>
    withGenesisSystem(disks(2), {}, ({ system, zfs }) =>
      Effect.gen(function*() {
        yield* system.operate(ROOT, "APEX", "stop")
        const refused = yield* Effect.flip(system.injectAsk(ADMIN, "GENESIS", { type: "setup", confirm: true }))
        assert.match(refused.message, /^GENESIS 'setup': APEX could not help: /)
        assert.deepStrictEqual(zfs.executed, [])
      })))

  it.live("no free disks, ORACLE unreachable: said plainly", () =>
    withGenesisSystem([rootDisk()], {}, ({ system }) =>
      Effect.gen(function*() {
        const none = yield* Effect.flip(system.injectAsk(READER, "GENESIS", { type: "setup-plan", goal: "redundancy" }))
        assert.strictEqual(none.message, "GENESIS 'setup-plan': no unpooled disks to set up: /dev/vda (holds the root filesystem (/dev/vda1 is mounted at /))")
        yield* system.operate(ROOT, "ORACLE", "stop")
        const lone = (yield* system.injectAsk(READER, "GENESIS", { type: "discover" })) as SetupReply["discovery"]
        assert.deepStrictEqual(lone.disks, [])
      }).pipe(Effect.andThen(withGenesisSystem(disks(2), {}, ({ system }) =>
        Effect.gen(function*() {
          yield* system.operate(ROOT, "ORACLE", "stop")
          const found = (yield* system.injectAsk(READER, "GENESIS", { type: "setup-plan" })) as SetupReply
          assert.deepStrictEqual(found.discovery.disks.map((d) => d.health.level), ["unknown", "unknown"])
          assert.match(found.discovery.notes.join("\n"), /ORACLE could not assess the disks/)
          assert.match(found.warnings.join("\n"), /\/dev\/sda: health unknown/)
          assert.strictEqual(found.layout.name, "mirror")
        }))))))
})
