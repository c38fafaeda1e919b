import { Schema } from "effect"
import { AgentName, Text } from "../shared/fields.ts"

export const MentorMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("explain"), finding: Text, agent: Schema.optionalKey(AgentName) }),
  Schema.Struct({ type: Schema.Literal("remediation"), finding: Text, agent: Schema.optionalKey(AgentName) })
])
export type MentorMessage = typeof MentorMessages.Type
