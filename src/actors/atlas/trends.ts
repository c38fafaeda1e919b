/**
 * ATLAS's trends, pure: each dataset's usage over a window of the metric
 * history (first and last sample, the change, the change per day) and what
 * grew (or shrank) most. The series are `sigmavault_dataset_used_bytes`
 * {pool, dataset}, which LATTICE records.
 */
import type { SeriesPoints } from "../../history/History.ts"

const DAY_MS = 86_400_000

export interface DatasetTrend {
  readonly pool: string
  readonly dataset: string
  readonly points: number
  readonly first: { readonly at: number; readonly bytes: number }
  readonly last: { readonly at: number; readonly bytes: number }
  readonly deltaBytes: number
  /** the change divided by the days between the first and last sample (null: a single sample) */
  readonly growthBytesPerDay: number | null
  /** the change relative to the first sample (null: it was 0) */
  readonly growthPercent: number | null
}

export interface Mover {
  readonly dataset: string
  readonly deltaBytes: number
  readonly growthBytesPerDay: number | null
}

export interface Trends {
  readonly datasets: ReadonlyArray<DatasetTrend>
  readonly topGrowers: ReadonlyArray<Mover>
  readonly topShrinkers: ReadonlyArray<Mover>
  readonly totalDeltaBytes: number
}

export const trendsOf = (series: ReadonlyArray<SeriesPoints>, top: number): Trends => {
  const datasets: Array<DatasetTrend> = []
  for (const s of series) {
    const dataset = s.labels["dataset"]
    if (dataset === undefined || s.points.length === 0) continue
    const [firstAt, firstBytes] = s.points[0]!
    const [lastAt, lastBytes] = s.points[s.points.length - 1]!
    const deltaBytes = lastBytes - firstBytes
    datasets.push({
      pool: s.labels["pool"] ?? dataset.split("/")[0]!,
      dataset,
      points: s.points.length,
      first: { at: firstAt, bytes: firstBytes },
      last: { at: lastAt, bytes: lastBytes },
      deltaBytes,
      growthBytesPerDay: lastAt > firstAt ? deltaBytes / ((lastAt - firstAt) / DAY_MS) : null,
      growthPercent: firstBytes > 0 ? (deltaBytes / firstBytes) * 100 : null
    })
  }
  datasets.sort((a, b) => (a.dataset < b.dataset ? -1 : a.dataset > b.dataset ? 1 : 0))
  const mover = (d: DatasetTrend): Mover => ({ dataset: d.dataset, deltaBytes: d.deltaBytes, growthBytesPerDay: d.growthBytesPerDay })
  return {
    datasets,
    topGrowers: datasets.filter((d) => d.deltaBytes > 0).sort((a, b) => b.deltaBytes - a.deltaBytes).slice(0, top).map(mover),
    topShrinkers: datasets.filter((d) => d.deltaBytes < 0).sort((a, b) => a.deltaBytes - b.deltaBytes).slice(0, top).map(mover),
    totalDeltaBytes: datasets.reduce((sum, d) => sum + d.deltaBytes, 0)
  }
}
