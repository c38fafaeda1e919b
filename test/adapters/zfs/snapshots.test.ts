/**
 * HELIX's ZFS commands through the live adapter over the CommandRunner's test
 * implementation: the exact argument vectors (`zfs list -j --json-int -t
 * snapshot …`, `-Hp` when an OpenZFS before 2.3 refuses -j, `zfs snapshot
 * [-r]`, `zfs hold/release/holds`, `zfs destroy ds@snap`), planned without
 * running unless confirmed, and hostile names refused before any process.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import * as CommandRunnerTest from "../../../src/adapters/command/CommandRunnerTest.ts"
import { parseHolds, parseSnapshotLines, parseSnapshotList } from "../../../src/adapters/zfs/parse.ts"
import { make } from "../../../src/adapters/zfs/ZfsLive.ts"
import * as ZfsTest from "../../../src/adapters/zfs/ZfsTest.ts"
import { fixture } from "./fakeRunner.ts"

const LIST = "zfs list -j --json-int -t snapshot -o name,creation,used,referenced,userrefs"
const LINES = "zfs list -Hp -t snapshot -o name,creation,used,referenced,userrefs"
const OLD = { exitCode: 2, stderr: "invalid option 'j'\nusage:\n\tlist [-Hp] [-r|-d max] [-o property[,...]] [-s property]...\n" }

describe("snapshot commands", () => {
  it.effect("list with -j --json-int (all, -d 1 for one dataset, -r with descendants) and parse creation, space and holds", () =>
    Effect.gen(function*() {
      const runner = CommandRunnerTest.make({
        [LIST]: { stdout: fixture("snapshots.int.json") },
        [`${LIST} -d 1 tank/photos`]: { stdout: fixture("snapshots.int.json") },
        [`${LIST} -r tank`]: { stdout: "" }
      })
      const zfs = make(runner.service)
      const all = yield* zfs.snapshots()
      assert.deepStrictEqual(all.map((s) => [s.dataset, s.snapshot, s.creation, s.userrefs]), [
        ["tank/photos", "autosnap_2026-12-06_23:59:00_daily", 1796601540, 0],
        ["tank/photos", "autosnap_2026-12-07_14:00:00_hourly", 1796652000, 1],
        ["tank/photos", "before-upgrade", 1796400000, 0],
        ["tank", "autosnap_2026-12-07_14:00:00_hourly", 1796652000, 0]
      ])
      assert.strictEqual(all[2]!.usedBytes, 20971520)
      yield* zfs.snapshots("tank/photos")
      assert.deepStrictEqual(yield* zfs.snapshots("tank", { recursive: true }), [])
      assert.deepStrictEqual(runner.calls, [LIST, `${LIST} -d 1 tank/photos`, `${LIST} -r tank`])
    }))

  it.effect("fall back to the same columns with -Hp on an OpenZFS before 2.3, which refuses -j", () =>
    Effect.gen(function*() {
      const runner = CommandRunnerTest.make({
        [`${LIST} -d 1 tank/photos`]: OLD,
        [`${LINES} -d 1 tank/photos`]: { stdout: "tank/photos@autosnap_2026-12-07_14:00:00_hourly\t1796652000\t0\t812351488\t1\ntank/photos@before-upgrade\t1796400000\t20971520\t790000000\t0\n" }
      })
      const rows = yield* make(runner.service).snapshots("tank/photos")
      assert.deepStrictEqual(rows.map((r) => [r.name, r.creation, r.referencedBytes, r.userrefs]), [
        ["tank/photos@autosnap_2026-12-07_14:00:00_hourly", 1796652000, 812351488, 1],
        ["tank/photos@before-upgrade", 1796400000, 790000000, 0]
      ])
      assert.deepStrictEqual(runner.calls, [`${LIST} -d 1 tank/photos`, `${LINES} -d 1 tank/photos`])
    }))

  it.effect("snapshot, hold, release and destroy are planned with the exact argv and run only when confirmed; holds are read with -H", () =>
    Effect.gen(function*() {
      const runner = CommandRunnerTest.make({
        "zfs snapshot -r tank/photos@before-upgrade": {},
        "zfs hold sigmavault-replication tank/photos@before-upgrade": {},
        "zfs release sigmavault-replication tank/photos@before-upgrade": {},
        "zfs destroy tank/photos@autosnap_2026-12-06_23:59:00_daily": {},
        "zfs holds -H tank/photos@before-upgrade": { stdout: "tank/photos@before-upgrade\tsigmavault-replication\tMon Dec  7 14:30 2026\n" }
      })
      const zfs = make(runner.service)
      const plan = yield* zfs.snapshot("tank/photos@before-upgrade", { confirm: false, recursive: true })
      assert.deepStrictEqual([plan.command, plan.display, plan.executed], [["zfs", "snapshot", "-r", "tank/photos@before-upgrade"], "zfs snapshot -r tank/photos@before-upgrade", false])
      assert.deepStrictEqual(runner.calls, [])
      assert.isTrue((yield* zfs.snapshot("tank/photos@before-upgrade", { confirm: true, recursive: true })).executed)
      yield* zfs.hold("sigmavault-replication", "tank/photos@before-upgrade", { confirm: true })
      assert.deepStrictEqual(yield* zfs.holds("tank/photos@before-upgrade"), [{ tag: "sigmavault-replication", since: "Mon Dec  7 14:30 2026" }])
      yield* zfs.release("sigmavault-replication", "tank/photos@before-upgrade", { confirm: true })
      yield* zfs.destroy("tank/photos@autosnap_2026-12-06_23:59:00_daily", { confirm: true })
      assert.deepStrictEqual(runner.calls, [
        "zfs snapshot -r tank/photos@before-upgrade",
        "zfs hold sigmavault-replication tank/photos@before-upgrade",
        "zfs holds -H tank/photos@before-upgrade",
        "zfs release sigmavault-replication tank/photos@before-upgrade",
        "zfs destroy tank/photos@autosnap_2026-12-06_23:59:00_daily"
      ])
    }))

  it.effect("hostile datasets, snapshots and tags are refused before any process is spawned", () =>
    Effect.gen(function*() {
      const runner = CommandRunnerTest.make({ "zfs snapshot x": {} })
      const zfs = make(runner.service)
      const refusals = [
        yield* Effect.flip(zfs.snapshot("tank/photos", { confirm: true })),
        yield* Effect.flip(zfs.snapshot("tank/photos@", { confirm: true })),
        yield* Effect.flip(zfs.snapshot("tank/photos@a;rm -rf /", { confirm: true })),
        yield* Effect.flip(zfs.snapshot("-o@x", { confirm: true })),
        yield* Effect.flip(zfs.snapshot("tank/photos#mark", { confirm: true })),
        yield* Effect.flip(zfs.hold("-f", "tank@a", { confirm: true })),
        yield* Effect.flip(zfs.hold("tag", "tank", { confirm: true })),
        yield* Effect.flip(zfs.holds("tank/../etc@a")),
        yield* Effect.flip(zfs.snapshots("tank/$(id)")),
        yield* Effect.flip(zfs.destroy("tank@a b", { confirm: true }))
      ]
      for (const refusal of refusals) assert.strictEqual(refusal._tag, "InvalidName")
      assert.deepStrictEqual(runner.calls, [])
    }))

  it("parsers name the bad field instead of throwing", () => {
    const bad = parseSnapshotList(`{"datasets":{"tank@a":{"name":"tank@a","properties":{"creation":{"value":"Mon Dec 7"}}}}}`)
    assert.isTrue(Result.isFailure(bad))
    assert.match(Result.isFailure(bad) ? bad.failure.message : "", /datasets\.tank@a\.properties\.creation\.value: expected seconds since the epoch/)
    assert.isTrue(Result.isFailure(parseSnapshotList(`{"datasets":{"tank":{"name":"tank","properties":{"creation":{"value":1}}}}}`)))
    assert.isTrue(Result.isFailure(parseSnapshotLines("tank@a\tyesterday\n")))
    assert.deepStrictEqual(Result.getOrThrow(parseSnapshotList("")), [])
    assert.deepStrictEqual(Result.getOrThrow(parseHolds("")), [])
  })
})

describe("snapshots in the test ZFS", () => {
  it.effect("take, hold, refuse to destroy a held one as zfs does, release, destroy", () =>
    Effect.gen(function*() {
      const model = ZfsTest.model({
        datasets: [
          { name: "tank", pool: "tank", type: "filesystem", usedBytes: 0, availableBytes: 0, referencedBytes: 0 },
          { name: "tank/photos", pool: "tank", type: "filesystem", usedBytes: 0, availableBytes: 0, referencedBytes: 0 }
        ],
        now: () => 1796652000
      })
      const zfs = ZfsTest.make(model)
      yield* zfs.snapshot("tank@a", { confirm: true, recursive: true })
      assert.deepStrictEqual((yield* zfs.snapshots()).map((s) => [s.name, s.creation]), [["tank@a", 1796652000], ["tank/photos@a", 1796652000]])
      const again = yield* Effect.flip(zfs.snapshot("tank/photos@a", { confirm: true }))
      assert.match(again.message, /dataset already exists/)
      yield* zfs.hold("keep", "tank/photos@a", { confirm: true })
      const busy = yield* Effect.flip(zfs.destroy("tank/photos@a", { confirm: true }))
      assert.match(busy.message, /dataset is busy/)
      yield* zfs.release("keep", "tank/photos@a", { confirm: true })
      yield* zfs.destroy("tank/photos@a", { confirm: true })
      assert.deepStrictEqual((yield* zfs.snapshots("tank", { recursive: true })).map((s) => s.name), ["tank@a"])
    }))
})
