/**
 * What an attached inspector costs the daemon, and what a frame costs the
 * inspector. The compiled binary runs a steady load: every 10 ms one `ping`
 * ask to each of the 40 agents (4,000 messages/s), from a separate client.
 * Its CPU time (utime + stime) is measured over a window without, then with,
 * (before and after, averaged) an inspector polling `agents` at 10 Hz and `status` once a second, exactly as
 * `sigmavault inspect --rate 10` does, with its event-log subscription; the
 * anchor is the same run without
 * the inspector. Render time is the model + frame for 40 agents at 200x50.
 */
import { connect } from "../../src/cli/Client.ts"
import { EVENT_TOPIC_BUFFER, EVENT_TOPICS, initialState, type Snapshot, update } from "../../src/inspect/model.ts"
import { render } from "../../src/inspect/render.ts"
import type { TreeNode } from "../../src/runtime/Status.ts"
import { processCpuUs } from "../socket/loadgen.ts"
import { benchBinary, removeDir, sleep, spawnSigmavault, tempDir, waitForSocket } from "../socket/processes.ts"
import { now, quantile, round } from "../support.ts"

const WINDOW_MS = Number(process.env.BENCH_INSPECT_WINDOW_MS ?? 10_000)

const names = (tree: TreeNode): Array<string> => (tree.kind === "agent" ? [tree.status.name] : tree.children.flatMap(names))

export const inspect = async () => {
  const binary = benchBinary()
  const dir = tempDir("sv-bench-inspect-")
  const daemon = spawnSigmavault(binary.path, dir)
  try {
    ;(await waitForSocket(daemon)).destroy()
    const load = await connect(daemon.socket)
    const agents = [...new Set(names((await load.request("agents")) as TreeNode))]
    let sent = 0
    let failed = 0
    const loadTimer = setInterval(() => {
      for (const agent of agents) {
        sent++
        load.request("ask", { agent, message: { type: "ping" } }).catch(() => failed++)
      }
    }, 10)
    await sleep(2_000)

    const window = async () => {
      const cpu0 = processCpuUs(daemon.pid)!
      const t0 = now()
      await sleep(WINDOW_MS)
      const cpu1 = processCpuUs(daemon.pid)!
      return ((cpu1 - cpu0) / 1000 / (now() - t0)) * 100
    }
    const withoutBefore = await window()

    const inspector = await connect(daemon.socket)
    // As tui.ts: the event log pane's subscription (lifecycle, alerts, progress; no per-message events).
    let pushed = 0
    inspector.onPush(() => void pushed++)
    const subscribe = process.env.BENCH_INSPECT_SUBSCRIBE !== "0"
    // As tui.ts: one watch per STREAM topic.
    if (subscribe) for (const topic of EVENT_TOPICS) await inspector.request("watch", { topics: [topic], buffer: EVENT_TOPIC_BUFFER })
    let polls = 0
    const frames: Array<number> = []
    let state = initialState
    let status: unknown
    let statusAt = 0
    const inspectTimer = setInterval(async () => {
      const at = Date.now()
      // As tui.ts: the tree every refresh, the status at most once a second.
      const fresh = at - statusAt >= 1000
      const [tree, next] = await Promise.all([inspector.request("agents"), fresh ? inspector.request("status") : Promise.resolve(status)])
      if (fresh) statusAt = at
      status = next
      polls++
      const t0 = now()
      state = update(state, { _tag: "Snapshot", snapshot: { at, status, tree } as Snapshot }, at)
      render(state, { width: 200, height: 50, color: true, now: at, rateHz: 10 })
      frames.push((now() - t0) * 1000)
    }, 100)
    await sleep(1_000)
    const withInspector = await window()
    clearInterval(inspectTimer)
    inspector.close()
    // A second window without, after: the anchor is the mean of before and after, so a drift in load cancels.
    await sleep(1_000)
    const withoutAfter = await window()
    clearInterval(loadTimer)
    load.close()

    const without = (withoutBefore + withoutAfter) / 2
    const sorted = [...frames].sort((a, b) => a - b)
    return {
      binary: binary.origin,
      load: `${agents.length} agents × 100 pings/s = ${agents.length * 100} messages/s`,
      windowMs: WINDOW_MS,
      daemonCpuPercentWithout: round(without, 1),
      withoutBeforeAndAfter: [round(withoutBefore, 1), round(withoutAfter, 1)],
      daemonCpuPercentWithInspector: round(withInspector, 1),
      extraCpuPercentPoints: round(withInspector - without, 1),
      ratio: round(withInspector / without, 3),
      inspectorPolls: polls,
      eventsPushed: pushed,
      subscribed: subscribe,
      askFailures: failed,
      asksSent: sent,
      frameP50Us: round(quantile(sorted, 0.5)),
      frameP99Us: round(quantile(sorted, 0.99))
    }
  } finally {
    await daemon.stop()
    removeDir(dir)
  }
}
