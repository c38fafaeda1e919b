/**
 * Whether the runtime deserves a watchdog ping, as a pure function of what
 * PULSE sees at a heartbeat: the supervision tree and how late the timer was.
 *
 * Responsiveness is measured by the heartbeat timer itself rather than a
 * separate lag probe: the timer runs on the same event loop (and through
 * PULSE's own mailbox) as every agent, so a timer that fires more than twice
 * its interval after the previous heartbeat ended means the loop was blocked
 * for at least one whole interval. At that point systemd's deadline (twice the
 * interval) has nearly passed anyway, and a daemon that stalls that long
 * should be restarted, so the ping is skipped. Shorter hiccups (GC, a burst
 * of work) stay well inside the bound and do not count. It needs no second
 * timer, and reads Effect's Clock, so tests drive it with TestClock.
 */
import type { TreeNode } from "../../runtime/Status.ts"

export interface Health {
  readonly healthy: boolean
  /** Why not, one entry per problem; empty when healthy. */
  readonly problems: ReadonlyArray<string>
  readonly tiers: number
}

/** The late-timer bound, in intervals. */
export const MAX_TIMER_SLIP = 2

export const assessHealth = (tree: TreeNode, elapsedMs: number, intervalMs: number): Health => {
  const problems: Array<string> = []
  let tiers = 0
  if (tree.kind === "supervisor") {
    if (tree.status.lifecycle !== "running") problems.push(`root supervisor ${tree.status.name} is ${tree.status.lifecycle}`)
    for (const child of tree.children) {
      if (child.kind !== "supervisor") continue
      tiers++
      if (child.status.lifecycle !== "running") {
        problems.push(
          `tier supervisor ${child.status.name} is ${child.status.lifecycle}` +
            (child.status.lastError === null ? "" : ` (${child.status.lastError})`)
        )
      }
    }
  }
  if (elapsedMs > MAX_TIMER_SLIP * intervalMs) {
    problems.push(
      `event loop unresponsive: the heartbeat timer fired ${elapsedMs} ms after the previous heartbeat, ` +
        `more than ${MAX_TIMER_SLIP}x its ${intervalMs} ms interval`
    )
  }
  return { healthy: problems.length === 0, problems, tiers }
}
