import type { StateStore } from "../../adapters/state/StateStore.ts"
import { define } from "../../runtime/Agent.ts"
import { makeMachine } from "./machine.ts"
import { Orbit } from "./messages.ts"

export { OrbitConfig, type OrbitConfigShape, type ScheduleSpec } from "./config.ts"

export const orbitAgent = define<StateStore>({
  protocol: Orbit,
  tier: "5-8",
  description: "Scheduler: cron-like schedules that send messages to agents, with catch-up after downtime and jitter",
  capabilities: [
    {
      name: "schedules",
      available: true,
      detail:
        "five cron fields (minute hour day-of-month month day-of-week; lists, ranges, steps, month and day names) " +
        "or @yearly @annually @monthly @weekly @daily @midnight @hourly, read in the machine's local time zone " +
        "unless OrbitConfig sets one; day-of-month and day-of-week both restricted match either, as in Vixie cron"
    },
    {
      name: "catch-up",
      available: true,
      detail: "a run missed while the daemon was down happens once at start; last runs are kept in the state directory"
    },
    { name: "jitter", available: true, detail: "per schedule, each run is delayed by a random 0..jitterMs" }
  ],
  machine: makeMachine
})
