import type { SystemFacts } from "../../adapters/system/SystemFacts.ts"
import { define } from "../../runtime/Agent.ts"
import { coreMachine } from "./machine.ts"
import { Core } from "./messages.ts"

export const coreAgent = define<SystemFacts>({
  protocol: Core,
  tier: "2",
  description: "System facts: OS, kernel, CPU, memory, uptime, hostname",
  capabilities: [
    {
      name: "facts",
      available: true,
      detail: "hostname, os-release, kernel release/version/arch, CPU model and count, total and available memory, uptime, load average"
    }
  ],
  machine: coreMachine
})
