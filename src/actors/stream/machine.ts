import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { StreamMessage } from "./messages.ts"

const fanOut = plannedCapability(
  "fan-out",
  "delivers events to subscribers over the socket, D-Bus signals and the TUI, each through a bounded buffer that drops the oldest"
)
const subscriptions = plannedCapability(
  "subscriptions",
  "lists subscribers with their topics, buffer use and dropped events"
)

export const streamCapabilities = [fanOut, subscriptions]

export const streamMachine = plannedMachine<StreamMessage>({
  subscribe: fanOut,
  unsubscribe: fanOut,
  subscribers: subscriptions
})
