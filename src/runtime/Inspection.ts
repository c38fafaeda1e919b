/**
 * The inspection stream: every lifecycle event of every agent and supervisor,
 * published on an Effect PubSub. Each subscriber has a bounded buffer that
 * slides: a slow subscriber loses its oldest events (counted through sequence
 * gaps) and never slows the agents down.
 */
import { Effect, PubSub, Queue, Schema, Scope } from "effect"

const Base = { seq: Schema.Number, at: Schema.Number }

export const InspectionEvent = Schema.Union([
  Schema.TaggedStruct("Started", { ...Base, agent: Schema.String, incarnation: Schema.Number }),
  Schema.TaggedStruct("Stopped", { ...Base, agent: Schema.String, reason: Schema.String }),
  Schema.TaggedStruct("Failed", { ...Base, agent: Schema.String, error: Schema.String }),
  Schema.TaggedStruct("Restarted", {
    ...Base,
    agent: Schema.String,
    restarts: Schema.Number,
    delayMs: Schema.Number
  }),
  Schema.TaggedStruct("Escalated", {
    ...Base,
    supervisor: Schema.String,
    reason: Schema.String
  }),
  Schema.TaggedStruct("Transition", { ...Base, agent: Schema.String, from: Schema.String, to: Schema.String }),
  Schema.TaggedStruct("MessageHandled", {
    ...Base,
    agent: Schema.String,
    messageType: Schema.String,
    durationUs: Schema.Number
  }),
  /** A long job's progress (an encryption, a compression), reported by the agent doing it. */
  Schema.TaggedStruct("Progress", {
    ...Base,
    agent: Schema.String,
    job: Schema.String,
    done: Schema.Number,
    /** absent when the size is not known in advance (a stream) */
    total: Schema.optionalKey(Schema.Number),
    unit: Schema.String
  }),
  /** Something an administrator should know about (a pool degraded, a disk failing), raised by the agent that watches it. */
  Schema.TaggedStruct("Alert", {
    ...Base,
    agent: Schema.String,
    severity: Schema.Literals(["info", "warning", "critical"]),
    /** what it is about: "pool tank", "/dev/sdb" */
    subject: Schema.String,
    text: Schema.String,
    /** the finding's stable code, when the agent gives one (MENTOR explains it) */
    code: Schema.optionalKey(Schema.String)
  }),
  /**
   * An incident opened, changed or closed by NEXUS: the one notification for
   * many correlated alerts. `alerts` counts the alerts it groups.
   */
  Schema.TaggedStruct("Incident", {
    ...Base,
    agent: Schema.String,
    id: Schema.String,
    state: Schema.Literals(["opened", "updated", "acknowledged", "silenced", "resolved"]),
    severity: Schema.Literals(["info", "warning", "critical"]),
    /** what it is about, the root of the group: "disk /dev/sdb", "pool tank" */
    subject: Schema.String,
    title: Schema.String,
    alerts: Schema.Number
  }),
  /**
   * A batch of metric samples as the daemon's metric history recorded them
   * (STREAM's `metrics` topic). Published only while a subscription names
   * this tag, and only to subscriptions that name it: it costs nothing
   * otherwise and never floods the general stream.
   */
  Schema.TaggedStruct("Metrics", {
    ...Base,
    agent: Schema.String,
    samples: Schema.Array(Schema.Struct({
      name: Schema.String,
      labels: Schema.Record(Schema.String, Schema.String),
      value: Schema.Number
    }))
  }),
  Schema.TaggedStruct("DeadLetter", {
    ...Base,
    agent: Schema.String,
    messageType: Schema.String,
    reason: Schema.String
  })
])
export type InspectionEvent = typeof InspectionEvent.Type

type Unsequenced<E> = E extends unknown ? Omit<E, "seq" | "at"> : never
export type InspectionInput = Unsequenced<InspectionEvent>

export interface Subscriber {
  /** Waits for the next event. */
  readonly take: Effect.Effect<InspectionEvent>
  /** Events this subscriber lost because it fell more than its buffer behind. */
  readonly lost: () => number
}

/** A filtered subscription (`subscribeTo`) also says how full it is and how much it handed out. */
export interface FilteredSubscriber extends Subscriber {
  /** The next event if one waits, without waiting. */
  readonly poll: () => InspectionEvent | undefined
  /**
   * Waits for the next event, and says how many this subscription had lost
   * when it was taken out: read in the same step, so every loss counted
   * there is of an event older than this one (the buffer drops its oldest).
   */
  readonly next: Effect.Effect<{ readonly event: InspectionEvent; readonly lost: number }>
  /** Events waiting in its buffer. */
  readonly size: () => number
  readonly capacity: number
  /** Events taken out of its buffer so far. */
  readonly delivered: () => number
}

/** Who holds a filtered subscription, for listings (STREAM `subscribers`). */
export interface SubscriptionLabel {
  /** "socket", "dbus", "stream" (a named subscription), "agent" … */
  readonly transport: string
  /** The holder: "uid 1000 (socket, pid 42)", a subscription's name, an agent. */
  readonly who: string
  /** What it subscribed to, in the holder's words (topic names). */
  readonly topics: ReadonlyArray<string>
}

/** One live filtered subscription, as `subscriptions()` lists it. */
export interface SubscriptionInfo extends SubscriptionLabel {
  readonly tags: ReadonlyArray<string>
  readonly capacity: number
  readonly buffered: number
  readonly delivered: number
  readonly lost: number
}

export interface SubscribeOptions {
  /**
   * MessageHandled events are one per message: the agents build them only while some
   * subscriber wants them. Default true.
   */
  readonly messageEvents?: boolean
  /** Transition events are one per state change (often two per message): built only while some subscriber wants them. Default true. */
  readonly transitionEvents?: boolean
}

export interface InspectionBus {
  readonly publish: (event: InspectionInput) => Effect.Effect<void>
  readonly subscribe: Effect.Effect<Subscriber, never, Scope.Scope>
  readonly subscribeWith: (options: SubscribeOptions) => Effect.Effect<Subscriber, never, Scope.Scope>
  /**
   * A subscription to some kinds of event only, with a buffer of its own:
   * events of other kinds never take its room, and each event it loses when
   * full (the oldest goes) is counted exactly.
   */
  readonly subscribeTo: (options: {
    readonly tags: ReadonlyArray<InspectionEvent["_tag"]>
    readonly buffer: number
    /** Who holds it, for `subscriptions()`; unlabelled ones are listed as transport "agent". */
    readonly label?: SubscriptionLabel
  }) => Effect.Effect<FilteredSubscriber, never, Scope.Scope>
  /** Every live filtered subscription: its holder, buffer use, deliveries and losses. */
  readonly subscriptions: () => ReadonlyArray<SubscriptionInfo>
  /** Events of this tag published so far (numbered: published while nobody listened too). */
  readonly publishedOf: (tag: InspectionEvent["_tag"]) => number
  /**
   * True while some subscriber would receive an event of this tag: a
   * producer of costly events (a Metrics batch) builds them only then.
   */
  readonly wants: (tag: InspectionEvent["_tag"]) => boolean
  /** True while some subscriber wants one MessageHandled event per message. */
  readonly wantsMessageEvents: () => boolean
  /** True while some subscriber wants Transition events. */
  readonly wantsTransitionEvents: () => boolean
  /** Number of events published so far. */
  readonly published: () => number
}

export const makeInspectionBus = (options: {
  readonly bufferPerSubscriber: number
  readonly now: () => number
}): Effect.Effect<InspectionBus> =>
  Effect.gen(function*() {
    const pubsub = yield* PubSub.sliding<InspectionEvent>(options.bufferPerSubscriber)
    let seq = 0
    let subscribers = 0

    /** Filtered subscribers: each has its own sliding queue and loss count. */
    const filtered = new Set<{
      readonly tags: ReadonlySet<string>
      readonly queue: Queue.Queue<InspectionEvent>
      readonly capacity: number
      readonly label: SubscriptionLabel
      lost: number
      delivered: number
      /** Resumes a `next` waiting for an event. */
      wake: (() => void) | undefined
    }>()
    /** Filtered subscriptions per tag: `wants` is a lookup. */
    const wanting = new Map<string, number>()
    const publishedByTag = new Map<string, number>()

    const publish = (event: InspectionInput): Effect.Effect<void> =>
      Effect.suspend(() => {
        seq++
        publishedByTag.set(event._tag, (publishedByTag.get(event._tag) ?? 0) + 1)
        // Without a subscriber for it there is nobody to hand the event to: numbering it is enough.
        if (subscribers === 0 && (wanting.get(event._tag) ?? 0) === 0) return Effect.void
        const sequenced = { ...event, seq, at: options.now() } as InspectionEvent
        for (const sub of filtered) {
          if (!sub.tags.has(event._tag)) continue
          if (Queue.sizeUnsafe(sub.queue) >= sub.capacity) sub.lost++
          Queue.offerUnsafe(sub.queue, sequenced)
          sub.wake?.()
        }
        // Metrics batches go only to the subscriptions that name them.
        if (subscribers === 0 || event._tag === "Metrics") return Effect.void
        return Effect.asVoid(PubSub.publish(pubsub, sequenced))
      })

    const subscribeTo = (subscribeOptions: {
      readonly tags: ReadonlyArray<InspectionEvent["_tag"]>
      readonly buffer: number
      readonly label?: SubscriptionLabel
    }) =>
      Effect.gen(function*() {
        const capacity = Math.max(1, subscribeOptions.buffer)
        const queue = yield* Queue.sliding<InspectionEvent>(capacity)
        const tags = new Set<string>(subscribeOptions.tags)
        const label = subscribeOptions.label ?? { transport: "agent", who: "an agent", topics: [...tags] }
        const sub = { tags, queue, capacity, label, lost: 0, delivered: 0, wake: undefined as (() => void) | undefined }
        filtered.add(sub)
        for (const tag of tags) wanting.set(tag, (wanting.get(tag) ?? 0) + 1)
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => {
            if (!filtered.delete(sub)) return
            for (const tag of tags) wanting.set(tag, (wanting.get(tag) ?? 1) - 1)
          })
        )
        const poll = () => {
          const taken = Queue.takeUnsafe(queue)
          if (taken === undefined || taken._tag !== "Success") return undefined
          sub.delivered++
          return taken.value
        }
        const arrival = Effect.callback<void>((resume) => {
          sub.wake = () => {
            sub.wake = undefined
            resume(Effect.void)
          }
          return Effect.sync(() => {
            sub.wake = undefined
          })
        })
        const next: Effect.Effect<{ readonly event: InspectionEvent; readonly lost: number }> = Effect.suspend(() => {
          const event = poll()
          return event === undefined ? Effect.andThen(arrival, next) : Effect.succeed({ event, lost: sub.lost })
        })
        return {
          take: Effect.map(Queue.take(queue) as Effect.Effect<InspectionEvent>, (event) => {
            sub.delivered++
            return event
          }),
          poll,
          next,
          size: () => Queue.sizeUnsafe(queue),
          capacity,
          delivered: () => sub.delivered,
          lost: () => sub.lost
        } satisfies FilteredSubscriber
      })

    const subscriptions = (): ReadonlyArray<SubscriptionInfo> =>
      [...filtered].map((sub) => ({
        ...sub.label,
        tags: [...sub.tags],
        capacity: sub.capacity,
        buffered: Queue.sizeUnsafe(sub.queue),
        delivered: sub.delivered,
        lost: sub.lost
      }))

    let messageSubscribers = 0
    let transitionSubscribers = 0
    const subscribeWith = (subscribeOptions: SubscribeOptions) => Effect.gen(function*() {
      const subscription = yield* PubSub.subscribe(pubsub)
      const messages = subscribeOptions.messageEvents !== false
      const transitions = subscribeOptions.transitionEvents !== false
      subscribers++
      if (messages) messageSubscribers++
      if (transitions) transitionSubscribers++
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          subscribers--
          if (messages) messageSubscribers--
          if (transitions) transitionSubscribers--
        })
      )
      let lastSeq = seq
      let lost = 0
      const take = Effect.map(PubSub.take(subscription), (event) => {
        if (event.seq > lastSeq + 1) lost += event.seq - lastSeq - 1
        lastSeq = event.seq
        return event
      })
      return { take, lost: () => lost } satisfies Subscriber
    })

    return {
      publish,
      subscribe: subscribeWith({}),
      subscribeWith,
      subscribeTo,
      subscriptions,
      publishedOf: (tag) => publishedByTag.get(tag) ?? 0,
      wants: (tag) => (wanting.get(tag) ?? 0) > 0 || (subscribers > 0 && tag !== "Metrics"),
      published: () => seq,
      wantsMessageEvents: () => messageSubscribers > 0,
      wantsTransitionEvents: () => transitionSubscribers > 0
    }
  })
