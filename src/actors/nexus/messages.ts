import { Schema } from "effect"
import { AgentName, Name, Severity, Text } from "../shared/fields.ts"

export const NexusMessages = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("report"),
    source: AgentName,
    subject: Text,
    severity: Severity,
    summary: Text
  }),
  Schema.Struct({ type: Schema.Literal("incidents"), open: Schema.optionalKey(Schema.Boolean) }),
  Schema.Struct({ type: Schema.Literal("incident"), id: Name }),
  Schema.Struct({ type: Schema.Literal("acknowledge"), id: Name })
])
export type NexusMessage = typeof NexusMessages.Type
