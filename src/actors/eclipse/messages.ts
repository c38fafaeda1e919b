/** ECLIPSE's messages: the single source of their schemas and of the machine's event type. */
import { Schema } from "effect"

export const DEFAULT_DEADLINE_MS = 2_000
/** Callers wait for the report with their own ask timeout (5 s by default); a check must end well before. */
export const MAX_DEADLINE_MS = 30_000

export const DeadlineMs = Schema.Int.check(
  Schema.isBetween(
    { minimum: 1, maximum: MAX_DEADLINE_MS },
    { expected: `whole milliseconds from 1 to ${MAX_DEADLINE_MS}` }
  )
)

export const Check = Schema.Struct({ type: Schema.Literal("check"), deadlineMs: Schema.optionalKey(DeadlineMs) })
export const Report = Schema.Struct({ type: Schema.Literal("report") })

export const EclipseMessages = Schema.Union([Check, Report])

export type EclipseMessage = typeof EclipseMessages.Type
