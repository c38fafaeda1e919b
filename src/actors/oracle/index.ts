import type { AgentDefinition } from "../../runtime/Agent.ts"
import { oracleCapabilities, oracleMachine } from "./machine.ts"
import { OracleMessages } from "./messages.ts"

export const oracleAgent: AgentDefinition = {
  name: "ORACLE",
  tier: "5-8",
  description: "Disk failure prediction from SMART (ATA 5/187/188/197/198, NVMe media errors, wear) and trends",
  capabilities: oracleCapabilities,
  messages: OracleMessages,
  machine: oracleMachine
}
