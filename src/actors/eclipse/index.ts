import { define } from "../../runtime/Agent.ts"
import { makeMachine } from "./machine.ts"
import { Eclipse } from "./messages.ts"

export type { HealthReport } from "./messages.ts"

export const eclipseAgent = define({
  protocol: Eclipse,
  tier: "2",
  description: "Self-verification: pings every agent within a deadline and reports unresponsive, failed or restarting parts",
  capabilities: [
    {
      name: "self-check",
      available: true,
      detail: "pings every other agent at once with one deadline (2 s unless the check says) and sorts them into " +
        "responsive, unresponsive, restarting, failed and stopped, using the runtime's own view of each agent"
    },
    { name: "report", available: true, detail: "the last self-check's report" }
  ],
  machine: makeMachine
})
