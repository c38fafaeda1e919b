/**
 * The metric history fed in the compiled binary: after one metrics interval
 * the runtime sampler has recorded every agent, and SENTRY and PHOTON what
 * they sampled; after a graceful stop, the history kept under the state
 * directory holds them (read back here with HistoryLive, as the daemon
 * would on its next start).
 */
import { rmSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as HistoryLive from "../../src/history/HistoryLive.ts"
import { METRICS } from "../../src/history/catalogue.ts"
import { type LatestSample } from "../../src/history/History.ts"
import { startDaemon } from "./harness.ts"

describe("the metric history in the binary", () => {
  it("holds the runtime's batch for all 40 agents, and SENTRY's and PHOTON's samples, across a graceful stop", async () => {
    const daemon = await startDaemon()
    try {
      // The first batch is due 10 s after the start (metrics_interval_seconds' default).
      await new Promise((resolve) => setTimeout(resolve, 11_500))
      daemon.process.kill("SIGTERM")
      expect(await daemon.exited).toBe(0)
      const latest = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
        const history = yield* HistoryLive.make({ dir: join(daemon.dir, "state", "history") })
        return yield* history.latest()
      })).pipe(Effect.provide(FilesLive.layer)))
      const of = (name: string): ReadonlyArray<LatestSample> => latest.filter((s) => s.name === name)
      expect(of("sigmavault_agent_up").length).toBe(40)
      expect(of("sigmavault_agent_up").every((s) => s.value === 1)).toBe(true)
      for (const name of ["sigmavault_agent_messages_total", "sigmavault_agent_mailbox_depth", "sigmavault_agent_latency_p99_seconds", "sigmavault_agent_restarts_total"]) {
        expect(of(name).map((s) => s.labels.agent).sort()).toEqual(of("sigmavault_agent_up").map((s) => s.labels.agent).sort())
      }
      expect(of("sigmavault_dead_letters_total")).toHaveLength(1)
      expect(of("sigmavault_host_memory_total_bytes")[0]!.value).toBeGreaterThan(0)
      expect(of("sigmavault_host_cpu_busy_ratio")).toHaveLength(1)
      expect(of("sigmavault_network_up").map((s) => s.labels.interface)).toContain("lo")
      // Every series recorded is one the catalogue declares.
      const declared = new Map(METRICS.map((m) => [m.name, [...m.labels].sort().join(",")]))
      expect(latest.filter((s) => declared.get(s.name) !== Object.keys(s.labels).sort().join(",")).map((s) => s.name)).toEqual([])
    } finally {
      if (daemon.process.exitCode === null) daemon.process.kill("SIGKILL")
      rmSync(daemon.dir, { recursive: true, force: true })
    }
  }, 60_000)
})
