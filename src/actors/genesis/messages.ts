import { Schema } from "effect"
import { LayoutGoal } from "../shared/fields.ts"

export const GenesisMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("discover") }),
  Schema.Struct({ type: Schema.Literal("setup-plan"), goal: Schema.optionalKey(LayoutGoal) })
])
export type GenesisMessage = typeof GenesisMessages.Type
