import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as CommandRunnerTest from "../../../src/adapters/command/CommandRunnerTest.ts"
import { make } from "../../../src/adapters/zfs/ZfsLive.ts"

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../../fixtures/zfs", name), "utf8")

const machine = () =>
  CommandRunnerTest.make({
    "zpool list -j --json-int": { stdout: fixture("list.int.json") },
    "zpool status -j --json-int": { stdout: fixture("status-raidz1-degraded.int.json") },
    "zpool status -j --json-int tank": { stdout: fixture("status-raidz1-degraded.int.json") },
    "zfs list -j --json-int -t filesystem,volume -o name,type,used,available,referenced,mountpoint,mounted": { stdout: fixture("datasets.int.json") },
    "zfs create -o compression=zstd tank/media": { stdout: "" },
    "zpool scrub -p tank": { stdout: "" }
  })

describe("the live ZFS adapter", () => {
  it.effect("reads pools, status and datasets through zpool and zfs with -j --json-int", () =>
    Effect.gen(function*() {
      const runner = machine()
      const zfs = make(runner.service)
      assert.strictEqual((yield* zfs.pools)[0]!.capacityPercent, 44)
      assert.strictEqual((yield* zfs.status("tank"))[0]!.state, "DEGRADED")
      assert.strictEqual((yield* zfs.datasets()).length, 4)
      yield* zfs.scrub("tank", "pause")
      assert.deepStrictEqual(runner.calls.at(-1), "zpool scrub -p tank")
    }))

  it.effect("changes are planned with the exact command and run only when confirmed", () =>
    Effect.gen(function*() {
      const runner = machine()
      const zfs = make(runner.service)
      const planned = yield* zfs.createPool("tank2", [{ kind: "mirror", disks: ["/dev/disk/by-id/ata-A", "sdb"] }, { kind: "mirror", disks: ["sdc", "sdd"] }], {
        confirm: false,
        properties: { ashift: "12" }
      })
      assert.deepStrictEqual(planned.command, ["zpool", "create", "-o", "ashift=12", "tank2", "mirror", "/dev/disk/by-id/ata-A", "sdb", "mirror", "sdc", "sdd"])
      assert.strictEqual(planned.display, "zpool create -o ashift=12 tank2 mirror /dev/disk/by-id/ata-A sdb mirror sdc sdd")
      assert.isFalse(planned.executed)
      const described = yield* zfs.setProperty("tank/photos", "com.sigmavault:note", "family photos", { confirm: false })
      assert.strictEqual(described.display, "zfs set 'com.sigmavault:note=family photos' tank/photos")
      yield* zfs.destroy("tank/photos", { confirm: false, recursive: true })
      assert.deepStrictEqual(runner.calls, [])
      const done = yield* zfs.createDataset("tank/media", { confirm: true, properties: { compression: "zstd" } })
      assert.isTrue(done.executed)
      assert.deepStrictEqual(runner.calls, ["zfs create -o compression=zstd tank/media"])
    }))

  it.effect("hostile names are refused before anything is spawned", () =>
    Effect.gen(function*() {
      const runner = machine()
      const zfs = make(runner.service)
      const refusals = [
        yield* Effect.flip(zfs.status("-o")),
        yield* Effect.flip(zfs.datasets("../etc")),
        yield* Effect.flip(zfs.scrub("tank;reboot", "start")),
        yield* Effect.flip(zfs.createPool("tank", [{ kind: "mirror", disks: ["sda", "$(id)"] }], { confirm: true })),
        yield* Effect.flip(zfs.createDataset("tank/a b", { confirm: true })),
        yield* Effect.flip(zfs.setProperty("tank/x", "compression", "-o", { confirm: true })),
        yield* Effect.flip(zfs.setProperty("tank/x", "a\nb", "on", { confirm: true })),
        yield* Effect.flip(zfs.destroy("tank", { confirm: true })),
        yield* Effect.flip(zfs.properties("tank/x", ["--all"]))
      ]
      for (const error of refusals) assert.strictEqual(error._tag, "InvalidName", error.message)
      assert.deepStrictEqual(runner.calls, [])
    }))

  it.effect("a machine without zpool says ZFS is not installed; an old ZFS and a failing zpool say so", () =>
    Effect.gen(function*() {
      const none = make(CommandRunnerTest.make({}).service)
      const missing = yield* Effect.flip(none.pools)
      assert.strictEqual(missing.message, "ZFS is not installed (zpool and zfs are not on PATH)")
      const old = make(CommandRunnerTest.make({
        "zpool list -j --json-int": { exitCode: 2, stderr: "invalid option 'j'\nusage:\n\tlist [-gHLpPv] [-o property[,...]] ..." }
      }).service)
      assert.match((yield* Effect.flip(old.pools)).message, /older than 2\.3 .*invalid option 'j'/)
      const noPool = make(CommandRunnerTest.make({ "zpool status -j --json-int gone": { exitCode: 1, stderr: "cannot open 'gone': no such pool" } }).service)
      assert.strictEqual((yield* Effect.flip(noPool.status("gone"))).message, "zpool status -j --json-int gone exited 1: cannot open 'gone': no such pool")
    }))
})
