/** MORPH as an agent: plan then confirm, ARBITER's leases (a conflicting job refuses it, naming the holder), background work with progress events, revert. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { arbiterAgent } from "../../src/actors/arbiter/index.ts"
import { morphAgent } from "../../src/actors/morph/index.ts"
import type { Files } from "../../src/adapters/fs/Files.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import type { MigrationFiles } from "../../src/adapters/migration/MigrationFiles.ts"
import type { StateStore } from "../../src/adapters/state/StateStore.ts"
import * as MigrationFilesTest from "../../src/adapters/migration/MigrationFilesTest.ts"
import * as StateStoreTest from "../../src/adapters/state/StateStoreTest.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { ROOT, tree, watch } from "../support/agents.ts"
import { describeTree, differences, makeTree } from "../support/morph.ts"

const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `morph-agent-${process.pid}-`)))
const layers = Layer.mergeAll(
  FilesLive.layer,
  StateStoreTest.layer(),
  MigrationFilesTest.layer({ journalDir: path.join(root, "journals"), roots: [root], forbidden: [] })
)

describe("MORPH agent", () => {
  it.live("plans, is refused while a scrub holds the tree, then moves it in the background with progress, and reverts it", () =>
    Effect.gen(function*() {
      const src = path.join(root, "src")
      const dst = path.join(root, "dst")
      fs.mkdirSync(src)
      makeTree(src, { files: 9 })
      fs.writeFileSync(path.join(src, "big.bin"), Buffer.alloc(20 * 1024 * 1024, 7))
      const before = describeTree(src)
      const system = yield* ActorSystem.make({ root: tree<StateStore | Files | MigrationFiles>("root", "one_for_one", [arbiterAgent, morphAgent]) })
      const events = yield* watch(system)
      const ask = (message: Record<string, unknown>) => system.injectAsk(ROOT, "MORPH", message)

      const plan = (yield* ask({ type: "migrate", source: src, destination: dst, mode: "move" })) as { confirmed: boolean; files: number; bytes: number }
      assert.isFalse(plan.confirmed)
      assert.strictEqual(plan.files, 10)
      assert.isFalse(fs.existsSync(dst))

      const lease = (yield* system.injectAsk(ROOT, "ARBITER", { type: "acquire", resource: `path:${root}`, job: "scrub", holder: "ARBITER" })) as { id: string }
      const refused = yield* Effect.flip(ask({ type: "migrate", source: src, destination: dst, mode: "move", id: "m", confirm: true }))
      assert.match(refused.message, /ARBITER/)
      assert.isFalse(fs.existsSync(dst))
      yield* system.injectAsk(ROOT, "ARBITER", { type: "release", lease: lease.id })

      const started = (yield* ask({ type: "migrate", source: src, destination: dst, mode: "move", id: "m", confirm: true })) as { id: string; state: string }
      assert.deepStrictEqual([started.id, started.state], ["m", "running"])
      const settled = (state: string) =>
        Effect.gen(function*() {
          for (;;) {
            const list = (yield* ask({ type: "migrations" })) as Array<{ id: string; state: string }>
            if (list.find((m) => m.id === "m")?.state === state) return
            yield* Effect.sleep("100 millis")
          }
        })
      yield* settled("finished")
      assert.isFalse(fs.existsSync(src))
      assert.deepStrictEqual(differences(before, describeTree(dst)), [])
      const progress = events.seen.filter((e) => e._tag === "Progress" && e.agent === "MORPH") as Array<{ done: number; total?: number; unit: string }>
      assert.isNotEmpty(progress)
      assert.strictEqual(progress.at(-1)!.unit, "bytes")
      assert.strictEqual(progress.at(-1)!.done, progress.at(-1)!.total)

      const revertPlan = (yield* ask({ type: "revert", id: "m" })) as { confirmed: boolean; restore: number }
      assert.deepStrictEqual([revertPlan.confirmed, revertPlan.restore], [false, 11])
      yield* ask({ type: "revert", id: "m", confirm: true })
      yield* settled("reverted")
      assert.isFalse(fs.existsSync(dst))
      assert.deepStrictEqual(differences(before, describeTree(src)), [])
    }).pipe(Effect.scoped, Effect.provide(layers), Effect.ensuring(Effect.sync(() => fs.rmSync(root, { recursive: true, force: true })))), 60_000)
})
