/** Small agents for runtime tests: each exercises one behaviour of the bridge. */
import { Effect, Schema } from "effect"
import { assign, emit, setup } from "xstate"
import { type AgentDefinition, AgentEnv, type AgentMessage, type AgentEmitted, replyWith, rejectWith } from "../../src/runtime/Agent.ts"
import type { Backoff, Intensity, Strategy } from "../../src/runtime/Supervisor.ts"
import type { SupervisorNode } from "../../src/runtime/ActorSystem.ts"
import type { InspectionBus, InspectionEvent } from "../../src/runtime/Inspection.ts"

export const TestMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("inc") }),
  Schema.Struct({ type: Schema.Literal("get") }),
  Schema.Struct({ type: Schema.Literal("crash") }),
  Schema.Struct({ type: Schema.Literal("refuse") }),
  Schema.Struct({ type: Schema.Literal("sleep"), ms: Schema.Number }),
  Schema.Struct({ type: Schema.Literal("finish") })
])

type TestEvent =
  | { type: "inc" }
  | { type: "get" }
  | { type: "crash" }
  | { type: "refuse" }
  | { type: "sleep"; ms: number }
  | { type: "finish" }

/** A counter: inc, get (replies the count), crash (throws), refuse (rejects), sleep (busy for ms), finish (final). */
export const counterAgent = (
  name: string,
  options: Partial<Pick<AgentDefinition, "restart" | "mailboxCapacity" | "shutdownTimeoutMs">> = {}
): AgentDefinition =>
  ({
    name,
    tier: "5-8",
    description: `test counter ${name}`,
    capabilities: [{ name: "count", available: true, detail: "counts inc messages" }],
    messages: TestMessages as unknown as Schema.Decoder<AgentMessage>,
    ...options,
    machine: Effect.gen(function*() {
      const env = yield* AgentEnv
      return setup({
        types: { context: {} as { n: number }, events: {} as TestEvent, emitted: {} as AgentEmitted },
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
              refuse: { actions: emit(() => rejectWith("refused on purpose")) },
              sleep: "sleeping",
              finish: "done"
            }
          },
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
  }) satisfies AgentDefinition

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
