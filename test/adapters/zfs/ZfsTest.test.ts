import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { parseDatasetList, parsePoolList, parsePoolStatus } from "../../../src/adapters/zfs/parse.ts"
import { make as live } from "../../../src/adapters/zfs/ZfsLive.ts"
import * as ZfsTest from "../../../src/adapters/zfs/ZfsTest.ts"
import { Zfs } from "../../../src/adapters/zfs/Zfs.ts"
import { fakeRunner, fixture } from "./fakeRunner.ts"

const tank = () =>
  ZfsTest.model({
    summaries: [...Result.getOrThrow(parsePoolList(fixture("list.int.json")))],
    statuses: [
      ...Result.getOrThrow(parsePoolStatus(fixture("status-mirror-healthy.int.json"))),
      ...Result.getOrThrow(parsePoolStatus(fixture("status-raidz2-special-scrubbing.int.json"))),
      ...Result.getOrThrow(parsePoolStatus(fixture("status-resilvering.int.json"))).map((p) => ({ ...p, name: "mend" }))
    ],
    datasets: [...Result.getOrThrow(parseDatasetList(fixture("datasets.int.json")))]
  })

describe("the in-memory ZFS adapter", () => {
  it.effect("serves what it was given, through the Zfs service", () =>
    Effect.gen(function*() {
      const zfs = yield* Zfs
      assert.deepStrictEqual((yield* zfs.pools).map((p) => p.name), ["tank"])
      assert.deepStrictEqual((yield* zfs.status()).map((p) => p.name), ["tank", "backup", "vault", "mend"])
      assert.deepStrictEqual((yield* zfs.datasets("tank/photos")).map((d) => d.name), ["tank/photos"])
      const gone = yield* Effect.flip(zfs.status("gone"))
      assert.strictEqual(gone.message, "zpool status gone exited 1: cannot open 'gone': no such pool")
    }).pipe(Effect.provide(ZfsTest.layer(tank()))))

  it.effect("plans exactly what the live adapter plans", () =>
    Effect.gen(function*() {
      const model = tank()
      const fake = ZfsTest.make(model)
      const real = live(fakeRunner().service)
      const layout = [{ kind: "raidz2" as const, disks: ["/dev/sda", "/dev/sdb", "/dev/sdc", "/dev/sdd"] }]
      const plans = (zfs: typeof fake) =>
        Effect.all([
          zfs.createPool("new", layout, { confirm: false, properties: { ashift: "12" } }),
          zfs.createDataset("tank/media", { confirm: false }),
          zfs.setProperty("tank/photos", "atime", "off", { confirm: false }),
          zfs.destroy("tank/photos", { confirm: false, recursive: true })
        ])
      assert.deepStrictEqual(yield* plans(fake), yield* plans(real))
      assert.deepStrictEqual(model.executed, [])
      const refused = yield* Effect.flip(fake.createDataset("tank/a b", { confirm: true }))
      assert.strictEqual(refused._tag, "InvalidName")
    }))

  it.effect("confirmed changes apply to the model and are recorded; zfs's refusals are kept", () =>
    Effect.gen(function*() {
      const model = tank()
      const zfs = ZfsTest.make(model)
      yield* zfs.createDataset("tank/media", { confirm: true, properties: { compression: "zstd" } })
      assert.deepStrictEqual((yield* zfs.datasets("tank/media")).map((d) => [d.name, d.mountpoint]), [["tank/media", "/tank/media"]])
      assert.deepStrictEqual((yield* zfs.properties("tank/media", ["compression"])).compression, { value: "zstd", source: "local" })
      yield* zfs.setProperty("tank/media", "mountpoint", "/srv/media", { confirm: true })
      assert.strictEqual((yield* zfs.datasets("tank/media"))[0]!.mountpoint, "/srv/media")
      assert.strictEqual((yield* Effect.flip(zfs.createDataset("tank/media", { confirm: true }))).message, "zfs create tank/media exited 1: cannot create 'tank/media': dataset already exists")
      assert.match((yield* Effect.flip(zfs.createDataset("tank/none/x", { confirm: true }))).message, /parent does not exist$/)
      yield* zfs.createDataset("tank/media/films", { confirm: true })
      assert.match((yield* Effect.flip(zfs.destroy("tank/media", { confirm: true }))).message, /filesystem has children\nuse '-r'.*\ntank\/media\/films$/s)
      yield* zfs.destroy("tank/media", { confirm: true, recursive: true })
      assert.deepStrictEqual((yield* zfs.datasets()).map((d) => d.name), ["tank", "tank/legacy", "tank/photos", "tank/vm-disk"])
      yield* zfs.createPool("new", [{ kind: "mirror", disks: ["/dev/sdx", "sdy"] }, { kind: "raidz2", disks: ["a", "b", "c", "d"] }], { confirm: true })
      const [created] = yield* zfs.status("new")
      assert.deepStrictEqual(created!.vdevs.map((v) => [v.name, v.type, v.parity, v.children.map((c) => c.path)]), [
        ["mirror-0", "mirror", undefined, ["/dev/sdx", "/dev/sdy"]],
        ["raidz2-1", "raidz", 2, ["/dev/a", "/dev/b", "/dev/c", "/dev/d"]]
      ])
      assert.deepStrictEqual(model.executed.map((c) => c.join(" ")), [
        "zfs create -o compression=zstd tank/media",
        "zfs set mountpoint=/srv/media tank/media",
        "zfs create tank/media",
        "zfs create tank/none/x",
        "zfs create tank/media/films",
        "zfs destroy tank/media",
        "zfs destroy -r tank/media",
        "zpool create new mirror /dev/sdx sdy raidz2 a b c d"
      ])
    }))

  it.effect("snapshots: destroyed alone (with -r, the same snapshot below too); a dataset that has one needs -r", () =>
    Effect.gen(function*() {
      const model = tank()
      const snapshot = (name: string) => ({ name, pool: "tank", type: "snapshot" as const, usedBytes: 0, availableBytes: 0, referencedBytes: 0 })
      model.datasets.push(snapshot("tank@daily"), snapshot("tank/photos@daily"), snapshot("tank/legacy@daily"), snapshot("tank/photos@weekly"))
      const zfs = ZfsTest.make(model)
      const snapshots = () => model.datasets.filter((d) => d.type === "snapshot").map((d) => d.name)
      assert.deepStrictEqual((yield* zfs.datasets()).map((d) => d.name), ["tank", "tank/legacy", "tank/photos", "tank/vm-disk"])
      assert.match((yield* Effect.flip(zfs.destroy("tank/photos", { confirm: true }))).message, /filesystem has children\nuse '-r'.*\ntank\/photos@daily\ntank\/photos@weekly$/s)
      yield* zfs.destroy("tank/photos@weekly", { confirm: true })
      assert.deepStrictEqual(snapshots(), ["tank@daily", "tank/photos@daily", "tank/legacy@daily"])
      yield* zfs.destroy("tank@daily", { confirm: true, recursive: true })
      assert.deepStrictEqual(snapshots(), [])
      assert.match((yield* Effect.flip(zfs.destroy("tank@daily", { confirm: true }))).message, /could not find any snapshots to destroy/)
      assert.match((yield* Effect.flip(zfs.destroy("tank/none@daily", { confirm: true }))).message, /cannot open 'tank\/none': dataset does not exist/)
    }))

  it.effect("scrubs start, pause, resume and stop; zpool's refusals are kept", () =>
    Effect.gen(function*() {
      const model = tank()
      const zfs = ZfsTest.make(model)
      const scan = (pool: string) => Effect.map(zfs.status(pool), ([p]) => p!.scan)
      yield* zfs.scrub("tank", "start")
      assert.deepStrictEqual(yield* scan("tank"), { function: "scrub", state: "scanning", paused: false, errors: 0, percent: 0 })
      assert.match((yield* Effect.flip(zfs.scrub("tank", "start"))).message, /cannot scrub tank: currently scrubbing/)
      yield* zfs.scrub("vault", "pause")
      assert.deepStrictEqual([(yield* scan("vault")).paused, (yield* scan("vault")).percent], [true, 30])
      assert.match((yield* Effect.flip(zfs.scrub("vault", "pause"))).message, /scrub is paused/)
      yield* zfs.scrub("backup", "start")
      assert.deepStrictEqual([(yield* scan("backup")).paused, (yield* scan("backup")).percent], [false, 25])
      yield* zfs.scrub("backup", "stop")
      assert.strictEqual((yield* scan("backup")).state, "canceled")
      assert.match((yield* Effect.flip(zfs.scrub("backup", "stop"))).message, /cannot cancel scrubbing backup: there is no active scrub/)
      assert.match((yield* Effect.flip(zfs.scrub("mend", "start"))).message, /cannot scrub mend: currently resilvering/)
      assert.match((yield* Effect.flip(zfs.scrub("gone", "start"))).message, /no such pool/)
      assert.strictEqual((yield* Effect.flip(zfs.scrub("-o", "start")))._tag, "InvalidName")
      assert.strictEqual(model.executed.length, 9)
    }))

  it.effect("without ZFS everything says so", () =>
    Effect.gen(function*() {
      const zfs = ZfsTest.make(ZfsTest.model({ installed: false }))
      for (const effect of [zfs.pools, zfs.status(), zfs.datasets(), zfs.scrub("tank", "start"), zfs.createDataset("tank/x", { confirm: false })]) {
        assert.strictEqual((yield* Effect.flip(effect as Effect.Effect<unknown, { readonly _tag: string }>))._tag, "ZfsNotInstalled")
      }
    }))
})
