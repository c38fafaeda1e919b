/**
 * compressFile's `chooseLevel` hook (how TENSOR applies NEURAL's tuning):
 * asked once, after detection, only when the caller fixed neither codec nor
 * level and the strategy compresses; its level is used and explained, and a
 * level the codec does not take is ignored.
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as Compress from "../../src/compress/Compress.ts"
import { pngBytes, tempDir, textBytes } from "./support.ts"

layer(FilesLive.layer)("compressFile's chooseLevel", (it) => {
  it.effect("the chosen level is used for the detected content, once, and said in the reason", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDir
      const plain = path.join(dir, "notes.txt")
      yield* Effect.promise(() => fs.writeFile(plain, textBytes(300_000)))
      const asked: Array<readonly [string, string, number, number | undefined]> = []
      const chooseLevel = (context: Compress.LevelContext) =>
        Effect.sync(() => {
          asked.push([context.detection.kind, context.strategy.codec, context.strategy.level, context.size])
          return { level: 2, why: "level 2 from the test" }
        })
      // Text at a level other than zstd's default, so the table's level is told apart from the codec's.
      const table = Compress.DEFAULT_STRATEGY.map((rule) => (rule.kind === "text" ? { ...rule, level: 5 } : rule))
      const tuned = yield* Compress.compressFile(plain, path.join(dir, "a.svz"), { chooseLevel, table })
      assert.deepStrictEqual(asked, [["text", "zstd", 5, 300_000]])
      assert.strictEqual(tuned.strategy.level, 2)
      assert.include(tuned.strategy.reason, "; level 2 from the test")
      const back = yield* Compress.decompressFile(path.join(dir, "a.svz"), path.join(dir, "a.back"))
      assert.strictEqual(back.level, 2)

      // A fixed level or codec: never asked.
      yield* Compress.compressFile(plain, path.join(dir, "b.svz"), { chooseLevel, table, level: 7 })
      yield* Compress.compressFile(plain, path.join(dir, "c.svz"), { chooseLevel, table, codec: "zstd" })
      assert.strictEqual(asked.length, 1)

      // Stored content: never asked.
      const png = path.join(dir, "image.png")
      yield* Effect.promise(() => fs.writeFile(png, pngBytes()))
      const stored = yield* Compress.compressFile(png, path.join(dir, "d.svz"), { chooseLevel, table })
      assert.strictEqual(stored.strategy.codec, "store")
      assert.strictEqual(asked.length, 1)

      // A level the codec does not take, or no answer: the table's level.
      const wrong = yield* Compress.compressFile(plain, path.join(dir, "e.svz"), { table, chooseLevel: () => Effect.succeed({ level: 40, why: "nonsense" }) })
      assert.deepStrictEqual([wrong.strategy.level, wrong.strategy.reason.includes("nonsense")], [5, false])
      const none = yield* Compress.compressFile(plain, path.join(dir, "f.svz"), { table, chooseLevel: () => Effect.succeed(undefined) })
      assert.strictEqual(none.strategy.level, 5)
    })))
})
