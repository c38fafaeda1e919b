import type { AgentDefinition } from "../../runtime/Agent.ts"
import { canvasCapabilities, canvasMachine } from "./machine.ts"
import { CanvasMessages } from "./messages.ts"

export const canvasAgent: AgentDefinition = {
  name: "CANVAS",
  tier: "5-8",
  description: "Charts: SVG and terminal sparklines of metric history",
  capabilities: canvasCapabilities,
  messages: CanvasMessages,
  machine: canvasMachine
}
