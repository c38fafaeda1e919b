import * as os from "node:os"
import { assert, describe, it } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import { type Facts, type SystemFacts, SystemFactsError } from "../../src/adapters/system/SystemFacts.ts"
import * as SystemFactsLive from "../../src/adapters/system/SystemFactsLive.ts"
import * as SystemFactsTest from "../../src/adapters/system/SystemFactsTest.ts"
import { coreAgent } from "../../src/actors/core/index.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { fastBackoff, generous, ROOT } from "../support/agents.ts"

const facts: Facts = {
  hostname: "vault-01",
  os: { id: "debian", name: "Debian GNU/Linux", version: "12", prettyName: "Debian GNU/Linux 12 (bookworm)" },
  kernel: { release: "6.1.0-18-amd64", version: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1", arch: "x86_64" },
  cpu: { model: "AMD Ryzen 7 5700G", count: 16 },
  memory: { totalBytes: 32 * 2 ** 30, availableBytes: 20 * 2 ** 30 },
  uptimeSeconds: 86_400,
  loadAverage: [0.5, 0.4, 0.3]
}

const start = (adapter: Layer.Layer<SystemFacts>) =>
  ActorSystem.make({
    root: { name: "root", strategy: "one_for_one", intensity: generous, backoff: fastBackoff, children: [coreAgent] }
  }).pipe(Effect.provide(adapter))

describe("CORE", () => {
  it.effect("replies the facts its adapter reports", () =>
    Effect.gen(function*() {
      const system = yield* start(SystemFactsTest.layer(facts))
      assert.deepStrictEqual(yield* system.ask("CORE", { type: "facts" }), facts)
      // The same through the validated external path (socket, D-Bus, CLI).
      assert.deepStrictEqual(yield* system.injectAsk(ROOT, "CORE", { type: "facts" }), facts)
    }))

  it.effect("answers an adapter failure with a rejection and keeps running", () =>
    Effect.gen(function*() {
      const system = yield* start(
        SystemFactsTest.layerFailing(new SystemFactsError({ source: "/proc/meminfo", reason: "cannot read: EACCES" }))
      )
      const error = yield* Effect.flip(system.ask("CORE", { type: "facts" }))
      assert.strictEqual(error.message, "CORE 'facts': could not read system facts: /proc/meminfo: cannot read: EACCES")
      assert.deepStrictEqual(error._tag === "Rejected" ? error.rejection : undefined, {
        _tag: "SystemFactsError",
        source: "/proc/meminfo",
        reason: "cannot read: EACCES"
      })
      const status = system.status("CORE")
      assert.deepStrictEqual({ lifecycle: status?.lifecycle, restarts: status?.restarts }, {
        lifecycle: "running",
        restarts: 0
      })
    }))

  it.effect("describes this machine through the live adapter", () =>
    Effect.gen(function*() {
      const system = yield* start(SystemFactsLive.layer)
      const live = (yield* system.ask("CORE", { type: "facts" })) as Facts
      assert.strictEqual(live.hostname, os.hostname())
      assert.strictEqual(live.kernel.release, os.release())
      assert.isAbove(live.cpu.count, 0)
      assert.isAbove(live.memory.totalBytes, 0)
      assert.isAtMost(live.memory.availableBytes, live.memory.totalBytes)
    }))
})
