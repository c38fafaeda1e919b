/**
 * Per-agent metrics kept by the runtime itself: counters and a log-bucketed
 * histogram of handling times (constant memory, ~19% bucket width), cheap
 * enough to update on every message.
 */

const SUB_BUCKETS_PER_OCTAVE = 4
const BUCKETS = 160 // covers 1 µs .. 2^40 µs

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS)
  private total = 0
  private max = 0

  record(micros: number): void {
    const index = micros <= 1
      ? 0
      : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log2(micros) * SUB_BUCKETS_PER_OCTAVE))
    this.counts[index]!++
    this.total++
    if (micros > this.max) this.max = micros
  }

  get count(): number {
    return this.total
  }

  /** Upper bound of the bucket holding the q-quantile, never above the observed maximum. */
  quantile(q: number): number {
    if (this.total === 0) return 0
    const rank = Math.max(1, Math.ceil(q * this.total))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!
      if (seen >= rank) return Math.min(this.max, i === 0 ? 1 : 2 ** (i / SUB_BUCKETS_PER_OCTAVE))
    }
    return this.max
  }
}
