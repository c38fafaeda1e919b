import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import { smallStore, textData } from "./support.ts"

layer(FilesLive.layer)("re-adding a tree", (it) => {
  it.effect("does not read unchanged files again, reads changed ones, and re-reads when gc removed their chunks", () =>
    Effect.gen(function*() {
      const { dir, repo } = yield* smallStore()
      const data = path.join(dir, "data")
      yield* Effect.promise(() => fs.mkdir(data))
      yield* Effect.promise(() => fs.writeFile(path.join(data, "a.log"), textData("a", 200_000)))
      yield* Effect.promise(() => fs.writeFile(path.join(data, "b.log"), textData("b", 200_000)))
      const first = yield* repo.add([data])
      assert.isAbove(first.newChunks, 0)

      // Unchanged: every chunk counts as already stored, and the snapshot lists the same chunks.
      const again = yield* repo.add([data])
      assert.deepStrictEqual([again.newChunks, again.dedupChunks, again.bytes], [0, first.newChunks + first.dedupChunks, first.bytes])
      const [one, two] = [yield* repo.snapshot(first.snapshot), yield* repo.snapshot(again.snapshot)]
      assert.deepStrictEqual(two.entries, one.entries)

      // Same size, new content and mtime: read again.
      const b = path.join(data, "b.log")
      const bytes = yield* Effect.promise(() => fs.readFile(b))
      bytes.writeUInt8(bytes.readUInt8(1000) ^ 1, 1000)
      yield* Effect.promise(() => fs.writeFile(b, bytes))
      yield* Effect.promise(() => fs.utimes(b, new Date("2030-01-01T00:00:00Z"), new Date("2030-01-01T00:00:00Z")))
      const changed = yield* repo.add([data])
      assert.isAbove(changed.newChunks, 0)

      // Forget every snapshot and gc: the chunks are gone, so the next add must read the files again.
      for (const snapshot of yield* repo.list()) yield* repo.forget(snapshot.id)
      yield* repo.gc()
      const afterGc = yield* repo.add([data])
      assert.isAbove(afterGc.newChunks, 0)
      const report = yield* repo.verify()
      assert.isTrue(report.ok)
    }).pipe(Effect.scoped))
})
