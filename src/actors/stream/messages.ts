/**
 * STREAM's protocol: named topics over the inspection stream (docs/topics.md).
 * `topics` and `subscribers` describe them; `subscribe`, `take` and
 * `unsubscribe` are named subscriptions STREAM holds for clients that poll.
 * A named subscription belongs to the user who made it: another user's
 * `take` or `unsubscribe` of the same name finds none of theirs.
 */
import { Schema } from "effect"
import { InspectionEvent } from "../../runtime/Inspection.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { MAX_TOPIC_BUFFER, TOPIC_NAMES } from "../../runtime/Topics.ts"
import { Name, NonNegativeInt } from "../shared/fields.ts"

export const TopicName = Schema.Literals(TOPIC_NAMES as unknown as readonly ["alerts", "incidents", "progress", "metrics", "lifecycle"])
export type TopicName = typeof TopicName.Type

const Buffer = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: MAX_TOPIC_BUFFER }))
const Confirm = Schema.optionalKey(Schema.Boolean)

/** Named subscriptions one user may hold at once, and all users together. */
export const MAX_NAMED_PER_USER = 16
export const MAX_NAMED = 256
/** A `take` waits at most this long for a first event. */
export const MAX_TAKE_WAIT_MS = 10_000
export const MAX_TAKE_EVENTS = 1000

export const TopicInfo = Schema.Struct({
  topic: TopicName,
  /** The inspection event tags it carries. */
  tags: Schema.Array(Schema.String),
  /** Events of those tags published since the daemon started. */
  published: NonNegativeInt,
  /** Live subscriptions receiving it (any transport). */
  subscribers: NonNegativeInt
})

export const SubscriberInfo = Schema.Struct({
  /** "socket", "dbus", "stream" (a named subscription), "inspector", "agent" */
  transport: Schema.String,
  who: Schema.String,
  topics: Schema.Array(Schema.String),
  capacity: NonNegativeInt,
  buffered: NonNegativeInt,
  delivered: NonNegativeInt,
  lost: NonNegativeInt
})

export const NamedSubscription = Schema.Struct({
  subscriber: Schema.String,
  owner: NonNegativeInt,
  topics: Schema.Array(TopicName),
  buffer: NonNegativeInt,
  buffered: NonNegativeInt,
  delivered: NonNegativeInt,
  lost: NonNegativeInt
})

export class NoSuchSubscription extends Schema.TaggedError<NoSuchSubscription>()("NoSuchSubscription", {
  subscriber: Schema.String
}) {
  override get message() {
    return `you hold no subscription named '${this.subscriber}' (STREAM 'subscribe' makes one; each user sees only their own)`
  }
}

export class SubscriptionExists extends Schema.TaggedError<SubscriptionExists>()("SubscriptionExists", {
  subscriber: Schema.String,
  topics: Schema.Array(Schema.String)
}) {
  override get message() {
    return `you already hold a subscription named '${this.subscriber}' (to ${this.topics.join(", ")}); unsubscribe it first or pick another name`
  }
}

export class TooManySubscriptions extends Schema.TaggedError<TooManySubscriptions>()("TooManySubscriptions", {
  held: NonNegativeInt,
  limit: NonNegativeInt,
  scope: Schema.Literals(["user", "daemon"])
}) {
  override get message() {
    return this.scope === "user"
      ? `you already hold ${this.held} named subscriptions, the most one user may (${this.limit}); unsubscribe one first`
      : `STREAM already holds ${this.held} named subscriptions, the most it keeps (${this.limit}); try again later`
  }
}

export const Stream = Protocol.make("STREAM", [
  Protocol.message("topics", {
    doc: "the topics, the event tags each carries, how many were published and how many subscriptions receive them",
    access: "read",
    reply: Schema.Array(TopicInfo)
  }),
  Protocol.message("subscribers", {
    doc: "every live subscription to topics (socket, D-Bus, named, the inspector): who, topics, buffer capacity and use, delivered, lost",
    access: "read",
    reply: Schema.Array(SubscriberInfo)
  }),
  Protocol.message("subscribe", {
    doc: "plans a named subscription to topics with a bounded buffer (default 1024); makes it only with confirm",
    access: "operate",
    fields: {
      subscriber: Name,
      topics: Schema.NonEmptyArray(TopicName),
      buffer: Schema.optionalKey(Buffer),
      confirm: Confirm
    },
    reply: Schema.Struct({
      subscriber: Schema.String,
      topics: Schema.Array(TopicName),
      tags: Schema.Array(Schema.String),
      buffer: NonNegativeInt,
      /** False: only the plan; nothing was subscribed. */
      applied: Schema.Boolean
    }),
    rejections: [SubscriptionExists, TooManySubscriptions]
  }),
  Protocol.message("take", {
    doc: "takes up to max events (default 100) from your named subscription, waiting up to waitMs (≤ 10000) for the first; says how many were lost since the last take",
    access: "read",
    fields: {
      subscriber: Name,
      max: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: MAX_TAKE_EVENTS }))),
      waitMs: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: MAX_TAKE_WAIT_MS })))
    },
    reply: Schema.Struct({
      subscriber: Schema.String,
      events: Schema.Array(InspectionEvent),
      /** Events lost (the buffer was full, the oldest went) since the previous take. */
      lost: NonNegativeInt,
      /** Events lost since the subscription began. */
      lostTotal: NonNegativeInt,
      /** Events still waiting in the buffer. */
      buffered: NonNegativeInt
    }),
    rejections: [NoSuchSubscription]
  }),
  Protocol.message("unsubscribe", {
    doc: "plans the end of your named subscription; ends it only with confirm",
    access: "operate",
    fields: { subscriber: Name, confirm: Confirm },
    reply: Schema.Struct({ subscriber: Schema.String, subscription: NamedSubscription, applied: Schema.Boolean }),
    rejections: [NoSuchSubscription]
  })
])
