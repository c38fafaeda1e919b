/**
 * The actor system: agents by name, the supervision tree that runs them, the
 * inspection stream, dead-letter accounting, and graceful shutdown.
 *
 * Two ways in: internal senders (agents, the runtime) `tell`/`ask` and are
 * back-pressured by a full mailbox; external injections (socket, D-Bus, CLI)
 * `inject`/`injectAsk`, are validated against the agent's message schema, and
 * are refused at once with MailboxFull when the mailbox is full.
 */
import { Cause, Clock, Effect, Exit, Fiber, Latch, Option, Predicate, Queue, type Scope } from "effect"
import type { AgentDefinition, AgentMessage, SystemHandle } from "./Agent.ts"
import { type DeadLetterReason, DeadLetters, UNKNOWN_AGENT_KEY } from "./DeadLetters.ts"
import {
  AgentStopped,
  type AskError,
  AskTimeout,
  type AccessDenied,
  type AuditUnavailable,
  describeError,
  InvalidMessage,
  MailboxFull,
  OperationRefused,
  ProtocolViolation,
  SystemShuttingDown,
  type TellError,
  UnknownAgent
} from "./Errors.ts"
import { type InspectionBus, makeInspectionBus } from "./Inspection.ts"
import { AgentCell } from "./internal/Cell.ts"
import { type Deadline, Deadlines } from "./internal/Deadlines.ts"
import { type HostServices, runIncarnation } from "./internal/Incarnation.ts"
import { Ask, type Envelope, messageOf, ReplyHandle, Told } from "./internal/Reply.ts"
import { makeValidator, type MessageValidator } from "./internal/Validator.ts"
import { type Caller, DAEMON } from "./Caller.ts"
import * as Gate from "./Gate.ts"
import type { AuditedRequest } from "./Gate.ts"
import * as Protocol from "./Protocol.ts"
import type { Access, AgentStatus, Backoff, Intensity, Lifecycle, RestartType, Strategy, SupervisorStatus, SystemSummary, TreeNode } from "./Status.ts"
import {
  type ChildHooks,
  type ChildSpec,
  DEFAULT_INTERRUPT_GRACE_MS,
  type OperatorOp,
  restartsInARow,
  runSupervisor,
  supervisorChild,
  type SupervisorEvent,
  type SupervisorSpec
} from "./Supervisor.ts"

export interface SupervisorNode<R = never> {
  readonly name: string
  readonly strategy: Strategy
  readonly intensity: Intensity
  readonly backoff: Backoff
  /** As a child of its parent supervisor. Default permanent. */
  readonly restart?: RestartType
  readonly children: ReadonlyArray<AgentDefinition<R> | SupervisorNode<R>>
}

const isSupervisorNode = <R>(node: AgentDefinition<R> | SupervisorNode<R>): node is SupervisorNode<R> =>
  "children" in node

export interface ActorSystemOptions<R> {
  readonly root: SupervisorNode<R>
  /** Events a subscriber may fall behind before it starts losing the oldest. */
  readonly inspectionBuffer?: number
  readonly deadLetterLogIntervalMs?: number
  readonly defaultAskTimeoutMs?: number
  /** How long an internal sender waits on a full mailbox before the message is a dead letter. */
  readonly backpressureTimeoutMs?: number
  /** How long an agent asked to stop (outside a shutdown: a sibling's restart, an operator's stop) may take before it is interrupted. */
  readonly defaultShutdownTimeoutMs?: number
  /**
   * How long an interrupted agent may take to end before it is given up on (default 1 s). Each
   * supervisor waits for its children's grace and one more, so a shutdown ends at most
   * (depth of the tree) × this after its deadline, and about this when only agents are stuck.
   */
  readonly interruptGraceMs?: number
  /** Mailbox capacity of agents whose definition does not set one. */
  readonly defaultMailboxCapacity?: number
  /**
   * For tests only (`run --test-faults`): every agent also accepts
   * {"type":"sv.fault"}, which crashes it as a defect in an action would, and
   * {"type":"sv.stall","ms":N}, which keeps it busy (unresponsive) for N ms.
   */
  readonly testFaults?: boolean
  /** Who may send what from outside, and the record of what they did; default: everyone, nothing recorded. */
  readonly gate?: Gate.Gate
}

export const FAULT = "sv.fault"
export const STALL = "sv.stall"
const MAX_STALL_MS = 600_000

/** A test fault, if `input` is one; anything else is an ordinary message. */
const testFaultOf = (input: unknown): AgentMessage | undefined => {
  if (!Predicate.isObject(input)) return undefined
  const { type, ms } = input as { type?: unknown; ms?: unknown }
  if (type === FAULT) return { type: FAULT }
  if (type === STALL && Number.isInteger(ms) && (ms as number) >= 0 && (ms as number) <= MAX_STALL_MS) {
    return { type: STALL, ms }
  }
  return undefined
}

export interface ShutdownReport {
  /** Messages still queued when the deadline passed, per agent. */
  readonly leftover: Readonly<Record<string, number>>
  /**
   * Agents interrupted in the middle of a message because the deadline (or their own shutdown
   * timeout) passed first; the message's asker heard AgentStopped. Idle agents still running at
   * the deadline are interrupted too, losing nothing, and are not listed.
   */
  readonly killed: ReadonlyArray<string>
  /** Agents that did not end even within the grace period after their interruption: given up on, still running. */
  readonly unstopped: ReadonlyArray<string>
  readonly durationMs: number
}

export type SystemExit =
  | { readonly _tag: "Stopped" }
  | { readonly _tag: "Failed"; readonly reason: string }

export interface ActorSystem extends SystemHandle {
  /**
   * External injection on behalf of `caller`: through the gate (may this caller send it?
   * recorded first when it changes state), validated, refused at once when the mailbox is full.
   */
  readonly inject: (caller: Caller, agent: string, input: unknown) => Effect.Effect<void, TellError>
  readonly injectAsk: (
    caller: Caller,
    agent: string,
    input: unknown,
    options?: { readonly timeoutMs?: number }
  ) => Effect.Effect<unknown, AskError>
  /** An external tell outside Effect (the control socket, D-Bus): the result through a callback. */
  readonly injectTellCallback: (caller: Caller, agent: string, input: unknown, done: (exit: Exit.Exit<void, TellError>) => void) => void
  /**
   * An external ask outside Effect (the control socket's hot path): a callback, a wall-clock
   * timeout; the function returned gives the ask up (the asker went away).
   */
  readonly injectAskCallback: (
    caller: Caller,
    agent: string,
    input: unknown,
    timeoutMs: number,
    done: (exit: Exit.Exit<unknown, AskError>) => void
  ) => () => void
  /** A tell on someone's behalf from inside the daemon (a schedule firing): checked and recorded as theirs. */
  readonly tellAs: (caller: Caller, agent: string, message: AgentMessage) => Effect.Effect<void, TellError>
  readonly agents: () => ReadonlyArray<AgentStatus>
  readonly messageTypes: (agent: string) => ReadonlyArray<string> | undefined
  /**
   * An operator's action on one agent, done by its supervisor: restart it
   * now, stop it (it stays stopped), or start it again. Not counted as a
   * failure towards the restart intensity.
   */
  readonly operate: (
    caller: Caller,
    agent: string,
    op: OperatorOp
  ) => Effect.Effect<void, UnknownAgent | OperationRefused | AccessDenied | AuditUnavailable>
  readonly inspection: InspectionBus
  readonly deadLetters: DeadLetters
  readonly shutdown: (options?: { readonly deadlineMs?: number }) => Effect.Effect<ShutdownReport>
  /** Completes when the root supervisor stops (shutdown) or fails (escalation reached the top). */
  readonly awaitExit: Effect.Effect<SystemExit>
}

export const make = <R>(options: ActorSystemOptions<R>): Effect.Effect<ActorSystem, never, R | Scope.Scope> =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    const now = () => clock.currentTimeMillisUnsafe()
    const defaultAskTimeoutMs = options.defaultAskTimeoutMs ?? 5_000
    const backpressureTimeoutMs = options.backpressureTimeoutMs ?? 10_000
    const defaultShutdownTimeoutMs = options.defaultShutdownTimeoutMs ?? 5_000
    const interruptGraceMs = options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS
    const gate = options.gate ?? Gate.open
    const inspection = yield* makeInspectionBus({ bufferPerSubscriber: options.inspectionBuffer ?? 1024, now })
    const deadLetters = new DeadLetters()
    /** Open from a dead letter until its summary is logged: the logger waits on it, so a quiet system sets no timer. */
    const unloggedDeadLetters = Latch.makeUnsafe(false)
    const cells = new Map<string, AgentCell>()
    /** Each agent's supervisor, and the control queue of each supervisor's current run. */
    const parentOf = new Map<string, string>()
    const controls = new Map<string, Queue.Queue<SupervisorEvent>>()
    const validators = new Map<string, MessageValidator>()
    const supervisors = new Map<string, { status: { -readonly [K in keyof SupervisorStatus]: SupervisorStatus[K] } }>()
    const escalations: Array<string> = []
    const killed: Array<string> = []
    let lifecycle: SystemSummary["lifecycle"] = "running"

    const runFork = Effect.runForkWith(yield* Effect.context<never>())

    /** Counts a dead letter now; the inspection event is published only when someone listens. */
    const deadLetterNow = (agent: string, messageType: string, reason: DeadLetterReason) => {
      deadLetters.record(agent, reason)
      unloggedDeadLetters.openUnsafe()
      if (inspection.wants("DeadLetter")) runFork(inspection.publish({ _tag: "DeadLetter", agent, messageType, reason }))
    }
    const deadLetter = (agent: string, messageType: string, reason: DeadLetterReason) =>
      Effect.suspend(() => {
        deadLetters.record(agent, reason)
        unloggedDeadLetters.openUnsafe()
        return inspection.publish({ _tag: "DeadLetter", agent, messageType, reason })
      })

    // ---- addressing ---------------------------------------------------------
    // The core is synchronous: look up, validate and enqueue without a fiber. The Effect API
    // (tell, ask, inject, injectAsk) and the callback API of the control socket share it.

    const unknownAgent = (agent: string): Exit.Exit<never, UnknownAgent> => {
      deadLetterNow(UNKNOWN_AGENT_KEY, "?", "unknown-agent")
      return Exit.fail(new UnknownAgent({ agent, known: [...cells.keys()] }))
    }
    const stopped = (cell: AgentCell, messageType: string): Exit.Exit<never, AgentStopped> => {
      deadLetterNow(cell.name, messageType, "agent-stopped")
      return Exit.fail(new AgentStopped({ agent: cell.name }))
    }
    const full = (cell: AgentCell, messageType: string): Exit.Exit<never, MailboxFull> => {
      deadLetterNow(cell.name, messageType, "mailbox-full")
      return Exit.fail(new MailboxFull({ agent: cell.name, capacity: cell.mailbox.capacity }))
    }

    /**
     * Puts a message in the right lane without waiting. "full" is left to the caller: an
     * internal sender waits for room, an external one is refused.
     */
    const tryEnqueue = (
      cell: AgentCell,
      message: AgentMessage,
      reply: ReplyHandle | undefined,
      caller: Caller
    ): Exit.Exit<void, TellError> | "full" => {
      const mailbox = cell.mailbox
      if (options.testFaults === true && (message.type === FAULT || message.type === STALL)) {
        // Queued as any message is: a restarting agent's next incarnation takes it; a stopped one refuses it.
        const envelope = envelopeOf(message, reply, caller)
        const offered = mailbox.offerSystem(
          message.type === FAULT ? { kind: "fault", envelope } : { kind: "stall", ms: message.ms as number, envelope }
        )
        return offered ? Exit.void : stopped(cell, message.type)
      }
      if (Protocol.isStandard(message.type)) {
        return mailbox.offerSystem({ kind: message.type, reply }) ? Exit.void : stopped(cell, message.type)
      }
      if (mailbox.offerUnsafe(envelopeOf(message, reply, caller))) return Exit.void
      return mailbox.isClosed ? stopped(cell, message.type) : "full"
    }

    /** The daemon's own tells travel as they are; anyone else's carry who sent them. */
    const envelopeOf = (message: AgentMessage, reply: ReplyHandle | undefined, caller: Caller): Envelope =>
      reply !== undefined ? new Ask(message, reply, caller) : caller === DAEMON ? message : new Told(message, caller)

    /** Internal senders wait (up to the back-pressure timeout) while the mailbox is full. */
    const enqueueInternal = (
      cell: AgentCell,
      message: AgentMessage,
      reply: ReplyHandle | undefined,
      caller: Caller = DAEMON
    ): Effect.Effect<void, TellError> => {
      const now = tryEnqueue(cell, message, reply, caller)
      if (now !== "full") return now
      return Effect.flatMap(
        Effect.timeoutOption(cell.mailbox.offer(envelopeOf(message, reply, caller)), backpressureTimeoutMs),
        (accepted): Effect.Effect<void, TellError> =>
          accepted._tag === "None"
            ? Effect.suspend(() => full(cell, message.type))
            : accepted.value
            ? Effect.void
            : Effect.suspend(() => stopped(cell, message.type))
      )
    }

    /** A message that passed the gate and the agent's protocol, and whether it must be recorded before delivery. */
    interface Admitted {
      readonly cell: AgentCell
      readonly message: AgentMessage
      readonly access: Access
      readonly recorded: boolean
    }

    /**
     * The door for a message from `caller`: the agent exists and runs, the caller may send
     * this type (checked before its fields are, so a caller learns nothing about a message
     * it may not send), and the fields are what the protocol says.
     */
    const admit = (caller: Caller, agent: string, input: unknown): Exit.Exit<Admitted, TellError> => {
      if (lifecycle !== "running") {
        const type = Predicate.isObject(input) ? (input as { type?: unknown }).type : undefined
        deadLetterNow(cells.has(agent) ? agent : UNKNOWN_AGENT_KEY, typeof type === "string" ? type : "?", "system-stopped")
        return Exit.fail(new SystemShuttingDown())
      }
      const cell = cells.get(agent)
      if (cell === undefined) return unknownAgent(agent)
      const fault = options.testFaults === true ? testFaultOf(input) : undefined
      if (fault !== undefined) return Exit.succeed({ cell, message: fault, access: "admin", recorded: false })
      const type = Predicate.isObject(input) ? (input as { type?: unknown }).type : undefined
      const spec = typeof type === "string" ? cell.protocol.get(type) : undefined
      if (spec !== undefined && !Gate.isDaemon(caller)) {
        const denied = gate.check(caller, `${agent} '${spec.type}'`, spec.access)
        if (denied !== undefined) {
          gate.refused(denied)
          deadLetterNow(agent, spec.type, "access-denied")
          return Exit.fail(denied)
        }
      }
      const validated = validators.get(agent)!.validate(input)
      if (Exit.isFailure(validated)) return Exit.failCause(validated.cause)
      return Exit.succeed({
        cell,
        message: validated.value,
        access: spec!.access,
        recorded: !Gate.isDaemon(caller) && Gate.isRecorded(spec!.access)
      })
    }

    /** Records an admitted state-changing request, then delivers it at once or refuses it (a full mailbox). */
    const deliverNow = (admitted: Admitted, reply: ReplyHandle | undefined, caller: Caller): Exit.Exit<void, TellError> => {
      const enqueued = tryEnqueue(admitted.cell, admitted.message, reply, caller)
      return enqueued === "full" ? full(admitted.cell, admitted.message.type) : enqueued
    }

    const recordOf = (admitted: Admitted): AuditedRequest => ({
      _tag: "Message",
      agent: admitted.cell.name,
      message: admitted.message,
      access: admitted.access
    })

    /** An external delivery as an Effect: recorded first when state-changing, refused at once when the mailbox is full. */
    const deliver = (caller: Caller, admitted: Admitted, reply: ReplyHandle | undefined): Effect.Effect<void, TellError> =>
      admitted.recorded
        ? Effect.andThen(gate.record(caller, recordOf(admitted)), Effect.suspend(() => deliverNow(admitted, reply, caller)))
        : deliverNow(admitted, reply, caller)

    const timedOut = (reply: ReplyHandle, agent: string, messageType: string, timeoutMs: number) => {
      reply.abandon()
      return new AskTimeout({ agent, messageType, timeoutMs })
    }

    const awaitReply = (agent: string, messageType: string, reply: ReplyHandle, timeoutMs: number) =>
      Effect.flatMap(
        // An asker interrupted while it waits (an APEX plan cancelled) gives up: the agent is told to stop the work.
        Effect.onInterrupt(Effect.timeoutOption(reply.await, timeoutMs), () => Effect.sync(() => reply.abandon())),
        (result) =>
          result._tag === "Some"
            ? Effect.succeed(result.value)
            : Effect.fail(timedOut(reply, agent, messageType, timeoutMs))
      )

    /**
     * Internal senders are trusted with the fields (a typed `call` checks them), not with the
     * type: a type the agent's protocol does not declare is refused here, as an injection is.
     */
    const undeclared = (cell: AgentCell, type: string): Exit.Exit<never, InvalidMessage> =>
      Exit.fail(new InvalidMessage({ agent: cell.name, reason: `unknown message type '${type}'; ${cell.name} accepts: ${cell.protocol.types.join(", ")}` }))

    const tell = (agent: string, message: AgentMessage): Effect.Effect<void, TellError> => {
      // Hot path: a known agent with room in its mailbox costs two Map lookups and one push.
      const cell = cells.get(agent)
      if (cell === undefined) return Effect.suspend(() => unknownAgent(agent))
      if (cell.protocol.get(message.type) === undefined) return undeclared(cell, message.type)
      return enqueueInternal(cell, message, undefined)
    }

    /**
     * A tell on someone's behalf from inside the daemon (a schedule firing for whoever
     * added it): checked and recorded as that caller's own request would be, and
     * back-pressured as an internal sender is.
     */
    const tellAs = (caller: Caller, agent: string, message: AgentMessage): Effect.Effect<void, TellError> =>
      Effect.suspend(() => {
        const admitted = admit(caller, agent, message)
        if (Exit.isFailure(admitted)) return admitted
        const { cell } = admitted.value
        const enqueue = enqueueInternal(cell, admitted.value.message, undefined, caller)
        return admitted.value.recorded ? Effect.andThen(gate.record(caller, recordOf(admitted.value)), enqueue) : enqueue
      })

    /**
     * An ask on someone's behalf from inside the daemon (an APEX task, a FLUX rule's action, a
     * LINGUA sentence): checked and recorded as that caller's own request would be, back-pressured
     * as an internal sender is, and answered like `ask`.
     */
    const askAs = (caller: Caller, agent: string, message: AgentMessage, askOptions?: { readonly timeoutMs?: number }) =>
      Effect.suspend(() => {
        const admitted = admit(caller, agent, message)
        if (Exit.isFailure(admitted)) return admitted
        const { cell } = admitted.value
        const reply = new ReplyHandle()
        const enqueue = enqueueInternal(cell, admitted.value.message, reply, caller)
        return Effect.andThen(
          admitted.value.recorded ? Effect.andThen(gate.record(caller, recordOf(admitted.value)), enqueue) : enqueue,
          awaitReply(agent, admitted.value.message.type, reply, askOptions?.timeoutMs ?? defaultAskTimeoutMs)
        )
      })

    const ask = (agent: string, message: AgentMessage, askOptions?: { readonly timeoutMs?: number }) =>
      Effect.suspend(() => {
        const cell = cells.get(agent)
        if (cell === undefined) return unknownAgent(agent)
        if (cell.protocol.get(message.type) === undefined) return undeclared(cell, message.type)
        const reply = new ReplyHandle()
        return Effect.andThen(
          enqueueInternal(cell, message, reply),
          awaitReply(agent, message.type, reply, askOptions?.timeoutMs ?? defaultAskTimeoutMs)
        )
      })

    const inject = (caller: Caller, agent: string, input: unknown): Effect.Effect<void, TellError> =>
      Effect.suspend(() => {
        const admitted = admit(caller, agent, input)
        return Exit.isFailure(admitted) ? admitted : deliver(caller, admitted.value, undefined)
      })

    const injectAsk = (caller: Caller, agent: string, input: unknown, askOptions?: { readonly timeoutMs?: number }) =>
      Effect.suspend(() => {
        const admitted = admit(caller, agent, input)
        if (Exit.isFailure(admitted)) return admitted
        const reply = new ReplyHandle()
        return Effect.andThen(
          deliver(caller, admitted.value, reply),
          awaitReply(agent, admitted.value.message.type, reply, askOptions?.timeoutMs ?? defaultAskTimeoutMs)
        )
      })

    /** Runs `then` once the request is recorded (at once when it needs no record), or fails it with the recording's error. */
    const afterRecord = (caller: Caller, admitted: Admitted, fail: (exit: Exit.Exit<never, TellError>) => void, then: () => void) => {
      if (!admitted.recorded) return then()
      runFork(gate.record(caller, recordOf(admitted))).addObserver((recorded) => {
        if (Exit.isFailure(recorded)) fail(Exit.failCause(recorded.cause))
        else then()
      })
    }

    /** An external tell outside Effect (the control socket, D-Bus): no fiber unless it must be recorded first. */
    const injectTellCallback = (caller: Caller, agent: string, input: unknown, done: (exit: Exit.Exit<void, TellError>) => void): void => {
      const admitted = admit(caller, agent, input)
      if (Exit.isFailure(admitted)) return done(admitted)
      afterRecord(caller, admitted.value, done, () => done(deliverNow(admitted.value, undefined, caller)))
    }

    const askDeadlines = new Deadlines()

    /**
     * injectAsk for callers outside Effect (the control socket's hot path): no fiber per
     * request, and the timeout is on the wall clock, one timer for all such asks. The returned function
     * gives the ask up (the asker's connection closed): the agent stops the work it
     * started for it, and a late answer is a dead letter.
     */
    const injectAskCallback = (
      caller: Caller,
      agent: string,
      input: unknown,
      timeoutMs: number,
      done: (exit: Exit.Exit<unknown, AskError>) => void
    ): (() => void) => {
      const reply = new ReplyHandle()
      const admitted = admit(caller, agent, input)
      if (Exit.isFailure(admitted)) {
        done(admitted)
        return () => {}
      }
      const messageType = admitted.value.message.type
      let deadline: Deadline | undefined
      afterRecord(caller, admitted.value, done, () => {
        const delivered = deliverNow(admitted.value, reply, caller)
        if (Exit.isFailure(delivered)) return done(delivered)
        deadline = askDeadlines.add(timeoutMs, () => done(Exit.fail(timedOut(reply, agent, messageType, timeoutMs))))
        reply.onComplete((exit) => {
          deadline!.cancel()
          done(exit)
        })
      })
      return () => {
        deadline?.cancel()
        reply.abandon()
      }
    }

    // ---- the tree -----------------------------------------------------------

    /**
     * A typed ask of the agent that speaks `protocol`: the request is checked as an injection
     * would be, sent as an internal ask (back-pressured), and the answer decoded with the
     * message's own schemas — a rejection into its class, so callers can `catchTag` it.
     */
    const call = (
      protocol: Protocol.AnyProtocol,
      request: AgentMessage,
      callOptions?: { readonly timeoutMs?: number }
    ): Effect.Effect<unknown, unknown> =>
      Effect.suspend(() => {
        const agent = protocol.agent
        const validated = systemHandle.validate(agent, request)
        if (Exit.isFailure(validated)) return validated
        const message = validated.value
        const codecs = Protocol.codecs(protocol.get(message.type)!)
        const outside = (reason: string) => new ProtocolViolation({ agent, messageType: message.type, reason })
        const replied = Effect.flatMap(ask(agent, message, callOptions), (wire): Effect.Effect<unknown, ProtocolViolation> => {
          const decoded = codecs.decodeReply(wire)
          return Exit.isSuccess(decoded)
            ? Effect.succeed(decoded.value)
            : Effect.fail(outside(`reply: ${Protocol.failureText(decoded.cause)}`))
        })
        return Effect.catchTag(replied, "Rejected", (rejected) => {
          const decoded = codecs.decodeRejection(rejected.rejection)
          return Effect.fail(Exit.isSuccess(decoded) ? decoded.value : outside(`rejection: ${Protocol.failureText(decoded.cause)}`))
        })
      })

    const systemHandle: SystemHandle = {
      tell,
      tellAs,
      ask,
      askAs,
      protocolOf: (agent) => cells.get(agent)?.protocol,
      permits: (caller, agent, type) => {
        const spec = cells.get(agent)?.protocol.get(type)
        return spec === undefined || Gate.isDaemon(caller) ? undefined : gate.check(caller, `${agent} '${type}'`, spec.access)
      },
      call: call as SystemHandle["call"],
      agentNames: () => [...cells.keys()],
      status: (agent) => {
        const cell = cells.get(agent)
        return cell === undefined ? undefined : cell.status(deadLetters.countFor(agent))
      },
      validate: (agent, input) => {
        const validator = validators.get(agent)
        return validator === undefined
          ? Exit.fail(new UnknownAgent({ agent, known: [...cells.keys()] }))
          : validator.validate(input)
      },
      summary: () => summary(),
      tree: () => treeOf(options.root),
      events: ({ tags, buffer, label }) => inspection.subscribeTo({ tags, buffer: buffer ?? 1024, ...(label === undefined ? {} : { label }) }),
      subscriptions: inspection.subscriptions,
      publishedOf: inspection.publishedOf
    }

    const host: HostServices = {
      system: systemHandle,
      publish: inspection.publish,
      inspecting: () => inspection.wants("Progress"),
      wantsMessageEvents: inspection.wantsMessageEvents,
      wantsTransitionEvents: inspection.wantsTransitionEvents,
      deadLetter,
      deadLetterCount: (agent) => deadLetters.countFor(agent),
      now
    }

    /** A terminated agent refuses new mail; what it still held is answered and accounted. */
    const terminateAgent = (cell: AgentCell, reason: "exited" | "failed" | "shutdown" | "gave-up") =>
      Effect.gen(function*() {
        cell.lifecycle = reason === "failed" || reason === "gave-up" ? "failed" : "stopped"
        cell.mailbox.close()
        const deadReason: DeadLetterReason = reason === "shutdown" ? "shutdown" : "agent-stopped"
        // Accounting first, then the askers are told: whoever they are sees consistent counts.
        const askers: Array<ReplyHandle> = []
        for (const envelope of cell.mailbox.drainUser()) {
          yield* deadLetter(cell.name, messageOf(envelope).type, deadReason)
          if (envelope instanceof Ask) askers.push(envelope.reply)
        }
        for (const item of cell.mailbox.drainSystem()) {
          if (item.kind === "ping" || item.kind === "status" || item.kind === "describe") {
            yield* deadLetter(cell.name, item.kind, deadReason)
            if (item.reply !== undefined) askers.push(item.reply)
          } else if (item.kind === "fault" || item.kind === "stall") {
            yield* deadLetter(cell.name, messageOf(item.envelope).type, deadReason)
            if (item.envelope instanceof Ask) askers.push(item.envelope.reply)
          }
        }
        yield* inspection.publish({ _tag: "Stopped", agent: cell.name, reason })
        for (const reply of askers) reply.complete(Exit.fail(new AgentStopped({ agent: cell.name })))
      })

    const agentChild = (definition: AgentDefinition<R>): ChildSpec<R> => {
      if (cells.has(definition.name)) throw new Error(`agent ${definition.name} is registered twice`)
      const validator = makeValidator(definition.name, definition.protocol)
      const cell = new AgentCell(definition, options.defaultMailboxCapacity ?? 1024)
      cells.set(definition.name, cell)
      validators.set(definition.name, validator)
      const hooks: ChildHooks = {
        onStarting: () => Effect.sync(() => cell.mailbox.reopen()),
        onRestarting: ({ delayMs }) =>
          Effect.suspend(() => {
            cell.restarts++
            cell.lastRestartAt = now()
            cell.lifecycle = "restarting"
            return inspection.publish({ _tag: "Restarted", agent: cell.name, restarts: cell.restarts, delayMs })
          }),
        onTerminated: (reason) => terminateAgent(cell, reason),
        onStoppedForRestart: () =>
          Effect.suspend(() => {
            cell.lifecycle = "restarting"
            return inspection.publish({ _tag: "Stopped", agent: cell.name, reason: "restart" })
          }),
        // Interrupted between messages, an agent lost nothing: only one cut off mid-message (or stuck) is reported.
        onKilled: () =>
          Effect.sync(() => {
            if (cell.interruptedDuring !== undefined || cell.live > 0) killed.push(cell.name)
          }),
        onAbandoned: () =>
          Effect.logError(`${cell.name} did not end within ${interruptGraceMs} ms of being interrupted; it is given up on and may still be running`)
      }
      return {
        id: definition.name,
        restart: definition.restart ?? "permanent",
        shutdownTimeoutMs: definition.shutdownTimeoutMs ?? defaultShutdownTimeoutMs,
        interruptGraceMs,
        hooks,
        makeRun: () => ({
          // `live` counts incarnations whose fiber has not ended, whatever their supervisor gave up on.
          run: (ready) =>
            Effect.suspend(() => {
              cell.live++
              // Each incarnation has a scope of its own: what its machine acquires with it (subscriptions) ends with it.
              return Effect.scoped(runIncarnation(cell, host, ready))
            }).pipe(Effect.onExit(() => Effect.sync(() => cell.live--))),
          requestStop: (drainUntil) => {
            cell.mailbox.offerSystem({ kind: "stop", incarnation: cell.incarnation, drainUntil })
          }
        })
      }
    }

    const supervisorSpec = (node: SupervisorNode<R>): SupervisorSpec<R> => {
      // Supervisors and agents are separate namespaces: the root supervisor and its agent are both OMNISCIENT.
      if (supervisors.has(node.name)) throw new Error(`supervisor name ${node.name} is used twice`)
      const record = {
        status: {
          name: node.name,
          strategy: node.strategy,
          intensity: { ...node.intensity, maxRestartsInARow: restartsInARow(node.intensity) },
          backoff: node.backoff,
          lifecycle: "idle" as Lifecycle,
          restarts: 0,
          lastError: null as string | null
        }
      }
      supervisors.set(node.name, record)
      const children = node.children.map((child): ChildSpec<R> => {
        if (!isSupervisorNode(child)) {
          parentOf.set(child.name, node.name)
          return agentChild(child)
        }
        const spec = supervisorSpec(child)
        const childRecord = supervisors.get(child.name)!
        const budget = shutdownBudget(child)
        return supervisorChild(spec, {
          restart: child.restart ?? "permanent",
          shutdownTimeoutMs: budget,
          interruptGraceMs: graceOf(child),
          hooks: {
            onStarting: () => Effect.sync(() => (childRecord.status.lifecycle = "running")),
            onExit: (exit) =>
              Effect.sync(() => {
                if (Exit.isFailure(exit)) childRecord.status.lastError = describeError(Cause.squash(exit.cause))
              }),
            onRestarting: ({ delayMs }) =>
              Effect.suspend(() => {
                childRecord.status.restarts++
                childRecord.status.lifecycle = "restarting"
                return inspection.publish({
                  _tag: "Restarted",
                  agent: child.name,
                  restarts: childRecord.status.restarts,
                  delayMs
                })
              }),
            onTerminated: (reason) =>
              Effect.suspend(() => {
                childRecord.status.lifecycle = reason === "failed" || reason === "gave-up" ? "failed" : "stopped"
                return inspection.publish({ _tag: "Stopped", agent: child.name, reason })
              })
            // An interrupted supervisor interrupts its agents: they, not it, are reported killed.
          }
        })
      })
      return {
        name: node.name,
        strategy: node.strategy,
        intensity: node.intensity,
        backoff: node.backoff,
        onControl: (control) => void controls.set(node.name, control),
        children,
        onEscalate: (error) =>
          Effect.suspend(() => {
            record.status.lastError = error.message
            escalations.push(error.message)
            return inspection.publish({ _tag: "Escalated", supervisor: node.name, reason: error.message })
          })
      }
    }

    /** An interrupted supervisor waits its children's grace before its own ends: one grace per level. */
    const graceOf = (node: SupervisorNode<R>): number =>
      interruptGraceMs + Math.max(0, ...node.children.map((child) => isSupervisorNode(child) ? graceOf(child) : interruptGraceMs))

    /** A supervisor may take as long to stop as all of its children, one after another. */
    const shutdownBudget = (node: SupervisorNode<R>): number =>
      node.children.reduce(
        (sum, child) =>
          sum + (isSupervisorNode(child) ? shutdownBudget(child) : child.shutdownTimeoutMs ?? defaultShutdownTimeoutMs),
        1_000
      )

    const rootSpec = supervisorSpec(options.root)
    const rootRecord = supervisors.get(options.root.name)!
    const rootControl = yield* Queue.unbounded<SupervisorEvent>()
    const exitLatch = yield* Latch.make(false)
    let systemExit: SystemExit = { _tag: "Stopped" }

    const treeOf = (node: SupervisorNode<R>): TreeNode => ({
      kind: "supervisor",
      status: { ...supervisors.get(node.name)!.status },
      children: node.children.map((child) =>
        isSupervisorNode(child)
          ? treeOf(child)
          : { kind: "agent" as const, status: systemHandle.status(child.name)! }
      )
    })

    const agents = () => [...cells.values()].map((cell) => cell.status(deadLetters.countFor(cell.name)))

    const summary = (): SystemSummary => {
      const all = [...cells.values()]
      const count = (lc: Lifecycle) => all.filter((cell) => cell.lifecycle === lc).length
      return {
        agents: all.length,
        running: count("running"),
        restarting: count("restarting"),
        failed: count("failed"),
        stopped: count("stopped"),
        ready: all.filter((cell) => cell.readiness === "ready").length,
        planned: all.filter((cell) => cell.readiness === "planned").length,
        deadLetters: deadLetters.count,
        escalations: [...escalations],
        lifecycle
      }
    }

    // ---- start --------------------------------------------------------------

    rootRecord.status.lifecycle = "running"
    const rootStarted = yield* Latch.make(false)
    const rootGraceMs = graceOf(options.root)
    // Detached and closed with a bound: a tree that ignores interruption cannot hold its owner's scope.
    const rootFiber = yield* Effect.forkDetach(runSupervisor(rootSpec, rootControl, () => rootStarted.openUnsafe()))
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        if (rootFiber.pollUnsafe() !== undefined) return Effect.void
        rootFiber.interruptUnsafe()
        return Effect.timeoutOption(Fiber.await(rootFiber), rootGraceMs)
      })
    )
    rootFiber.addObserver((exit) => {
      if (Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)) {
        const reason = describeError(Cause.squash(exit.cause))
        systemExit = { _tag: "Failed", reason }
        rootRecord.status.lifecycle = "failed"
        rootRecord.status.lastError = reason
        lifecycle = "failed"
      } else {
        rootRecord.status.lifecycle = "stopped"
        if (lifecycle !== "failed") lifecycle = "stopped"
      }
      exitLatch.openUnsafe()
    })
    yield* Effect.raceFirst(rootStarted.await, exitLatch.await)

    // Dead letters are logged as one summary line per interval, never one line per message; the
    // interval starts at the first dead letter after a quiet one, and no timer runs while none comes.
    yield* Effect.forkScoped(
      Effect.forever(
        Effect.gen(function*() {
          yield* unloggedDeadLetters.await
          yield* Effect.sleep(options.deadLetterLogIntervalMs ?? 10_000)
          yield* unloggedDeadLetters.close
          const line = deadLetters.takeSummary()
          if (line !== undefined) yield* Effect.logWarning(line)
        })
      )
    )

    /**
     * Agents stop in reverse order, each handling what it holds, until the deadline. Whatever
     * still runs then is interrupted at once, down the whole tree, and waited for at most a
     * grace period per level; an agent that ignores even that is given up on and reported.
     */
    const shutdown = (shutdownOptions?: { readonly deadlineMs?: number }) =>
      Effect.gen(function*() {
        const started = now()
        if (lifecycle === "running") lifecycle = "stopping"
        const before = new Map([...cells.keys()].map((name) => [name, deadLetters.countFor(name, "shutdown")]))
        const killedBefore = killed.length
        const deadlineMs = shutdownOptions?.deadlineMs ?? 5_000
        Queue.offerUnsafe(rootControl, { _tag: "Stop", drainUntil: started + deadlineMs })
        const inTime = yield* Effect.timeoutOption(Fiber.await(rootFiber), deadlineMs)
        if (Option.isNone(inTime)) {
          rootFiber.interruptUnsafe()
          yield* Effect.timeoutOption(Fiber.await(rootFiber), rootGraceMs)
        }
        const leftover: Record<string, number> = {}
        for (const [name, n] of before) {
          const left = deadLetters.countFor(name, "shutdown") - n
          if (left > 0) leftover[name] = left
        }
        return {
          leftover,
          killed: killed.slice(killedBefore),
          unstopped: [...cells.values()].filter((cell) => cell.live > 0).map((cell) => cell.name),
          durationMs: now() - started
        } satisfies ShutdownReport
      })

    const operate = (
      caller: Caller,
      agent: string,
      op: OperatorOp
    ): Effect.Effect<void, UnknownAgent | OperationRefused | AccessDenied | AuditUnavailable> =>
      Effect.gen(function*() {
        const parent = parentOf.get(agent)
        if (parent === undefined) return yield* new UnknownAgent({ agent, known: [...cells.keys()] })
        if (!Gate.isDaemon(caller)) {
          // An operator's action changes what runs: admin only, and on the record before it is done.
          const denied = gate.check(caller, `${op} ${agent}`, "admin")
          if (denied !== undefined) {
            gate.refused(denied)
            return yield* denied
          }
          yield* gate.record(caller, { _tag: "Operator", agent, op })
        }
        const control = controls.get(parent)
        const lifecycle = supervisors.get(parent)?.status.lifecycle
        if (control === undefined || lifecycle !== "running") {
          return yield* new OperationRefused({ agent, op, reason: `its supervisor ${parent} is ${lifecycle ?? "not running"}` })
        }
        const refusal = yield* Effect.callback<string | undefined>((resume) => {
          Queue.offerUnsafe(control, { _tag: "Operator", op, id: agent, reply: (r) => resume(Effect.succeed(r)) })
        })
        if (refusal !== undefined) return yield* new OperationRefused({ agent, op, reason: refusal })
      })

    return {
      ...systemHandle,
      inject,
      injectAsk,
      injectTellCallback,
      injectAskCallback,
      agents,
      messageTypes: (agent) => cells.get(agent)?.protocol.types,
      operate,
      inspection,
      deadLetters,
      shutdown,
      awaitExit: Effect.map(exitLatch.await, () => systemExit)
    } satisfies ActorSystem
  })
