/**
 * The machine of an agent that serves requests one at a time: each handled
 * message runs an effect (the agent is busy until it settles) and is
 * answered with its result, or rejected with its error in words. Messages
 * whose capability is still planned are rejected at once, saying so.
 *
 * With `every`, the agent also does periodic work (a poll of the pools, a
 * daily SMART reading): once at start, then `intervalMs` after each run ends.
 * Requests that arrive while it runs wait in the mailbox. The periodic effect
 * must handle its own errors (log them); a failure is logged here as a last
 * resort and the schedule goes on.
 */
import { Effect } from "effect"
import { emit, setup } from "xstate"
import { AgentEnv, type AgentEmitted, type AgentMessage, rejectWith, replyWith } from "../../runtime/Agent.ts"
import { describeError } from "../../runtime/Errors.ts"
import { notBuiltYet, type PlannedCapability } from "./planned.ts"

/** A shorter interval would starve the mailbox. */
const MIN_INTERVAL_MS = 100

export const serviceMachine = <Message extends AgentMessage, Served extends Message["type"]>(options: {
  readonly served: ReadonlyArray<Served>
  readonly serve: (message: Extract<Message, { readonly type: Served }>) => Effect.Effect<unknown, unknown>
  /** every message type not served, with the capability that will handle it */
  readonly planned: { readonly [Type in Exclude<Message["type"], Served>]: PlannedCapability }
  readonly every?: { readonly intervalMs: number; readonly run: Effect.Effect<void, unknown> }
}) =>
  Effect.gen(function*() {
    const env = yield* AgentEnv
    const every = options.every
    type Served_ = Extract<Message, { readonly type: Served }>
    // The machine sees plain agent messages: the runtime has checked each against the agent's schema.
    const on = Object.fromEntries([
      ...options.served.map((type) => [type, { target: "serving" }] as const),
      ...Object.entries<PlannedCapability>(options.planned).map(([type, capability]) =>
        [type, { actions: emit(rejectWith(notBuiltYet(env.self, type, capability))) }] as const
      )
    ])
    const machine = setup({
      types: { events: {} as AgentMessage, emitted: {} as AgentEmitted },
      actors: {
        serve: env.fromEffect((message: AgentMessage) => options.serve(message as Served_)),
        periodic: env.fromEffect(() =>
          every === undefined
            ? Effect.void
            : every.run.pipe(Effect.catch((error) => Effect.logWarning(`periodic work failed: ${describeError(error)}`)))
        )
      },
      actions: {
        reply: emit(({ event }) => replyWith((event as unknown as { readonly output: unknown }).output)),
        reject: emit(({ event }) => rejectWith(describeError((event as unknown as { readonly error: unknown }).error)))
      },
      delays: { interval: every === undefined ? 0 : Math.max(MIN_INTERVAL_MS, every.intervalMs) }
    })
    const requests = {
      initial: "ready",
      states: {
        ready: { on },
        serving: {
          invoke: {
            src: "serve",
            input: ({ event }: { readonly event: AgentMessage }) => event,
            onDone: { target: "ready", actions: "reply" },
            onError: { target: "ready", actions: "reject" }
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
            running: { invoke: { src: "periodic", onDone: "waiting", onError: "waiting" } },
            waiting: { after: { interval: "running" } }
          }
        }
      }
    })
  })
