/**
 * STREAM: named topics over the inspection stream. It builds no bus of its
 * own: every subscription — the control socket's `watch`, the D-Bus signals,
 * the inspector's, and the named ones it holds here — is a filtered
 * subscription of the runtime's inspection bus (`subscribeTo`) with its own
 * bounded buffer and exact loss count. `subscribers` lists them all.
 *
 * Named subscriptions are for clients that poll (`take`). Each belongs to the
 * user (uid) who made it; the name space is per user, so another user's
 * `take` or `unsubscribe` never reaches it. They live as long as this
 * incarnation (a restart ends them: a client's next `take` is told
 * NoSuchSubscription and subscribes again) and end after an hour without a
 * `take`, noticed when anyone next subscribes (no periodic work).
 */
import { Clock, Effect, Exit, Scope } from "effect"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import type { FilteredSubscriber } from "../../runtime/Inspection.ts"
import { DEFAULT_TOPIC_BUFFER, TOPIC_NAMES, TOPICS, type Topic } from "../../runtime/Topics.ts"
import { serviceMachine } from "../shared/serve.ts"
import {
  MAX_NAMED,
  MAX_NAMED_PER_USER,
  NoSuchSubscription,
  Stream,
  SubscriptionExists,
  TooManySubscriptions
} from "./messages.ts"

export const streamCapabilities: ReadonlyArray<Capability> = [
  {
    name: "fan-out",
    available: true,
    detail: "topics alerts, incidents, progress, metrics, lifecycle over the inspection bus: the control socket's `watch` op, D-Bus signals, the inspector, and named subscriptions polled with `take`; each subscriber has a bounded buffer that drops the oldest and counts every loss"
  },
  {
    name: "subscriptions",
    available: true,
    detail: "lists every live subscription (transport, who, topics, buffer capacity and use, delivered, lost) and the topics with their publish counts"
  }
]

/** A named subscription nobody took from for this long ends at the next `subscribe`. */
export const NAMED_IDLE_MS = 3_600_000

interface Named {
  readonly owner: number
  readonly name: string
  readonly topics: ReadonlyArray<Topic>
  readonly subscriber: FilteredSubscriber
  readonly scope: Scope.Closeable
  /** Losses already reported by `take`. */
  reportedLost: number
  lastUsed: number
}

export const tagsOf = (topics: ReadonlyArray<Topic>): ReadonlyArray<(typeof TOPICS)[Topic][number]> => [
  ...new Set(topics.flatMap((topic) => TOPICS[topic]))
]

export const streamMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  // The incarnation's scope: its named subscriptions end with it.
  const incarnation = yield* Effect.scope
  const named = new Map<string, Named>()
  const keyOf = (owner: number, name: string) => `${owner}\u0000${name}`
  yield* Effect.addFinalizer(() =>
    Effect.forEach([...named.values()], (n) => Scope.close(n.scope, Exit.void), { discard: true }).pipe(
      Effect.andThen(Effect.sync(() => named.clear()))
    )
  )

  const end = (entry: Named) =>
    Effect.suspend(() => {
      named.delete(keyOf(entry.owner, entry.name))
      return Scope.close(entry.scope, Exit.void)
    })

  const view = (n: Named) => ({
    subscriber: n.name,
    owner: n.owner,
    topics: [...n.topics],
    buffer: n.subscriber.capacity,
    buffered: n.subscriber.size(),
    delivered: n.subscriber.delivered(),
    lost: n.subscriber.lost()
  })

  return yield* serviceMachine(Stream, {
    handlers: {
      topics: () =>
        Effect.sync(() => {
          const subscriptions = env.system.subscriptions()
          return TOPIC_NAMES.map((topic) => {
            const tags: ReadonlyArray<string> = TOPICS[topic]
            return {
              topic,
              tags: [...tags],
              published: tags.reduce((sum, tag) => sum + env.system.publishedOf(tag as (typeof TOPICS)[Topic][number]), 0),
              subscribers: subscriptions.filter((s) => s.tags.some((tag) => tags.includes(tag))).length
            }
          })
        }),
      subscribers: () =>
        Effect.sync(() =>
          env.system.subscriptions().map((s) => ({
            transport: s.transport,
            who: s.who,
            topics: [...s.topics],
            capacity: s.capacity,
            buffered: s.buffered,
            delivered: s.delivered,
            lost: s.lost
          }))
        ),
      subscribe: (request, { caller }) =>
        Effect.gen(function*() {
          const topics = [...new Set(request.topics)]
          const tags = tagsOf(topics)
          const buffer = request.buffer ?? DEFAULT_TOPIC_BUFFER
          const plan = { subscriber: request.subscriber, topics, tags: [...tags], buffer }
          const now = yield* Clock.currentTimeMillis
          // Forgotten subscriptions go first, so they do not count against anyone.
          for (const entry of [...named.values()]) if (now - entry.lastUsed > NAMED_IDLE_MS) yield* end(entry)
          const existing = named.get(keyOf(caller.uid, request.subscriber))
          if (existing !== undefined) {
            return yield* Effect.fail(new SubscriptionExists({ subscriber: request.subscriber, topics: [...existing.topics] }))
          }
          const mine = [...named.values()].filter((n) => n.owner === caller.uid).length
          if (mine >= MAX_NAMED_PER_USER) {
            return yield* Effect.fail(new TooManySubscriptions({ held: mine, limit: MAX_NAMED_PER_USER, scope: "user" }))
          }
          if (named.size >= MAX_NAMED) {
            return yield* Effect.fail(new TooManySubscriptions({ held: named.size, limit: MAX_NAMED, scope: "daemon" }))
          }
          if (request.confirm !== true) return { ...plan, applied: false }
          const scope = yield* Scope.fork(incarnation)
          const subscriber = yield* Scope.provide(
            env.system.events({
              tags,
              buffer,
              label: { transport: "stream", who: `${request.subscriber} (uid ${caller.uid})`, topics }
            }),
            scope
          )
          named.set(keyOf(caller.uid, request.subscriber), {
            owner: caller.uid,
            name: request.subscriber,
            topics,
            subscriber,
            scope,
            reportedLost: 0,
            lastUsed: now
          })
          return { ...plan, applied: true }
        }),
      take: (request, { caller }) =>
        Effect.gen(function*() {
          const entry = named.get(keyOf(caller.uid, request.subscriber))
          if (entry === undefined) return yield* Effect.fail(new NoSuchSubscription({ subscriber: request.subscriber }))
          const max = request.max ?? 100
          const events = []
          for (let event = entry.subscriber.poll(); event !== undefined; event = events.length < max ? entry.subscriber.poll() : undefined) {
            events.push(event)
            if (events.length >= max) break
          }
          if (events.length === 0 && (request.waitMs ?? 0) > 0) {
            const first = yield* Effect.timeoutOption(entry.subscriber.take, request.waitMs ?? 0)
            if (first._tag === "Some") {
              events.push(first.value)
              for (let event = events.length < max ? entry.subscriber.poll() : undefined; event !== undefined; event = events.length < max ? entry.subscriber.poll() : undefined) {
                events.push(event)
              }
            }
          }
          entry.lastUsed = yield* Clock.currentTimeMillis
          const lostTotal = entry.subscriber.lost()
          const lost = lostTotal - entry.reportedLost
          entry.reportedLost = lostTotal
          return { subscriber: entry.name, events, lost, lostTotal, buffered: entry.subscriber.size() }
        }),
      unsubscribe: (request, { caller }) =>
        Effect.gen(function*() {
          const entry = named.get(keyOf(caller.uid, request.subscriber))
          if (entry === undefined) return yield* Effect.fail(new NoSuchSubscription({ subscriber: request.subscriber }))
          const subscription = view(entry)
          if (request.confirm !== true) return { subscriber: entry.name, subscription, applied: false }
          yield* end(entry)
          return { subscriber: entry.name, subscription, applied: true }
        })
    }
  })
})
