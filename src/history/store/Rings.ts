/**
 * The metric history's memory: per series, one ring of buckets per tier
 * (RRD-like), each bucket holding what keeps avg/min/max/last exact at its
 * resolution: count, sum, min, max, last (and where in the bucket the last
 * sample fell, so a late sample inside the bucket lands right).
 *
 * A ring is addressed by the absolute bucket number (`floor(at / step)`)
 * modulo its capacity, and stored in chunks of CHUNK buckets allocated only
 * when a sample lands in them: an empty history costs nothing, a new series a
 * few kilobytes, and a series grows to its tiers' full capacity and no
 * further. Each tier keeps its `head` (newest bucket number seen); when it
 * moves forward, the slots it passes over are emptied, so a slot holds data
 * only for a bucket number in (head - capacity, head].
 *
 * Pure and synchronous: HistoryLive adds persistence and the Effect service.
 */
import type { Consolidation, Labels, Tier } from "../History.ts"

export interface TierSpec {
  /** ms per bucket */
  readonly step: number
  /** buckets kept: retention = step × capacity */
  readonly capacity: number
}

/** 10 s for a day, 5 min for 31 days, 1 h for 731 days (docs/history.md says why). */
export const DEFAULT_TIERS: ReadonlyArray<TierSpec> = [
  { step: 10_000, capacity: 8_640 },
  { step: 300_000, capacity: 8_928 },
  { step: 3_600_000, capacity: 17_544 }
]

export const tiersOf = (specs: ReadonlyArray<TierSpec>): ReadonlyArray<Tier> =>
  specs.map((t) => ({ step: t.step, retention: t.step * t.capacity }))

/** Buckets per chunk; a chunk is one Float64Array of CHUNK × FIELDS numbers. */
export const CHUNK = 128
const CHUNK_SHIFT = 7
const CHUNK_MASK = CHUNK - 1
/** sum, min, max, last, meta (count × 2^22 + ms offset of the last sample in its bucket) */
export const FIELDS = 5
const SUM = 0
const MIN = 1
const MAX = 2
const LAST = 3
const META = 4
const OFFSET_SPAN = 4_194_304 // 2^22 ms ≈ 70 min: a tier step may not exceed it
/** What a chunk costs besides its numbers (the typed array object and its map entry), in bytes. */
export const CHUNK_OVERHEAD = 96
/** What a series costs besides its chunks (its object, key, labels, tier objects, map entry), plus 2 bytes per character of its id. */
export const SERIES_OVERHEAD = 480

export const chunkLength = (capacity: number, index: number): number => Math.min(CHUNK, capacity - index * CHUNK)
export const chunkBytes = (capacity: number, index: number): number => chunkLength(capacity, index) * FIELDS * 8 + CHUNK_OVERHEAD

export interface Ring {
  /** the newest bucket number written, or -Infinity while empty */
  head: number
  readonly chunks: Map<number, Float64Array>
}

export interface Series {
  readonly no: number
  readonly id: string
  readonly name: string
  readonly labels: Labels
  readonly rings: ReadonlyArray<Ring>
  lastAt: number
  lastValue: number
  bytes: number
}

export type RefusalReason = "seriesCap" | "byteCap" | "invalid"

export interface Caps {
  readonly maxSeries: number
  readonly maxBytes: number
}

const mod = (n: number, m: number) => ((n % m) + m) % m

export class Rings {
  readonly series = new Map<string, Series>()
  readonly byNo = new Map<number, Series>()
  nextNo = 1
  bytes = 0
  constructor(readonly tiers: ReadonlyArray<TierSpec>, public caps: Caps) {
    for (const t of tiers) if (t.step > OFFSET_SPAN || t.step < 1 || !Number.isInteger(t.step)) throw new Error(`tier step ${t.step} is not a whole number of ms up to ${OFFSET_SPAN}`)
  }

  /** Adds a series (number `no`, or the next), or says why not. */
  addSeries(id: string, name: string, labels: Labels, no?: number): Series | RefusalReason {
    if (this.series.size >= this.caps.maxSeries) return "seriesCap"
    const cost = SERIES_OVERHEAD + 2 * id.length
    if (this.bytes + cost > this.caps.maxBytes) return "byteCap"
    const s: Series = {
      no: no ?? this.nextNo,
      id,
      name,
      labels,
      rings: this.tiers.map(() => ({ head: -Infinity, chunks: new Map() })),
      lastAt: -Infinity,
      lastValue: Number.NaN,
      bytes: cost
    }
    this.nextNo = Math.max(this.nextNo, s.no + 1)
    this.series.set(id, s)
    this.byNo.set(s.no, s)
    this.bytes += cost
    return s
  }

  /**
   * Puts one sample into every tier whose window holds it. Refused (and
   * nothing changed) when no tier holds it ("invalid": too old) or a chunk it
   * needs would cross the byte cap ("byteCap").
   */
  add(s: Series, at: number, value: number): RefusalReason | undefined {
    let needed = 0
    let tiersTaking = 0
    for (let k = 0; k < this.tiers.length; k++) {
      const t = this.tiers[k]!
      const ring = s.rings[k]!
      const b = Math.floor(at / t.step)
      if (b <= ring.head - t.capacity) continue
      tiersTaking++
      const ci = mod(b, t.capacity) >> CHUNK_SHIFT
      if (!ring.chunks.has(ci)) needed += chunkBytes(t.capacity, ci)
    }
    if (tiersTaking === 0) return "invalid"
    if (needed > 0 && this.bytes + needed > this.caps.maxBytes) return "byteCap"
    for (let k = 0; k < this.tiers.length; k++) {
      const t = this.tiers[k]!
      const ring = s.rings[k]!
      const b = Math.floor(at / t.step)
      if (b <= ring.head - t.capacity) continue
      if (b > ring.head) {
        this.advance(ring, t, b)
        ring.head = b
      }
      const slot = mod(b, t.capacity)
      const ci = slot >> CHUNK_SHIFT
      let chunk = ring.chunks.get(ci)
      if (chunk === undefined) {
        chunk = new Float64Array(chunkLength(t.capacity, ci) * FIELDS)
        ring.chunks.set(ci, chunk)
        const cost = chunkBytes(t.capacity, ci)
        this.bytes += cost
        s.bytes += cost
      }
      const base = (slot & CHUNK_MASK) * FIELDS
      const offset = at - b * t.step
      const meta = chunk[base + META]!
      const count = Math.floor(meta / OFFSET_SPAN)
      if (count === 0) {
        chunk[base + SUM] = value
        chunk[base + MIN] = value
        chunk[base + MAX] = value
        chunk[base + LAST] = value
        chunk[base + META] = OFFSET_SPAN + offset
      } else {
        const lastOffset = meta - count * OFFSET_SPAN
        chunk[base + SUM] = chunk[base + SUM]! + value
        if (value < chunk[base + MIN]!) chunk[base + MIN] = value
        if (value > chunk[base + MAX]!) chunk[base + MAX] = value
        if (offset >= lastOffset) {
          chunk[base + LAST] = value
          chunk[base + META] = (count + 1) * OFFSET_SPAN + offset
        } else chunk[base + META] = (count + 1) * OFFSET_SPAN + lastOffset
      }
    }
    if (at >= s.lastAt) {
      s.lastAt = at
      s.lastValue = value
    }
    return undefined
  }

  /** Empties the slots of bucket numbers (head, b], which held buckets now out of the window. */
  private advance(ring: Ring, t: TierSpec, b: number) {
    if (ring.head === -Infinity || ring.chunks.size === 0) return
    if (b - ring.head >= t.capacity) {
      for (const chunk of ring.chunks.values()) chunk.fill(0)
      return
    }
    for (let j = ring.head + 1; j <= b; j++) {
      const slot = mod(j, t.capacity)
      const chunk = ring.chunks.get(slot >> CHUNK_SHIFT)
      if (chunk !== undefined) chunk[(slot & CHUNK_MASK) * FIELDS + META] = 0
    }
  }

  /**
   * The series' points from tier `k` for [from, to] (every bucket whose start
   * lies in [floor(from / tier step) × tier step, to]), re-bucketed into
   * steps of `step` (a multiple of the tier's step) starting at multiples of
   * `step`, combined with `how`.
   */
  read(s: Series, k: number, from: number, to: number, step: number, how: Consolidation): Array<readonly [number, number]> {
    const t = this.tiers[k]!
    const ring = s.rings[k]!
    const out: Array<readonly [number, number]> = []
    if (ring.head === -Infinity) return out
    const lo = Math.max(Math.floor(from / t.step), ring.head - t.capacity + 1)
    const hi = Math.min(Math.floor(to / t.step), ring.head)
    let current = Number.NaN
    let sum = 0
    let count = 0
    let min = Infinity
    let max = -Infinity
    let last = Number.NaN
    const emit = () => {
      if (count === 0) return
      out.push([current, how === "avg" ? sum / count : how === "min" ? min : how === "max" ? max : last])
    }
    for (let j = lo; j <= hi; j++) {
      const slot = mod(j, t.capacity)
      const ci = slot >> CHUNK_SHIFT
      const chunk = ring.chunks.get(ci)
      if (chunk === undefined) {
        // skip to the end of this (absent) chunk
        j += Math.min(CHUNK - (slot & CHUNK_MASK), t.capacity - slot) - 1
        continue
      }
      const base = (slot & CHUNK_MASK) * FIELDS
      const meta = chunk[base + META]!
      const n = Math.floor(meta / OFFSET_SPAN)
      if (n === 0) continue
      const start = Math.floor((j * t.step) / step) * step
      if (start !== current) {
        emit()
        current = start
        sum = 0
        count = 0
        min = Infinity
        max = -Infinity
      }
      sum += chunk[base + SUM]!
      count += n
      if (chunk[base + MIN]! < min) min = chunk[base + MIN]!
      if (chunk[base + MAX]! > max) max = chunk[base + MAX]!
      last = chunk[base + LAST]!
    }
    emit()
    return out
  }

  /** Whether tier `k`'s window, counted back from `now`, still holds the bucket of `at`. */
  covers(k: number, at: number, now: number): boolean {
    const t = this.tiers[k]!
    return Math.floor(at / t.step) > Math.floor(now / t.step) - t.capacity
  }

  /** The finest tier whose window, counted back from `now`, still holds the bucket of `from`; the coarsest when none does. */
  tierFor(from: number, now: number): number {
    for (let k = 0; k < this.tiers.length; k++) if (this.covers(k, from, now)) return k
    return this.tiers.length - 1
  }

  /** Whether `at` is older than every tier's window counted back from `now`. */
  tooOld(at: number, now: number): boolean {
    return !this.covers(this.tiers.length - 1, at, now)
  }
}
