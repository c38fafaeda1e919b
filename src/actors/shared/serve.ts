/**
 * The machine of an agent that serves requests one at a time: each message
 * runs its handler — an effect; the agent handles nothing else until it
 * settles — and is answered with the handler's reply, or refused with the
 * typed rejection it failed with. The handlers are keyed by message type and
 * typed by the protocol: a handler must return its message's reply and may
 * fail only with its message's rejections. A handler that dies, or fails
 * with something its message does not declare, crashes the incarnation: that
 * is a bug, and the supervisor restarts the agent. Planned messages never
 * reach the machine: the runtime answers them with NotBuiltYet.
 *
 * With `every`, the agent also does periodic work (a poll of the pools, a
 * daily SMART reading): once at start, then `intervalMs` after each run ends.
 * The periodic effect must handle its own errors (log them); a failure is
 * logged here as a last resort and the schedule goes on. With `every.idle`,
 * a run after which it answers true leaves no timer behind: the schedule
 * sleeps until a request has been handled (or given up), then resumes,
 * `intervalMs` later. For work that only a request can create (MORPH's
 * migrations), so an idle agent does not wake at all.
 */
import { Effect, Exit } from "effect"
import { emit, raise, setup } from "xstate"
import { AgentEnv, type AgentMessage, CANCEL, replyWith, rejectWith, type RejectionValue } from "../../runtime/Agent.ts"
import type { Caller } from "../../runtime/Caller.ts"
import { describeError } from "../../runtime/Errors.ts"
import * as Protocol from "../../runtime/Protocol.ts"

/** A shorter interval would starve the mailbox. */
const MIN_INTERVAL_MS = 100

/** Raised as a request leaves `serving`: an idle schedule resumes. Internal, like CANCEL. */
const WAKE = "sv.wake"

/** What a handler knows besides the request: who sent it. */
export interface Context {
  readonly caller: Caller
}

export type Handlers<P extends Protocol.AnyProtocol> = {
  readonly [M in Protocol.BuiltOf<P> as M["type"]]: (
    request: Protocol.Request<M>,
    context: Context
  ) => Effect.Effect<Protocol.Reply<M>, Protocol.Rejection<M>>
}

type Outcome = { readonly reply: unknown } | { readonly rejection: RejectionValue }

export const serviceMachine = <P extends Protocol.AnyProtocol>(
  protocol: P,
  options: {
    readonly handlers: NoInfer<Handlers<P>>
    readonly every?: {
      readonly intervalMs: number
      readonly run: Effect.Effect<void, unknown>
      /** Read after each run: true when only a request can bring more work, so no timer is set until one was handled. */
      readonly idle?: () => boolean
    }
  }
) =>
  Effect.gen(function*() {
    const env = yield* AgentEnv
    const every = options.every
    const handlers = options.handlers as unknown as Readonly<
      Record<string, (request: AgentMessage, context: Context) => Effect.Effect<unknown, unknown>>
    >
    /** A failure the message declares is its answer; anything else is a bug and crashes the incarnation. */
    const declares = (type: string, error: unknown) =>
      Exit.isSuccess(Protocol.codecs(protocol.get(type)!).encodeRejection(error))
    // Runs as the invoked effect starts, while the message is in hand: env.caller() is its sender.
    const handle = (message: AgentMessage): Effect.Effect<Outcome, unknown> =>
      handlers[message.type]!(message, { caller: env.caller() }).pipe(
        Effect.map((reply): Outcome => ({ reply })),
        Effect.catch((error) =>
          declares(message.type, error) ? Effect.succeed<Outcome>({ rejection: error as RejectionValue }) : Effect.fail(error)
        )
      )
    const on = Object.fromEntries(Object.keys(handlers).map((type) => [type, { target: "serving" }] as const))
    const machine = setup({
      types: { events: {} as AgentMessage },
      actors: {
        serve: env.fromEffect(handle),
        periodic: env.fromEffect(() =>
          every === undefined
            ? Effect.void
            : every.run.pipe(Effect.catch((error) => Effect.logWarning(`periodic work failed: ${describeError(error)}`)))
        )
      },
      actions: {
        answer: emit(({ event }) => {
          const outcome = (event as unknown as { readonly output: Outcome }).output
          return "reply" in outcome ? replyWith(outcome.reply) : rejectWith(outcome.rejection)
        }),
        wake: raise({ type: WAKE } as AgentMessage)
      },
      guards: { idle: () => every?.idle?.() === true },
      delays: { interval: every === undefined ? 0 : Math.max(MIN_INTERVAL_MS, every.intervalMs) }
    })
    const requests = {
      initial: "ready",
      states: {
        ready: { on },
        serving: {
          // The asker gave up: leaving the state stops the handler's effect (its finalizers run).
          on: { [CANCEL]: "ready" },
          ...(every?.idle === undefined ? {} : { exit: "wake" as const }),
          // No onError: a handler that fails outside its protocol crashes the incarnation.
          invoke: {
            src: "serve",
            input: ({ event }: { readonly event: AgentMessage }) => event,
            onDone: { target: "ready", actions: "answer" }
          }
        }
      }
    } as const
    if (every === undefined) return machine.createMachine({ id: env.self, ...requests })
    // Periodic work runs in a region of its own, so a request is always
    // accepted; the runtime answers it once every running effect has settled,
    // so a request that arrives during a run waits for that run.
    return machine.createMachine({
      id: env.self,
      type: "parallel",
      states: {
        requests,
        schedule: {
          initial: "running",
          states: {
            // onError is a defect the runtime has reported; the schedule goes on.
            running: { invoke: { src: "periodic", onDone: [{ guard: "idle", target: "idle" }, { target: "waiting" }], onError: "waiting" } },
            waiting: { after: { interval: "running" } },
            // No timer: the next run is `interval` after the next request.
            idle: { on: { [WAKE]: "waiting" } }
          }
        }
      }
    })
  })
