/**
 * ORBIT's machine. It waits in `waiting` with an XState `after` timer set to
 * the next due time (at most a minute), so `list`, `add` and `remove` are
 * answered at once while it waits; each entry into `waiting` checks what is due. Due schedules are told to their targets in
 * `firing`; changes are written to the StateStore in `saving`. Both are short
 * invoked effects; messages arriving meanwhile are still handled (they are
 * accepted in every state) and the runtime waits for the effect afterwards.
 *
 * The timer, the clock reading and the jitter all come from Effect's Clock and
 * Random (the TestClock and a seeded Random in tests).
 */
import { Clock, DateTime, Effect, Exit, Option, Random, Result } from "effect"
import { type AnyStateMachine, assign, emit, enqueueActions, setup } from "xstate"
import { StateStore, type StateStoreShape } from "../../adapters/state/StateStore.ts"
import { AgentEnv, type AgentEmitted, type AgentMessage, rejectWith, replyWith } from "../../runtime/Agent.ts"
import { type Caller, DAEMON } from "../../runtime/Caller.ts"
import { OrbitConfig, type ScheduleSpec } from "./config.ts"
import { InvalidSchedule, NoSuchSchedule, type Orbit, ScheduleExists } from "./messages.ts"
import type * as Protocol from "../../runtime/Protocol.ts"
import {
  check,
  decodePersisted,
  dueAfter,
  dueOnStart,
  isDue,
  type Persisted,
  persistedOf,
  type Schedule,
  sleepMs,
  startingSpecs,
  STATE_KEY
} from "./schedules.ts"

interface OrbitContext {
  readonly schedules: ReadonlyArray<Schedule>
  /** Configured schedules the operator removed; kept so a restart does not bring them back. */
  readonly removed: ReadonlyArray<string>
  /** Bumped by every change worth persisting; `saving` runs until savedRevision catches up. */
  readonly revision: number
  readonly savedRevision: number
}

interface Due {
  readonly name: string
  readonly target: string
  readonly message: AgentMessage
  readonly owner: Caller
}

interface Fired {
  readonly name: string
  readonly firedAt: number
  readonly outcome: string
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString())

const resolveZone = (id: string | undefined): Effect.Effect<DateTime.TimeZone> => {
  if (id === undefined) return Effect.sync(DateTime.zoneMakeLocal)
  return Option.match(DateTime.zoneFromString(id), {
    onSome: Effect.succeed,
    onNone: () =>
      Effect.as(
        Effect.logError(`OrbitConfig.timeZone '${id}' is not a known time zone; using the machine's local zone`),
        DateTime.zoneMakeLocal()
      )
  })
}

interface Loaded {
  readonly persisted: Persisted
  /** False when the file is from a newer release: ORBIT then leaves it alone. */
  readonly persist: boolean
}

/** ORBIT's persisted state; a damaged or unreadable document costs the catch-up, never the agent. */
const load = (store: StateStoreShape): Effect.Effect<Loaded> =>
  store.read(STATE_KEY).pipe(
    Effect.flatMap((document): Effect.Effect<Loaded> => {
      if (Option.isNone(document)) return Effect.succeed({ persisted: {}, persist: true })
      const decoded = decodePersisted(document.value)
      if (Exit.isSuccess(decoded)) return Effect.succeed({ persisted: decoded.value, persist: true })
      return Effect.as(
        Effect.logWarning(`ORBIT state '${STATE_KEY}' has an unexpected shape; starting without last runs (no catch-up)`),
        { persisted: {}, persist: true }
      )
    }),
    Effect.catchTag("StateVersionTooNew", (error) =>
      Effect.as(
        Effect.logError(`${error.message}; ORBIT runs without saving its state so as not to overwrite it`),
        { persisted: {}, persist: false }
      )),
    Effect.catch((error) =>
      Effect.as(
        Effect.logWarning(`${error.message}; ORBIT starts without last runs (no catch-up) and will rewrite it`),
        { persisted: {}, persist: true }
      ))
  )

export const makeMachine: Effect.Effect<AnyStateMachine, never, AgentEnv | StateStore> = Effect.gen(function*() {
  const env = yield* AgentEnv
  const store = yield* StateStore
  const config = yield* OrbitConfig
  const clock = yield* Clock.Clock
  const random = yield* Random.Random
  const now = () => clock.currentTimeMillisUnsafe()
  /** A delay in [0, maxMs], whole milliseconds. */
  const jitter = (maxMs: number) => (maxMs <= 0 ? 0 : Math.floor(random.nextDoubleUnsafe() * (maxMs + 1)))
  const log = Effect.annotateLogs({ agent: env.self })

  const zone = yield* log(resolveZone(config.timeZone))
  const { persisted, persist } = yield* log(load(store))

  const schedule = (
    spec: ScheduleSpec,
    origin: Schedule["origin"],
    owner: Caller,
    dueAt: (cron: Schedule["cron"], jitterMs: number) => number | undefined
  ): Result.Result<Schedule, InvalidSchedule> =>
    Result.map(check(spec, zone, env.system), (cron) => {
      const jitterMs = spec.jitterMs ?? 0
      return {
        name: spec.name,
        expression: spec.cron,
        cron,
        target: spec.target,
        message: spec.message,
        jitterMs,
        origin,
        owner,
        dueAt: dueAt(cron, jitterMs),
        lastRunAt: undefined,
        lastOutcome: undefined
      }
    })

  const startedAt = now()
  const initial: Array<Schedule> = []
  for (const { spec, origin, owner } of startingSpecs(config.schedules, persisted)) {
    const lastRunAt = persisted.lastRuns?.[spec.name]
    const made = owner === undefined
      // Saved before schedules had owners: on whose behalf it would run is not known, so it does not run.
      ? Result.fail(new InvalidSchedule({ name: spec.name, problem: "fields", reason: "it was saved without the identity of whoever added it; add it again" }))
      : initial.some((s) => s.name === spec.name)
      ? Result.fail(new InvalidSchedule({ name: spec.name, problem: "fields", reason: "the name is listed twice" }))
      : schedule(spec, origin, owner, (cron, jitterMs) => dueOnStart(cron, lastRunAt, startedAt, jitter(jitterMs)))
    if (Result.isFailure(made)) {
      yield* log(Effect.logWarning(`schedule '${spec.name}' is skipped: ${made.failure.explanation}`))
    } else {
      initial.push({ ...made.success, lastRunAt })
    }
  }

  const listing = (context: OrbitContext) => ({
    timeZone: DateTime.zoneToString(zone),
    schedules: context.schedules.map((s) => ({
      name: s.name,
      cron: s.expression,
      target: s.target,
      messageType: s.message.type,
      jitterMs: s.jitterMs,
      origin: s.origin,
      addedBy: s.owner.via === "daemon" ? "the daemon" : `uid ${s.owner.uid}`,
      nextRun: iso(s.dueAt),
      lastRun: iso(s.lastRunAt),
      lastOutcome: s.lastOutcome ?? null
    }))
  })

  const fire = (batch: ReadonlyArray<Due>) =>
    Effect.gen(function*() {
      const firedAt = yield* Clock.currentTimeMillis
      return yield* Effect.forEach(
        batch,
        (due) =>
          // On the owner's behalf, checked (and, if it changes state, recorded) as theirs each time.
          (due.owner.via === "daemon" ? env.system.tell(due.target, due.message) : env.system.tellAs({ ...due.owner, via: "schedule" }, due.target, due.message)).pipe(
            Effect.as("sent"),
            Effect.catch((error) =>
              Effect.as(
                Effect.logWarning(`schedule '${due.name}' could not tell ${due.target}: ${error.message}`),
                `failed: ${error.message}`
              )
            ),
            Effect.map((outcome): Fired => ({ name: due.name, firedAt, outcome }))
          ),
        { concurrency: "unbounded" }
      )
    }).pipe(log)

  const save = (input: { readonly revision: number; readonly document: Persisted }) =>
    store.write(STATE_KEY, input.document).pipe(
      Effect.catch((error) => Effect.logWarning(`last runs not saved: ${error.message}`)),
      Effect.as(input.revision),
      log
    )

  return setup({
    types: {
      context: {} as OrbitContext,
      events: {} as Protocol.RequestOf<typeof Orbit>,
      emitted: {} as AgentEmitted
    },
    actors: {
      fire: env.fromEffect(fire),
      save: env.fromEffect(save)
    },
    delays: {
      untilNextDue: ({ context }) => sleepMs(context.schedules, now())
    },
    guards: {
      somethingDue: ({ context }) => context.schedules.some((s) => isDue(s, now())),
      unsaved: ({ context }) => persist && context.revision !== context.savedRevision
    },
    actions: {
      list: emit(({ context }) => replyWith(listing(context))),
      add: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== "add") return
        const { type: _, ...spec } = event
        if (context.schedules.some((s) => s.name === spec.name)) {
          enqueue.emit(rejectWith(new ScheduleExists({ name: spec.name })))
          return
        }
        // A schedule may send only what its adder may send: the message is theirs.
        const owner = env.caller()
        const denied = env.system.permits(owner, spec.target, spec.message.type)
        if (denied !== undefined) {
          enqueue.emit(rejectWith(denied))
          return
        }
        const made = schedule(spec, "added", owner, (cron, jitterMs) => dueAfter(cron, now(), jitter(jitterMs)))
        if (Result.isFailure(made)) {
          enqueue.emit(rejectWith(made.failure))
          return
        }
        enqueue.assign({ schedules: [...context.schedules, made.success], revision: context.revision + 1 })
        enqueue.emit(replyWith({ added: spec.name, nextRun: iso(made.success.dueAt) }))
      }),
      remove: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== "remove") return
        const found = context.schedules.find((s) => s.name === event.name)
        if (found === undefined) {
          enqueue.emit(rejectWith(new NoSuchSchedule({ name: event.name, known: context.schedules.map((s) => s.name) })))
          return
        }
        enqueue.assign({
          schedules: context.schedules.filter((s) => s !== found),
          removed: found.origin === "config" && !context.removed.includes(found.name)
            ? [...context.removed, found.name]
            : context.removed,
          revision: context.revision + 1
        })
        enqueue.emit(replyWith({ removed: found.name }))
      })
    }
  }).createMachine({
    id: env.self,
    context: { schedules: initial, removed: persisted.removed ?? [], revision: 0, savedRevision: 0 },
    initial: "waiting",
    // Accepted in every state: a message that arrives while ORBIT fires or saves is not refused.
    on: {
      list: { actions: "list" },
      add: { actions: "add" },
      remove: { actions: "remove" }
    },
    states: {
      waiting: {
        // Checked on every entry, so a catch-up run due at start fires before the first message is handled.
        always: [{ guard: "somethingDue", target: "firing" }, { guard: "unsaved", target: "saving" }],
        after: { untilNextDue: { target: "waiting", reenter: true } },
        // Re-entering recomputes the timer for the changed table.
        on: {
          add: { target: "waiting", reenter: true, actions: "add" },
          remove: { target: "waiting", reenter: true, actions: "remove" }
        }
      },
      firing: {
        invoke: {
          src: "fire",
          input: ({ context }) => {
            const at = now()
            return context.schedules
              .filter((s) => isDue(s, at))
              .map((s): Due => ({ name: s.name, target: s.target, message: s.message, owner: s.owner }))
          },
          onDone: {
            target: "waiting",
            actions: assign(({ context, event }) => {
              const fired = new Map(event.output.map((f) => [f.name, f]))
              return {
                schedules: context.schedules.map((s) => {
                  const run = fired.get(s.name)
                  if (run === undefined) return s
                  return {
                    ...s,
                    lastRunAt: run.firedAt,
                    lastOutcome: run.outcome,
                    dueAt: dueAfter(s.cron, run.firedAt, jitter(s.jitterMs))
                  }
                }),
                revision: context.revision + 1
              }
            })
          }
        }
      },
      saving: {
        invoke: {
          src: "save",
          input: ({ context }) => ({
            revision: context.revision,
            document: persistedOf(context.schedules, context.removed)
          }),
          onDone: { target: "waiting", actions: assign({ savedRevision: ({ event }) => event.output }) }
        }
      }
    }
  })
})
