/** Shared measuring helpers for benchmarks: every figure is compared with its anchor in the same run. */

export const now = () => performance.now()

export const quantile = (sorted: ReadonlyArray<number>, q: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

export const summarise = (samplesUs: Array<number>) => {
  const sorted = [...samplesUs].sort((a, b) => a - b)
  return { p50Us: round(quantile(sorted, 0.5)), p99Us: round(quantile(sorted, 0.99)), n: sorted.length }
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits

/** Forces a full collection where the runtime allows it (Bun always; Node with --expose-gc). */
export const collectGarbage = () => {
  const bun = (globalThis as { Bun?: { gc: (full: boolean) => void } }).Bun
  if (bun !== undefined) bun.gc(true)
  else (globalThis as { gc?: () => void }).gc?.()
}

export const heapUsed = () => {
  collectGarbage()
  collectGarbage()
  return process.memoryUsage().heapUsed
}

export const runtimeName = () =>
  (globalThis as { Bun?: { version: string } }).Bun !== undefined
    ? `bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
    : `node ${process.version}`
