/**
 * Scratch files for hnswlib (its addon reads and writes an index only through
 * a path), in a private directory made for each call and removed after it.
 * Used by MemoryLive and MemoryTest, never by the memory library itself.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Result } from "effect"
import type { ScratchFile } from "../Hnsw.ts"

const inFreshDirectory = <A>(dir: string, use: (file: string) => A): A => {
  const made = mkdtempSync(join(dir, ".hnsw-scratch-"))
  const result = Result.try(() => use(join(made, "index.bin")))
  rmSync(made, { recursive: true, force: true })
  return Result.getOrThrow(result)
}

/** Scratch files under `dir`: give a directory on disk for a large index, as /tmp may be memory. */
export const scratchFileIn = (dir: string): ScratchFile => ({
  write: (use) =>
    inFreshDirectory(dir, (file) => {
      use(file)
      return new Uint8Array(readFileSync(file))
    }),
  read: (bytes, use) =>
    inFreshDirectory(dir, (file) => {
      writeFileSync(file, bytes)
      return use(file)
    })
})
