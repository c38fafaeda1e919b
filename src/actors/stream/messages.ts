/** STREAM's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { Name, PositiveInt, Text } from "../shared/fields.ts"

export const Stream = Protocol.make("STREAM", [
  Protocol.planned("subscribe", {
    doc: "subscribes to topics with a bounded buffer",
    access: "operate",
    capability: "fan-out",
    fields: {
      subscriber: Name,
      topics: Schema.NonEmptyArray(Text),
      buffer: Schema.optionalKey(PositiveInt)
    }
  }),
  Protocol.planned("unsubscribe", {
    doc: "ends a subscription",
    access: "operate",
    capability: "fan-out",
    fields: {
      subscriber: Name
    }
  }),
  Protocol.planned("subscribers", {
    doc: "subscribers, their topics, buffer use and drops",
    access: "read",
    capability: "subscriptions"
  })
])
