import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { tensorAgent } from "../../src/actors/tensor/index.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { tree, watch, ROOT } from "../support/agents.ts"
import { callerFilesInTmp, tempDir } from "../support/security.ts"

const start = ActorSystem.make({ root: tree("root", "one_for_one", [tensorAgent]) })

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
    }).pipe(Effect.provide(callerFilesInTmp)))
})
