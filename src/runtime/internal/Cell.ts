/**
 * The runtime's record of one agent: its address (mailbox), its protocol and
 * its history. It outlives incarnations: a restart gets fresh machine state,
 * the same mailbox (messages queued meanwhile are delivered) and keeps the
 * counters.
 */
import type { AgentDefinition } from "../Agent.ts"
import { Mailbox } from "../Mailbox.ts"
import { LatencyHistogram } from "../Metrics.ts"
import * as Protocol from "../Protocol.ts"
import { type AgentStatus, type Description, type Lifecycle, readinessOf, type Readiness, type RecentMessage } from "../Status.ts"
import type { Envelope, SystemItem } from "./Reply.ts"

const OUTCOMES = ["ok", "refused", "crashed"] as const

/** The last few messages an agent handled, kept in preallocated arrays: three writes per message. */
export class RecentMessages {
  private readonly types: Array<string>
  private readonly durations: Float64Array
  private readonly outcomes: Uint8Array
  private readonly ats: Float64Array
  private next = 0
  private size = 0
  constructor(private readonly capacity: number) {
    this.types = new Array<string>(capacity).fill("")
    this.durations = new Float64Array(capacity)
    this.outcomes = new Uint8Array(capacity)
    this.ats = new Float64Array(capacity)
  }

  record(type: string, durationUs: number, outcome: 0 | 1 | 2, at: number): void {
    const i = this.next
    this.types[i] = type
    this.durations[i] = durationUs
    this.outcomes[i] = outcome
    this.ats[i] = at
    this.next = (i + 1) % this.capacity
    if (this.size < this.capacity) this.size++
  }

  /** Newest first. */
  list(): Array<RecentMessage> {
    const out: Array<RecentMessage> = []
    for (let k = 1; k <= this.size; k++) {
      const i = (this.next - k + this.capacity) % this.capacity
      out.push({ type: this.types[i]!, durationUs: Math.round(this.durations[i]!), outcome: OUTCOMES[this.outcomes[i]!]!, at: this.ats[i]! })
    }
    return out
  }
}

export class AgentCell {
  readonly mailbox: Mailbox<SystemItem, Envelope>
  readonly histogram = new LatencyHistogram()
  readonly recent = new RecentMessages(16)
  readonly readiness: Readiness
  /** Planned message types and the capability each waits for; empty for most agents, so the hot path skips it. */
  readonly planned: ReadonlyMap<string, { readonly capability: string; readonly detail: string }>
  /** The state nodes of the current machine ("ready", "requests.serving", …), for describe. */
  states: ReadonlyArray<string> = []
  lifecycle: Lifecycle = "idle"
  state = "-"
  incarnation = 0
  handled = 0
  rejected = 0
  restarts = 0
  lastError: string | null = null
  lastRestartAt: number | null = null
  /** Incarnations whose fiber has not ended: more than one only while one that ignored its interruption lingers. */
  live = 0
  /** What the last incarnation was handling when it was interrupted, if it was interrupted mid-message. */
  interruptedDuring: string | undefined = undefined
  /** Live details of capabilities, set by the agent (`env.describeCapability`). */
  readonly details = new Map<string, string>()

  constructor(readonly definition: AgentDefinition<any>, defaultMailboxCapacity: number) {
    this.mailbox = new Mailbox(definition.mailboxCapacity ?? defaultMailboxCapacity)
    this.readiness = readinessOf(definition.capabilities)
    this.planned = new Map(
      definition.protocol.messages.flatMap((m) =>
        m.planned === undefined ? [] : [[m.type, {
          capability: m.planned,
          detail: definition.capabilities.find((c) => c.name === m.planned)?.detail ?? m.planned
        }] as const]
      )
    )
  }

  get name(): string {
    return this.definition.name
  }

  get protocol(): Protocol.AnyProtocol {
    return this.definition.protocol
  }

  status(deadLetters: number): AgentStatus {
    return {
      name: this.name,
      tier: this.definition.tier,
      readiness: this.readiness,
      lifecycle: this.lifecycle,
      incarnation: this.incarnation,
      state: this.state,
      handled: this.handled,
      rejected: this.rejected,
      mailboxDepth: this.mailbox.depth,
      mailboxHighWater: this.mailbox.highWaterMark,
      mailboxCapacity: this.mailbox.capacity,
      handlingP50Us: this.histogram.quantile(0.5),
      handlingP99Us: this.histogram.quantile(0.99),
      restarts: this.restarts,
      deadLetters,
      lastError: this.lastError,
      lastRestartAt: this.lastRestartAt
    }
  }

  describe(): Description {
    const d = this.definition
    return {
      name: d.name,
      tier: d.tier,
      description: d.description,
      readiness: this.readiness,
      capabilities: this.details.size === 0
        ? d.capabilities
        : d.capabilities.map((c) => {
          const detail = this.details.get(c.name)
          return detail === undefined ? c : { ...c, detail }
        }),
      accepts: d.protocol.types,
      restart: d.restart ?? "permanent",
      states: this.states,
      recent: this.recent.list(),
      messages: Protocol.describeMessages(d.protocol),
      universalRejections: Protocol.universalRejectionSchemas()
    }
  }
}

/** Every state node below the root, as dotted paths. */
export const stateNodesOf = (root: { readonly states: Readonly<Record<string, unknown>> }): ReadonlyArray<string> => {
  const out: Array<string> = []
  const visit = (node: { readonly states?: Readonly<Record<string, unknown>> }, prefix: string) => {
    for (const [key, child] of Object.entries(node.states ?? {})) {
      const path = prefix === "" ? key : `${prefix}.${key}`
      out.push(path)
      visit(child as { readonly states?: Readonly<Record<string, unknown>> }, path)
    }
  }
  visit(root, "")
  return out
}
