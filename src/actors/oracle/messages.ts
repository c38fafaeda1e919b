import { Schema } from "effect"
import { Device, PositiveInt } from "../shared/fields.ts"

export const OracleMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("assess"), device: Schema.optionalKey(Device) }),
  Schema.Struct({ type: Schema.Literal("trend"), device: Device, days: Schema.optionalKey(PositiveInt) })
])
export type OracleMessage = typeof OracleMessages.Type
