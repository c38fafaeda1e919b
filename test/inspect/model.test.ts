import { describe, expect, it } from "vitest"
import type { AgentStatus, Description, TreeNode } from "../../src/runtime/Status.ts"
import { initialState, rates, retryDelayMs, rowsOf, type Snapshot, update, type ViewState, visibleEvents as visibleEventsOf } from "../../src/inspect/model.ts"
import { render } from "../../src/inspect/render.ts"
import { decodeKeys } from "../../src/inspect/tui.ts"
import { renderEvent } from "../../src/cli/render.ts"

const agent = (name: string, tier: AgentStatus["tier"], over: Partial<AgentStatus> = {}): TreeNode => ({
  kind: "agent",
  status: {
    name,
    tier,
    readiness: "ready",
    lifecycle: "running",
    incarnation: 1,
    lastError: null,
    lastRestartAt: null,
    handled: 0,
    rejected: 0,
    mailboxDepth: 0,
    mailboxHighWater: 0,
    mailboxCapacity: 1024,
    handlingP50Us: 0,
    handlingP99Us: 0,
    restarts: 0,
    deadLetters: 0,
    state: "ready",
    ...over
  }
})
const supervisor = (name: string, children: ReadonlyArray<TreeNode>): TreeNode => ({
  kind: "supervisor",
  status: {
    name,
    strategy: "one_for_one",
    intensity: { maxRestarts: 10, withinMs: 60_000 },
    backoff: { initialMs: 200, maxMs: 30_000, jitter: 0.2, resetAfterMs: 60_000 },
    lifecycle: "running",
    restarts: 0,
    lastError: null
  },
  children
})
const snapshot = (at: number, handled: Readonly<Record<string, number>>, over: Readonly<Record<string, Partial<AgentStatus>>> = {}, pid = 42): Snapshot => ({
  at,
  status: { version: "0.1.0 (abc)", pid, uptimeSeconds: 3725, connections: 1, rssBytes: 95 * 1_048_576, eventLoopLagMs: 1.25, socket: "/run/sigmavault/control.sock", summary: { agents: 4, running: 4, restarting: 0, failed: 0, stopped: 0, ready: 4, planned: 0, deadLetters: 0, escalations: [], lifecycle: "running" }, agents: [] },
  tree: supervisor("OMNISCIENT", [
    agent("OMNISCIENT", "4", { handled: handled.OMNISCIENT ?? 0, ...over.OMNISCIENT }),
    supervisor("tier-2", [
      agent("CORE", "2", { handled: handled.CORE ?? 0, handlingP99Us: 42, ...over.CORE }),
      agent("SENTRY", "2", { handled: handled.SENTRY ?? 0, mailboxDepth: 3, mailboxHighWater: 9, ...over.SENTRY })
    ]),
    supervisor("tier-5-8", [agent("LATTICE", "5-8", { handled: handled.LATTICE ?? 0, ...over.LATTICE })])
  ])
})

const apply = (state: ViewState, ...keys: ReadonlyArray<string>) => keys.reduce((s, key) => update(s, { _tag: "Key", key }, 0), state)
const withSnapshots = (...snapshots: ReadonlyArray<Snapshot>) =>
  snapshots.reduce((s, snap) => update(s, { _tag: "Snapshot", snapshot: snap }, snap.at), initialState)

describe("the inspector's view-model", () => {
  it("computes messages per second from consecutive snapshots, and none across daemons", () => {
    const a = snapshot(1000, { CORE: 100, SENTRY: 10 })
    const b = snapshot(3000, { CORE: 300, SENTRY: 10 })
    expect(Object.fromEntries(rates(a, b))).toEqual({ CORE: 100, SENTRY: 0, OMNISCIENT: 0, LATTICE: 0 })
    expect(rates(undefined, b).size).toBe(0)
    const restarted = update(withSnapshots(a), { _tag: "Snapshot", snapshot: snapshot(3000, { CORE: 5 }, {}, 99) }, 3000)
    expect(rowsOf(restarted, 3000).find((r) => r.name === "CORE")!.rate).toBeUndefined()
  })

  it("lists supervisors with their agents, sorted within each, filtered, collapsible", () => {
    const state = withSnapshots(snapshot(0, {}), snapshot(1000, { CORE: 5, SENTRY: 50, LATTICE: 1 }))
    expect(rowsOf(state, 1000).map((r) => `${"  ".repeat(r.depth)}${r.name}`)).toEqual([
      "OMNISCIENT", "  OMNISCIENT", "  tier-2", "    CORE", "    SENTRY", "  tier-5-8", "    LATTICE"
    ])
    const byRate = apply(state, "s", "s", "s")
    expect(byRate.sort).toBe("rate")
    expect(byRate.descending).toBe(true)
    expect(rowsOf(byRate, 1000).filter((r) => r.depth === 2 && r.tier === "2").map((r) => r.name)).toEqual(["SENTRY", "CORE"])
    expect(rowsOf(apply(byRate, "r"), 1000).filter((r) => r.depth === 2 && r.tier === "2").map((r) => r.name)).toEqual(["CORE", "SENTRY"])
    const filtered = apply(state, "/", "l", "a", "t", "enter")
    expect(rowsOf(filtered, 1000).map((r) => r.name)).toEqual(["OMNISCIENT", "tier-5-8", "LATTICE"])
    expect(rowsOf(apply(filtered, "escape"), 1000).length).toBe(7)
    const onTier = apply(state, "down", "down")
    expect(onTier.selected).toBe("supervisor:tier-2")
    const collapsed = apply(onTier, "enter")
    expect(rowsOf(collapsed, 1000).map((r) => r.name)).toEqual(["OMNISCIENT", "OMNISCIENT", "tier-2", "tier-5-8", "LATTICE"])
    expect(rowsOf(apply(collapsed, "enter"), 1000).length).toBe(7)
  })

  it("marks recent restarts, keeps the selection in bounds, pauses, quits", () => {
    const state = withSnapshots(snapshot(0, {}), snapshot(1000, {}, { SENTRY: { restarts: 1, lastError: "boom", lifecycle: "restarting" } }))
    const sentry = rowsOf(state, 1000).find((r) => r.name === "SENTRY")!
    expect([sentry.recentRestart, sentry.restarts, sentry.lastError]).toEqual([true, 1, "boom"])
    expect(rowsOf(state, 120_000).find((r) => r.name === "SENTRY")!.recentRestart).toBe(false)
    expect(apply(state, "up", "up").selected).toBe("supervisor:OMNISCIENT")
    expect(apply(state, "end", "down").selected).toBe("agent:LATTICE")
    const paused = apply(state, "p")
    const still = update(paused, { _tag: "Snapshot", snapshot: snapshot(2000, { CORE: 999 }) }, 2000)
    expect(still.snapshot).toBe(paused.snapshot)
    expect(apply(state, "q").quit).toBe(true)
    expect(apply(state, "/", "ctrl-c").quit).toBe(true)
    expect(apply(state, "?").help).toBe(true)
    expect(apply(state, "?", "x").help).toBe(false)
  })

  it("reconnect: each failure waits longer, up to 5 s; a snapshot means connected again", () => {
    let state = initialState
    const waits: Array<number> = []
    for (let i = 0; i < 7; i++) {
      state = update(state, { _tag: "Disconnected", reason: "ENOENT", now: 1000 }, 1000)
      if (state.connection._tag === "Disconnected") waits.push(state.connection.retryAt - 1000)
    }
    expect(waits).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000])
    expect(retryDelayMs(100)).toBe(5000)
    state = update(state, { _tag: "Snapshot", snapshot: snapshot(5000, {}) }, 5000)
    expect(state.connection._tag).toBe("Connected")
    state = update(state, { _tag: "Disconnected", reason: "closed", now: 6000 }, 6000)
    expect(state.connection._tag === "Disconnected" && state.connection.attempt).toBe(1)
  })
})

describe("the inspector's frame", () => {
  const state = withSnapshots(snapshot(0, {}), snapshot(1000, { CORE: 12 }, { SENTRY: { restarts: 2, lastError: "fault injected into SENTRY for testing" } }))

  it("fits 80x24 and 200x50 exactly, with the header, the table and the keys", () => {
    for (const [width, height] of [[80, 24], [200, 50], [40, 10]] as const) {
      const lines = render(state, { width, height, color: false, now: 1000, rateHz: 1 }).split("\n")
      expect(lines.length).toBe(height)
      for (const line of lines) expect([...line].length).toBeLessThanOrEqual(width)
    }
    const lines = render(state, { width: 200, height: 50, color: false, now: 1000, rateHz: 10 }).split("\n")
    expect(lines[0]).toBe("sigmavault 0.1.0 · up 1h02m · 4/4 running · 12.0 msg/s · lag 1.3ms · RSS 95MB · 10Hz".padEnd(200))
    expect(lines.find((l) => l.includes("SENTRY"))).toMatch(/^ \*\s+SENTRY\s+ready\s+3\/9\s+0\.0\s+-\s+2\s+0\s+fault injected into SENTRY for testing/)
    expect(lines.at(-1)).toMatch(/^↑↓ move .* q quit/)
  })

  it("shows the reconnect banner, the help, and no colour when asked", () => {
    const down = update(state, { _tag: "Disconnected", reason: "the daemon closed the connection", now: 1000 }, 1000)
    expect(render(down, { width: 100, height: 10, color: false, now: 1000, rateHz: 1 }).split("\n")[1]).toMatch(/^disconnected, retrying in 0\.3 s \(attempt 1\): the daemon closed the connection/)
    expect(render(apply(state, "?"), { width: 100, height: 20, color: false, now: 1000, rateHz: 1 })).toContain("sigmavault inspect — keys")
    expect(render(state, { width: 80, height: 24, color: false, now: 1000, rateHz: 1 })).not.toContain("\x1b")
    expect(render(state, { width: 80, height: 24, color: true, now: 1000, rateHz: 1 })).toContain("\x1b[7m")
  })
})

describe("injecting a message", () => {
  const core = {
    name: "CORE",
    tier: "2",
    description: "System facts",
    capabilities: [{ name: "facts", available: true, detail: "" }],
    accepts: ["facts", "scrub", "ping", "status", "describe"],
    restart: "permanent",
    states: ["ready", "serving"],
    recent: [{ type: "facts", durationUs: 1200, outcome: "ok", at: 0 }, { type: "scrub", durationUs: 40, outcome: "refused", at: 0 }],
    readiness: "ready",
    universalRejections: [],
    messages: {
      facts: {
        access: "read",
        doc: "facts",
        request: { type: "object", properties: { type: { type: "string", enum: ["facts"] } }, required: ["type"] },
        reply: {},
        rejections: []
      },
      scrub: {
        access: "operate",
        doc: "scrubs",
        request: {
          type: "object",
          properties: { type: { type: "string", enum: ["scrub"] }, pool: { type: "string" }, action: { type: "string", enum: ["start", "pause"] }, n: { type: "integer" } },
          required: ["type", "pool", "action", "n"]
        },
        reply: {},
        rejections: []
      }
    }
  } satisfies Description
  const onCore = () => {
    let state = withSnapshots(snapshot(0, {}))
    state = apply(state, "down", "down", "down")
    expect(state.selected).toBe("agent:CORE")
    state = apply(state, "enter")
    expect(state.detail).toBe(true)
    expect(state.outbox.filter((r) => r._tag !== "Sparklines")).toEqual([{ _tag: "Describe", agent: "CORE" }])
    return update({ ...state, outbox: [] }, { _tag: "Described", agent: "CORE", description: core }, 0)
  }

  it("the detail pane shows the machine's states and the recent messages, and asks again at each refresh", () => {
    const state = onCore()
    const frame = render(state, { width: 200, height: 40, color: false, now: 0, rateHz: 1 })
    expect(frame).toContain("states: ready, serving")
    expect(frame).toContain("recent: facts 1.2ms · scrub 40µs refused")
    expect(frame).toContain("supervised by tier-2: one_for_one, at most 10 restarts in 60 s; backoff 200 ms doubling to 30 s, ±20%, reset after 60 s stable")
    expect(update(state, { _tag: "Snapshot", snapshot: snapshot(1000, {}) }, 1000).outbox).toEqual([{ _tag: "Describe", agent: "CORE" }])
  })

  it("opens an editor with a template from the schema, cycles types, toggles ask and tell", () => {
    let state = apply(onCore(), "i")
    expect(state.editor).toMatchObject({ agent: "CORE", text: "{\"type\":\"facts\"}", mode: "ask" })
    state = apply(state, "tab")
    expect(state.editor!.text).toBe("{\"type\":\"scrub\",\"pool\":\"\",\"action\":\"start\",\"n\":0}")
    state = apply(state, "ctrl-t")
    expect(state.editor!.mode).toBe("tell")
  })

  it("checks the message before sending, and sends only a valid one", () => {
    let state = apply(onCore(), "i", "backspace")
    state = apply(state, "enter")
    expect(state.editor!.error).toMatch(/^not JSON/)
    expect(state.outbox).toEqual([])
    state = apply(state, "escape", "i", "tab")
    state = { ...state, editor: { ...state.editor!, text: "{\"type\":\"scrub\"}", cursor: 16 } }
    state = apply(state, "enter")
    expect(state.editor!.error).toBe("'scrub' needs \"pool\", \"action\", \"n\"")
    state = { ...state, editor: { ...state.editor!, text: "{\"type\":\"reboot\"}" } }
    expect(apply(state, "enter").editor!.error).toBe("CORE does not accept 'reboot'; it accepts facts, scrub, ping, status, describe")
    state = apply(state, "escape", "i", "enter")
    expect(state.editor).toBeUndefined()
    expect(state.outbox).toEqual([{ _tag: "Send", agent: "CORE", mode: "ask", message: { type: "facts" } }])
    const replied = update(state, { _tag: "Replied", agent: "CORE", reply: { message: "{\"type\":\"facts\"}", mode: "ask", ok: true, text: "{\n  \"hostname\": \"nas\"\n}" } }, 0)
    const frame = render(replied, { width: 100, height: 30, color: false, now: 0, rateHz: 1 })
    expect(frame).toContain("ask {\"type\":\"facts\"} →")
    expect(frame).toContain("\"hostname\": \"nas\"")
  })

  it("read-only sends nothing and says why", () => {
    const state = apply({ ...onCore(), readOnly: true }, "i")
    expect(state.editor).toBeUndefined()
    expect(state.replies.get("CORE")!.text).toBe("read-only: this inspector was started with --read-only, so it sends nothing")
  })
})

describe("restart, stop and start", () => {
  it("ask y/n first, then go to the outbox; read-only and supervisors say why not", () => {
    const state = apply(withSnapshots(snapshot(0, {})), "down", "down", "down")
    const asking = apply(state, "R")
    expect(asking.confirm).toEqual({ op: "restart", agent: "CORE" })
    expect(render(asking, { width: 100, height: 20, color: false, now: 0, rateHz: 1 }).split("\n")[1]).toMatch(/^restart CORE\? y to confirm, any other key cancels/)
    expect(apply(asking, "y").outbox).toEqual([{ _tag: "Operate", agent: "CORE", op: "restart" }])
    const cancelled = apply(asking, "n")
    expect([cancelled.confirm, cancelled.outbox, cancelled.notice?.text]).toEqual([undefined, [], "cancelled"])
    expect(apply(state, "S", "y").outbox).toEqual([{ _tag: "Operate", agent: "CORE", op: "stop" }])
    expect(apply({ ...state, readOnly: true }, "T").notice?.text).toBe("read-only: this inspector was started with --read-only, so it cannot start CORE")
    expect(apply(state, "up", "S").notice?.text).toBe("select an agent to stop")
    const done = update(state, { _tag: "Notice", text: "CORE: restart done" }, 1000)
    expect(render(done, { width: 100, height: 20, color: false, now: 2000, rateHz: 1 }).split("\n")[1]).toMatch(/^CORE: restart done/)
    expect(render(done, { width: 100, height: 20, color: false, now: 7000, rateHz: 1 }).split("\n")[1]).toMatch(/^sorted by name/)
  })
})

describe("the event log pane", () => {
  const event = (seq: number, agent: string, tag: string) => ({ seq, agent, tag, text: `10:00:00.000 ${tag.toLowerCase().padEnd(14)} ${agent}` })
  it("keeps the newest events, filters by text and by the selected agent, scrolls back", () => {
    let state = apply(withSnapshots(snapshot(0, {})), "e")
    for (let i = 0; i < 30; i++) state = update(state, { _tag: "Event", event: event(i, i % 2 === 0 ? "CORE" : "SENTRY", i % 3 === 0 ? "Restarted" : "Started") }, 0)
    expect(state.eventsPane).toBe(true)
    const frame = render(state, { width: 80, height: 24, color: false, now: 0, rateHz: 1 }).split("\n")
    expect(frame.find((l) => l.startsWith("  events"))).toMatch(/^ {2}events · a: this agent only · \[ \] scroll · e closes/)
    expect(frame.filter((l) => l.includes("10:00:00.000")).length).toBe(9)
    state = apply(state, "down", "down", "down", "a")
    expect(state.selected).toBe("agent:CORE")
    expect(visibleEventsOf(state).every((e) => e.agent === "CORE")).toBe(true)
    state = apply(state, "a", "/", "r", "e", "s", "t", "a", "r", "t", "e", "d", "enter")
    expect(visibleEventsOf(state).length).toBe(10)
    state = apply(state, "[")
    expect(state.eventsScroll).toBe(5)
    state = update(state, { _tag: "Event", event: event(30, "CORE", "Restarted") }, 0)
    expect(state.eventsScroll).toBe(6)
    expect(apply(state, "]", "]").eventsScroll).toBe(0)
    let full = state
    for (let i = 0; i < 1100; i++) full = update(full, { _tag: "Event", event: event(100 + i, "CORE", "Started") }, 0)
    expect(full.events.length).toBe(1000)
    expect(full.events.at(-1)!.seq).toBe(1199)
  })

  it("shows incidents, and counts the events lost per topic in its title", () => {
    let state = apply(withSnapshots(snapshot(0, {})), "e")
    const incident = {
      _tag: "Incident" as const,
      seq: 7,
      at: Date.UTC(2026, 0, 1, 10),
      agent: "NEXUS",
      id: "inc-3",
      state: "opened" as const,
      severity: "critical" as const,
      subject: "pool tank",
      title: "pool tank faulted",
      alerts: 4
    }
    state = update(state, { _tag: "Event", event: { seq: 7, agent: "NEXUS", tag: "Incident", text: renderEvent(incident) } }, 0)
    state = update(state, { _tag: "Lost", topic: "progress", lost: 120, at: Date.UTC(2026, 0, 1, 10) }, 0)
    state = update(state, { _tag: "Lost", topic: "alerts", lost: 3, at: Date.UTC(2026, 0, 1, 10) }, 0)
    state = update(state, { _tag: "Lost", topic: "progress", lost: 5, at: Date.UTC(2026, 0, 1, 10) }, 0)
    expect([...state.lostByTopic]).toEqual([["progress", 125], ["alerts", 3]])
    const frame = render(state, { width: 120, height: 24, color: false, now: 0, rateHz: 1 }).split("\n")
    expect(frame.find((l) => l.startsWith("  events"))).toContain("lost: progress 125, alerts 3")
    expect(frame.some((l) => l.includes("incident") && l.includes("inc-3 opened: critical: pool tank faulted (4 alerts)"))).toBe(true)
    expect(frame.some((l) => l.includes("lost") && l.includes("5 progress events"))).toBe(true)
  })
})

describe("keys from a raw terminal", () => {
  it("decodes arrows, paging, enter, backspace, escape and Ctrl-C, and skips unknown sequences", () => {
    expect(decodeKeys("\x1b[A\x1b[Bjk\r\x7f\x1b\x03")).toEqual(["up", "down", "j", "k", "enter", "backspace", "escape", "ctrl-c"])
    expect(decodeKeys("\x1b[5~\x1b[6~\x1b[H\x1b[F")).toEqual(["pageup", "pagedown", "home", "end"])
    expect(decodeKeys("\x1b[<0;10;5Mq")).toEqual(["q"])
    expect(decodeKeys("\t\x14")).toEqual(["tab", "ctrl-t"])
  })
})
