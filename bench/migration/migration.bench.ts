/**
 * `migration`: MORPH's verified copy (copy → fsync of each file and
 * directory → SHA-256 of the source as read and of the copy read back →
 * journal, fdatasync'd) against `rsync -a` on the same tree, in the same
 * run, on the same filesystem (the temporary directory's: the disk, not
 * memory). rsync does not fsync and does not read the copy back; a second
 * anchor, `rsync -a` followed by `sync`, is the same copy made durable.
 *
 * The tree (built here, deterministic, incompressible): 1,000 small files
 * (4–60 KiB), 100 of 1 MiB, 12 of 32 MiB in nested directories, about
 * 540 MiB. Each tool copies it afresh to a destination that does not exist;
 * dirty pages are synced (untimed) between runs. The source stays in the
 * page cache for all (it is read once before the first run).
 *
 * Settings: BENCH_MIGRATION_MB scales the tree (default 540), BENCH_MIGRATION_RUNS (median of, default 3).
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { openJournal, planFile, planMigration, runForward } from "../../src/actors/morph/engine.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as MigrationFilesLive from "../../src/adapters/migration/MigrationFilesLive.ts"
import { DAEMON } from "../../src/runtime/Caller.ts"
import { now, round } from "../support.ts"

const MiB = 1024 * 1024

const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const buildTree = (root: string, scale: number) => {
  const random = seeded(18)
  const block = new Uint8Array(32 * MiB)
  for (let i = 0; i < block.length; i += 4) new DataView(block.buffer).setUint32(i, (random() * 2 ** 32) >>> 0)
  let bytes = 0
  const write = (file: string, size: number, offset: number) => {
    writeFileSync(file, block.subarray(offset % (block.length - size + 1), offset % (block.length - size + 1) + size))
    bytes += size
  }
  const small = Math.round(1000 * scale)
  for (let i = 0; i < small; i++) {
    const dir = join(root, "small", `d${i % 20}`, `e${i % 7}`)
    mkdirSync(dir, { recursive: true })
    write(join(dir, `s${i}.dat`), 4096 + Math.floor(random() * 56 * 1024), i * 4099)
  }
  mkdirSync(join(root, "medium"), { recursive: true })
  for (let i = 0; i < Math.round(100 * scale); i++) write(join(root, "medium", `m${i}.dat`), MiB, i * 8191)
  mkdirSync(join(root, "large"), { recursive: true })
  for (let i = 0; i < Math.max(1, Math.round(12 * scale)); i++) write(join(root, "large", `l${i}.dat`), 32 * MiB, 0)
  return bytes
}

const run = (tool: string, args: ReadonlyArray<string>) => {
  const result = spawnSync(tool, args, { encoding: "utf8" })
  if (result.status !== 0) throw new Error(`${tool} ${args.join(" ")}: ${result.stderr || result.error?.message}`)
}

const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export const migration = async () => {
  const scale = Number(process.env["BENCH_MIGRATION_MB"] ?? 540) / 540
  const runs = Number(process.env["BENCH_MIGRATION_RUNS"] ?? 3)
  const root = mkdtempSync(join(tmpdir(), `bench-migration-${process.pid}-`))
  try {
    const src = join(root, "src")
    mkdirSync(src)
    const bytes = buildTree(src, scale)
    run("sync", [])
    // Warm: every tool reads the source from the page cache.
    run("tar", ["-cf", "/dev/null", "-C", root, "src"])
    const journals = join(root, "journals")
    mkdirSync(journals)
    const files = FilesLive.make()
    const trees = MigrationFilesLive.make({ journalDir: journals, confinement: Effect.succeed({ roots: [root], forbidden: [] }) })

    const timed = (label: string, body: (dst: string) => void | Promise<void>) => async (n: number) => {
      const dst = join(root, `${label}-${n}`)
      run("sync", [])
      const t0 = now()
      await body(dst)
      const seconds = (now() - t0) / 1000
      rmSync(dst, { recursive: true, force: true })
      run("sync", [])
      return seconds
    }
    const rsync = timed("rsync", (dst) => run("rsync", ["-a", `${src}/`, dst]))
    const rsyncSync = timed("rsyncsync", (dst) => {
      run("rsync", ["-a", `${src}/`, dst])
      run("sync", [])
    })
    const morph = timed("morph", (dst) =>
      Effect.runPromise(Effect.scoped(Effect.gen(function*() {
        const access = yield* trees.forCaller(DAEMON)
        const id = `bench${Math.floor(Math.random() * 1e9)}`
        const { plan } = yield* planMigration(access, { id, mode: "copy", source: src, destination: dst, caller: DAEMON, now: new Date().toISOString() })
        yield* files.writeAtomic(planFile(journals, id), new TextEncoder().encode(JSON.stringify(plan)))
        const journal = yield* openJournal(files, journals, plan)
        yield* journal.append([{ s: "begin" }])
        while (!(yield* runForward(access, journal, plan)));
        if (journal.state.finished?.complete !== true) throw new Error("the benchmark's migration did not finish complete")
      }))))
    const samples = { rsync: [] as Array<number>, rsyncSync: [] as Array<number>, morph: [] as Array<number> }
    for (let n = 0; n < runs; n++) {
      samples.rsync.push(await rsync(n))
      samples.morph.push(await morph(n))
      samples.rsyncSync.push(await rsyncSync(n))
    }
    const mbps = (s: number) => round(bytes / MiB / s, 1)
    const r = median(samples.rsync)
    const rs = median(samples.rsyncSync)
    const m = median(samples.morph)
    return {
      treeMiB: round(bytes / MiB, 1),
      files: Math.round(1000 * scale) + Math.round(100 * scale) + Math.max(1, Math.round(12 * scale)),
      runs,
      morphVerifiedMBps: mbps(m),
      rsyncMBps: mbps(r),
      rsyncThenSyncMBps: mbps(rs),
      ratioVsRsync: round(r / m, 2),
      ratioVsRsyncThenSync: round(rs / m, 2),
      goal: "morph ≥ 0.8 × rsync -a",
      seconds: { morph: samples.morph.map((x) => round(x, 2)), rsync: samples.rsync.map((x) => round(x, 2)), rsyncThenSync: samples.rsyncSync.map((x) => round(x, 2)) }
    }
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
