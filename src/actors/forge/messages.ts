import { Schema } from "effect"
import { AgentCall, Name, ShareSpec, Text } from "../shared/fields.ts"

export const ForgeMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("render-share"), ...ShareSpec.fields }),
  Schema.Struct({
    type: Schema.Literal("render-timer"),
    name: Name,
    onCalendar: Text,
    ...AgentCall.fields
  }),
  Schema.Struct({
    type: Schema.Literal("validate"),
    kind: Schema.Literals(["smb", "nfs", "wireguard", "systemd-timer"]),
    text: Text
  })
])
export type ForgeMessage = typeof ForgeMessages.Type
