import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { CanvasMessage } from "./messages.ts"

const svgChart = plannedCapability("svg-chart", "renders a metric's history as an SVG chart")
const sparkline = plannedCapability("sparkline", "renders a metric's history as a terminal sparkline")

export const canvasCapabilities = [svgChart, sparkline]

export const canvasMachine = plannedMachine<CanvasMessage>({ chart: svgChart, sparkline })
