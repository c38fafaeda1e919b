/**
 * AXIOM and ATLAS's trends in the compiled binary, reading a metric history
 * the daemon loads from its state directory: ten days of a pool filling and a
 * dataset growing are written with HistoryLive (as a daemon would have kept
 * them) before the daemon starts. What an administrator asks over the control
 * socket: when is the pool full, what grew, is this number unusual; and the
 * honest refusals when the history does not know.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import type { Sample } from "../../src/history/History.ts"
import * as HistoryLive from "../../src/history/HistoryLive.ts"
import { cli, type Daemon, startDaemon } from "./harness.ts"

const HOUR = 3_600_000
const TiB = 2 ** 40
const GiB = 2 ** 30

let daemon: Daemon
let dir: string
const now = Math.floor(Date.now() / HOUR) * HOUR

const hourly = (name: string, labels: Record<string, string>, value: (daysAgo: number) => number): Array<Sample> =>
  Array.from({ length: 10 * 24 + 1 }, (_, h) => ({ name, labels, value: value(h / 24), at: now - h * HOUR }))

const ask = async (agent: string, message: unknown) => {
  const result = await cli(["ask", agent, JSON.stringify(message), "--json", "--socket", daemon.socket])
  return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : undefined }
}

describe("AXIOM and ATLAS trends in the binary", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `sigmavault-e2e-axiom-${process.pid}-`))
    // A history as the daemon keeps it: ten days of hourly samples (the 5-minute tier holds 31 days).
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const history = yield* HistoryLive.make({ dir: join(dir, "state", "history") })
      const recorded = yield* history.record([
        ...hourly("sigmavault_pool_size_bytes", { pool: "tank" }, () => 8 * TiB),
        // 4 TiB used, +100 GiB a day; a 200 GiB snapshot deleted 3 days ago.
        ...hourly("sigmavault_pool_allocated_bytes", { pool: "tank" }, (ago) => 4 * TiB - 100 * GiB * ago + (ago > 3 ? 200 * GiB : 0)),
        ...hourly("sigmavault_dataset_used_bytes", { pool: "tank", dataset: "tank/photos" }, (ago) => 900 * GiB - 60 * GiB * ago),
        ...hourly("sigmavault_dataset_used_bytes", { pool: "tank", dataset: "tank/scratch" }, (ago) => 50 * GiB + 5 * GiB * ago),
        ...hourly("sigmavault_dataset_available_bytes", { pool: "tank", dataset: "tank/photos" }, () => 4 * TiB)
      ])
      expect(recorded.refused).toBe(0)
      yield* history.checkpoint
    })).pipe(Effect.provide(FilesLive.layer)))
    daemon = await startDaemon({ dir })
  }, 30_000)
  afterAll(() => {
    daemon?.process.kill("SIGTERM")
    rmSync(dir, { recursive: true, force: true })
  })

  it("forecasts the pool from the segment after the deletion, and says when it is full", async () => {
    const tank = await ask("AXIOM", { type: "forecast", pool: "tank", days: 10 })
    expect(tank.stderr).toBe("")
    expect(tank.json).toMatchObject({ subject: { kind: "pool", pool: "tank" }, trend: "growing" })
    expect(tank.json.fit.method).toBe("theil-sen since the last shift")
    expect(tank.json.fit.shifts).toHaveLength(1)
    expect(tank.json.fit.shifts[0].bytes / GiB).toBeCloseTo(-200, 0)
    // 4 TiB of 8 used, +100 GiB a day: full in 40.96 days (the history's 5-minute steps move it by minutes).
    const full = tank.json.crossings.find((c: { percent: number }) => c.percent === 100)
    expect(full.status).toBe("expected")
    expect(full.days).toBeGreaterThan(40.8)
    expect(full.days).toBeLessThan(41.1)
    expect(tank.json.summary).toMatch(/^pool tank: 50\.0 % used; growing/)

    const all = await ask("AXIOM", { type: "forecasts", days: 10 })
    expect(all.json.forecasts.map((f: { subject: { pool: string; dataset?: string } }) => f.subject.dataset ?? f.subject.pool)).toEqual(["tank", "tank/photos"])
    // tank/scratch has no available-bytes series: it cannot be "full".
    expect(all.json.skipped).toEqual([{ subject: { kind: "dataset", pool: "tank", dataset: "tank/scratch" }, reason: expect.stringMatching(/no capacity is known/) }])
  })

  it("ATLAS says what grew and what shrank this week", async () => {
    const week = await ask("ATLAS", { type: "trends" })
    expect(week.stderr).toBe("")
    expect(week.json.topGrowers.map((d: { dataset: string }) => d.dataset)).toEqual(["tank/photos"])
    expect(week.json.topShrinkers.map((d: { dataset: string }) => d.dataset)).toEqual(["tank/scratch"])
    expect(week.json.topGrowers[0].growthBytesPerDay / GiB).toBeCloseTo(60, 0)
  })

  it("scores a value against a series' baseline, and refuses what the history does not know", async () => {
    const score = await ask("AXIOM", { type: "anomaly", metric: "sigmavault_pool_size_bytes", labels: { pool: "tank" }, value: 8 * TiB, hours: 48 })
    expect(score.json).toMatchObject({ verdict: "normal", anomalous: false, score: 0, threshold: 4 })
    const missing = await ask("AXIOM", { type: "forecast", pool: "vault" })
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toMatch(/the metric history holds no series sigmavault_pool_allocated_bytes\{pool="vault"\}/)
    const hostile = await ask("AXIOM", { type: "anomaly", metric: "x; rm -rf /", labels: { "$(reboot)": "1" } })
    expect(hostile.code).not.toBe(0)
    expect(hostile.stderr).toMatch(/metric/)
  })
})
