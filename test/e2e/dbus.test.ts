/**
 * The compiled binary's D-Bus interface (`run --dbus session --dbus-address`)
 * on a private dbus-daemon, driven with busctl and gdbus as an administrator
 * would drive it on the system bus.
 */
import * as dbus from "dbus-next"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { busctlCall, gdbusCall, gdbusError, type PrivateBus, run, startPrivateBus } from "../adapters/dbus/bus.ts"
import { cli, type Daemon, startDaemon } from "./harness.ts"

const RUNTIME = "/org/sigmavault/Runtime"

describe("the daemon on D-Bus", () => {
  let bus: PrivateBus
  let daemon: Daemon

  beforeAll(async () => {
    bus = await startPrivateBus()
    daemon = await startDaemon({ args: ["--dbus", "session", "--dbus-address", bus.address] })
    // The control socket comes up before the D-Bus name is claimed: wait (bounded) for the name.
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      const owner = await run("busctl", [`--address=${bus.address}`, "status", "org.sigmavault.Runtime"])
      if (owner.code === 0) return
    }
    throw new Error(`org.sigmavault.Runtime never appeared on the bus; daemon log:\n${daemon.log()}`)
  })
  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    bus?.stop()
  })

  it("ListAgents lists the 40 agents, planned ones marked; GetStatus counts them; Ask CORE answers this machine's facts", async () => {
    const [listed] = await busctlCall(bus.address, "ListAgents", "")
    const rows = listed as Array<[string, string, string]>
    expect(rows).toHaveLength(40)
    expect(rows.find((row) => row[0] === "CORE")?.[2]).toBe("ready")
    expect(rows.find((row) => row[0] === "APEX")?.[2]).toBe("ready")
    const [status] = await busctlCall(bus.address, "GetStatus", "")
    const summary = status as Record<string, { data: unknown }>
    expect(summary.agents?.data).toBe(40)
    expect(summary.planned?.data).toBe(rows.filter((row) => row[2] === "planned").length)
    expect(String(summary.version?.data)).toMatch(/^\d+\.\d+\.\d+ \(/)
    const [facts] = await busctlCall(bus.address, "Ask", "ssu", "CORE", `{"type":"facts"}`, "5000")
    expect(JSON.parse(facts as string).cpu.count).toBeGreaterThan(0)
  })

  it("an injected crash arrives as AgentRestarted on the bus", async () => {
    const client = dbus.sessionBus({ busAddress: bus.address })
    const runtime = (await client.getProxyObject("org.sigmavault.Runtime", RUNTIME)).getInterface("org.sigmavault.Runtime1")
    const restarted = new Promise<[string, number]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no AgentRestarted within 10 s; daemon log:\n${daemon.log()}`)), 10_000)
      runtime.on("AgentRestarted", (agent: string, restarts: number) => {
        if (agent !== "SENTRY") return
        clearTimeout(timer)
        resolve([agent, restarts])
      })
    })
    // A call on the same connection is ordered after the AddMatch the listener sent.
    await runtime.ListAgents!()
    await busctlCall(bus.address, "Tell", "ss", "SENTRY", `{"type":"sv.fault"}`)
    expect(await restarted).toEqual(["SENTRY", 1])
    client.disconnect()
  })

  it("errors are D-Bus error names and the daemon keeps answering", async () => {
    expect(gdbusError(await gdbusCall(bus.address, RUNTIME, "org.sigmavault.Runtime1.Tell", "NOSUCH", `{"type":"ping"}`))?.name)
      .toBe("org.sigmavault.Error.UnknownAgent")
    expect(gdbusError(await gdbusCall(bus.address, RUNTIME, "org.sigmavault.Runtime1.Tell", "CORE", `{nope`))?.name)
      .toBe("org.sigmavault.Error.InvalidMessage")
    // An agent's typed rejection is named after its tag; the text says what a person can do.
    const refused = gdbusError(await gdbusCall(bus.address, RUNTIME, "org.sigmavault.Runtime1.Ask", "APEX", `{"type":"plan","id":"nosuch"}`, "0"))
    expect(refused?.name).toBe("org.sigmavault.Rejected.NoSuchPlan")
    expect(refused?.text).toMatch(/^APEX 'plan': no plan 'nosuch'/)
    const wrong = await run("busctl", [`--address=${bus.address}`, "call", "org.sigmavault.Runtime", RUNTIME, "org.sigmavault.Runtime1", "Ask", "s", "CORE"])
    expect(wrong.code).not.toBe(0)
    expect((await cli(["status", "--socket", daemon.socket])).code).toBe(0)
  })

  it("STREAM's topics are typed signals on the runtime object, fed by a subscription STREAM lists as D-Bus's", async () => {
    const introspected = await run("busctl", [`--address=${bus.address}`, "introspect", "org.sigmavault.Runtime", RUNTIME, "org.sigmavault.Runtime1"])
    expect(introspected.code, introspected.stderr).toBe(0)
    expect(introspected.stdout).toMatch(/\.Alert\s+signal\s+ssssst\b/)
    expect(introspected.stdout).toMatch(/\.Incident\s+signal\s+sssssut\b/)
    expect(introspected.stdout).toMatch(/\.Progress\s+signal\s+ssdds\b/)
    expect(introspected.stdout).toMatch(/\.SignalsLost\s+signal\s+tt\b/)
    const listed = JSON.parse((await cli(["ask", "STREAM", '{"type":"subscribers"}', "--socket", daemon.socket])).stdout)
    expect(listed).toContainEqual(expect.objectContaining({ transport: "dbus", who: "session bus", topics: ["alerts", "incidents", "progress"], capacity: 256 }))
  })

  it("SYNAPSE reports the D-Bus endpoint next to the control socket", async () => {
    const result = await cli(["ask", "SYNAPSE", '{"type":"endpoints"}', "--json", "--socket", daemon.socket])
    expect(JSON.parse(result.stdout)).toContainEqual(
      expect.objectContaining({ kind: "dbus", address: "session:org.sigmavault.Runtime" })
    )
  })

  it("SIGTERM releases the bus name", async () => {
    daemon.process.kill("SIGTERM")
    expect(await daemon.exited).toBe(0)
    const owner = await run("busctl", [`--address=${bus.address}`, "status", "org.sigmavault.Runtime"])
    expect(owner.code).not.toBe(0)
  })
})
