import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Stream } from "./messages.ts"

const fanOut = plannedCapability(
  "fan-out",
  "delivers events to subscribers over the socket, D-Bus signals and the TUI, each through a bounded buffer that drops the oldest"
)
const subscriptions = plannedCapability(
  "subscriptions",
  "lists subscribers with their topics, buffer use and dropped events"
)

export const streamAgent = define({
  protocol: Stream,
  tier: "5-8",
  description: "Event fan-out to subscribers (socket, D-Bus signals, TUI) with bounded per-subscriber buffers",
  capabilities: [fanOut, subscriptions]
})
