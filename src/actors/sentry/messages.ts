import { Schema } from "effect"

export const SentryMessages = Schema.Union([
  /** Take a sample now and reply the utilisation since the previous one. */
  Schema.Struct({ type: Schema.Literal("sample") }),
  /** The latest utilisation, without sampling. */
  Schema.Struct({ type: Schema.Literal("current") }),
  /** Active alerts and the history of raises and clears. */
  Schema.Struct({ type: Schema.Literal("alerts") }),
  /** The sampling interval and the configured thresholds. */
  Schema.Struct({ type: Schema.Literal("thresholds") })
])
export type SentryMessage = typeof SentryMessages.Type
