/** Helpers shared by the chunk-store tests: temporary directories, deterministic data, file trees. */
import { createCipheriv, createHash } from "node:crypto"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import type { ChunkerParams } from "../../src/chunkstore/Chunker.ts"
import * as Repository from "../../src/chunkstore/Repository.ts"

/** Small chunks keep the tests fast: 4 / 16 / 64 KiB. */
export const SMALL_CHUNKS: ChunkerParams = { minSize: 4 * 1024, avgSize: 16 * 1024, maxSize: 64 * 1024 }
/** Small packs, so a few hundred KiB of data spread over several packs. */
export const SMALL_PACK = 128 * 1024

/** A fresh directory under the OS temp dir, removed when the test's scope closes. */
export const tempDir = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "sigmavault-store-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)

export const FIXED_TIME = new Date("2025-01-02T03:04:05.000Z")

/** A store with small chunks and packs in a fresh temporary directory. */
export const smallStore = (options: Repository.InitOptions = {}) =>
  Effect.gen(function*() {
    const dir = yield* tempDir
    const repo = yield* Repository.init(path.join(dir, "store"), {
      chunker: SMALL_CHUNKS,
      packSize: SMALL_PACK,
      now: () => FIXED_TIME,
      host: "test-host",
      ...options
    })
    return { dir, repo }
  })

/**
 * `size` deterministic bytes from `seed`: AES-256-CTR keystream under
 * SHA-256(seed), so any seed gives incompressible data with no repeats.
 */
export const randomData = (seed: string, size: number): Uint8Array => {
  const key = createHash("sha256").update(seed).digest()
  const stream = createCipheriv("aes-256-ctr", key, Buffer.alloc(16))
  return new Uint8Array(stream.update(Buffer.alloc(size)))
}

/** `size` bytes of deterministic, compressible text (numbered lines of words picked from `seed`). */
export const textData = (seed: string, size: number): Uint8Array => {
  const words = ["vault", "tensor", "chunk", "pack", "index", "snapshot", "restore", "verify", "gc", "bloom", "fastcdc", "brotli"]
  const noise = randomData(seed, Math.ceil(size / 4) + 16)
  const parts: Array<string> = []
  let length = 0
  for (let i = 0; length < size; i++) {
    const line = `${i} ${words[noise[i % noise.length]! % words.length]} ${words[noise[(i * 7) % noise.length]! % words.length]} ${noise[(i * 3) % noise.length]}\n`
    parts.push(line)
    length += line.length
  }
  return new TextEncoder().encode(parts.join("")).subarray(0, size)
}

export const concat = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.byteLength
  }
  return out
}

export type TreeSpec =
  | { readonly type: "file"; readonly path: string; readonly bytes: Uint8Array; readonly mode: number; readonly mtime: number }
  | { readonly type: "dir"; readonly path: string; readonly mode: number; readonly mtime: number }
  | { readonly type: "symlink"; readonly path: string; readonly target: string; readonly mtime: number }

/** Writes a tree under `root` (parents before children); times are whole seconds. */
export const writeTree = (root: string, entries: ReadonlyArray<TreeSpec>) =>
  Effect.promise(async () => {
    await fs.mkdir(root, { recursive: true })
    for (const entry of entries) {
      const file = path.join(root, entry.path)
      if (entry.type === "dir") await fs.mkdir(file, { recursive: true })
      else if (entry.type === "file") {
        await fs.writeFile(file, entry.bytes)
        await fs.chmod(file, entry.mode)
        await fs.utimes(file, entry.mtime, entry.mtime)
      } else {
        await fs.symlink(entry.target, file)
        await fs.lutimes(file, entry.mtime, entry.mtime)
      }
    }
    for (const entry of [...entries].reverse()) {
      if (entry.type !== "dir") continue
      const file = path.join(root, entry.path)
      await fs.chmod(file, entry.mode)
      await fs.utimes(file, entry.mtime, entry.mtime)
    }
  })

export interface Observed {
  readonly path: string
  readonly type: "file" | "dir" | "symlink"
  readonly mode: number
  readonly mtimeMs: number
  readonly sha256?: string
  readonly target?: string
}

/** What a user would compare after a restore: every entry's type, content hash, mode (not for symlinks) and mtime. */
export const observeTree = (root: string) =>
  Effect.promise(async () => {
    const out: Array<Observed> = []
    const visit = async (dir: string, prefix: string) => {
      for (const name of (await fs.readdir(dir)).sort()) {
        const file = path.join(dir, name)
        const relative = prefix === "" ? name : `${prefix}/${name}`
        const stat = await fs.lstat(file)
        if (stat.isSymbolicLink()) {
          out.push({ path: relative, type: "symlink", mode: 0, mtimeMs: stat.mtimeMs, target: await fs.readlink(file) })
        } else if (stat.isDirectory()) {
          await visit(file, relative)
          out.push({ path: relative, type: "dir", mode: stat.mode & 0o7777, mtimeMs: stat.mtimeMs })
        } else {
          const sha256 = createHash("sha256").update(await fs.readFile(file)).digest("hex")
          out.push({ path: relative, type: "file", mode: stat.mode & 0o7777, mtimeMs: stat.mtimeMs, sha256 })
        }
      }
    }
    await visit(root, "")
    return out.sort((a, b) => (a.path < b.path ? -1 : 1))
  })

export const listFiles = (dir: string) => Effect.promise(() => fs.readdir(dir).then((names) => names.sort()))
