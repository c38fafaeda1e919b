/**
 * PHOTON's sampling of /sys/class/net against the anchor `ip -j -s link`
 * (iproute2 over netlink, what an administrator would run), in the same run:
 * on this host's links, and in a private network namespace holding 16 veth
 * pairs (32 links + lo), read through a process inside it. Then the idle CPU
 * of the agent sampling every second, against the same process idle without it.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { Effect } from "effect"
import * as NetLinksLive from "../../src/adapters/netlinks/NetLinksLive.ts"
import { defaultPhotonConfig, PhotonConfig } from "../../src/actors/photon/config.ts"
import { photonAgent } from "../../src/actors/photon/index.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import { type Book, emptyBook, step } from "../../src/actors/photon/links.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { collectGarbage, now, round, summarise } from "../support.ts"

const IP = ["/usr/sbin/ip", "/usr/bin/ip", "/sbin/ip"].find(existsSync)

/** Alternates the two, run by run, so the machine's load at any moment weighs on both alike. */
const timeBoth = (runs: number, ours: () => void, anchor: () => void) => {
  const [a, b]: [Array<number>, Array<number>] = [[], []]
  for (let i = 0; i < runs; i++) {
    for (const [body, samples] of [[ours, a], [anchor, b]] as const) {
      const start = now()
      body()
      samples.push((now() - start) * 1000)
    }
  }
  return [summarise(a), summarise(b)] as const
}

const compare = (view: NetLinksLive.View, ipArgs: ReadonlyArray<string>, runs: number) => {
  const adapter = NetLinksLive.make(view)
  const links = Effect.runSync(adapter.sample).links.length
  let book: Book = emptyBook
  const [ours, anchor] = timeBoth(
    runs,
    () => {
      book = step(book, Effect.runSync(adapter.sample), 0, defaultPhotonConfig, 100).book
    },
    () => {
      JSON.parse(execFileSync(IP!, [...ipArgs, "-j", "-s", "link"], { encoding: "utf8" }))
    }
  )
  return { links, photonSampleUs: ours, ipJsonLinkUs: anchor, ratioIpOverPhoton: round(anchor.p50Us / ours.p50Us) }
}

const cpuMsOver = async (ms: number) => {
  const before = process.cpuUsage()
  await new Promise((resolve) => setTimeout(resolve, ms))
  const used = process.cpuUsage(before)
  return (used.user + used.system) / 1000
}

export const photonSample = async () => {
  if (IP === undefined) throw new Error("'ip' is missing: the anchor needs it (Debian package iproute2)")
  const host = compare(NetLinksLive.host, [], 300)

  const ns = `photon-bench-${process.pid}`
  let reader: ChildProcess | undefined
  let namespaced: ReturnType<typeof compare>
  try {
    execFileSync(IP, ["netns", "add", ns])
    for (let i = 0; i < 16; i++) {
      execFileSync(IP, ["-n", ns, "link", "add", `bl${i}`, "type", "veth", "peer", "name", `br${i}`])
      execFileSync(IP, ["-n", ns, "link", "set", `bl${i}`, "up"])
      execFileSync(IP, ["-n", ns, "link", "set", `br${i}`, "up"])
    }
    reader = spawn(IP, ["netns", "exec", ns, "sleep", "600"], { stdio: "ignore" })
    const view = NetLinksLive.namespaceOf(reader.pid!)
    for (let i = 0; i < 200 && !existsSync(`${view.sysfs}/class/net/bl0`); i++) await new Promise((r) => setTimeout(r, 25))
    namespaced = compare(view, ["-n", ns], 300)
  } finally {
    if (reader?.pid !== undefined) process.kill(reader.pid, "SIGKILL")
    execFileSync(IP, ["netns", "del", ns])
  }

  // Idle CPU: the same process for the same time, idle, then with PHOTON sampling every second, then idle again.
  const windowMs = 5_000
  collectGarbage()
  await new Promise((resolve) => setTimeout(resolve, 1_000))
  const before = await cpuMsOver(windowMs)
  const withAgentMs = await Effect.runPromise(
    Effect.gen(function*() {
      yield* ActorSystem.make({
        root: {
          name: "root",
          strategy: "one_for_one",
          intensity: { maxRestarts: 3, withinMs: 1000 },
          backoff: { initialMs: 100, maxMs: 1_000, jitter: 0, resetAfterMs: 5_000 },
          children: [photonAgent]
        }
      })
      return yield* Effect.promise(() => cpuMsOver(windowMs))
    }).pipe(
      Effect.scoped,
      Effect.provide(NetLinksLive.layer),
      Effect.provide(HistoryTest.layer()),
      Effect.provideService(PhotonConfig, { ...defaultPhotonConfig, intervalMs: 1_000 })
    )
  )
  const after = await cpuMsOver(windowMs)
  const baselineMs = (before + after) / 2
  const perSampleMs = Math.max(0, withAgentMs - baselineMs) / (windowMs / 1000)
  return {
    host,
    namespace32Links: namespaced,
    idle: {
      windowMs,
      intervalMs: 1_000,
      cpuMsIdleBefore: round(before),
      cpuMsWithPhoton: round(withAgentMs),
      cpuMsIdleAfter: round(after),
      cpuMsPerSample: round(perSampleMs, 3),
      // At the default 10 s interval: from the measured windows, and from the host's p50 sample cost.
      cpuPercentAtDefaultInterval: round((perSampleMs / defaultPhotonConfig.intervalMs) * 100, 4),
      cpuPercentAtDefaultIntervalFromP50: round((host.photonSampleUs.p50Us / 1000 / defaultPhotonConfig.intervalMs) * 100, 4)
    }
  }
}
