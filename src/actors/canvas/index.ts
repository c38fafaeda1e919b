import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Canvas } from "./messages.ts"

const svgChart = plannedCapability("svg-chart", "renders a metric's history as an SVG chart")
const sparkline = plannedCapability("sparkline", "renders a metric's history as a terminal sparkline")

export const canvasAgent = define({
  protocol: Canvas,
  tier: "5-8",
  description: "Charts: SVG and terminal sparklines of metric history",
  capabilities: [svgChart, sparkline]
})
