/**
 * PHOTON against the kernel: a veth pair between two network namespaces of
 * this test's own (`photon-PID-a`, `photon-PID-b`), so nothing on the host
 * changes. The live adapter reads namespace a's /sys/class/net through a
 * process inside it: `ip netns exec` mounts that namespace's sysfs in a mount
 * namespace of its own, which /proc/PID/root reaches, and /proc/PID/net/dev
 * holds that namespace's counters. Runs as root; needs `ip`
 * (iproute2) and `ping` (iputils-ping).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import type { LinkReading, LinkSample } from "../../../src/adapters/netlinks/NetLinks.ts"
import * as NetLinksLive from "../../../src/adapters/netlinks/NetLinksLive.ts"
import { defaultPhotonConfig, PhotonConfig } from "../../../src/actors/photon/config.ts"
import { photonAgent } from "../../../src/actors/photon/index.ts"
import { type Book, emptyBook, step } from "../../../src/actors/photon/links.ts"
import type { ActiveAlert, InterfaceReport } from "../../../src/actors/photon/messages.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import * as HistoryTest from "../../../src/history/HistoryTest.ts"
import { fastBackoff, generous } from "../../support/agents.ts"

const nsA = `photon-${process.pid}-a`
const nsB = `photon-${process.pid}-b`
const linkA = `pa${process.pid}`
const linkB = `pb${process.pid}`
const addressB = "10.213.0.2"

const TOOLS = { ip: "iproute2", ping: "iputils-ping" } as const

const toolPath = (tool: keyof typeof TOOLS) => {
  for (const dir of ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]) if (existsSync(`${dir}/${tool}`)) return `${dir}/${tool}`
  throw new Error(`'${tool}' is missing: this test needs it (Debian package ${TOOLS[tool]})`)
}

const run = (tool: keyof typeof TOOLS, args: ReadonlyArray<string>) =>
  execFileSync(toolPath(tool), args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 20_000 })

const ip = (...args: ReadonlyArray<string>) => run("ip", args)

let reader: ChildProcess | undefined
let view: NetLinksLive.View = NetLinksLive.host

const cleanUp = () => {
  if (reader?.pid !== undefined && reader.exitCode === null) process.kill(reader.pid, "SIGKILL")
  // Deleting a namespace deletes the veth end in it, and with it the pair.
  for (const ns of [nsA, nsB]) {
    try {
      ip("netns", "del", ns)
    } catch {
      // not created (or already gone)
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls until `check` holds; the deadline is only a guard against a hang, not a measurement. */
const until = async <A>(what: string, read: () => A, check: (value: A) => boolean, deadlineMs = 15_000): Promise<A> => {
  const end = Date.now() + deadlineMs
  for (;;) {
    const value = read()
    if (check(value)) return value
    if (Date.now() > end) throw new Error(`${what}: still not so after ${deadlineMs} ms: ${JSON.stringify(value)}`)
    await sleep(50)
  }
}

const sample = (): Promise<LinkSample> => Effect.runPromise(NetLinksLive.make(view).sample)
const linkIn = (s: LinkSample): LinkReading => {
  const found = s.links.find((l) => l.name === linkA)
  if (found === undefined) throw new Error(`${linkA} is not in ${s.links.map((l) => l.name).join(", ")}`)
  return found
}
const readA = async () => linkIn(await sample())
/** Synchronous for `until`: one sample through the adapter. */
const readASync = () => linkIn(Effect.runSync(NetLinksLive.make(view).sample))

beforeAll(async () => {
  toolPath("ip")
  toolPath("ping")
  try {
    ip("netns", "add", nsA)
    ip("netns", "add", nsB)
    ip("link", "add", linkA, "netns", nsA, "type", "veth", "peer", "name", linkB, "netns", nsB)
    ip("-n", nsA, "addr", "add", "10.213.0.1/24", "dev", linkA)
    ip("-n", nsB, "addr", "add", `${addressB}/24`, "dev", linkB)
    ip("-n", nsA, "link", "set", linkA, "up")
    ip("-n", nsB, "link", "set", linkB, "up")
    reader = spawn(toolPath("ip"), ["netns", "exec", nsA, "sleep", "3600"], { stdio: "ignore" })
    view = NetLinksLive.namespaceOf(reader.pid!)
    await until("namespace a's sysfs is mounted", () => existsSync(`${view.sysfs}/class/net/${linkA}`), Boolean)
    await until(`${linkA} is up`, readASync, (l) => l.operstate === "up")
  } catch (error) {
    cleanUp()
    throw error
  }
}, 60_000)

afterAll(() => {
  cleanUp()
  assert.notInclude(ip("netns", "list"), nsA, "the namespace is gone")
})

describe("PHOTON on a real veth pair in a network namespace", () => {
  it("reads only that namespace's links: lo and the veth end, a virtual ethernet link", async () => {
    const s = await sample()
    assert.deepStrictEqual(s.links.map((l) => l.name), ["lo", linkA])
    const a = linkIn(s)
    assert.deepStrictEqual([a.type, a.virtual, a.adminUp, a.carrier, a.mtu], [1, true, true, true, 1500])
    assert.match(a.address ?? "", /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/)
  })

  it("counters move when packets cross, and PHOTON turns them into rates", async () => {
    const before = await sample()
    ip("netns", "exec", nsA, toolPath("ping"), "-n", "-q", "-c", "5", "-i", "0.2", "-W", "2", addressB)
    const after = await sample()
    const [a0, a1] = [linkIn(before), linkIn(after)]
    assert.isAtLeast(a1.counters.txPackets! - a0.counters.txPackets!, 5)
    assert.isAtLeast(a1.counters.rxPackets! - a0.counters.rxPackets!, 5)
    // 5 echo requests of 84 bytes of IP (56 + 8 + 20) in 98-byte frames, at the least.
    assert.isAtLeast(a1.counters.txBytes! - a0.counters.txBytes!, 5 * 98)
    let book: Book = emptyBook
    book = step(book, before, 0, defaultPhotonConfig, 10).book
    book = step(book, after, 1, defaultPhotonConfig, 10).book
    const rates = book.reports.find((r) => r.name === linkA)!.rates!
    assert.isAbove(rates.txPacketsPerSecond!, 0)
    assert.isAbove(rates.rxBytesPerSecond!, 0)
    assert.strictEqual(rates.newErrors, 0)
    assert.isFalse(rates.countersReset)
  })

  it("the counters of /proc/net/dev are those of the link's statistics files", async () => {
    ip("netns", "exec", nsA, toolPath("ping"), "-n", "-q", "-c", "3", "-i", "0.2", "-W", "2", addressB)
    const fromNetDev = await readA()
    const fromFiles = linkIn(await Effect.runPromise(NetLinksLive.make({ ...view, netDev: `/nonexistent-${process.pid}` }).sample))
    // Read a moment apart: IPv6 neighbour discovery may send a packet in between, nothing more.
    for (const key of ["rxPackets", "txPackets", "rxBytes", "txBytes"] as const) {
      assert.isAtLeast(fromFiles.counters[key]!, fromNetDev.counters[key]!, key)
      assert.isAtMost(fromFiles.counters[key]! - fromNetDev.counters[key]!, key.endsWith("Bytes") ? 1_000 : 10, key)
    }
    assert.deepStrictEqual([fromFiles.counters.rxErrors, fromFiles.counters.txErrors], [fromNetDev.counters.rxErrors, fromNetDev.counters.txErrors])
  })

  it("operstate flips when the link is set down, and carrier and speed are then unknown, not errors", async () => {
    ip("-n", nsA, "link", "set", linkA, "down")
    const down = await until(`${linkA} is down`, readASync, (l) => l.operstate === "down")
    // The kernel answers EINVAL for carrier and speed of a down link.
    assert.deepStrictEqual([down.adminUp, down.carrier, down.speedMbps], [false, null, null])
    ip("-n", nsA, "link", "set", linkA, "up")
    const up = await until(`${linkA} is up again`, readASync, (l) => l.operstate === "up")
    assert.deepStrictEqual([up.adminUp, up.carrier], [true, true])
  })

  it("carrier_changes counts the peer going down and up", async () => {
    const before = (await readA()).carrierChanges!
    ip("-n", nsB, "link", "set", linkB, "down")
    const lost = await until(`${linkA} loses its carrier`, readASync, (l) => l.carrier === false)
    assert.strictEqual(lost.carrierChanges, before + 1)
    ip("-n", nsB, "link", "set", linkB, "up")
    const back = await until(`${linkA} has its carrier back`, readASync, (l) => l.carrier === true && l.operstate === "up")
    assert.strictEqual(back.carrierChanges, before + 2)
  })

  it.live("the PHOTON agent, sampling the namespace, raises a down alert when the peer goes away, clears it when it is back, and sees a flapping carrier", () =>
    Effect.gen(function*() {
      const system = yield* ActorSystem.make({
        root: { name: "root", strategy: "one_for_one", intensity: generous, backoff: fastBackoff, children: [photonAgent] }
      })
      const ask = <A>(message: { readonly type: string; readonly [field: string]: unknown }) => system.ask("PHOTON", message) as Effect.Effect<A, unknown>
      const poll = <A>(what: string, read: Effect.Effect<A, unknown>, check: (a: A) => boolean) =>
        Effect.gen(function*() {
          for (let attempt = 0; attempt < 300; attempt++) {
            const value = yield* read
            if (check(value)) return value
            yield* Effect.sleep("50 millis")
          }
          return yield* Effect.die(new Error(`${what}: still not so after 15 s`))
        })
      const active = ask<{ active: ReadonlyArray<ActiveAlert> }>({ type: "alerts" })
      const interfaceA = ask<{ interface: InterfaceReport }>({ type: "interface", name: linkA })
      yield* poll("PHOTON has rates for the veth end", interfaceA, (r) => r.interface.rates !== null)
      ip("-n", nsB, "link", "set", linkB, "down")
      const raised = yield* poll("PHOTON raises a down alert", active, (r) => r.active.some((a) => a.interface === linkA && a.kind === "down"))
      assert.match(raised.active.find((a) => a.interface === linkA)!.text, new RegExp(`^${linkA} is down: no carrier`))
      ip("-n", nsB, "link", "set", linkB, "up")
      yield* poll("PHOTON clears it", active, (r) => r.active.length === 0)
      const report = yield* interfaceA
      assert.strictEqual(report.interface.condition, "up")
      assert.isAtLeast(report.interface.recentCarrierChanges, 2)
      // Two more down-and-ups make 6 carrier changes in the window: flapping, one alert.
      for (let flap = 0; flap < 2; flap++) {
        ip("-n", nsB, "link", "set", linkB, "down")
        ip("-n", nsB, "link", "set", linkB, "up")
      }
      const flapping = yield* poll("PHOTON sees it flapping", active, (r) => r.active.some((a) => a.interface === linkA && a.kind === "flapping"))
      assert.match(flapping.active.find((a) => a.kind === "flapping")!.text, new RegExp(`^${linkA} is flapping: \\d+ carrier changes in the last 300 s$`))
    }).pipe(
      Effect.scoped,
      // The reader process exists only once beforeAll has run.
      Effect.provide(Layer.suspend(() => NetLinksLive.layerAt(view))),
      Effect.provide(HistoryTest.layer()),
      Effect.provideService(PhotonConfig, { ...defaultPhotonConfig, intervalMs: 100 })
    ), 60_000)
})
