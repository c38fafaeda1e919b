import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import type { CallerFiles } from "../../src/adapters/fs/CallerFiles.ts"
import type { StateStore } from "../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../src/adapters/state/StateStoreTest.ts"
import { arbiterAgent } from "../../src/actors/arbiter/index.ts"
import { tensorAgent } from "../../src/actors/tensor/index.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { counterAgent, tree, watch, ROOT } from "../support/agents.ts"
import { callerFilesInTmp, tempDir } from "../support/security.ts"

const start = ActorSystem.make({ root: tree<StateStore | CallerFiles>("root", "one_for_one", [counterAgent("OTHER"), tensorAgent, arbiterAgent]) })

describe("TENSOR", () => {
  it.effect("compresses by content, decompresses byte-identical, reports progress and keeps a job history", () =>
    Effect.gen(function*() {
      const system = yield* start
      const events = yield* watch(system)
      const dir = yield* tempDir("sigmavault-tensor-")
      const log = path.join(dir, "daemon.log")
      const text = Array.from({ length: 400_000 }, (_, i) => `2026-11-22T08:00:${String(i % 60).padStart(2, "0")}Z INFO scrub of tank: ${i} blocks checked`).join("\n")
      yield* Effect.promise(() => fs.writeFile(log, text))
      const compressed = (yield* system.injectAsk(ROOT, "TENSOR", { type: "compress", input: log })) as {
        output: string
        ratio: number
        strategy: { codec: string; reason: string }
      }
      assert.strictEqual(compressed.output, `${log}.svz`)
      assert.notStrictEqual(compressed.strategy.codec, "store")
      assert.isAbove(compressed.ratio, 5)
      yield* Effect.promise(() => fs.rm(log))
      yield* system.injectAsk(ROOT, "TENSOR", { type: "decompress", input: `${log}.svz` })
      assert.strictEqual(yield* Effect.promise(() => fs.readFile(log, "utf8")), text)
      yield* events.until((e) => e._tag === "Progress" && e.agent === "TENSOR")

      const random = path.join(dir, "random.bin")
      yield* Effect.promise(() => fs.writeFile(random, new Uint8Array(Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) >>> 24))))
      const stored = (yield* system.injectAsk(ROOT, "TENSOR", { type: "compress", input: random, codec: "gzip", level: 1 })) as { strategy: { codec: string; rule: string } }
      assert.deepStrictEqual([stored.strategy.codec, stored.strategy.rule], ["gzip", "override"])

      const failed = yield* Effect.flip(system.injectAsk(ROOT, "TENSOR", { type: "decompress", input: random, output: `${random}.out` }))
      assert.match(failed.message, /not a SigmaVault compressed file|magic/i)
      const jobs = (yield* system.injectAsk(ROOT, "TENSOR", { type: "jobs" })) as ReadonlyArray<{ job: string; outcome: string }>
      assert.deepStrictEqual(jobs.map((j) => [j.job.split(" ")[0], j.outcome]), [
        ["decompress", "failed"],
        ["compress", "done"],
        ["decompress", "done"],
        ["compress", "done"]
      ])
      const estimate = (yield* system.injectAsk(ROOT, "TENSOR", { type: "estimate", path: dir, seed: 1 })) as {
        exact: boolean
        files: number
        compression: { ratio: number }
        dedup: { ratio: number }
      }
      // Everything fits in the sample: the figure is the one compress gives file by file.
      assert.isTrue(estimate.exact)
      assert.isAtLeast(estimate.files, 3)
      assert.isAbove(estimate.compression.ratio, 1)
      assert.isAtLeast(estimate.dedup.ratio, 1)
      const outside = yield* Effect.flip(system.injectAsk(ROOT, "TENSOR", { type: "estimate", path: "/etc" }))
      assert.match(outside.message, /cannot walk \/etc: .*outside the file roots/)
      // Every job held its leases only while it ran.
      assert.deepStrictEqual(((yield* system.injectAsk(ROOT, "ARBITER", { type: "leases" })) as { leases: Array<unknown> }).leases, [])
    }).pipe(Effect.provide(Layer.mergeAll(callerFilesInTmp, StateStoreTest.layer()))))

  it.effect("a job on a path another job holds is refused, naming the holder; the paths' own leases are released", () =>
    Effect.gen(function*() {
      const system = yield* start
      const dir = yield* tempDir("sigmavault-tensor-")
      const file = path.join(dir, "notes.txt")
      yield* Effect.promise(() => fs.writeFile(file, "notes\n".repeat(1000)))
      yield* system.injectAsk(ROOT, "ARBITER", { type: "acquire", resource: `path:${dir}`, job: "migration", holder: "OTHER" })
      const refused = yield* Effect.flip(system.injectAsk(ROOT, "TENSOR", { type: "compress", input: `${dir}/./notes.txt` }))
      assert.include(refused.message, `OTHER holds path:${dir} for migration`)
      yield* system.injectAsk(ROOT, "ARBITER", { type: "release", lease: "lease-1" })
      // The output alone is held by someone else: the input's lease, taken first, is given back.
      yield* system.injectAsk(ROOT, "ARBITER", { type: "acquire", resource: `path:${file}.svz`, job: "verify", holder: "OTHER" })
      const output = yield* Effect.flip(system.injectAsk(ROOT, "TENSOR", { type: "compress", input: file }))
      assert.include(output.message, `OTHER holds path:${file}.svz for verify`)
      const held = ((yield* system.injectAsk(ROOT, "ARBITER", { type: "leases" })) as { leases: Array<{ holder: string }> }).leases
      assert.deepStrictEqual(held.map((l) => l.holder), ["OTHER"])
    }).pipe(Effect.provide(Layer.mergeAll(callerFilesInTmp, StateStoreTest.layer()))))
})
