/** Small agents for runtime tests: each exercises one behaviour of the bridge. */
import { Effect, Exit, Schema } from "effect"
import { assign, emit, setup } from "xstate"
import { type AgentDefinition, AgentEnv, type AgentEmitted, define, rejectWith, replyWith } from "../../src/runtime/Agent.ts"
import * as Protocol from "../../src/runtime/Protocol.ts"
import { Ack } from "../../src/runtime/Status.ts"
import type { Caller } from "../../src/runtime/Caller.ts"
import type { Backoff, Intensity, Strategy } from "../../src/runtime/Supervisor.ts"
import type { SupervisorNode } from "../../src/runtime/ActorSystem.ts"
import type { InspectionBus, InspectionEvent } from "../../src/runtime/Inspection.ts"

export class RefusedOnPurpose extends Schema.TaggedError<RefusedOnPurpose>()("RefusedOnPurpose", {}) {
  override get message() {
    return "refused on purpose"
  }
}

/** A counter's protocol, spoken under `name`. */
export const counterProtocol = (name: string) =>
  Protocol.make(name, [
    Protocol.message("inc", { doc: "adds one", access: "operate", reply: Ack }),
    Protocol.message("get", { doc: "the count", access: "read", reply: Schema.Int }),
    Protocol.message("crash", { doc: "throws in an action", access: "admin", reply: Schema.Never }),
    Protocol.message("refuse", { doc: "refuses", access: "read", reply: Schema.Never, rejections: [RefusedOnPurpose] }),
    Protocol.message("sleep", { doc: "busy for ms", access: "operate", fields: { ms: Schema.Number }, reply: Schema.Literal("slept") }),
    Protocol.message("finish", { doc: "reaches a final state", access: "admin", reply: Ack }),
    Protocol.message("pause", { doc: "takes nothing but resume until resumed", access: "operate", reply: Ack }),
    Protocol.message("resume", { doc: "ends a pause", access: "operate", reply: Ack })
  ])

/** A counter: inc, get (replies the count), crash (throws), refuse (rejects), sleep (busy for ms), finish (final), pause/resume. */
export const counterAgent = (
  name: string,
  options: Partial<Pick<AgentDefinition, "restart" | "mailboxCapacity" | "shutdownTimeoutMs">> = {}
): AgentDefinition => {
  const protocol = counterProtocol(name)
  return define({
    protocol,
    tier: "5-8",
    description: `test counter ${name}`,
    capabilities: [{ name: "count", available: true, detail: "counts inc messages" }],
    ...options,
    machine: Effect.gen(function*() {
      const env = yield* AgentEnv
      return setup({
        types: { context: {} as { n: number }, events: {} as Protocol.RequestOf<typeof protocol>, emitted: {} as AgentEmitted },
        actors: { sleep: env.fromEffect((ms: number) => Effect.sleep(ms)) }
      }).createMachine({
        id: name,
        context: { n: 0 },
        initial: "idle",
        states: {
          idle: {
            on: {
              inc: { actions: assign({ n: ({ context }) => context.n + 1 }) },
              get: { actions: emit(({ context }) => replyWith(context.n)) },
              crash: {
                actions: () => {
                  throw new Error(`${name} was told to crash`)
                }
              },
              refuse: { actions: emit(() => rejectWith(new RefusedOnPurpose())) },
              sleep: "sleeping",
              finish: "done",
              pause: "paused"
            }
          },
          paused: { on: { resume: "idle" } },
          sleeping: {
            invoke: {
              src: "sleep",
              input: ({ event }) => (event as { ms: number }).ms,
              onDone: { target: "idle", actions: emit(() => replyWith("slept")) }
            }
          },
          done: { type: "final" }
        }
      })
    })
  })
}

/**
 * A counter whose incarnations after the first never finish starting and cannot be
 * interrupted: a stand-in for work that ignores interruption (an uninterruptible region,
 * a finalizer waiting on something that never comes).
 */
export const stubbornAgent = (name: string): AgentDefinition => {
  const counter = counterAgent(name)
  let builds = 0
  return { ...counter, machine: Effect.suspend(() => ++builds === 1 ? counter.machine! : Effect.uninterruptible(Effect.never)) }
}

/** A reply as a client decodes it, by its message's schema; a reply that does not decode fails the test. */
export const decodedReply = <M extends Protocol.AnyMessage>(message: M, wire: unknown): Protocol.Reply<M> => {
  const decoded = Protocol.codecs(message).decodeReply(wire)
  if (Exit.isFailure(decoded)) throw new Error(`the reply to '${message.type}' does not decode: ${Protocol.failureText(decoded.cause)}`)
  return decoded.value as Protocol.Reply<M>
}

export const fastBackoff: Backoff = { initialMs: 100, maxMs: 1_000, jitter: 0, resetAfterMs: 5_000 }
export const generous: Intensity = { maxRestarts: 100, withinMs: 1_000 }

export const tree = <R = never>(
  name: string,
  strategy: Strategy,
  children: SupervisorNode<R>["children"],
  overrides: Partial<SupervisorNode<R>> = {}
): SupervisorNode<R> => ({ name, strategy, intensity: generous, backoff: fastBackoff, children, ...overrides })

/**
 * Watches the inspection stream from now on. `seen` holds every event so far;
 * `until(pred)` waits for the first event (already seen or still to come) that
 * matches and was not consumed by an earlier `until`. Tests use it instead of
 * sleeping to wait for something the runtime does asynchronously (a restart).
 */
export const watch = (system: { readonly inspection: InspectionBus }) =>
  Effect.gen(function*() {
    const seen: Array<InspectionEvent> = []
    let cursor = 0
    const subscriber = yield* system.inspection.subscribe
    const arrived = yield* Effect.forkChild(Effect.forever(Effect.map(subscriber.take, (event) => seen.push(event))))
    void arrived
    const until = (pred: (event: InspectionEvent) => boolean): Effect.Effect<InspectionEvent> =>
      Effect.suspend(() => {
        for (; cursor < seen.length; cursor++) {
          const event = seen[cursor]!
          if (pred(event)) {
            cursor++
            return Effect.succeed(event)
          }
        }
        return Effect.andThen(Effect.yieldNow, until(pred))
      })
    const labels = (label: (event: InspectionEvent) => string | undefined) =>
      seen.map(label).filter((l): l is string => l !== undefined)
    return { seen, until, labels }
  })

export const started = (agent: string) => (e: InspectionEvent) => e._tag === "Started" && e.agent === agent
export const restarted = (agent: string) => (e: InspectionEvent) => e._tag === "Restarted" && e.agent === agent

/** A caller from outside the daemon with every right: root on the control socket. */
export const ROOT: Caller = { uid: 0, gid: 0, groups: [], via: "socket" }
