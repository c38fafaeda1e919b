/**
 * The inspector's detail pane sparklines: asked of CANVAS when the pane shows
 * an agent, again every SPARKLINE_REFRESH_MS, never twice at a time, never
 * while closed or paused; drawn with their figures, or with why not.
 */
import { describe, expect, it } from "vitest"
import { type Action, initialState, SPARKLINE_REFRESH_MS, type Snapshot, update, type ViewState } from "../../src/inspect/model.ts"
import { render } from "../../src/inspect/render.ts"
import type { AgentStatus, TreeNode } from "../../src/runtime/Status.ts"

const agent = (name: string): TreeNode => ({
  kind: "agent",
  status: {
    name, tier: "5-8", readiness: "ready", lifecycle: "running", incarnation: 1, lastError: null, lastRestartAt: null,
    handled: 0, rejected: 0, mailboxDepth: 0, mailboxHighWater: 0, mailboxCapacity: 1024, handlingP50Us: 0, handlingP99Us: 0,
    restarts: 0, deadLetters: 0, state: "ready"
  } satisfies AgentStatus
})
const tree: TreeNode = {
  kind: "supervisor",
  status: {
    name: "OMNISCIENT", strategy: "one_for_one", intensity: { maxRestarts: 10, withinMs: 60_000 },
    backoff: { initialMs: 200, maxMs: 30_000, jitter: 0.2, resetAfterMs: 60_000 }, lifecycle: "running", restarts: 0, lastError: null
  },
  children: [agent("CORE"), agent("ORACLE")]
}
const snapshot = (at: number): Snapshot => ({
  at,
  tree,
  status: {
    version: "0.1.0 (abc)", pid: 42, uptimeSeconds: 3725, connections: 1, rssBytes: 95 * 1_048_576, eventLoopLagMs: 1.25,
    socket: "/run/sigmavault/control.sock",
    summary: { agents: 2, running: 2, restarting: 0, failed: 0, stopped: 0, ready: 2, planned: 0, deadLetters: 0, escalations: [], lifecycle: "running" },
    agents: []
  }
})

const run = (state: ViewState, steps: ReadonlyArray<readonly [Action, number]>) =>
  steps.reduce((s, [action, now]) => update({ ...s, outbox: [] }, action, now), state)
const sparkRequests = (state: ViewState) => state.outbox.filter((r) => r._tag === "Sparklines")

describe("inspector sparklines", () => {
  const connected = run(initialState, [[{ _tag: "Connected" }, 0], [{ _tag: "Snapshot", snapshot: snapshot(0) }, 0]])

  it("are not asked for while the detail pane is closed", () => {
    expect(sparkRequests(connected)).toEqual([])
    expect(connected.sparklines.size).toBe(0)
    const later = run(connected, [[{ _tag: "Snapshot", snapshot: snapshot(60_000) }, 60_000]])
    expect(sparkRequests(later)).toEqual([])
  })

  it("are asked for when the pane opens on an agent, then at most every refresh interval, one request at a time", () => {
    const selected = run(connected, [[{ _tag: "Key", key: "j" }, 1_000]])
    expect(selected.selected).toBe("agent:CORE")
    const opened = update({ ...selected, outbox: [] }, { _tag: "Key", key: "d" }, 1_000)
    expect(sparkRequests(opened)).toEqual([{ _tag: "Sparklines", agent: "CORE" }])
    expect(opened.sparklines.get("CORE")).toEqual({ askedAt: 1_000, pending: true, rate: undefined, p99: undefined })
    // While the answer is awaited, refreshes ask nothing more, however long it takes.
    const waiting = update({ ...opened, outbox: [] }, { _tag: "Snapshot", snapshot: snapshot(30_000) }, 30_000)
    expect(sparkRequests(waiting)).toEqual([])
    const answered = update(waiting, { _tag: "Sparked", agent: "CORE", rate: { line: "▁▂▃", text: "min 1 · max 3 · last 3" }, p99: { unavailable: "no samples recorded yet" } }, 31_000)
    expect(answered.sparklines.get("CORE")).toMatchObject({ pending: false, rate: { line: "▁▂▃" } })
    // Refreshes within the interval of the last ask do not ask again; the first after it does.
    expect(sparkRequests(update({ ...answered, outbox: [] }, { _tag: "Snapshot", snapshot: snapshot(1_000 + SPARKLINE_REFRESH_MS - 1) }, 1_000 + SPARKLINE_REFRESH_MS - 1))).toEqual([])
    const again = update({ ...answered, outbox: [] }, { _tag: "Snapshot", snapshot: snapshot(31_000 + SPARKLINE_REFRESH_MS) }, 31_000 + SPARKLINE_REFRESH_MS)
    expect(sparkRequests(again)).toEqual([{ _tag: "Sparklines", agent: "CORE" }])
    // The old lines stay on screen until the new ones arrive.
    expect(again.sparklines.get("CORE")).toMatchObject({ pending: true, rate: { line: "▁▂▃" } })
    // Moving to another agent asks for its own at once.
    const moved = update({ ...again, outbox: [] }, { _tag: "Key", key: "j" }, 41_500)
    expect(sparkRequests(moved)).toEqual([{ _tag: "Sparklines", agent: "ORACLE" }])
    // Paused or closed, nothing is asked.
    const paused = run(answered, [[{ _tag: "Key", key: "p" }, 32_000], [{ _tag: "Snapshot", snapshot: snapshot(90_000) }, 90_000]])
    expect(sparkRequests(paused)).toEqual([])
    const closed = run(answered, [[{ _tag: "Key", key: "escape" }, 32_000], [{ _tag: "Snapshot", snapshot: snapshot(90_000) }, 90_000]])
    expect(sparkRequests(closed)).toEqual([])
  })

  it("are drawn in the detail pane with their figures, or say why there are none", () => {
    const opened = run(connected, [[{ _tag: "Key", key: "j" }, 1_000], [{ _tag: "Key", key: "d" }, 1_000]])
    const frame = (state: ViewState) => render(state, { width: 120, height: 40, color: false, now: 2_000, rateHz: 1 })
    expect(frame(opened)).toContain("last 1h: asking CANVAS for sparklines…")
    const drawn = update(opened, { _tag: "Sparked", agent: "CORE", rate: { line: " ▁▂▃▄▅▆▇█", text: "min 0 messages/s · max 2 messages/s · last 2 messages/s" }, p99: { line: "▁▁▁▁█▁▁▁▁", text: "min 1 ms · max 9 ms · last 1 ms" } }, 2_000)
    expect(frame(drawn)).toContain("rate/s 1h  ▁▂▃▄▅▆▇█  min 0 messages/s · max 2 messages/s · last 2 messages/s")
    expect(frame(drawn)).toContain("p99    1h ▁▁▁▁█▁▁▁▁  min 1 ms · max 9 ms · last 1 ms")
    const refused = update(opened, { _tag: "Sparked", agent: "CORE", rate: { unavailable: "CANVAS is stopped" }, p99: { unavailable: "CANVAS is stopped" } }, 2_000)
    expect(frame(refused)).toContain("sparklines: CANVAS is stopped")
  })
})
