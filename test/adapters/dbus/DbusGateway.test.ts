/**
 * The D-Bus interface against a real, private dbus-daemon, driven by the
 * stock clients (`busctl`, `gdbus`) as users and scripts drive it, and by
 * dbus-next as a client for signals.
 */
import { spawn } from "node:child_process"
import * as dbus from "dbus-next"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as DbusGateway from "../../../src/adapters/dbus/DbusGateway.ts"
import type { Endpoint } from "../../../src/adapters/socket/Gateway.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import * as Gate from "../../../src/runtime/Gate.ts"
import { counterAgent, tree } from "../../support/agents.ts"
import { busctlCall, gdbusCall, gdbusError, type PrivateBus, run, startPrivateBus } from "./bus.ts"

/** An a{sv} as busctl --json prints it ({key: {type, data}}), as a plain object. */
const plain = (dict: unknown): Record<string, unknown> =>
  Object.fromEntries(Object.entries(dict as Record<string, { data: unknown }>).map(([key, { data }]) => [key, data]))

const RUNTIME = DbusGateway.RUNTIME_PATH
const method = (name: string) => `${DbusGateway.RUNTIME_INTERFACE}.${name}`

let bus: PrivateBus
let scope: Scope.Closeable
let system: ActorSystem.ActorSystem
const endpoints: Array<() => Endpoint> = []
let client: dbus.MessageBus

beforeAll(async () => {
  bus = await startPrivateBus()
  scope = Effect.runSync(Scope.make())
  system = await Effect.runPromise(
    Scope.provide(
      Effect.gen(function*() {
        const system = yield* ActorSystem.make({
          root: tree("root", "one_for_one", [
            counterAgent("A"),
            counterAgent("B"),
            counterAgent("SMALL", { mailboxCapacity: 1 }),
            counterAgent("disk-0")
          ])
        })
        yield* DbusGateway.start(system, {
          bus: "session",
          address: bus.address,
          daemonInfo: () => ({ version: "test", pid: 1, uptimeSeconds: 2, socket: "/tmp/s", connections: 0, rssBytes: 3, eventLoopLagMs: 0.5 }),
          gate: Gate.open,
          register: (source) => void endpoints.push(source)
        })
        return system
      }),
      scope
    )
  )
  client = dbus.sessionBus({ busAddress: bus.address })
})

afterAll(async () => {
  client?.disconnect()
  if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
  bus?.stop()
})

/** Resolves with the first recorded item matching `pred`, now or later; rejects after `timeoutMs`. */
const recorder = <T>() => {
  const seen: Array<T> = []
  const waiters: Array<() => void> = []
  const push = (item: T) => {
    seen.push(item)
    waiters.splice(0).forEach((w) => w())
  }
  const next = (pred: (item: T) => boolean, timeoutMs = 5_000): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nothing matched within ${timeoutMs} ms; saw ${JSON.stringify(seen)}`)), timeoutMs)
      const check = () => {
        const found = seen.find(pred)
        if (found !== undefined) {
          clearTimeout(timer)
          resolve(found)
        } else waiters.push(check)
      }
      check()
    })
  return { seen, push, next }
}

describe("D-Bus interface on a private bus", () => {
  it("introspection shows the runtime interface, its methods and signals, and the standard interfaces", async () => {
    const result = await run("gdbus", ["introspect", "--xml", "--address", bus.address, "--dest", DbusGateway.BUS_NAME, "--object-path", RUNTIME])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`<interface name="${DbusGateway.RUNTIME_INTERFACE}">`)
    for (const name of ["ListAgents", "GetAgent", "Tell", "Ask", "GetStatus"]) expect(result.stdout).toContain(`<method name="${name}">`)
    for (const name of ["AgentStateChanged", "AgentRestarted", "AgentFailed"]) expect(result.stdout).toContain(`<signal name="${name}">`)
    expect(result.stdout).toContain(`<interface name="org.freedesktop.DBus.Introspectable">`)
    expect(result.stdout).toContain(`<interface name="org.freedesktop.DBus.Properties">`)
    // Ask(s agent, s json, u timeout_ms) → s
    expect(result.stdout).toMatch(/<method name="Ask">\s*<arg direction="in" type="s"\/>\s*<arg direction="in" type="s"\/>\s*<arg direction="in" type="u"\/>\s*<arg direction="out" type="s"\/>/)
  })

  it("ListAgents returns a typed row per agent; GetStatus the summary as a{sv}", async () => {
    const [listed] = await busctlCall(bus.address, "ListAgents", "")
    const rows = listed as Array<[string, string, string, string, string, number, number, number, number, string]>
    expect(rows.map((row) => row[0]).sort()).toEqual(["A", "B", "SMALL", "disk-0"])
    for (const [, tier, readiness, lifecycle, state, depth, capacity, restarts, , lastError] of rows) {
      expect([tier, readiness, lifecycle, state, depth, restarts, lastError]).toEqual(["5-8", "ready", "running", "idle", 0, 0, ""])
      expect(capacity).toBeGreaterThan(0)
    }

    const [status] = await busctlCall(bus.address, "GetStatus", "")
    const parsed = plain(status)
    expect(parsed.version).toBe("test")
    expect(parsed.agents).toBe(4)
    expect(parsed.running).toBe(4)
    expect(parsed.lifecycle).toBe("running")
    expect(parsed.escalations).toEqual([])
  })

  it("busctl prints the typed values readably, field by field", async () => {
    const result = await run("busctl", [`--address=${bus.address}`, "call", DbusGateway.BUS_NAME, "/org/sigmavault/Runtime", "org.sigmavault.Runtime1", "GetAgent", "s", "A"])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^a\{sv\} 17 /)
    expect(result.stdout).toContain(`"name" s "A"`)
    expect(result.stdout).toContain(`"readiness" s "ready"`)
    expect(result.stdout).toMatch(/"mailbox_capacity" u \d+/)
  })

  it("Tell and Ask reach the agent; Ask answers JSON; GetAgent shows the result", async () => {
    expect(await busctlCall(bus.address, "Tell", "ss", "A", `{"type":"inc"}`)).toEqual([])
    expect(await busctlCall(bus.address, "Tell", "ss", "A", `{"type":"inc"}`)).toEqual([])
    const [answer] = await busctlCall(bus.address, "Ask", "ssu", "A", `{"type":"get"}`, "2000")
    expect(JSON.parse(answer as string)).toBe(2)
    // timeout_ms 0 is the daemon's default timeout
    const [ping] = await busctlCall(bus.address, "Ask", "ssu", "A", `{"type":"ping"}`, "0")
    expect(JSON.parse(ping as string)).toBeTruthy()

    const [agent] = await busctlCall(bus.address, "GetAgent", "s", "A")
    const status = plain(agent)
    expect(status.name).toBe("A")
    expect(status.handled).toBeGreaterThanOrEqual(3)
  })

  it("each agent is an object with read-only properties", async () => {
    const get = async (path: string, property: string) => {
      const result = await run("busctl", [
        `--address=${bus.address}`,
        "--json=short",
        "get-property",
        DbusGateway.BUS_NAME,
        path,
        DbusGateway.AGENT_INTERFACE,
        property
      ])
      expect(result.stderr).toBe("")
      return JSON.parse(result.stdout) as { type: string; data: unknown }
    }
    const path = DbusGateway.agentPath("A")
    expect(path).toBe("/org/sigmavault/Agent/A")
    expect(await get(path, "State")).toEqual({ type: "s", data: "idle" })
    expect(await get(path, "Tier")).toEqual({ type: "s", data: "5-8" })
    expect(await get(path, "MailboxDepth")).toEqual({ type: "u", data: 0 })
    expect(await get(path, "Restarts")).toEqual({ type: "u", data: 0 })
    expect(await get(path, "LastError")).toEqual({ type: "s", data: "" })
    // a name that is not a valid path element is escaped
    expect(DbusGateway.agentPath("disk-0")).toBe("/org/sigmavault/Agent/disk_2d0")
    expect(await get(DbusGateway.agentPath("disk-0"), "Lifecycle")).toEqual({ type: "s", data: "running" })

    const set = await run("busctl", [`--address=${bus.address}`, "set-property", DbusGateway.BUS_NAME, path, DbusGateway.AGENT_INTERFACE, "State", "s", "x"])
    expect(set.code).not.toBe(0)
    expect(set.stderr).toMatch(/write access/)
  })

  it("a crash and its restart arrive as signals and PropertiesChanged; the properties follow", async () => {
    const runtime = (await client.getProxyObject(DbusGateway.BUS_NAME, RUNTIME)).getInterface(DbusGateway.RUNTIME_INTERFACE)
    const properties = (await client.getProxyObject(DbusGateway.BUS_NAME, DbusGateway.agentPath("B")))
      .getInterface("org.freedesktop.DBus.Properties")
    const failed = recorder<[string, string]>()
    const restarted = recorder<[string, number]>()
    const transitions = recorder<[string, string, string]>()
    const changed = recorder<Record<string, unknown>>()
    runtime.on("AgentFailed", (agent: string, error: string) => failed.push([agent, error]))
    runtime.on("AgentRestarted", (agent: string, restarts: number) => restarted.push([agent, restarts]))
    runtime.on("AgentStateChanged", (agent: string, from: string, to: string) => transitions.push([agent, from, to]))
    properties.on("PropertiesChanged", (iface: string, values: Record<string, dbus.Variant>) => {
      if (iface === DbusGateway.AGENT_INTERFACE) {
        changed.push(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.value])))
      }
    })

    // A call on the same connection is ordered after the AddMatch rules the listeners sent.
    await runtime.ListAgents!()
    await busctlCall(bus.address, "Tell", "ss", "B", `{"type":"sleep","ms":10}`)
    expect(await transitions.next(([agent, , to]) => agent === "B" && to === "sleeping")).toEqual(["B", "idle", "sleeping"])
    await changed.next((values) => values.State === "sleeping")
    await transitions.next(([agent, from, to]) => agent === "B" && from === "sleeping" && to === "idle")

    await busctlCall(bus.address, "Tell", "ss", "B", `{"type":"crash"}`)
    const [, error] = await failed.next(([agent]) => agent === "B")
    expect(error).toContain("B was told to crash")
    expect(await restarted.next(([agent]) => agent === "B")).toEqual(["B", 1])
    const afterRestart = await changed.next((values) => values.Restarts === 1)
    expect(afterRestart.LastError).toContain("B was told to crash")

    const [agent] = await busctlCall(bus.address, "GetAgent", "s", "B")
    expect(plain(agent).restarts).toBe(1)
  })

  describe("errors are org.sigmavault.Error.* names, and the service keeps answering", () => {
    it("unknown agent", async () => {
      for (const call of [
        gdbusCall(bus.address, RUNTIME, method("GetAgent"), "NOPE"),
        gdbusCall(bus.address, RUNTIME, method("Tell"), "NOPE", `{"type":"inc"}`),
        gdbusCall(bus.address, RUNTIME, method("Ask"), "NOPE", `{"type":"get"}`, "1000")
      ]) {
        const error = gdbusError(await call)
        expect(error?.name).toBe("org.sigmavault.Error.UnknownAgent")
        expect(error?.text).toContain("unknown agent 'NOPE'")
      }
    })

    it("malformed JSON names the JSON error", async () => {
      for (const call of [
        gdbusCall(bus.address, RUNTIME, method("Tell"), "A", `{"type": inc`),
        gdbusCall(bus.address, RUNTIME, method("Ask"), "A", ``, "1000")
      ]) {
        const error = gdbusError(await call)
        expect(error?.name).toBe("org.sigmavault.Error.InvalidMessage")
        expect(error?.text).toMatch(/not valid JSON: .*JSON/)
      }
    })

    it("a message the agent's schema refuses names the problem", async () => {
      const error = gdbusError(await gdbusCall(bus.address, RUNTIME, method("Tell"), "A", `{"type":"bogus"}`))
      expect(error?.name).toBe("org.sigmavault.Error.InvalidMessage")
      expect(error?.text).toContain("invalid message for A")
      expect(error?.text).toContain("bogus")
    })

    it("an Ask the agent does not answer in time", async () => {
      const error = gdbusError(await gdbusCall(bus.address, RUNTIME, method("Ask"), "A", `{"type":"sleep","ms":300}`, "50"))
      expect(error?.name).toBe("org.sigmavault.Error.Timeout")
      expect(error?.text).toBe("A did not answer 'sleep' within 50 ms")
    })

    it("a full mailbox refuses at once", async () => {
      await busctlCall(bus.address, "Tell", "ss", "SMALL", `{"type":"sleep","ms":3000}`)
      // Capacity 1 and the agent asleep: by the third message the mailbox is full whether or not
      // the agent has taken the first one yet.
      const names: Array<string | undefined> = []
      for (let i = 0; i < 3; i++) names.push(gdbusError(await gdbusCall(bus.address, RUNTIME, method("Tell"), "SMALL", `{"type":"inc"}`))?.name)
      expect(names).toContain("org.sigmavault.Error.MailboxFull")
    })

    it("a call with the wrong signature gets an error reply and the service keeps answering", async () => {
      const tooFew = await run("busctl", [`--address=${bus.address}`, "call", DbusGateway.BUS_NAME, RUNTIME, DbusGateway.RUNTIME_INTERFACE, "Ask", "s", "A"])
      expect(tooFew.code).not.toBe(0)
      expect(tooFew.stderr).toMatch(/Call failed/)
      const wrongType = await run("busctl", [`--address=${bus.address}`, "call", DbusGateway.BUS_NAME, RUNTIME, DbusGateway.RUNTIME_INTERFACE, "GetAgent", "u", "7"])
      expect(wrongType.code).not.toBe(0)
      const noSuchMethod = await run("busctl", [`--address=${bus.address}`, "call", DbusGateway.BUS_NAME, RUNTIME, DbusGateway.RUNTIME_INTERFACE, "Explode"])
      expect(noSuchMethod.code).not.toBe(0)

      const [answer] = await busctlCall(bus.address, "Ask", "ssu", "A", `{"type":"get"}`, "2000")
      expect(JSON.parse(answer as string)).toBe(2)
      expect(system.summary().lifecycle).toBe("running")
    })
  })

  it("STREAM's topics arrive as typed Alert, Incident and Progress signals (gdbus monitor)", async () => {
    const introspected = await run("gdbus", ["introspect", "--xml", "--address", bus.address, "--dest", DbusGateway.BUS_NAME, "--object-path", RUNTIME])
    expect(introspected.stdout).toMatch(/<signal name="Alert">(\s*<arg type="s"\/>){5}\s*<arg type="t"\/>/)
    expect(introspected.stdout).toMatch(/<signal name="Incident">(\s*<arg type="s"\/>){5}\s*<arg type="u"\/>\s*<arg type="t"\/>/)
    expect(introspected.stdout).toMatch(/<signal name="Progress">(\s*<arg type="s"\/>){2}(\s*<arg type="d"\/>){2}\s*<arg type="s"\/>/)
    expect(introspected.stdout).toMatch(/<signal name="SignalsLost">(\s*<arg type="t"\/>){2}/)
    // The signals' own subscription, listed as D-Bus's.
    expect(system.subscriptions().find((s) => s.transport === "dbus")).toMatchObject({ topics: ["alerts", "incidents", "progress"], capacity: 256 })

    const monitor = spawn("gdbus", ["monitor", "--address", bus.address, "--dest", DbusGateway.BUS_NAME, "--object-path", RUNTIME], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    monitor.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()))
    const seen = async (pattern: RegExp) => {
      const deadline = Date.now() + 5_000
      while (!pattern.test(out)) {
        if (Date.now() > deadline) throw new Error(`gdbus monitor printed no ${pattern}; it printed:\n${out}`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
    try {
      // gdbus monitor says it is monitoring once its match rules are in place.
      await seen(/Monitoring signals/)
      await Effect.runPromise(system.inspection.publish({ _tag: "Alert", agent: "LATTICE", severity: "critical", subject: "pool tank", text: "tank is FAULTED", code: "LATTICE-POOL-FAULTED" }))
      await Effect.runPromise(system.inspection.publish({
        _tag: "Incident",
        agent: "NEXUS",
        id: "inc-7",
        state: "opened",
        severity: "critical",
        subject: "pool tank",
        title: "pool tank faulted",
        alerts: 5
      }))
      await Effect.runPromise(system.inspection.publish({ _tag: "Progress", agent: "CIPHER", job: "encrypt /srv/a.iso", done: 512, unit: "bytes" }))
      await seen(/Runtime1\.Alert \('LATTICE', 'critical', 'pool tank', 'tank is FAULTED', 'LATTICE-POOL-FAULTED', uint64 \d+\)/)
      await seen(/Runtime1\.Incident \('inc-7', 'opened', 'critical', 'pool tank', 'pool tank faulted', uint32 5, uint64 \d+\)/)
      await seen(/Runtime1\.Progress \('CIPHER', 'encrypt \/srv\/a\.iso', 512\.0, -1\.0, 'bytes'\)/)
    } finally {
      monitor.kill()
    }
  })

  it("signals the daemon could not keep up with are counted exactly and told as SignalsLost", async () => {
    const runtime = (await client.getProxyObject(DbusGateway.BUS_NAME, RUNTIME)).getInterface(DbusGateway.RUNTIME_INTERFACE)
    const lost = recorder<[bigint, bigint]>()
    const alerts = recorder<string>()
    runtime.on("SignalsLost", (n: bigint, total: bigint) => lost.push([n, total]))
    runtime.on("Alert", (_agent: string, _severity: string, _subject: string, text: string) => alerts.push(text))
    await runtime.ListAgents!()
    const before = system.subscriptions().find((s) => s.transport === "dbus")!.lost
    // 300 events published before the signal pump can run: its buffer of 256 keeps the newest.
    for (let i = 0; i < 300; i++) {
      Effect.runSync(system.inspection.publish({ _tag: "Alert", agent: "A", severity: "info", subject: "s", text: `burst ${i}` }))
    }
    const [n, total] = await lost.next(() => true)
    await alerts.next((text) => text === "burst 299")
    await new Promise((resolve) => setTimeout(resolve, 100))
    const received = alerts.seen.filter((t) => t.startsWith("burst ")).map((t) => Number(t.slice(6)))
    // Every event was either signalled or counted lost; the oldest went, so what came is in order, the newest last.
    expect(received.length + Number(n)).toBe(300)
    expect(Number(n)).toBeGreaterThanOrEqual(300 - 256 - 2)
    expect(Number(total)).toBe(before + Number(n))
    expect(received).toEqual([...received].sort((a, b) => a - b))
    expect(received.slice(-256)).toEqual(Array.from({ length: 256 }, (_, i) => i + 44))
    expect(system.subscriptions().find((s) => s.transport === "dbus")!.lost).toBe(before + Number(n))
  })

  it("registers its endpoint with the gateway registry", () => {
    expect(endpoints).toHaveLength(1)
    const endpoint = endpoints[0]!()
    expect(endpoint).toMatchObject({ kind: "dbus", address: "session:org.sigmavault.Runtime", connections: 1 })
  })

  it("a second daemon on the same bus is refused: the name is taken", async () => {
    const second = await Effect.runPromiseExit(
      Effect.scoped(Effect.flatMap(ActorSystem.make({ root: tree("root2", "one_for_one", [counterAgent("Z")]) }), (other) =>
        DbusGateway.start(other, { bus: "session", address: bus.address, gate: Gate.open })))
    )
    expect(Exit.isFailure(second)).toBe(true)
    expect(String(Exit.isFailure(second) ? second.cause : "")).toContain("already owned")
    // the first still answers
    const [listed] = await busctlCall(bus.address, "ListAgents", "")
    expect(listed).toHaveLength(4)
  })
})
