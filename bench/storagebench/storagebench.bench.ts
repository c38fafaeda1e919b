/**
 * VELOCITY's engines and TENSOR's estimate, each against an anchor in the same run:
 * - `builtinVsFio`: the built-in engine's sequential write and read (1 MiB,
 *   one request at a time, O_DIRECT) against fio doing the same pattern
 *   (`--rw=write|read --bs=1m --iodepth=1 --direct=1`) on the same file: the
 *   ratio says how far the fallback's numbers can be trusted;
 * - `estimate`: TENSOR's estimate of a generated 192 MiB tree with its default
 *   64 MiB sample, against the anchor — really compressing every file and
 *   adding the tree to a chunk store — in time and in the ratios found.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import * as CommandRunnerTest from "../../src/adapters/command/CommandRunnerTest.ts"
import type { Files } from "../../src/adapters/fs/Files.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as StorageBenchLive from "../../src/adapters/storagebench/StorageBenchLive.ts"
import { strategyCodec } from "../../src/chunkstore/Codec.ts"
import * as Repository from "../../src/chunkstore/Repository.ts"
import { compressFile } from "../../src/compress/Compress.ts"
import { estimatePath } from "../../src/compress/Estimate.ts"
import { now, round } from "../support.ts"

const MiB = 1024 * 1024

const fioSequential = (file: string, rw: "read" | "write", sizeBytes: number, seconds: number) => {
  const out = execFileSync("fio", [
    "--output-format=json", "--name=anchor", `--filename=${file}`, `--rw=${rw}`, "--bs=1m", "--iodepth=1", "--numjobs=1", "--thread",
    `--size=${sizeBytes}`, `--runtime=${seconds}`, "--ioengine=psync", "--direct=1", "--end_fsync=1", "--group_reporting=1"
  ], { encoding: "utf8", maxBuffer: 1 << 26 })
  const job = JSON.parse(out.slice(out.indexOf("{"))).jobs[0]
  return job[rw].bw_bytes / 1e6
}

export const builtinVsFio = async () => {
  const dir = fs.mkdtempSync(join(tmpdir(), `sv-bench-velocity-${process.pid}-`))
  try {
    const file = join(dir, "scratch")
    fs.writeFileSync(file, "")
    const sizeBytes = 256 * MiB
    const engine = StorageBenchLive.make(CommandRunnerTest.make({}).service)
    const results = await Effect.runPromise(engine.builtin({ file, sizeBytes, seconds: 5 }))
    const builtinWrite = results[0]!.write!.mbPerSecond
    const builtinRead = results[1]!.read!.mbPerSecond
    const fioWrite = fioSequential(file, "write", sizeBytes, 5)
    const fioRead = fioSequential(file, "read", sizeBytes, 5)
    return {
      what: "sequential 1 MiB Q1, O_DIRECT, 256 MiB file: the built-in engine vs fio (psync, same pattern) on the same file",
      direct: results.every((r) => r.direct),
      builtinWriteMBps: round(builtinWrite),
      fioWriteMBps: round(fioWrite),
      writeRatioVsFio: round(builtinWrite / fioWrite),
      builtinReadMBps: round(builtinRead),
      fioReadMBps: round(fioRead),
      readRatioVsFio: round(builtinRead / fioRead)
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** A seeded generator, so the tree is the same at every run. */
const generator = (seed: number) => {
  let x = seed
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 0x100000000
  }
}

const writeTree = (dir: string) => {
  const random = generator(42)
  const words = ["scrub", "pool", "tank", "resilver", "degraded", "online", "checksum", "snapshot"]
  const log = (bytes: number) => {
    let text = ""
    for (let i = 0; text.length < bytes; i++) text += `2026-12-07T15:${String(i % 60).padStart(2, "0")}:00Z INFO ${words[Math.floor(random() * 8)]} ${Math.floor(random() * 1e6)}\n`
    return text.slice(0, bytes)
  }
  const noise = (bytes: number) => {
    const out = Buffer.allocUnsafe(bytes)
    for (let i = 0; i + 4 <= bytes; i += 4) out.writeUInt32LE(Math.floor(random() * 0x100000000), i)
    return out
  }
  fs.mkdirSync(join(dir, "logs"))
  fs.mkdirSync(join(dir, "media"))
  fs.mkdirSync(join(dir, "copies"))
  for (let i = 0; i < 12; i++) fs.writeFileSync(join(dir, "logs", `${i}.log`), log(8 * MiB))
  for (let i = 0; i < 8; i++) fs.writeFileSync(join(dir, "media", `${i}.bin`), noise(8 * MiB))
  const shared = log(8 * MiB)
  for (let i = 0; i < 4; i++) fs.writeFileSync(join(dir, "copies", `${i}.log`), shared)
}

export const estimate = async () => {
  const dir = fs.mkdtempSync(join(tmpdir(), `sv-bench-estimate-${process.pid}-`))
  try {
    const tree = join(dir, "tree")
    fs.mkdirSync(tree)
    writeTree(tree)
    const run = <A, E>(effect: Effect.Effect<A, E, Files>) => Effect.runPromise(Effect.provide(effect, FilesLive.layer))
    let t0 = now()
    const estimated = await run(estimatePath(tree))
    const estimateMs = now() - t0
    t0 = now()
    let original = 0
    let compressed = 0
    let i = 0
    for (const sub of fs.readdirSync(tree)) {
      for (const name of fs.readdirSync(join(tree, sub))) {
        const result = await run(compressFile(join(tree, sub, name), join(dir, `out-${i++}.svz`)))
        original += result.originalBytes
        compressed += result.compressedBytes
      }
    }
    const stats = await run(Effect.gen(function*() {
      const repo = yield* Repository.init(join(dir, "store"), { codec: strategyCodec() })
      yield* repo.add([tree])
      return yield* repo.stats()
    }))
    const anchorMs = now() - t0
    return {
      what: "TENSOR estimate (64 MiB sample) of a 192 MiB tree vs compressing every file and adding the tree to a chunk store",
      totalMiB: round(estimated.totalBytes / MiB),
      sampledMiB: round(estimated.sampledBytes / MiB),
      estimateMs: round(estimateMs),
      anchorMs: round(anchorMs),
      speedupVsAnchor: round(anchorMs / estimateMs),
      compression: { estimated: round(estimated.compression.ratio, 3), low: round(estimated.compression.low, 3), high: round(estimated.compression.high, 3), real: round(original / compressed, 3) },
      dedup: { estimated: round(estimated.dedup.ratio, 3), real: round(stats.dedupRatio, 3) },
      store: { estimated: round(estimated.store.ratio, 3), real: round(stats.totalRatio, 3) }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
