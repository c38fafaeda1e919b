/**
 * VELOCITY and TENSOR's estimate through the compiled binary: a tiny fio
 * benchmark of a directory under the file roots (nothing left there), the
 * history showing it after a restart of the daemon, the built-in engine
 * when the daemon finds no fio on its PATH, and an estimate of a tree.
 */
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { requireTools } from "../support/tools.ts"
import { cli, type Daemon, startDaemon } from "./harness.ts"

const stop = async (daemon: Daemon) => {
  daemon.process.kill("SIGTERM")
  await daemon.exited
}

describe("storage benchmarks and estimates, through the binary", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `sigmavault-e2e-velocity-${process.pid}-`)))
  const target = join(dir, "pool")
  mkdirSync(target)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const daemonDir = (name: string) => {
    mkdirSync(join(dir, name), { recursive: true })
    return join(dir, name)
  }

  it("benchmarks a directory with fio, leaves nothing there, and the history keeps it across a restart", async () => {
    requireTools("fio")
    const stateDir = daemonDir("daemon")
    let daemon = await startDaemon({ dir: stateDir })
    const ask = (message: unknown) => cli(["ask", "VELOCITY", JSON.stringify(message), "--socket", daemon.socket, "--timeout", "120000"])
    try {
      const engines = await ask({ type: "engines" })
      expect(engines.code, engines.stderr).toBe(0)
      expect(JSON.parse(engines.stdout)).toMatchObject({ uses: "fio", fio: { available: true } })

      const run = await ask({ type: "benchmark", target, presets: ["seq1m-q8t1-read", "rnd4k-q32t1-write"], sizeMiB: 4, seconds: 1 })
      expect(run.code, run.stderr).toBe(0)
      const result = JSON.parse(run.stdout)
      expect(result).toMatchObject({ engine: "fio", kind: "path", target, sizeBytes: 4 * 1024 * 1024, secondsPerPreset: 1, uid: 0 })
      expect(result.fioVersion).toMatch(/^fio-/)
      expect(result.results.map((r: { preset: string }) => r.preset)).toEqual(["seq1m-q8t1-read", "rnd4k-q32t1-write"])
      expect(result.results[0].read.mbPerSecond).toBeGreaterThan(0)
      expect(result.results[1].write.iops).toBeGreaterThan(0)
      expect(result.results[1].write.latencyUs.p999).toBeGreaterThanOrEqual(result.results[1].write.latencyUs.p50)
      expect(readdirSync(target)).toEqual([])

      const outside = await ask({ type: "benchmark", target: "/etc", sizeMiB: 1, seconds: 1 })
      expect(outside.code).toBe(4)
      expect(outside.stderr).toMatch(/file jobs never use \/etc/)
      const tooBig = await ask({ type: "benchmark", target, sizeMiB: 100000 })
      expect(tooBig.code).not.toBe(0)
      expect(tooBig.stderr).toMatch(/sizeMiB/)

      await stop(daemon)
      daemon = await startDaemon({ dir: stateDir })
      const history = await ask({ type: "history", target })
      expect(history.code, history.stderr).toBe(0)
      const kept = JSON.parse(history.stdout)
      expect(kept).toHaveLength(1)
      expect(kept[0].startedAt).toBe(result.startedAt)
    } finally {
      await stop(daemon)
    }
  }, 120_000)

  it("without fio on the daemon's PATH, runs the built-in engine and says what it cannot measure", async () => {
    const daemon = await startDaemon({ dir: daemonDir("nofio"), env: { PATH: join(dir, "no-tools-here") } })
    const ask = (message: unknown) => cli(["ask", "VELOCITY", JSON.stringify(message), "--socket", daemon.socket, "--timeout", "120000"])
    try {
      const engines = JSON.parse((await ask({ type: "engines" })).stdout)
      expect(engines).toMatchObject({ uses: "builtin", fio: { available: false } })
      expect(engines.fio.reason).toMatch(/fio is not installed/)
      const run = await ask({ type: "benchmark", target, sizeMiB: 4, seconds: 1 })
      expect(run.code, run.stderr).toBe(0)
      const result = JSON.parse(run.stdout)
      expect(result.engine).toBe("builtin")
      expect(result.results.map((r: { preset: string }) => r.preset)).toEqual(["seq1m-q1t1-write", "seq1m-q1t1-read"])
      expect(result.notes.join(" ")).toMatch(/fio is missing.*cannot measure queue depth/s)
      expect(readdirSync(target)).toEqual([])
    } finally {
      await stop(daemon)
    }
  }, 120_000)

  it("TENSOR estimates a tree: exact when it fits in the sample", async () => {
    const tree = join(dir, "tree")
    mkdirSync(join(tree, "a"), { recursive: true })
    const text = Array.from({ length: 40_000 }, (_, i) => `2026-12-07T15:00:00Z INFO scrub of tank: ${i % 977} blocks checked`).join("\n")
    writeFileSync(join(tree, "a", "log.txt"), text)
    writeFileSync(join(tree, "copy.txt"), text)
    const daemon = await startDaemon({ dir: daemonDir("tensor") })
    try {
      const estimate = await cli(["ask", "TENSOR", JSON.stringify({ type: "estimate", path: tree }), "--socket", daemon.socket, "--timeout", "60000"])
      expect(estimate.code, estimate.stderr).toBe(0)
      const result = JSON.parse(estimate.stdout)
      expect(result).toMatchObject({ path: tree, files: 2, exact: true })
      expect(result.compression.ratio).toBeGreaterThan(5)
      expect(result.dedup.ratio).toBeCloseTo(2, 1)
      const compressed = await cli(["ask", "TENSOR", JSON.stringify({ type: "compress", input: join(tree, "copy.txt"), output: join(dir, "copy.svz") }), "--socket", daemon.socket])
      expect(compressed.code, compressed.stderr).toBe(0)
      // The tree is two copies of one file: its estimate is that file's own ratio.
      expect(result.compression.ratio).toBeCloseTo(JSON.parse(compressed.stdout).ratio, 6)
    } finally {
      await stop(daemon)
    }
  }, 120_000)
})
