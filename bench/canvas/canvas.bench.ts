/**
 * What a chart costs CANVAS once the history has answered: eight series of a
 * 30-day window at the 2 h step a 960-pixel chart reads (360 points each),
 * made into lines (gaps, the cap) and an SVG document; and a 40-character
 * sparkline of a counter over an hour (rates, cells), as the inspector asks
 * for. The anchor, in the same run, is JSON.stringify of the same points:
 * what sending them raw over the socket would cost at the least.
 */
import type { SeriesPoints } from "../../src/history/History.ts"
import { capLines, linesOf } from "../../src/actors/canvas/series.ts"
import { sparkline } from "../../src/actors/canvas/sparkline.ts"
import { renderChart } from "../../src/actors/canvas/svg.ts"
import { DAY, HOUR } from "../../src/actors/canvas/time.ts"
import { now, quantile, round } from "../support.ts"

const RUNS = Number(process.env.BENCH_CANVAS_RUNS ?? 300)
const TO = Date.UTC(2026, 11, 7, 12)

const p50Us = (run: () => unknown) => {
  for (let i = 0; i < 20; i++) run()
  const samples: Array<number> = []
  for (let i = 0; i < RUNS; i++) {
    const t0 = now()
    run()
    samples.push((now() - t0) * 1000)
  }
  return quantile(samples.sort((a, b) => a - b), 0.5)
}

export const canvas = async () => {
  const step = 2 * HOUR
  const from = TO - 30 * DAY
  const series: Array<SeriesPoints> = Array.from({ length: 8 }, (_, k) => ({
    name: "sigmavault_dataset_used_bytes",
    labels: { pool: "tank", dataset: `tank/share-${k}` },
    resolution: 5 * 60_000,
    points: Array.from({ length: 360 }, (_, i) => [from + i * step, (k + 1) * 1024 ** 3 * (1 + i / 360) + (i % 7) * 1e6] as const)
  }))
  const chart = () =>
    renderChart({
      selector: "sigmavault_dataset_used_bytes{pool=\"tank\"}",
      help: "Space the dataset uses, its snapshots and children included.",
      unit: "bytes",
      rate: false,
      from,
      to: TO,
      windowText: "last 30d",
      offsetName: "UTC",
      offsetMinutes: 0,
      width: 960,
      height: 420,
      lines: capLines(linesOf(series, { counter: false, step }), 8).kept,
      omitted: 0
    })
  const counter: Array<SeriesPoints> = [{
    name: "sigmavault_agent_messages_total",
    labels: { agent: "CORE" },
    resolution: 10_000,
    points: Array.from({ length: 120 }, (_, i) => [TO - HOUR + i * 30_000, i * 150] as const)
  }]
  const spark = () => {
    const [line] = linesOf(counter, { counter: true, step: 30_000 })
    return sparkline(line!.segments, TO - HOUR, TO, 40)
  }
  const anchor = () => JSON.stringify(series)
  const anchorSpark = () => JSON.stringify(counter)
  const chartUs = p50Us(chart)
  const anchorUs = p50Us(anchor)
  const sparkUs = p50Us(spark)
  const anchorSparkUs = p50Us(anchorSpark)
  return {
    what: "CANVAS: lines + SVG of 8 series × 360 points (30 days at 2 h); a 40-cell counter sparkline of 120 points; anchor JSON.stringify of the same points",
    chartP50Us: round(chartUs, 1),
    anchorP50Us: round(anchorUs, 1),
    ratio: round(chartUs / anchorUs, 2),
    svgBytes: chart().length,
    jsonBytes: anchor().length,
    sparklineP50Us: round(sparkUs, 1),
    sparklineAnchorP50Us: round(anchorSparkUs, 1),
    sparklineRatio: round(sparkUs / anchorSparkUs, 2)
  }
}
