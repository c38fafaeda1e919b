/**
 * The XState-under-Effect bridge. An agent is an XState v5 machine; one Effect
 * fiber per incarnation drains the agent's mailbox (system lane first), feeds
 * each message to the machine, waits while the machine runs effects it invoked
 * through `fromEffect`, and pairs the machine's `sv.reply` / `sv.reject` emits
 * with the message being handled. Every answer is checked against the agent's
 * protocol before an asker sees it: a reply by its reply schema, a rejection
 * by the message's declared rejections. Planned messages are answered with
 * NotBuiltYet here, without the machine.
 *
 * A throw in an action, an XState snapshot in status `error`, or a failed
 * invoked effect without `onError` crashes the incarnation: the fiber fails
 * with AgentCrashed and the supervisor decides. The message in hand, if an
 * ask, is answered AgentCrashed at once (an injected `sv.fault` too).
 */
import { Cause, Effect, Exit } from "effect"
import { type AnyActor, type AnyActorRef, type AnyStateMachine, createActor, fromPromise, setup } from "xstate"
import { AgentEnv, type AgentEnvShape, type AgentMessage, CANCEL, REJECT, type RejectionValue, REPLY, type SystemHandle } from "../Agent.ts"
import { type Caller, DAEMON } from "../Caller.ts"
import type { DeadLetterReason } from "../DeadLetters.ts"
import { AgentCrashed, AgentStopped, type AskError, describeError, ProtocolViolation, Rejected } from "../Errors.ts"
import type { InspectionInput } from "../Inspection.ts"
import * as Protocol from "../Protocol.ts"
import { accepts } from "./Acceptor.ts"
import { type AgentCell, stateNodesOf } from "./Cell.ts"
import { Ask, callerOf, type Envelope, messageOf, type ReplyHandle, type SystemItem } from "./Reply.ts"

/** What the host loop needs from the actor system around it. */
export interface HostServices {
  readonly system: SystemHandle
  readonly publish: (event: InspectionInput) => Effect.Effect<void>
  /** False while no subscriber would receive a Progress event: jobs then build none. */
  readonly inspecting: () => boolean
  /** False while no subscriber wants per-message events (MessageHandled). */
  readonly wantsMessageEvents: () => boolean
  /** True while some subscriber wants Transition events. */
  readonly wantsTransitionEvents: () => boolean
  readonly deadLetter: (agent: string, messageType: string, reason: DeadLetterReason) => Effect.Effect<void>
  readonly deadLetterCount: (agent: string) => number
  readonly now: () => number
}

/** The machine of an agent whose every message is planned: it waits, and the runtime answers. */
const waitingMachine = (id: string): AnyStateMachine => setup({}).createMachine({ id, initial: "waiting", states: { waiting: {} } })

/** What the machine answered to the message in hand: the first answer counts. */
type MachineAnswer = { readonly reply: unknown } | { readonly rejection: RejectionValue }

const effectLogics = new WeakSet<object>()

const isStandardItem = (item: SystemItem): item is Extract<SystemItem, { kind: "ping" | "status" | "describe" }> =>
  item.kind === "ping" || item.kind === "status" || item.kind === "describe"

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
    cell.interruptedDuring = undefined
    const context = yield* Effect.context<never>()
    const runFork = Effect.runForkWith(context)
    const runPromise = Effect.runPromiseWith(context)

    /** Who sent the message in hand; set as each message begins. */
    let currentCaller: Caller = DAEMON

    const env: AgentEnvShape = {
      self: cell.name,
      // An agent's own inspection subscriptions are listed under its name (STREAM 'subscribers').
      system: {
        ...host.system,
        events: (options) =>
          host.system.events(options.label === undefined ? { ...options, label: { transport: "agent", who: cell.name, topics: [...options.tags] } } : options)
      },
      caller: () => currentCaller,
      fromEffect: <Output, Input>(run: (input: Input) => Effect.Effect<Output, unknown>) => {
        const logic = fromPromise<Output, Input>(({ input, signal }) => runPromise(run(input), { signal }))
        effectLogics.add(logic)
        return logic
      },
      progress: ({ job, done, total, unit }) =>
        host.inspecting()
          ? host.publish({ _tag: "Progress", agent: cell.name, job, done, unit, ...(total === undefined ? {} : { total }) })
          : Effect.void,
      alert: ({ severity, subject, text, code }) =>
        Effect.andThen(
          severity === "info" ? Effect.logInfo(text) : severity === "warning" ? Effect.logWarning(text) : Effect.logError(text),
          host.publish({ _tag: "Alert", agent: cell.name, severity, subject, text, ...(code === undefined ? {} : { code }) })
        ),
      describeCapability: (capability, detail) => {
        cell.details.set(capability, detail)
      },
      incident: (report) =>
        Effect.andThen(
          Effect.logInfo(`incident ${report.id} ${report.state}: ${report.title}`),
          host.publish({ _tag: "Incident", agent: cell.name, ...report })
        )
    }
    const machine = cell.definition.machine === undefined
      ? waitingMachine(cell.name)
      : yield* Effect.provideService(cell.definition.machine, AgentEnv, env)
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

    /** The machine's answer to the message in hand; the first one counts, checked and sent when the batch is flushed. */
    let machineAnswer: MachineAnswer | undefined
    const answer = (result: MachineAnswer) => {
      if (current !== undefined && machineAnswer === undefined) machineAnswer = result
    }
    actor.on(REPLY, (event: { value: unknown }) => answer({ reply: event.value }))
    actor.on(REJECT, (event: { rejection: RejectionValue }) => answer({ rejection: event.rejection }))

    /** Answers outside the protocol, logged as errors when the batch is flushed. */
    let violations: Array<ProtocolViolation> = []
    const violation = (messageType: string, reason: string): Exit.Exit<never, ProtocolViolation> => {
      const error = new ProtocolViolation({ agent: cell.name, messageType, reason })
      violations.push(error)
      return Exit.fail(error)
    }
    const rejected = (messageType: string, rejection: RejectionValue, wire: unknown): Exit.Exit<never, Rejected> =>
      Exit.fail(new Rejected({ agent: cell.name, messageType, rejection: wire as Rejected["rejection"], reason: rejection.message }))

    /** The asker's answer: the reply or rejection in its wire form, once the message's protocol has checked it. */
    const checked = (message: AgentMessage, result: MachineAnswer): Exit.Exit<unknown, AskError> => {
      const spec = cell.protocol.get(message.type)
      if (spec === undefined) return violation(message.type, "the message type is not in the agent's protocol")
      const codecs = Protocol.codecs(spec)
      if ("reply" in result) {
        const encoded = codecs.encodeReply(result.reply)
        return Exit.isSuccess(encoded) ? Exit.succeed(encoded.value) : violation(message.type, `reply: ${Protocol.failureText(encoded.cause)}`)
      }
      const encoded = codecs.encodeRejection(result.rejection)
      return Exit.isSuccess(encoded)
        ? rejected(message.type, result.rejection, encoded.value)
        : violation(message.type, `rejection ${String(result.rejection?._tag)}: ${Protocol.failureText(encoded.cause)}`)
    }

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

    /** `injected`: a test fault that caused the crash; it did what it was sent for, so it is no dead letter. */
    const crashed = (error: unknown, injected?: Envelope) => {
      const reason = describeError(error)
      cell.lastError = reason
      return Effect.gen(function*() {
        const inHand = injected ?? current
        current = undefined
        machineAnswer = undefined
        yield* flushOutbox
        if (inHand !== undefined) {
          cell.recent.record(messageOf(inHand).type, (performance.now() - currentStarted) * 1000, 2, host.now())
          if (injected === undefined) yield* host.deadLetter(cell.name, messageOf(inHand).type, "handler-crashed")
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
      const wrong = violations
      outbox = []
      answers = []
      violations = []
      const answerAll = Effect.suspend(() => {
        const late: Array<string> = []
        for (const [reply, messageType, result] of replies) {
          if (!reply.complete(result) && reply.expired) late.push(messageType)
        }
        return late.length === 0
          ? Effect.void
          : Effect.forEach(late, (type) => host.deadLetter(cell.name, type, "late-reply"), { discard: true })
      })
      const logged = wrong.length === 0
        ? answerAll
        : Effect.andThen(Effect.forEach(wrong, (error) => Effect.logError(error.message), { discard: true }), answerAll)
      if (events.length === 0) return logged
      return Effect.andThen(Effect.forEach(events, host.publish, { discard: true }), logged)
    })

    /** Bookkeeping for a handled message, then its answer. */
    const complete = (envelope: Envelope, result: MachineAnswer | undefined) => {
      current = undefined
      cell.handled++
      lastFinished = performance.now()
      const durationUs = (lastFinished - currentStarted) * 1000
      cell.histogram.record(durationUs)
      const outcome = result ?? machineAnswer
      const message = messageOf(envelope)
      cell.recent.record(message.type, durationUs, outcome === undefined || "reply" in outcome ? 0 : 1, host.now())
      if (host.wantsMessageEvents()) {
        outbox.push({ _tag: "MessageHandled", agent: cell.name, messageType: message.type, durationUs })
      }
      // A message the machine handled without answering is acknowledged with the resulting state;
      // one whose asker gave up (and whose work was cancelled for it) has no one to answer.
      if (envelope instanceof Ask && !(envelope.reply.expired && outcome === undefined)) {
        envelope.reply.onAbandon(undefined)
        answers.push([envelope.reply, message.type, checked(message, outcome ?? { reply: { type: "ack", state: cell.state } })])
      }
      machineAnswer = undefined
    }

    /** Starts handling a message; "waiting" means an invoked effect is still running. */
    const begin = (envelope: Envelope, followsPrevious: boolean): "done" | "waiting" | "crashed" => {
      // Within a batch a message starts when the previous one finished: one clock read per message.
      currentStarted = followsPrevious ? lastFinished : performance.now()
      current = envelope
      currentCaller = callerOf(envelope)
      const message = messageOf(envelope)
      const planned = cell.planned.size === 0 ? undefined : cell.planned.get(message.type)
      if (planned !== undefined) {
        cell.rejected++
        complete(envelope, { rejection: new Protocol.NotBuiltYet(planned) })
        return "done"
      }
      if (!accepts(actor.getSnapshot(), message.type)) {
        cell.rejected++
        complete(envelope, { rejection: new Protocol.NotAccepted({ state: cell.state }) })
        return "done"
      }
      // An asker that gives up stops the work started for it.
      if (envelope instanceof Ask) envelope.reply.onAbandon(() => current === envelope && actor.send({ type: CANCEL }))
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

    /** A test fault, taken as a message is: its asker hears AgentCrashed at once. */
    const fault = (envelope: Envelope) =>
      Effect.suspend(() => {
        currentStarted = performance.now()
        return crashed(new Error(`fault injected into ${cell.name} for testing`), envelope)
      })

    /**
     * A test stall, taken as the message in hand: busy for `ms`, then its asker is acknowledged.
     * Interrupted meanwhile (a restart, a shutdown), the asker hears AgentStopped (see onExit).
     */
    const stall = (ms: number, envelope: Envelope) =>
      Effect.gen(function*() {
        current = envelope
        currentStarted = performance.now()
        yield* Effect.sleep(ms)
        current = undefined
        if (!(envelope instanceof Ask)) return
        if (!envelope.reply.complete(Exit.succeed({ type: "ack", state: cell.state })) && envelope.reply.expired) {
          yield* host.deadLetter(cell.name, messageOf(envelope).type, "late-reply")
        }
      })

    /** Shutdown: keep handling until the mailbox is empty or the deadline passes; the rest stays for the supervisor to account. */
    const drain = (until: number) =>
      Effect.gen(function*() {
        while (host.now() < until) {
          const item = mailbox.pollSystemUnsafe()
          if (item !== undefined) {
            switch (item.kind) {
              case "crash":
                if (item.incarnation === incarnation) return yield* crashed(item.error)
                break
              case "fault":
                return yield* fault(item.envelope)
              case "stall":
                yield* stall(item.ms, item.envelope)
                break
              case "stop":
                break
              default:
                answerStandard(item.kind, item.reply)
            }
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
          if (system !== undefined) {
            // ping, status and describe are answered here, without a turn of the fiber, while
            // nothing handled before them is left to publish or answer (order is kept).
            if (!isStandardItem(system) || outbox.length > 0 || answers.length > 0 || violations.length > 0) break
            answerStandard(system.kind, system.reply)
            system = undefined
            followsPrevious = false
            continue
          }
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
            case "fault":
              return yield* fault(system.envelope)
            case "stop":
              if (system.incarnation === incarnation) return yield* drain(system.drainUntil)
              break
            case "stall":
              yield* stall(system.ms, system.envelope)
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
            cell.interruptedDuring = messageOf(inHand).type
            yield* host.deadLetter(cell.name, messageOf(inHand).type, "agent-stopped")
            if (inHand instanceof Ask) inHand.reply.complete(Exit.fail(new AgentStopped({ agent: cell.name })))
          }
        })
      )
    )
  })
