/**
 * The XState-under-Effect bridge. An agent is an XState v5 machine; one Effect
 * fiber per incarnation drains the agent's mailbox (system lane first), feeds
 * each message to the machine, waits while the machine runs effects it invoked
 * through `fromEffect`, and pairs the machine's `sv.reply` / `sv.reject` emits
 * with the message being handled. A throw in an action, an XState snapshot in
 * status `error`, or a failed invoked effect without `onError` crashes the
 * incarnation: the fiber fails with AgentCrashed and the supervisor decides.
 */
import { Cause, Context, Effect, Exit, Schema } from "effect"
import { type AnyActor, type AnyActorRef, type AnyStateMachine, createActor, fromPromise, type PromiseActorLogic } from "xstate"
import type { DeadLetterReason } from "./DeadLetters.ts"
import type { SystemSummary, TreeNode } from "./ActorSystem.ts"
import {
  AgentCrashed,
  AgentError,
  AgentStopped,
  type AskError,
  describeError,
  type InvalidMessage,
  type TellError,
  type UnknownAgent
} from "./Errors.ts"
import type { InspectionInput } from "./Inspection.ts"
import { Mailbox } from "./Mailbox.ts"
import { type AgentMetricsSnapshot, LatencyHistogram } from "./Metrics.ts"

export type Tier = "1" | "2" | "3" | "4" | "5-8"
export type RestartType = "permanent" | "transient" | "temporary"

/** Every message on every transport is an object discriminated by `type`. */
export interface AgentMessage {
  readonly type: string
  readonly [key: string]: unknown
}

/** One capability of an agent, and whether it exists yet — said honestly. */
export interface Capability {
  readonly name: string
  readonly available: boolean
  readonly detail: string
}

/** What an agent's machine sees of the runtime: other agents, by name only. */
export interface SystemHandle {
  /** Internal tell: waits while the target's mailbox is full (back-pressure). */
  readonly tell: (agent: string, message: AgentMessage) => Effect.Effect<void, TellError>
  readonly ask: (
    agent: string,
    message: AgentMessage,
    options?: { readonly timeoutMs?: number }
  ) => Effect.Effect<unknown, AskError>
  readonly agentNames: () => ReadonlyArray<string>
  readonly status: (agent: string) => AgentStatus | undefined
  /** Checks a message against an agent's schema, as an external injection would be checked. */
  readonly validate: (agent: string, input: unknown) => Exit.Exit<AgentMessage, InvalidMessage | UnknownAgent>
  /** The whole system at a glance, for agents that report on it (OMNISCIENT, ECLIPSE). */
  readonly summary: () => SystemSummary
  readonly tree: () => TreeNode
}

export interface AgentEnvShape {
  readonly self: string
  readonly system: SystemHandle
  /**
   * Wraps an effect as XState promise logic for `invoke`. The agent stays busy
   * (handles nothing else) until the effect settles, like a gen_server call.
   */
  readonly fromEffect: <Output, Input = void>(
    run: (input: Input) => Effect.Effect<Output, unknown>
  ) => PromiseActorLogic<Output, Input>
  /** Reports a long job's progress on the inspection stream (`sigmavault events`); free while nobody watches. */
  readonly progress: (report: ProgressReport) => Effect.Effect<void>
  /**
   * Raises an alert: an `Alert` event on the inspection stream (`sigmavault
   * events --type alert`) and a log line at the matching level (info, warning, error).
   */
  readonly alert: (alert: AlertReport) => Effect.Effect<void>
}

export interface AlertReport {
  readonly severity: "info" | "warning" | "critical"
  /** what it is about: "pool tank", "/dev/sdb" */
  readonly subject: string
  readonly text: string
}

export interface ProgressReport {
  /** what the job is, e.g. "encrypt /srv/a.iso" */
  readonly job: string
  readonly done: number
  readonly total?: number | undefined
  /** what `done` counts, e.g. "bytes" */
  readonly unit: string
}

export class AgentEnv extends Context.Service<AgentEnv, AgentEnvShape>()("sigmavault/runtime/AgentEnv") {}

export interface AgentDefinition<R = never> {
  readonly name: string
  readonly tier: Tier
  readonly description: string
  readonly capabilities: ReadonlyArray<Capability>
  /** The agent's own messages (the standard ping/status/describe are added by the runtime). */
  readonly messages: Schema.Decoder<AgentMessage>
  /** Builds the machine for one incarnation; a restart builds it afresh. */
  readonly machine: Effect.Effect<AnyStateMachine, never, R | AgentEnv>
  readonly restart?: RestartType
  readonly mailboxCapacity?: number
  readonly shutdownTimeoutMs?: number
}

/** Events a machine emits to answer the message being handled. */
export const REPLY = "sv.reply"
export const REJECT = "sv.reject"
export type AgentEmitted =
  | { readonly type: typeof REPLY; readonly value: unknown }
  | { readonly type: typeof REJECT; readonly reason: string }
export const replyWith = (value: unknown): AgentEmitted => ({ type: REPLY, value })
export const rejectWith = (reason: string): AgentEmitted => ({ type: REJECT, reason })

/**
 * A pending answer to an ask. It calls back at most once; once the asker has
 * given up (`expired`), a late answer is refused so it can be a dead letter.
 * No fiber or Deferred is needed to ask: callers either await it as an
 * Effect or register a callback (the control socket's hot path).
 */
export class ReplyHandle {
  private exit: Exit.Exit<unknown, AskError> | undefined = undefined
  private listener: ((exit: Exit.Exit<unknown, AskError>) => void) | undefined = undefined
  expired = false

  /** False when already answered, or when the asker gave up (a late reply). */
  complete(exit: Exit.Exit<unknown, AskError>): boolean {
    if (this.expired || this.exit !== undefined) return false
    this.exit = exit
    const listener = this.listener
    this.listener = undefined
    listener?.(exit)
    return true
  }

  /** Calls back once with the answer, at once if it is already here. */
  onComplete(listener: (exit: Exit.Exit<unknown, AskError>) => void): void {
    if (this.exit !== undefined) listener(this.exit)
    else this.listener = listener
  }

  readonly await: Effect.Effect<unknown, AskError> = Effect.callback<unknown, AskError>((resume) => {
    this.onComplete(resume)
    return Effect.sync(() => {
      this.listener = undefined
    })
  })
}

/** An ask: the message and where its answer goes. */
export class Ask {
  constructor(readonly message: AgentMessage, readonly reply: ReplyHandle) {}
}

/** What the user lane holds: a told message as it is (no wrapper to allocate), or an ask. */
export type Envelope = AgentMessage | Ask
export const messageOf = (envelope: Envelope): AgentMessage => envelope instanceof Ask ? envelope.message : envelope

export type SystemItem =
  | { readonly kind: "ping" | "status" | "describe"; readonly reply: ReplyHandle | undefined }
  | { readonly kind: "stop"; readonly drainUntil: number }
  | { readonly kind: "crash"; readonly incarnation: number; readonly error: unknown }
  /** Test fault: the agent is busy (unresponsive) for `ms`. */
  | { readonly kind: "stall"; readonly ms: number }

export const STANDARD_MESSAGES = ["ping", "status", "describe"] as const
export const isStandardMessage = (type: string): type is (typeof STANDARD_MESSAGES)[number] =>
  type === "ping" || type === "status" || type === "describe"

export type AgentLifecycle = "idle" | "running" | "restarting" | "stopped" | "failed"

export interface AgentStatus extends AgentMetricsSnapshot {
  readonly name: string
  readonly tier: Tier
  readonly lifecycle: AgentLifecycle
  readonly incarnation: number
  readonly lastError: string | undefined
  readonly lastRestartAt: number | undefined
}

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
  list(): Array<{ readonly type: string; readonly durationUs: number; readonly outcome: "ok" | "refused" | "crashed"; readonly at: number }> {
    const out = []
    for (let k = 1; k <= this.size; k++) {
      const i = (this.next - k + this.capacity) % this.capacity
      out.push({ type: this.types[i]!, durationUs: Math.round(this.durations[i]!), outcome: (["ok", "refused", "crashed"] as const)[this.outcomes[i]!]!, at: this.ats[i]! })
    }
    return out
  }
}

/**
 * The runtime's record of one agent: its address (mailbox) and its history.
 * It outlives incarnations: a restart gets fresh machine state, the same
 * mailbox (messages queued meanwhile are delivered) and keeps the counters.
 */
export class AgentCell {
  readonly mailbox: Mailbox<SystemItem, Envelope>
  readonly histogram = new LatencyHistogram()
  readonly recent = new RecentMessages(16)
  /** The state nodes of the current machine ("ready", "requests.serving", …), for describe. */
  states: ReadonlyArray<string> = []
  lifecycle: AgentLifecycle = "idle"
  state = "-"
  incarnation = 0
  handled = 0
  rejected = 0
  restarts = 0
  lastError: string | undefined = undefined
  lastRestartAt: number | undefined = undefined

  constructor(
    readonly definition: AgentDefinition<any>,
    /** Every message type the agent accepts, standard ones included. */
    readonly accepts: ReadonlyArray<string>,
    defaultMailboxCapacity: number
  ) {
    this.mailbox = new Mailbox(definition.mailboxCapacity ?? defaultMailboxCapacity)
  }

  get name(): string {
    return this.definition.name
  }

  status(deadLetters: number): AgentStatus {
    return {
      name: this.name,
      tier: this.definition.tier,
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

  private schemas: Readonly<Record<string, unknown>> | undefined

  describe() {
    const d = this.definition
    return {
      name: d.name,
      tier: d.tier,
      description: d.description,
      capabilities: d.capabilities,
      accepts: this.accepts,
      restart: d.restart ?? "permanent",
      states: this.states,
      /** The last messages handled, newest first: type, handling time, outcome, wall-clock time. */
      recent: this.recent.list(),
      // Built on the first describe: JSON Schema per message type, for clients that fill in messages (the inspector).
      schemas: (this.schemas ??= messageSchemas(d.messages))
    }
  }
}

/**
 * The JSON Schema (draft 2020-12) of each message type an agent's schema
 * accepts, keyed by type; members that are not objects with a literal `type`
 * are left out. Standard messages (ping, status, describe) are not included.
 */
export const messageSchemas = (messages: Schema.Decoder<AgentMessage>): Readonly<Record<string, unknown>> => {
  const out: Record<string, unknown> = {}
  try {
    const document = Schema.toJsonSchemaDocument(messages as unknown as Schema.Top)
    const root = document.schema as { readonly anyOf?: ReadonlyArray<unknown> }
    for (const member of root.anyOf ?? [root]) {
      const type = (member as { properties?: { type?: { enum?: ReadonlyArray<unknown> } } }).properties?.type?.enum?.[0]
      if (typeof type === "string") out[type] = member
    }
  } catch {
    // A schema JSON Schema cannot express (a declared transformation) describes without schemas.
  }
  return out
}

/** Every state node below the root, as dotted paths. */
const stateNodesOf = (root: { readonly states: Readonly<Record<string, unknown>> }): ReadonlyArray<string> => {
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

/** What the host loop needs from the actor system around it. */
export interface HostServices {
  readonly system: SystemHandle
  readonly publish: (event: InspectionInput) => Effect.Effect<void>
  /** False while nobody subscribes to inspection: the hot path then builds no events. */
  readonly inspecting: () => boolean
  /** False while no subscriber wants per-message events (MessageHandled). */
  readonly wantsMessageEvents: () => boolean
  /** True while some subscriber wants Transition events. */
  readonly wantsTransitionEvents: () => boolean
  readonly deadLetter: (agent: string, messageType: string, reason: DeadLetterReason) => Effect.Effect<void>
  readonly deadLetterCount: (agent: string) => number
  readonly now: () => number
}

const effectLogics = new WeakSet<object>()

const stateString = (value: unknown): string => typeof value === "string" ? value : JSON.stringify(value)

const hasPendingEffects = (actor: AnyActorRef): boolean => {
  const children = actor.getSnapshot().children as Record<string, AnyActor | undefined>
  for (const key in children) {
    const child = children[key]
    if (child !== undefined && effectLogics.has(child.logic) && child.getSnapshot().status === "active") return true
  }
  return false
}

/**
 * Which event types the active state nodes have transitions for. Computed once
 * per configuration (XState keeps the `_nodes` array while the configuration is
 * unchanged), so the check costs a Set lookup instead of a second transition
 * computation. Guards are not evaluated: an accepted event whose guards all
 * refuse is handled as a no-op and acknowledged.
 */
interface Acceptor {
  readonly all: boolean
  readonly exact: ReadonlySet<string>
  readonly prefixes: ReadonlyArray<string>
}
const acceptors = new WeakMap<object, Acceptor>()
const acceptorOf = (nodes: ReadonlyArray<{ readonly ownEvents: ReadonlyArray<string> }>): Acceptor => {
  let acceptor = acceptors.get(nodes)
  if (acceptor === undefined) {
    const exact = new Set<string>()
    const prefixes: Array<string> = []
    let all = false
    for (const node of nodes) {
      for (const descriptor of node.ownEvents) {
        if (descriptor === "*") all = true
        else if (descriptor.endsWith(".*")) prefixes.push(descriptor.slice(0, -1))
        else exact.add(descriptor)
      }
    }
    acceptor = { all, exact, prefixes }
    acceptors.set(nodes, acceptor)
  }
  return acceptor
}
const accepts = (snapshot: { readonly _nodes: ReadonlyArray<any> }, type: string): boolean => {
  const acceptor = acceptorOf(snapshot._nodes)
  return acceptor.all || acceptor.exact.has(type) || acceptor.prefixes.some((prefix) => type.startsWith(prefix))
}

/**
 * Runs one incarnation of an agent until it is stopped (succeeds) or crashes
 * (fails with AgentCrashed). Interruption (a shutdown timeout) stops the
 * machine and dead-letters the message in hand.
 *
 * Messages are handled in a plain synchronous loop while each one completes
 * synchronously; the host drops into Effect only to wait (empty mailbox, an
 * invoked effect), to publish inspection events, or to fail.
 */
export const runIncarnation = (
  cell: AgentCell,
  host: HostServices,
  onStarted: () => void = () => {}
): Effect.Effect<void, AgentCrashed, any> =>
  Effect.gen(function*() {
    const incarnation = ++cell.incarnation
    const context = yield* Effect.context<never>()
    const runFork = Effect.runForkWith(context)
    const runPromise = Effect.runPromiseWith(context)

    const env: AgentEnvShape = {
      self: cell.name,
      system: host.system,
      fromEffect: <Output, Input>(run: (input: Input) => Effect.Effect<Output, unknown>) => {
        const logic = fromPromise<Output, Input>(({ input, signal }) => runPromise(run(input), { signal }))
        effectLogics.add(logic)
        return logic
      },
      progress: ({ job, done, total, unit }) =>
        host.inspecting()
          ? host.publish({ _tag: "Progress", agent: cell.name, job, done, unit, ...(total === undefined ? {} : { total }) })
          : Effect.void,
      alert: ({ severity, subject, text }) =>
        Effect.andThen(
          severity === "info" ? Effect.logInfo(text) : severity === "warning" ? Effect.logWarning(text) : Effect.logError(text),
          host.publish({ _tag: "Alert", agent: cell.name, severity, subject, text })
        )
    }
    const machine = yield* Effect.provideService(cell.definition.machine, AgentEnv, env)
    const mailbox = cell.mailbox

    let current: Envelope | undefined
    let currentStarted = 0
    let lastFinished = 0
    let crash: { error: unknown } | undefined
    let settleCheck: (() => void) | undefined
    /** Inspection events produced while handling, published by the host in order. */
    let outbox: Array<InspectionInput> = []

    cell.states = stateNodesOf(machine.root)
    const actor = createActor(machine, {
      // Delays (`after`) run on Effect's Clock, so TestClock drives them in tests.
      clock: {
        setTimeout: (fn: () => void, ms: number) => runFork(Effect.andThen(Effect.sleep(ms), Effect.sync(fn))),
        clearTimeout: (fiber: { interruptUnsafe: () => void }) => fiber.interruptUnsafe()
      }
    })

    /** The machine's answer to the message in hand; the first one counts, sent when the batch is flushed. */
    let machineAnswer: Exit.Exit<unknown, AskError> | undefined
    const answer = (result: Exit.Exit<unknown, AskError>) => {
      if (current instanceof Ask && machineAnswer === undefined) machineAnswer = result
    }
    actor.on(REPLY, (event: { value: unknown }) => answer(Exit.succeed(event.value)))
    actor.on(REJECT, (event: { reason: string }) =>
      answer(
        Exit.fail(new AgentError({ agent: cell.name, messageType: current === undefined ? "?" : messageOf(current).type, reason: event.reason }))
      )
    )

    /**
     * Every state change is seen here, including those in the middle of an invoked effect and
     * those driven by timers while idle. During a message they are published by the host after
     * it (in order); outside of one, at once.
     */
    let lastValue: unknown = undefined
    const noteTransition = (value: unknown) => {
      if (value === lastValue) return
      lastValue = value
      const to = stateString(value)
      if (to === cell.state) return
      const from = cell.state
      cell.state = to
      if (!host.wantsTransitionEvents()) return
      const event: InspectionInput = { _tag: "Transition", agent: cell.name, from, to }
      if (current !== undefined) outbox.push(event)
      else runFork(host.publish(event))
    }

    // XState notifies observers while it is still processing an event. The host fiber must not
    // resume inside that call stack (its next `send` would be queued behind the current event
    // instead of handled), so wake-ups from observers are deferred to a microtask.
    actor.subscribe({
      next: (snapshot) => {
        noteTransition(snapshot.value)
        if (settleCheck !== undefined) queueMicrotask(settleCheck)
      },
      error: (error) => {
        crash = { error }
        if (settleCheck !== undefined) queueMicrotask(settleCheck)
        else queueMicrotask(() => mailbox.offerSystem({ kind: "crash", incarnation, error }))
      }
    })

    const crashed = (error: unknown) => {
      const reason = describeError(error)
      cell.lastError = reason
      return Effect.gen(function*() {
        const inHand = current
        current = undefined
        machineAnswer = undefined
        yield* flushOutbox
        if (inHand !== undefined) {
          cell.recent.record(messageOf(inHand).type, (performance.now() - currentStarted) * 1000, 2, host.now())
          yield* host.deadLetter(cell.name, messageOf(inHand).type, "handler-crashed")
        }
        yield* host.publish({ _tag: "Failed", agent: cell.name, error: reason })
        if (inHand instanceof Ask) inHand.reply.complete(Exit.fail(new AgentCrashed({ agent: cell.name, reason })))
        return yield* Effect.fail(new AgentCrashed({ agent: cell.name, reason }))
      })
    }

    /** Waits until no effect invoked through `fromEffect` is running, or the machine crashed. */
    const waitForEffects = Effect.callback<void>((resume) => {
      const check = () => {
        if (settleCheck !== check) return
        if (crash === undefined && hasPendingEffects(actor)) return
        settleCheck = undefined
        resume(Effect.void)
      }
      settleCheck = check
      check()
      return Effect.sync(() => {
        settleCheck = undefined
      })
    })

    /**
     * Publishes the events of the batch, then answers its askers. Effect resumes an asker
     * synchronously, so answering last means an asker sees every event and count of the
     * messages before its own.
     */
    let answers: Array<readonly [ReplyHandle, string, Exit.Exit<unknown, AskError>]> = []
    const flushOutbox: Effect.Effect<void> = Effect.suspend(() => {
      const events = outbox
      const replies = answers
      outbox = []
      answers = []
      const answerAll = Effect.suspend(() => {
        const late: Array<string> = []
        for (const [reply, messageType, result] of replies) {
          if (!reply.complete(result) && reply.expired) late.push(messageType)
        }
        return late.length === 0
          ? Effect.void
          : Effect.forEach(late, (type) => host.deadLetter(cell.name, type, "late-reply"), { discard: true })
      })
      if (events.length === 0) return answerAll
      return Effect.andThen(Effect.forEach(events, host.publish, { discard: true }), answerAll)
    })

    /** Bookkeeping for a handled message, then its answer. */
    const complete = (envelope: Envelope, result: Exit.Exit<unknown, AskError> | undefined) => {
      current = undefined
      cell.handled++
      lastFinished = performance.now()
      const durationUs = (lastFinished - currentStarted) * 1000
      cell.histogram.record(durationUs)
      const outcome = result ?? machineAnswer
      cell.recent.record(messageOf(envelope).type, durationUs, outcome === undefined || Exit.isSuccess(outcome) ? 0 : 1, host.now())
      if (host.wantsMessageEvents()) {
        outbox.push({ _tag: "MessageHandled", agent: cell.name, messageType: messageOf(envelope).type, durationUs })
      }
      // A message the machine handled without answering is acknowledged with the resulting state.
      if (envelope instanceof Ask) {
        answers.push([
          envelope.reply,
          envelope.message.type,
          result ?? machineAnswer ?? Exit.succeed({ type: "ack", state: cell.state })
        ])
      }
      machineAnswer = undefined
    }

    /** Starts handling a message; "waiting" means an invoked effect is still running. */
    const begin = (envelope: Envelope, followsPrevious: boolean): "done" | "waiting" | "crashed" => {
      // Within a batch a message starts when the previous one finished: one clock read per message.
      currentStarted = followsPrevious ? lastFinished : performance.now()
      current = envelope
      const message = messageOf(envelope)
      if (!accepts(actor.getSnapshot(), message.type)) {
        cell.rejected++
        complete(
          envelope,
          Exit.fail(
            new AgentError({
              agent: cell.name,
              messageType: message.type,
              reason: `'${message.type}' is not accepted in state ${cell.state}`
            })
          )
        )
        return "done"
      }
      actor.send(message)
      return settled()
    }

    const settled = (): "done" | "waiting" | "crashed" => {
      if (crash !== undefined || actor.getSnapshot().status === "error") return "crashed"
      if (hasPendingEffects(actor)) return "waiting"
      complete(current!, undefined)
      return "done"
    }

    const crashError = () => crash?.error ?? actor.getSnapshot().error

    /** Handles one message to the end, waiting for invoked effects; used when draining for shutdown. */
    const handleFully = (envelope: Envelope) =>
      Effect.gen(function*() {
        let outcome = begin(envelope, false)
        while (outcome === "waiting") {
          yield* waitForEffects
          outcome = settled()
        }
        yield* flushOutbox
        if (outcome === "crashed") return yield* crashed(crashError())
      })

    const answerStandard = (kind: "ping" | "status" | "describe", reply: ReplyHandle | undefined) => {
      if (reply === undefined) return
      switch (kind) {
        case "ping":
          reply.complete(Exit.succeed({ type: "pong", agent: cell.name, state: cell.state }))
          break
        case "status":
          reply.complete(Exit.succeed(cell.status(host.deadLetterCount(cell.name))))
          break
        case "describe":
          reply.complete(Exit.succeed(cell.describe()))
          break
      }
    }

    /** Shutdown: keep handling until the mailbox is empty or the deadline passes; the rest stays for the supervisor to account. */
    const drain = (until: number) =>
      Effect.gen(function*() {
        while (host.now() < until) {
          const item = mailbox.pollSystemUnsafe()
          if (item !== undefined) {
            if (item.kind === "ping" || item.kind === "status" || item.kind === "describe") answerStandard(item.kind, item.reply)
            continue
          }
          const envelope = mailbox.pollUserUnsafe()
          if (envelope === undefined) return
          yield* handleFully(envelope)
        }
      })

    return yield* Effect.gen(function*() {
      cell.state = "-"
      actor.start()
      if (actor.getSnapshot().status === "error") return yield* crashed(actor.getSnapshot().error)
      noteTransition(actor.getSnapshot().value)
      cell.lifecycle = "running"
      yield* host.publish({ _tag: "Started", agent: cell.name, incarnation })
      onStarted()

      while (true) {
        // Fast path: drain synchronously while every message completes synchronously.
        let system: SystemItem | undefined
        let outcome: "done" | "waiting" | "crashed" = "done"
        let followsPrevious = false
        while (true) {
          system = mailbox.pollSystemUnsafe()
          if (system !== undefined) break
          const envelope = mailbox.pollUserUnsafe()
          if (envelope === undefined) break
          outcome = begin(envelope, followsPrevious)
          followsPrevious = true
          if (outcome !== "done" || actor.getSnapshot().status === "done") break
        }
        while (outcome === "waiting") {
          yield* waitForEffects
          outcome = settled()
        }
        yield* flushOutbox
        if (outcome === "crashed") return yield* crashed(crashError())
        if (actor.getSnapshot().status === "done") return // reached a final state: a normal exit

        if (system !== undefined) {
          switch (system.kind) {
            case "crash":
              if (system.incarnation === incarnation) return yield* crashed(system.error)
              break
            case "stop":
              return yield* drain(system.drainUntil)
            case "stall":
              yield* Effect.sleep(system.ms)
              break
            default:
              answerStandard(system.kind, system.reply)
          }
          continue
        }
        if (mailbox.isEmpty) yield* mailbox.waitForMail
      }
    }).pipe(
      Effect.onExit((exit) =>
        Effect.gen(function*() {
          actor.stop()
          if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) && current !== undefined) {
            // Interrupted mid-message (shutdown timeout): the asker learns, the message is accounted.
            const inHand = current
            current = undefined
            yield* host.deadLetter(cell.name, messageOf(inHand).type, "agent-stopped")
            if (inHand instanceof Ask) inHand.reply.complete(Exit.fail(new AgentStopped({ agent: cell.name })))
          }
        })
      )
    )
  })
