/**
 * Dead-letter accounting. Every message that cannot be delivered or handled is
 * counted per agent and per reason; logging happens as one periodic summary
 * line, never one line per message.
 */

export type DeadLetterReason =
  | "mailbox-full" // external injection refused, or internal back-pressure gave up
  | "agent-stopped" // sent to (or left in the mailbox of) an agent that is not running
  | "unknown-agent"
  | "handler-crashed" // the message whose handling crashed the agent
  | "late-reply" // a reply that arrived after the asker timed out
  | "shutdown" // left in a mailbox when the shutdown deadline passed
  | "system-stopped" // refused at the door: the runtime is stopping, or failed
  | "access-denied" // refused at the door: the caller may not send it

/** Unknown agent names are caller input: count them under one key instead of one key per name. */
export const UNKNOWN_AGENT_KEY = "(unknown)"

export class DeadLetters {
  private readonly byAgent = new Map<string, Map<DeadLetterReason, number>>()
  private sinceSummary = new Map<string, number>()
  private total = 0

  record(agent: string, reason: DeadLetterReason, count = 1): void {
    if (count <= 0) return
    let reasons = this.byAgent.get(agent)
    if (reasons === undefined) {
      reasons = new Map()
      this.byAgent.set(agent, reasons)
    }
    reasons.set(reason, (reasons.get(reason) ?? 0) + count)
    const key = `${agent}:${reason}`
    this.sinceSummary.set(key, (this.sinceSummary.get(key) ?? 0) + count)
    this.total += count
  }

  get count(): number {
    return this.total
  }

  countFor(agent: string, reason?: DeadLetterReason): number {
    const reasons = this.byAgent.get(agent)
    if (reasons === undefined) return 0
    if (reason !== undefined) return reasons.get(reason) ?? 0
    let sum = 0
    for (const n of reasons.values()) sum += n
    return sum
  }

  snapshot(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {}
    for (const [agent, reasons] of this.byAgent) out[agent] = Object.fromEntries(reasons)
    return out
  }

  /** The summary line for everything since the previous call, or undefined if nothing happened. */
  takeSummary(): string | undefined {
    if (this.sinceSummary.size === 0) return undefined
    const parts = [...this.sinceSummary.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([key, n]) => `${key}=${n}`)
    const total = [...this.sinceSummary.values()].reduce((a, b) => a + b, 0)
    this.sinceSummary = new Map()
    return `dead letters: ${total} (${parts.join(" ")})`
  }
}
