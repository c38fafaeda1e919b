import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as CommandRunnerTest from "../../../src/adapters/command/CommandRunnerTest.ts"
import * as StreamsTest from "../../../src/adapters/command/StreamsTest.ts"
import type { StateStore } from "../../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../../src/adapters/state/StateStoreTest.ts"
import * as ReplicationLive from "../../../src/adapters/zfs/ReplicationLive.ts"
import { ZfsReplication } from "../../../src/adapters/zfs/Replication.ts"
import { PAIRS_KEY, planReplication, protectedSnapshots, readPairs, replicate } from "../../../src/actors/helix/replicate.ts"

const list = (dataset: string) => `zfs list -H -p -t snapshot -d 1 -s createtxg -o name,guid,createtxg,creation ${dataset}`
const token = (dataset: string) => `zfs get -H -p -o value receive_resume_token ${dataset}`
const missing = (dataset: string) => ({ exitCode: 1, stderr: `cannot open '${dataset}': dataset does not exist\n` })
const snapshots = (dataset: string, entries: ReadonlyArray<readonly [name: string, guid: string, txg: number]>) => ({
  stdout: entries.map(([name, guid, txg]) => `${dataset}@${name}\t${guid}\t${txg}\t${1_700_000_000 + txg}\n`).join("")
})
const SOURCE = [["a", "1001", 10], ["b", "1002", 20], ["c", "1003", 30]] as const

interface World {
  readonly runner: CommandRunnerTest.CommandRunnerTest
  readonly streams: StreamsTest.CommandStreamsTest
  readonly layer: Layer.Layer<ZfsReplication | StateStore>
}

const world = (
  answers: Record<string, CommandRunnerTest.Scripted>,
  pipes: Record<string, StreamsTest.ScriptedPipe> = {},
  state: Record<string, unknown> = {}
): World => {
  const runner = CommandRunnerTest.make(answers)
  const streams = StreamsTest.make(pipes)
  const layer = Layer.mergeAll(Layer.succeed(ZfsReplication, ReplicationLive.make(runner.service, streams.service)), StateStoreTest.layer(state))
  return { runner, streams, layer }
}

const hooks = (seen: Array<number> = []) => ({
  progress: (report: { readonly done: number }) => Effect.sync(() => void seen.push(report.done)),
  now: () => new Date("2026-12-07T15:00:00Z")
})

const holdLines = (w: World) => w.runner.calls.filter((line) => /^zfs (hold|release) /.test(line))

describe("HELIX replication: zfs send | zfs receive", () => {
  it.effect("a target that does not exist: the plan is a full send of the oldest snapshot, then -I to the newest; nothing runs without confirm", () => {
    const w = world({ [token("backup/tank")]: missing("backup/tank"), [list("tank/data")]: snapshots("tank/data", SOURCE), [list("backup/tank")]: missing("backup/tank") })
    return Effect.gen(function*() {
      const plan = yield* replicate({ dataset: "tank/data", target: "backup/tank" }, hooks())
      assert.isFalse(plan.executed)
      assert.deepStrictEqual(plan.steps.map((step) => [step.kind, step.send, step.receive]), [
        ["full", ["zfs", "send", "tank/data@a"], ["zfs", "receive", "-s", "-F", "backup/tank"]],
        ["incremental", ["zfs", "send", "-I", "tank/data@a", "tank/data@c"], ["zfs", "receive", "-s", "-F", "backup/tank"]]
      ])
      assert.deepStrictEqual(plan.hold, { tag: "sigmavault-repl:backup/tank", place: ["tank/data@c", "backup/tank@c"], release: [] })
      assert.deepStrictEqual(w.streams.calls, [], "no send ran")
      assert.deepStrictEqual(holdLines(w), [], "no hold was placed")
    }).pipe(Effect.provide(w.layer))
  })

  it.effect("confirmed: the sends run in order through the pipe with byte progress, the newest snapshot is held on both sides and the pair remembered", () => {
    const w = world(
      {
        [token("backup/tank")]: missing("backup/tank"),
        [list("tank/data")]: snapshots("tank/data", SOURCE),
        [list("backup/tank")]: missing("backup/tank"),
        "zfs send -n -P tank/data@a": { stdout: "full\ttank/data@a\t1000\nsize\t1000\n" },
        "zfs send -n -P -I tank/data@a tank/data@c": { stdout: "size\t500\n" },
        "zfs hold sigmavault-repl:backup/tank tank/data@c backup/tank@c": {}
      },
      {
        "zfs send tank/data@a | zfs receive -s -F backup/tank": { bytes: 1000 },
        "zfs send -I tank/data@a tank/data@c | zfs receive -s -F backup/tank": { bytes: 520 }
      }
    )
    return Effect.gen(function*() {
      const seen: Array<number> = []
      const done = yield* replicate({ dataset: "tank/data", target: "backup/tank", confirm: true }, hooks(seen))
      assert.isTrue(done.executed)
      assert.strictEqual(done.bytes, 1520)
      assert.deepStrictEqual(done.steps.map((step) => [step.bytes, step.estimatedBytes]), [[1000, 1000], [520, 500]])
      assert.deepStrictEqual(seen, [1000, 1520], "progress counts the bytes of every send in turn")
      assert.deepStrictEqual(w.streams.calls, [
        "zfs send tank/data@a | zfs receive -s -F backup/tank",
        "zfs send -I tank/data@a tank/data@c | zfs receive -s -F backup/tank"
      ])
      assert.deepStrictEqual(holdLines(w), ["zfs hold sigmavault-repl:backup/tank tank/data@c backup/tank@c"])
      const pairs = yield* readPairs
      assert.deepStrictEqual(pairs, [{
        dataset: "tank/data",
        target: "backup/tank",
        tag: "sigmavault-repl:backup/tank",
        common: { source: "tank/data@c", target: "backup/tank@c", guid: "1003" },
        lastRun: { at: "2026-12-07T15:00:00.000Z", bytes: 1520, outcome: "replicated" }
      }])
      assert.deepStrictEqual([...(yield* protectedSnapshots)].sort(), ["backup/tank@c", "tank/data@c"])
    }).pipe(Effect.provide(w.layer))
  })

  it.effect("incremental from the newest snapshot both sides share by GUID (a same-named snapshot that diverged is not common, and -F discards it); the old common's holds come off", () => {
    const source = [...SOURCE, ["d", "1004", 40]] as const
    const w = world(
      {
        [token("backup/tank")]: { stdout: "-\n" },
        [list("tank/data")]: snapshots("tank/data", source),
        [list("backup/tank")]: snapshots("backup/tank", [["a", "1001", 5], ["b", "1002", 6], ["c", "9999", 7]]),
        "zfs send -n -P -I tank/data@b tank/data@d": { stdout: "size\t2048\n" },
        "zfs hold sigmavault-repl:backup/tank tank/data@d backup/tank@d": {},
        "zfs release sigmavault-repl:backup/tank tank/data@a backup/tank@a": { exitCode: 1, stderr: "cannot release hold from snapshot 'backup/tank@a': no such tag on this dataset\n" }
      },
      { "zfs send -I tank/data@b tank/data@d | zfs receive -s -F backup/tank": { bytes: 2100 } },
      { [PAIRS_KEY]: { pairs: [{ dataset: "tank/data", target: "backup/tank", tag: "sigmavault-repl:backup/tank", common: { source: "tank/data@a", target: "backup/tank@a", guid: "1001" } }] } }
    )
    return Effect.gen(function*() {
      const plan = yield* replicate({ dataset: "tank/data", target: "backup/tank" }, hooks())
      assert.strictEqual(plan.common, "tank/data@b")
      assert.deepStrictEqual(plan.discards, ["backup/tank@c"])
      assert.deepStrictEqual(plan.steps.map((step) => step.display), ["zfs send -I tank/data@b tank/data@d | zfs receive -s -F backup/tank"])
      assert.deepStrictEqual(plan.hold, { tag: "sigmavault-repl:backup/tank", place: ["tank/data@d", "backup/tank@d"], release: ["tank/data@a", "backup/tank@a"] })
      const done = yield* replicate({ dataset: "tank/data", target: "backup/tank", confirm: true }, hooks())
      assert.strictEqual(done.bytes, 2100)
      assert.deepStrictEqual(holdLines(w), [
        "zfs hold sigmavault-repl:backup/tank tank/data@d backup/tank@d",
        "zfs release sigmavault-repl:backup/tank tank/data@a backup/tank@a"
      ], "the new common snapshot is held before the old one is released; a tag already gone is no error")
      assert.deepStrictEqual([...(yield* protectedSnapshots)].sort(), ["backup/tank@d", "tank/data@d"])
    }).pipe(Effect.provide(w.layer))
  })

  it.effect("intermediates: false sends only the newest snapshot (-i)", () => {
    const w = world({
      [token("backup/tank")]: { stdout: "-\n" },
      [list("tank/data")]: snapshots("tank/data", SOURCE),
      [list("backup/tank")]: snapshots("backup/tank", [["a", "1001", 5]])
    })
    return Effect.gen(function*() {
      const plan = yield* replicate({ dataset: "tank/data", target: "backup/tank", intermediates: false }, hooks())
      assert.deepStrictEqual(plan.steps.map((step) => step.send), [["zfs", "send", "-i", "tank/data@a", "tank/data@c"]])
    }).pipe(Effect.provide(w.layer))
  })

  it.effect("up to date: nothing is sent; confirmed, the common snapshot is held (idempotently) and the pair remembered", () => {
    const w = world({
      [token("backup/tank")]: { stdout: "-\n" },
      [list("tank/data")]: snapshots("tank/data", SOURCE),
      [list("backup/tank")]: snapshots("backup/tank", [["a", "1001", 5], ["c", "1003", 9]]),
      "zfs hold sigmavault-repl:backup/tank tank/data@c backup/tank@c": { exitCode: 1, stderr: "cannot hold snapshot 'tank/data@c': tag already exists on this dataset\n" }
    })
    return Effect.gen(function*() {
      const done = yield* replicate({ dataset: "tank/data", target: "backup/tank", confirm: true }, hooks())
      assert.deepStrictEqual([done.upToDate, done.steps, done.bytes], [true, [], 0])
      assert.deepStrictEqual(w.streams.calls, [])
      assert.deepStrictEqual([...(yield* protectedSnapshots)].sort(), ["backup/tank@c", "tank/data@c"])
    }).pipe(Effect.provide(w.layer))
  })

  it.effect("a receive cut short is resumed from its token first, then the rest is planned again from what arrived", () => {
    const resumeToken = "1-e604ea4bf-e0-789c63a2"
    const w = world(
      {
        [token("backup/tank")]: { stdout: `${resumeToken}\n` },
        [list("tank/data")]: snapshots("tank/data", SOURCE),
        [list("backup/tank")]: snapshots("backup/tank", [["a", "1001", 5]]),
        "zfs hold sigmavault-repl:backup/tank tank/data@c backup/tank@c": {}
      },
      {
        [`zfs send -t ${resumeToken} | zfs receive -s -F backup/tank`]: { bytes: 300 },
        "zfs send -I tank/data@b tank/data@c | zfs receive -s -F backup/tank": { bytes: 700 }
      }
    )
    return Effect.gen(function*() {
      const plan = yield* replicate({ dataset: "tank/data", target: "backup/tank" }, hooks())
      assert.deepStrictEqual(plan.steps.map((step) => step.display), [`zfs send -t ${resumeToken} | zfs receive -s -F backup/tank`])
      // Once the resumed stream is in, the target has b and no token.
      const progress = {
        progress: (report: { readonly done: number }) =>
          Effect.sync(() => {
            if (report.done === 300) {
              w.runner.answer(token("backup/tank"), { stdout: "-\n" })
              w.runner.answer(list("backup/tank"), snapshots("backup/tank", [["a", "1001", 5], ["b", "1002", 6]]))
            }
          }),
        now: () => new Date("2026-12-07T15:00:00Z")
      }
      const done = yield* replicate({ dataset: "tank/data", target: "backup/tank", confirm: true }, progress)
      assert.deepStrictEqual(w.streams.calls, [
        `zfs send -t ${resumeToken} | zfs receive -s -F backup/tank`,
        "zfs send -I tank/data@b tank/data@c | zfs receive -s -F backup/tank"
      ])
      assert.deepStrictEqual(done.steps.map((step) => step.kind), ["resume", "incremental"])
      assert.strictEqual(done.bytes, 1000)
      assert.deepStrictEqual(holdLines(w), ["zfs hold sigmavault-repl:backup/tank tank/data@c backup/tank@c"])
    }).pipe(Effect.provide(w.layer))
  })

  it.effect("a send that fails names its side; nothing is held and no record changes", () => {
    const w = world(
      { [token("backup/tank")]: { stdout: "-\n" }, [list("tank/data")]: snapshots("tank/data", SOURCE), [list("backup/tank")]: snapshots("backup/tank", [["a", "1001", 5]]) },
      {
        "zfs send -I tank/data@a tank/data@c | zfs receive -s -F backup/tank": {
          bytes: 4096,
          source: { exitCode: null, signal: "SIGPIPE" },
          sink: { exitCode: 1, stderr: "cannot receive incremental stream: out of space" },
          failedFirst: "sink"
        }
      }
    )
    return Effect.gen(function*() {
      const error = yield* Effect.flip(replicate({ dataset: "tank/data", target: "backup/tank", confirm: true }, hooks()))
      assert.strictEqual(error._tag, "PipeExited")
      assert.strictEqual(
        error.message,
        "zfs receive -s -F backup/tank (the receiving side) exited 1: cannot receive incremental stream: out of space after 4096 bytes; the sending side then was killed by SIGPIPE"
      )
      assert.deepStrictEqual(holdLines(w), [])
      assert.deepStrictEqual(yield* readPairs, [])
    }).pipe(Effect.provide(w.layer))
  })

  it.effect("refusals: no snapshot, no common snapshot, a pair inside itself, a missing source, and ZFS absent", () =>
    Effect.gen(function*() {
      const none = world({ [token("b/t")]: missing("b/t"), [list("tank/data")]: { stdout: "" } })
      const empty = yield* Effect.flip(planReplication({ dataset: "tank/data", target: "b/t" }).pipe(Effect.provide(none.layer)))
      assert.strictEqual(empty.message, "tank/data has no snapshot to send: take one first (HELIX snapshot)")

      const diverged = world({ [token("b/t")]: { stdout: "-\n" }, [list("tank/data")]: snapshots("tank/data", SOURCE), [list("b/t")]: snapshots("b/t", [["x", "5", 1]]) })
      const noCommon = yield* Effect.flip(planReplication({ dataset: "tank/data", target: "b/t" }).pipe(Effect.provide(diverged.layer)))
      assert.strictEqual(noCommon._tag, "NoCommonSnapshot")
      assert.match(noCommon.message, /^b\/t exists but shares no snapshot with tank\/data \(it has 1 snapshot\(s\)/)

      const inside = world({})
      const nested = yield* Effect.flip(planReplication({ dataset: "tank/data", target: "tank/data/copy" }).pipe(Effect.provide(inside.layer)))
      assert.strictEqual(nested.message, "cannot replicate tank/data to tank/data/copy: one is the other or inside it")
      assert.deepStrictEqual(inside.runner.calls, [], "refused before anything ran")

      const gone = world({ [token("b/t")]: missing("b/t"), [list("tank/data")]: missing("tank/data") })
      const noSource = yield* Effect.flip(planReplication({ dataset: "tank/data", target: "b/t" }).pipe(Effect.provide(gone.layer)))
      assert.strictEqual(noSource.message, "cannot replicate tank/data to b/t: tank/data does not exist")

      const absent = yield* Effect.flip(
        planReplication({ dataset: "tank/data", target: "b/t" }).pipe(
          Effect.provide(Layer.mergeAll(
            Layer.succeed(ZfsReplication, ReplicationLive.make(CommandRunnerTest.make().service, StreamsTest.make().service)),
            StateStoreTest.layer()
          ))
        )
      )
      assert.strictEqual(absent._tag, "ZfsNotInstalled")
    }))

  it.effect("hostile names and tokens never reach a command line", () =>
    Effect.gen(function*() {
      const w = world({ [token("b/t")]: { stdout: "1-abc; rm -rf /\n" } })
      const error = yield* Effect.flip(planReplication({ dataset: "tank/data", target: "b/t" }).pipe(
        Effect.flatMap(() => Effect.void),
        Effect.provide(w.layer)
      ))
      assert.strictEqual(error._tag, "InvalidName")
      assert.deepStrictEqual(w.streams.calls, [])
      const badTarget = yield* Effect.flip(planReplication({ dataset: "tank/data", target: "-o x" }).pipe(Effect.provide(w.layer)))
      assert.strictEqual(badTarget._tag, "InvalidName")
    }))
})
