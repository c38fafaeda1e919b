import { define } from "../../runtime/Agent.ts"
import { streamCapabilities, streamMachine } from "./machine.ts"
import { Stream } from "./messages.ts"

export const streamAgent = define({
  protocol: Stream,
  tier: "5-8",
  description: "Named topics (alerts, incidents, progress, metrics, lifecycle) over the inspection bus: socket `watch`, D-Bus signals, the inspector and named subscriptions, each with a bounded buffer and exact loss counts",
  capabilities: streamCapabilities,
  machine: streamMachine
})
