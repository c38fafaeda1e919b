import { define } from "../../runtime/Agent.ts"
import { omniscientCapabilities, omniscientMachine } from "./machine.ts"
import { Omniscient } from "./messages.ts"

export const omniscientAgent = define({
  protocol: Omniscient,
  tier: "4",
  description: "Root supervisor: tier supervisors, escalation, system-wide status, graceful shutdown, work prioritisation",
  capabilities: omniscientCapabilities,
  machine: omniscientMachine
})
