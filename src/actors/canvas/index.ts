import type { MetricHistory } from "../../history/History.ts"
import { define } from "../../runtime/Agent.ts"
import { canvasCapabilities, canvasMachine } from "./machine.ts"
import { Canvas } from "./messages.ts"

export const canvasAgent = define<MetricHistory>({
  protocol: Canvas,
  tier: "5-8",
  description: "Charts of the metric history: SVG documents and terminal sparklines of any series",
  capabilities: canvasCapabilities,
  machine: canvasMachine
})
