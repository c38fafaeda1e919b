/**
 * Production runs under Bun with its own native zstd; these tests run on
 * Node 20 with the WebAssembly fallback. Both must read each other's files.
 */
import { spawnSync } from "node:child_process"
import * as path from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as Compress from "../../src/compress/Compress.ts"
import { hasNativeZstd } from "../../src/compress/internal/zstd.ts"
import { BLOCK, bytesOf, put, tempDir, textBytes } from "./support.ts"

const root = path.join(import.meta.dirname, "..", "..")
const bun = path.join(root, "node_modules", ".bin", "bun")

/** Runs test/compress/bun-file.ts under Bun; its JSON result. */
const underBun = (mode: "compress" | "decompress", inPath: string, outPath: string) =>
  Effect.sync(() => {
    const run = spawnSync(bun, [path.join(root, "test", "compress", "bun-file.ts"), mode, inPath, outPath], { cwd: root, encoding: "utf8", timeout: 30_000 })
    if (run.error !== undefined) throw new Error(`${bun}: ${run.error.message} (npm ci installs it)`)
    if (run.status !== 0) throw new Error(`bun ${mode} exited ${run.status}: ${run.stderr}`)
    return JSON.parse(run.stdout) as Record<string, unknown>
  })

layer(FilesLive.layer)("zstd across runtimes", (it) => {
  it.effect("Node (WebAssembly zstd) reads what Bun (native zstd) wrote, and the other way round", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const text = textBytes(3 * BLOCK + 77, 33)
      const plain = path.join(dir, "plain")
      yield* put(plain, text)

      const fromBun = yield* underBun("compress", plain, path.join(dir, "bun.svz"))
      assert.deepStrictEqual([fromBun.implementation, (fromBun.strategy as Compress.Strategy).codec], ["Bun (native)", "zstd"])
      yield* Compress.decompressFile(path.join(dir, "bun.svz"), path.join(dir, "bun.out"))
      assert.deepStrictEqual(yield* bytesOf(path.join(dir, "bun.out")), text)

      const fromNode = yield* Compress.compressFile(plain, path.join(dir, "node.svz"), { codec: "zstd", level: 6, blockSize: BLOCK })
      // Node 20 has no zstd of its own (Node 22.15 and later would use theirs).
      assert.strictEqual(fromNode.implementation, hasNativeZstd() ? "node:zlib (native)" : "WebAssembly (@bokuweb/zstd-wasm 0.0.27)")
      const back = yield* underBun("decompress", path.join(dir, "node.svz"), path.join(dir, "node.out"))
      assert.strictEqual(back.originalBytes, text.byteLength)
      assert.deepStrictEqual(yield* bytesOf(path.join(dir, "node.out")), text)
    }))
})
