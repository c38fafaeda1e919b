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
/** What a chunk costs besides its numbers (the typed array object, its map entry, allocator rounding), in bytes: measured at about 350 under Bun, counted as 512. */
export const CHUNK_OVERHEAD = 512
/** What a series costs besides its chunks (its object, key, labels, tier objects, map entry), plus 2 bytes per character of its id. */
export const SERIES_OVERHEAD = 480

/** Every chunk has CHUNK buckets (a ring's last one may reach past its capacity: those slots stay unused), so chunks are interchangeable. */
export const CHUNK_NUMBERS = CHUNK * FIELDS
export const CHUNK_BYTES = CHUNK_NUMBERS * 8 + CHUNK_OVERHEAD

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
  /** the journal epoch whose records define this series (HistoryLive writes the definition again in each new journal) */
  journaled: number
}

export type RefusalReason = "seriesCap" | "byteCap" | "invalid"

export interface Caps {
  readonly maxSeries: number
  readonly maxBytes: number
}

const mod = (n: number, m: number) => ((n % m) + m) % m

/** What the byte cap has cost so far. */
export interface Pressure {
  /** chunks given up to make room for newer data */
  evictedChunks: number
  /** a tier that could not take a sample (nothing older to give up); the sample went to the other tiers */
  tierMisses: number
}

export class Rings {
  readonly series = new Map<string, Series>()
  readonly byNo = new Map<number, Series>()
  nextNo = 1
  bytes = 0
  /** the newest sample time seen: ages under pressure are measured back from it */
  latest = -Infinity
  /** per tier: the end of the newest data evicted from it; the tier answers queries only from there on */
  readonly horizon: Array<number>
  readonly pressure: Pressure = { evictedChunks: 0, tierMisses: 0 }
  /** evicted chunks kept for the next allocations (still counted in `bytes`: the memory is still held) */
  readonly spare: Array<Float64Array> = []
  constructor(readonly tiers: ReadonlyArray<TierSpec>, public caps: Caps) {
    for (const t of tiers) if (t.step > OFFSET_SPAN || t.step < 1 || !Number.isInteger(t.step)) throw new Error(`tier step ${t.step} is not a whole number of ms up to ${OFFSET_SPAN}`)
    this.horizon = tiers.map(() => -Infinity)
  }

  /** When the newest bucket chunk `ci` of a ring holds ends (ms), judged from the ring's head. */
  private chunkEnd(ring: Ring, t: TierSpec, ci: number): number {
    const headSlot = mod(ring.head, t.capacity)
    const first = ci * CHUNK
    const last = Math.min(first + CHUNK, t.capacity) - 1
    const behind = headSlot >= first && headSlot <= last ? 0 : mod(headSlot - last, t.capacity)
    return (ring.head - behind + 1) * t.step
  }

  /** How old data ending at `end` is in tier `k`, as a share of the tier's retention. */
  private relativeAge(k: number, end: number): number {
    const t = this.tiers[k]!
    return (this.latest - end) / (t.step * t.capacity)
  }

  /**
   * Frees the chunks whose data is oldest relative to its own tier's
   * retention (so under pressure every tier keeps about the same share of its
   * retention), of those older than `than`: a thirty-second of all chunks at
   * once, so the scan is paid once per many allocations. Whether any was freed.
   */
  private evict(than: number, keep?: Series, keepChunks?: ReadonlyArray<number>): boolean {
    // Nothing was old enough a moment ago, and nothing has changed since: do not scan again.
    const known = this.nothingOlder
    if (known !== undefined && known.latest === this.latest && known.allocations === this.allocations && than >= known.than) return false
    const freedAny = this.evictScan(than, keep, keepChunks)
    this.nothingOlder = freedAny ? undefined : { latest: this.latest, allocations: this.allocations, than }
    return freedAny
  }

  private nothingOlder: { readonly latest: number; readonly allocations: number; readonly than: number } | undefined
  /** chunks handed to rings so far (new or reused) */
  private allocations = 0

  private evictScan(than: number, keep?: Series, keepChunks?: ReadonlyArray<number>): boolean {
    // Two passes and no object per chunk: the ages, then the threshold of the oldest sixteenth, then the eviction.
    let total = 0
    for (const s of this.series.values()) for (const ring of s.rings) total += ring.chunks.size
    if (total === 0) return false
    const ages = new Float64Array(total)
    let n = 0
    this.eachChunk((s, k, ci, end) => {
      const age = this.relativeAge(k, end)
      if (age > than && !(s === keep && keepChunks![k] === ci)) ages[n++] = age
    })
    if (n === 0) return false
    const take = Math.min(n, Math.max(1, Math.ceil(total / 16)))
    const sorted = ages.subarray(0, n).sort()
    const threshold = sorted[n - take]!
    let freed = 0
    this.eachChunk((s, k, ci, end, ring) => {
      if (freed >= take) return
      const age = this.relativeAge(k, end)
      if (age < threshold || !(age > than) || (s === keep && keepChunks![k] === ci)) return
      this.spare.push(ring.chunks.get(ci)!)
      ring.chunks.delete(ci)
      s.bytes -= CHUNK_BYTES
      this.horizon[k] = Math.max(this.horizon[k]!, end)
      this.pressure.evictedChunks++
      freed++
    })
    return freed > 0
  }

  private eachChunk(visit: (s: Series, k: number, ci: number, end: number, ring: Ring) => void) {
    for (const s of this.series.values()) {
      for (let k = 0; k < this.tiers.length; k++) {
        const ring = s.rings[k]!
        if (ring.chunks.size === 0) continue
        const t = this.tiers[k]!
        for (const ci of [...ring.chunks.keys()]) visit(s, k, ci, this.chunkEnd(ring, t, ci), ring)
      }
    }
  }

  /** Adds a series (number `no`, or the next), or says why not. */
  addSeries(id: string, name: string, labels: Labels, no?: number): Series | RefusalReason {
    if (this.series.size >= this.caps.maxSeries) return "seriesCap"
    const cost = SERIES_OVERHEAD + 2 * id.length
    // A new series may displace old data (older than a quarter of its tier's retention), not recent data.
    while (this.bytes + cost > this.caps.maxBytes) {
      if (this.spare.length > 0) {
        this.spare.pop()
        this.bytes -= CHUNK_BYTES
      } else if (!this.evict(0.25)) return "byteCap"
    }
    const s: Series = {
      no: no ?? this.nextNo,
      id,
      name,
      labels,
      rings: this.tiers.map(() => ({ head: -Infinity, chunks: new Map() })),
      lastAt: -Infinity,
      lastValue: Number.NaN,
      bytes: cost,
      journaled: -1
    }
    this.nextNo = Math.max(this.nextNo, s.no + 1)
    this.series.set(id, s)
    this.byNo.set(s.no, s)
    this.bytes += cost
    return s
  }

  /**
   * An empty chunk within the cap: a spare, else a new one; undefined at the
   * cap. Over the cap (a store loaded under a larger one), spares are
   * dropped first.
   */
  private allocate(): Float64Array | undefined {
    while (this.spare.length > 0 && this.bytes > this.caps.maxBytes) {
      this.spare.pop()
      this.bytes -= CHUNK_BYTES
    }
    const reused = this.spare.pop()
    if (reused !== undefined) {
      reused.fill(0)
      return reused
    }
    if (this.bytes + CHUNK_BYTES > this.caps.maxBytes) return undefined
    this.bytes += CHUNK_BYTES
    return new Float64Array(new ArrayBuffer(CHUNK_NUMBERS * 8))
  }

  /** Forgets a series (one whose first sample was refused). */
  removeSeries(s: Series) {
    if (this.series.get(s.id) !== s) return
    this.series.delete(s.id)
    this.byNo.delete(s.no)
    // its chunks become spares (their memory stays counted until reused)
    for (const ring of s.rings) for (const chunk of ring.chunks.values()) this.spare.push(chunk)
    this.bytes -= SERIES_OVERHEAD + 2 * s.id.length
  }

  /**
   * Puts one sample into every tier whose window holds it. A tier that needs
   * a new chunk over the byte cap first frees the chunk whose data is oldest
   * relative to its tier (if older than this sample); if there is none, that
   * tier misses the sample (counted in `pressure`). Refused when no tier
   * holds it ("invalid": too old) or none could take it ("byteCap").
   */
  add(s: Series, at: number, value: number): RefusalReason | undefined {
    if (at > this.latest) this.latest = at
    // the chunks this sample goes to are never the ones given up for it
    const target = this.tiers.map((t) => Math.floor(mod(Math.floor(at / t.step), t.capacity) / CHUNK))
    let covering = 0
    let took = 0
    for (let k = 0; k < this.tiers.length; k++) {
      const t = this.tiers[k]!
      const ring = s.rings[k]!
      const b = Math.floor(at / t.step)
      if (b <= ring.head - t.capacity) continue
      covering++
      const slot = mod(b, t.capacity)
      const ci = Math.floor(slot / CHUNK)
      let chunk = ring.chunks.get(ci)
      if (chunk === undefined) {
        chunk = this.allocate()
        if (chunk === undefined) {
          const age = Math.max(0, this.relativeAge(k, (b + 1) * t.step))
          while (chunk === undefined && this.evict(age, s, target)) chunk = this.allocate()
        }
        if (chunk === undefined) {
          this.pressure.tierMisses++
          continue
        }
        ring.chunks.set(ci, chunk)
        this.allocations++
        s.bytes += CHUNK_BYTES
      }
      if (b > ring.head) {
        this.advance(ring, t, b)
        ring.head = b
      }
      took++
      const base = (slot % CHUNK) * FIELDS
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
    if (covering === 0) return "invalid"
    if (took === 0) return "byteCap"
    if (at >= s.lastAt) {
      s.lastAt = at
      s.lastValue = value
    }
    return undefined
  }

  /** Empties the slots of bucket numbers (head, b], which held buckets now out of the window. */
  private advance(ring: Ring, t: TierSpec, b: number) {
    if (ring.head === -Infinity || ring.chunks.size === 0) return
    const length = b - ring.head
    if (length >= t.capacity) {
      for (const chunk of ring.chunks.values()) chunk.fill(0)
      return
    }
    if (length <= 8) {
      for (let j = ring.head + 1; j <= b; j++) {
        const slot = mod(j, t.capacity)
        const chunk = ring.chunks.get(slot >> CHUNK_SHIFT)
        if (chunk !== undefined) chunk[(slot & CHUNK_MASK) * FIELDS + META] = 0
      }
      return
    }
    // a long jump: the slots form one circular range; clear its overlap with each chunk held
    const first = mod(ring.head + 1, t.capacity)
    const ranges: Array<readonly [number, number]> = first + length <= t.capacity
      ? [[first, first + length - 1]]
      : [[first, t.capacity - 1], [0, first + length - t.capacity - 1]]
    for (const [r0, r1] of ranges) {
      for (let ci = r0 >> CHUNK_SHIFT; ci <= r1 >> CHUNK_SHIFT; ci++) {
        const chunk = ring.chunks.get(ci)
        if (chunk === undefined) continue
        const c0 = ci * CHUNK
        const hi = Math.min(c0 + CHUNK - 1, r1)
        for (let slot = Math.max(c0, r0); slot <= hi; slot++) chunk[(slot - c0) * FIELDS + META] = 0
      }
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

  /**
   * Whether tier `k`'s window, counted back from `now`, still holds the bucket
   * of `at`. (HistoryLive passes now + the future it accepts: a sample stamped
   * ahead moves a tier's head, and with it the window, that far.)
   */
  covers(k: number, at: number, now: number): boolean {
    const t = this.tiers[k]!
    return Math.floor(at / t.step) > Math.floor(now / t.step) - t.capacity
  }

  /**
   * The finest tier whose window, counted back from `now`, still holds the
   * bucket of `from`, and which has evicted nothing after `from`; the
   * coarsest when none does.
   */
  tierFor(from: number, now: number): number {
    for (let k = 0; k < this.tiers.length; k++) if (this.covers(k, from, now) && from >= this.horizon[k]!) return k
    return this.tiers.length - 1
  }

  /** Whether `at` is older than every tier's window counted back from `now`. */
  tooOld(at: number, now: number): boolean {
    return !this.covers(this.tiers.length - 1, at, now)
  }
}
