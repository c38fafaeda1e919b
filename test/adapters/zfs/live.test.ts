import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { CommandTimedOut, ToolMissing } from "../../../src/adapters/command/Command.ts"
import { make } from "../../../src/adapters/zfs/ZfsLive.ts"
import type { ZfsError } from "../../../src/adapters/zfs/Zfs.ts"
import { fakeRunner, fixture } from "./fakeRunner.ts"

const LIST = "zfs list -j --json-int -t filesystem,volume -o name,type,used,available,referenced,mountpoint,mounted"

const machine = () =>
  fakeRunner({
    "zpool list -j --json-int": { stdout: fixture("list.int.json") },
    "zpool status -j --json-int": { stdout: fixture("status-raidz2-special-scrubbing.int.json") },
    "zpool status -j --json-int tank": { stdout: fixture("status-raidz1-degraded.int.json") },
    [LIST]: { stdout: fixture("datasets.int.json") },
    [`${LIST} -r tank/photos`]: { stdout: fixture("datasets.int.json") },
    "zfs get -j --json-int compression,atime tank/photos": { stdout: fixture("get.int.json") },
    "zfs get -j --json-int all tank/photos": { stdout: fixture("get.int.json") },
    "zfs create -o compression=zstd tank/media": {},
    "zfs destroy -r tank/photos": {},
    "zpool create -o ashift=12 tank2 mirror /dev/disk/by-id/ata-A sdb mirror sdc sdd": {},
    "zfs set com.sigmavault:note=family photos tank/photos": {},
    "zpool scrub tank": {},
    "zpool scrub -p tank": {},
    "zpool scrub -s tank": {}
  })

describe("the live ZFS adapter", () => {
  it.effect("reads pools, status, datasets and properties through zpool and zfs with -j --json-int", () =>
    Effect.gen(function*() {
      const runner = machine()
      const zfs = make(runner.service)
      assert.deepStrictEqual((yield* zfs.pools).map((p) => [p.name, p.capacityPercent, p.sizeBytes]), [["tank", 44, 3980298049536]])
      assert.deepStrictEqual((yield* zfs.status()).map((p) => p.name), ["backup", "vault"])
      const [tank] = yield* zfs.status("tank")
      assert.deepStrictEqual([tank!.state, tank!.vdevs[0]!.children[2]!.checksumErrors], ["DEGRADED", 14])
      assert.strictEqual((yield* zfs.datasets()).length, 4)
      yield* zfs.datasets("tank/photos")
      const props = yield* zfs.properties("tank/photos", ["compression", "atime"])
      assert.deepStrictEqual(props.atime, { value: "off", source: "inherited from tank" })
      assert.strictEqual((yield* zfs.properties("tank/photos", [])).compression!.value, "zstd")
      assert.deepStrictEqual(runner.calls.map((c) => c.join(" ")), [
        "zpool list -j --json-int",
        "zpool status -j --json-int",
        "zpool status -j --json-int tank",
        LIST,
        `${LIST} -r tank/photos`,
        "zfs get -j --json-int compression,atime tank/photos",
        "zfs get -j --json-int all tank/photos"
      ])
    }))

  it.effect("scrub start, pause and stop are zpool scrub, -p and -s", () =>
    Effect.gen(function*() {
      const runner = machine()
      const zfs = make(runner.service)
      yield* zfs.scrub("tank", "start")
      yield* zfs.scrub("tank", "pause")
      yield* zfs.scrub("tank", "stop")
      assert.deepStrictEqual(runner.calls, [["zpool", "scrub", "tank"], ["zpool", "scrub", "-p", "tank"], ["zpool", "scrub", "-s", "tank"]])
    }))

  it.effect("changes are planned with the exact argv and shown quoted; nothing runs without confirm", () =>
    Effect.gen(function*() {
      const runner = machine()
      const zfs = make(runner.service)
      const layout = [{ kind: "mirror" as const, disks: ["/dev/disk/by-id/ata-A", "sdb"] }, { kind: "mirror" as const, disks: ["sdc", "sdd"] }]
      const pool = yield* zfs.createPool("tank2", layout, { confirm: false, properties: { ashift: "12" } })
      assert.deepStrictEqual(pool, {
        command: ["zpool", "create", "-o", "ashift=12", "tank2", "mirror", "/dev/disk/by-id/ata-A", "sdb", "mirror", "sdc", "sdd"],
        display: "zpool create -o ashift=12 tank2 mirror /dev/disk/by-id/ata-A sdb mirror sdc sdd",
        executed: false
      })
      const kinds = yield* Effect.forEach(["stripe", "raidz1", "raidz2", "raidz3"] as const, (kind) =>
        zfs.createPool("new", [{ kind, disks: ["sda", "sdb", "sdc", "sdd"] }], { confirm: false }))
      assert.deepStrictEqual(kinds.map((p) => p.display), [
        "zpool create new sda sdb sdc sdd",
        "zpool create new raidz1 sda sdb sdc sdd",
        "zpool create new raidz2 sda sdb sdc sdd",
        "zpool create new raidz3 sda sdb sdc sdd"
      ])
      const note = yield* zfs.setProperty("tank/photos", "com.sigmavault:note", "family photos", { confirm: false })
      assert.deepStrictEqual(note.command, ["zfs", "set", "com.sigmavault:note=family photos", "tank/photos"])
      assert.strictEqual(note.display, "zfs set 'com.sigmavault:note=family photos' tank/photos")
      assert.strictEqual((yield* zfs.destroy("tank/photos", { confirm: false, recursive: true })).display, "zfs destroy -r tank/photos")
      assert.strictEqual((yield* zfs.destroy("tank/photos@2026-11-01", { confirm: false })).display, "zfs destroy tank/photos@2026-11-01")
      assert.strictEqual((yield* zfs.createDataset("tank/media", { confirm: false })).display, "zfs create tank/media")
      assert.deepStrictEqual(runner.calls, [])
    }))

  it.effect("confirm spawns exactly the planned argv", () =>
    Effect.gen(function*() {
      const runner = machine()
      const zfs = make(runner.service)
      const planned = [
        yield* zfs.createDataset("tank/media", { confirm: true, properties: { compression: "zstd" } }),
        yield* zfs.destroy("tank/photos", { confirm: true, recursive: true }),
        yield* zfs.createPool("tank2", [{ kind: "mirror", disks: ["/dev/disk/by-id/ata-A", "sdb"] }, { kind: "mirror", disks: ["sdc", "sdd"] }], {
          confirm: true,
          properties: { ashift: "12" }
        }),
        yield* zfs.setProperty("tank/photos", "com.sigmavault:note", "family photos", { confirm: true })
      ]
      assert.deepStrictEqual(runner.calls, planned.map((p) => p.command))
      assert.isTrue(planned.every((p) => p.executed && p.output === ""))
    }))

  const hostile = ["-o", "../x", "a b", "tank\nx", "$(rm)", "tank;ls"]
  // "tank/-o" is a valid dataset that no tool reads as an option; the rest stay hostile below a pool.
  const below = (name: string) => (name === "-o" ? "tank/../x" : `tank/${name}`)

  it.effect("hostile names are refused before anything is spawned", () =>
    Effect.gen(function*() {
      const runner = machine()
      const zfs = make(runner.service)
      const attempts: Array<Effect.Effect<unknown, ZfsError>> = hostile.flatMap((name) => [
        zfs.status(name),
        zfs.datasets(name),
        zfs.datasets(below(name)),
        zfs.properties(name, ["compression"]),
        zfs.properties("tank/photos", [name]),
        zfs.scrub(name, "start"),
        zfs.scrub(name, "stop"),
        zfs.createPool(name, [{ kind: "mirror", disks: ["sda", "sdb"] }], { confirm: true }),
        zfs.createPool("tank2", [{ kind: "mirror", disks: ["sda", name] }], { confirm: true }),
        zfs.createPool("tank2", [{ kind: "stripe", disks: ["sda"] }], { confirm: true, properties: { [name]: "12" } }),
        zfs.createDataset(below(name), { confirm: true }),
        zfs.createDataset("tank/new", { confirm: true, properties: { [name]: "on" } }),
        zfs.setProperty(below(name), "compression", "on", { confirm: true }),
        zfs.setProperty("tank/photos", name, "on", { confirm: true }),
        zfs.destroy(name, { confirm: true }),
        zfs.destroy(below(name), { confirm: true, recursive: true })
      ])
      // Values are free text (an argv carries spaces and '$' safely), except an option-looking start and control characters.
      attempts.push(
        zfs.setProperty("tank/photos", "compression", "-o", { confirm: true }),
        zfs.setProperty("tank/photos", "com.sigmavault:note", "tank\nx", { confirm: true }),
        zfs.createDataset("tank/new", { confirm: true, properties: { compression: "-o" } }),
        zfs.destroy("tank", { confirm: true, recursive: true })
      )
      for (const attempt of attempts) {
        const error = yield* Effect.flip(attempt)
        assert.strictEqual(error._tag, "InvalidName", error.message)
      }
      assert.deepStrictEqual(runner.calls, [])
    }))

  it.effect("a machine without zpool or zfs says ZFS is not installed", () =>
    Effect.gen(function*() {
      const zfs = make(fakeRunner({
        "zpool list -j --json-int": new ToolMissing({ tool: "zpool" }),
        [LIST]: new ToolMissing({ tool: "zfs" }),
        "zfs create tank/x": new ToolMissing({ tool: "zfs" })
      }).service)
      for (const effect of [zfs.pools, zfs.datasets(), zfs.createDataset("tank/x", { confirm: true })]) {
        const error = yield* Effect.flip(effect as Effect.Effect<unknown, ZfsError>)
        assert.strictEqual(error._tag, "ZfsNotInstalled")
        assert.strictEqual(error.message, "ZFS is not installed (zpool and zfs are not on PATH)")
      }
    }))

  it.effect("an older ZFS that has no -j is told apart; other failures keep zpool's words", () =>
    Effect.gen(function*() {
      const zfs = make(fakeRunner({
        "zpool list -j --json-int": { exitCode: 2, stderr: fixture("zpool-2.2-list-j.stderr") },
        "zpool status -j --json-int": { exitCode: 2, stderr: fixture("zpool-2.2-status-j.stderr") },
        "zpool status -j --json-int gone": { exitCode: 1, stderr: "cannot open 'gone': no such pool\n" },
        "zpool scrub -p tank": { exitCode: 1, stderr: "cannot pause scrubbing tank: there is no active scrub\n" },
        "zpool scrub tank": new CommandTimedOut({ tool: "zpool", args: ["scrub", "tank"], timeoutMs: 60_000 })
      }).service)
      const old = yield* Effect.flip(zfs.pools)
      assert.strictEqual(old.message, "zpool list -j --json-int exited 2: this ZFS is older than 2.3: JSON output (-j) is needed (invalid option 'j')")
      const oldStatus = yield* Effect.flip(zfs.status())
      assert.match(oldStatus.message, /older than 2\.3: JSON output \(-j\) is needed \(zpool: invalid option -- 'j'\)$/)
      assert.strictEqual((yield* Effect.flip(zfs.status("gone"))).message, "zpool status -j --json-int gone exited 1: cannot open 'gone': no such pool")
      const pause = yield* Effect.flip(zfs.scrub("tank", "pause"))
      assert.deepStrictEqual([pause._tag, pause.message], ["CommandExited", "zpool scrub -p tank exited 1: cannot pause scrubbing tank: there is no active scrub"])
      assert.strictEqual((yield* Effect.flip(zfs.scrub("tank", "start")))._tag, "CommandTimedOut")
    }))

  it.effect("output that is not zpool's JSON is a DecodeError naming the field", () =>
    Effect.gen(function*() {
      const doc = JSON.parse(fixture("list.int.json"))
      doc.pools.tank.properties.capacity.value = "lots"
      const zfs = make(fakeRunner({
        "zpool list -j --json-int": { stdout: JSON.stringify(doc) },
        "zpool status -j --json-int": { stdout: "no pools available\n" }
      }).service)
      const bad = yield* Effect.flip(zfs.pools)
      assert.deepStrictEqual([bad._tag, bad._tag === "DecodeError" && bad.path], ["DecodeError", "pools.tank.properties.capacity.value"])
      assert.strictEqual((yield* Effect.flip(zfs.status()))._tag, "DecodeError")
    }))
})
