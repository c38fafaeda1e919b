import type { SystemFacts } from "../../adapters/system/SystemFacts.ts"
import type { AgentDefinition } from "../../runtime/Agent.ts"
import { coreMachine } from "./machine.ts"
import { CoreMessages } from "./messages.ts"

export const coreAgent: AgentDefinition<SystemFacts> = {
  name: "CORE",
  tier: "2",
  description: "System facts: OS, kernel, CPU, memory, uptime, hostname",
  capabilities: [
    {
      name: "facts",
      available: true,
      detail: "hostname, os-release, kernel release/version/arch, CPU model and count, total and available memory, uptime, load average"
    }
  ],
  messages: CoreMessages,
  machine: coreMachine
}
