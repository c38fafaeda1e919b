/**
 * The metric history's files, byte for byte (docs/history.md).
 *
 * Journal `journal-<generation>`: frames, each `u32 length, u32 CRC-32 of the
 * payload, payload` (little-endian). A payload is records:
 *   1 (u8), series number (u32), text length (u32), JSON `[name, labels]` (UTF-8)
 *   2 (u8), series number (u32), at (f64 ms since the epoch), value (f64)
 * One frame per flush, appended and fdatasynced at once. A frame that is cut
 * short or fails its checksum ends the replay: it and everything after it are
 * the torn tail (counted and ignored).
 *
 * Checkpoint `checkpoint`: "SVHIST01", u32 header length, the header (JSON),
 * zero padding to a multiple of 8, every chunk's Float64 numbers in the order
 * the header lists them, then u32 CRC-32 of everything before it.
 */
import { crc32 } from "../../memory/persist/Crc32.ts"
import { type Labels, seriesId } from "../History.ts"
import { CHUNK_OVERHEAD, chunkLength, FIELDS, type Rings, type Series, type TierSpec } from "./Rings.ts"

const SERIES_RECORD = 1
const SAMPLE_RECORD = 2
const SAMPLE_BYTES = 1 + 4 + 8 + 8
const FRAME_HEADER = 8
/** No flush writes a frame this large (the pending buffer is flushed well before). */
export const MAX_FRAME = 64 * 1024 * 1024
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** The records recorded since the last flush: one growing buffer, framed when it is written. */
export class Pending {
  private buf = new Uint8Array(0)
  private view = new DataView(this.buf.buffer)
  length = 0
  samples = 0

  get capacity(): number {
    return this.buf.byteLength
  }

  private reserve(n: number) {
    if (this.length + n <= this.buf.byteLength) return
    const next = new Uint8Array(Math.max(4096, (this.length + n) * 2))
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  series(no: number, name: string, labels: Labels) {
    const text = encoder.encode(JSON.stringify([name, labels]))
    this.reserve(9 + text.length)
    this.view.setUint8(this.length, SERIES_RECORD)
    this.view.setUint32(this.length + 1, no, true)
    this.view.setUint32(this.length + 5, text.length, true)
    this.buf.set(text, this.length + 9)
    this.length += 9 + text.length
  }

  sample(no: number, at: number, value: number) {
    this.reserve(SAMPLE_BYTES)
    const v = this.view
    const o = this.length
    v.setUint8(o, SAMPLE_RECORD)
    v.setUint32(o + 1, no, true)
    v.setFloat64(o + 5, at, true)
    v.setFloat64(o + 13, value, true)
    this.length += SAMPLE_BYTES
    this.samples++
  }

  /** The records as one frame, and the buffer emptied (its memory released when it was large). */
  take(): Uint8Array | undefined {
    if (this.length === 0) return undefined
    const frame = new Uint8Array(FRAME_HEADER + this.length)
    const view = new DataView(frame.buffer)
    view.setUint32(0, this.length, true)
    view.setUint32(4, crc32(this.buf, 0, this.length), true)
    frame.set(this.buf.subarray(0, this.length), FRAME_HEADER)
    this.length = 0
    this.samples = 0
    if (this.buf.byteLength > 1024 * 1024) {
      this.buf = new Uint8Array(0)
      this.view = new DataView(this.buf.buffer)
    }
    return frame
  }
}

export interface JournalVisitor {
  readonly series: (no: number, name: string, labels: Labels) => void
  readonly sample: (no: number, at: number, value: number) => void
}

export interface TornTail {
  readonly offset: number
  readonly bytes: number
  readonly reason: string
}

/** Replays a journal's frames in order; what cannot be read at the end is the torn tail. */
export const replayJournal = (bytes: Uint8Array, visit: JournalVisitor): { readonly frames: number; readonly torn: TornTail | undefined } => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = 0
  let frames = 0
  const torn = (reason: string) => ({ frames, torn: { offset, bytes: bytes.length - offset, reason } })
  while (offset < bytes.length) {
    if (bytes.length - offset < FRAME_HEADER) return torn("a frame header cut short")
    const length = view.getUint32(offset, true)
    const crc = view.getUint32(offset + 4, true)
    if (length === 0 || length > MAX_FRAME) return torn(`a frame length of ${length} bytes`)
    if (offset + FRAME_HEADER + length > bytes.length) return torn("a frame cut short")
    const start = offset + FRAME_HEADER
    if (crc32(bytes, start, start + length) !== crc) return torn("a frame whose checksum does not match")
    // The frame is whole: its records were written by this code.
    let p = start
    const end = start + length
    while (p < end) {
      const tag = view.getUint8(p)
      if (tag === SERIES_RECORD && p + 9 <= end) {
        const no = view.getUint32(p + 1, true)
        const n = view.getUint32(p + 5, true)
        if (p + 9 + n > end) return torn("a series record past its frame's end")
        const [name, labels] = JSON.parse(decoder.decode(bytes.subarray(p + 9, p + 9 + n))) as [string, Labels]
        visit.series(no, name, labels)
        p += 9 + n
      } else if (tag === SAMPLE_RECORD && p + SAMPLE_BYTES <= end) {
        visit.sample(view.getUint32(p + 1, true), view.getFloat64(p + 5, true), view.getFloat64(p + 13, true))
        p += SAMPLE_BYTES
      } else return torn(`an unknown record (${tag}) in a frame`)
    }
    offset = end
    frames++
  }
  return { frames, torn: undefined }
}

// --- the checkpoint ------------------------------------------------------------

const MAGIC = encoder.encode("SVHIST01")

export interface CheckpointMeta {
  readonly generation: number
  readonly samples: number
  readonly refused: { readonly seriesCap: number; readonly byteCap: number; readonly invalid: number }
}

interface HeaderSeries {
  readonly no: number
  readonly name: string
  readonly labels: Labels
  readonly lastAt: number | null
  readonly lastValue: number | null
  readonly rings: ReadonlyArray<{ readonly head: number | null; readonly chunks: ReadonlyArray<number> }>
}

interface Header extends CheckpointMeta {
  readonly version: 1
  readonly tiers: ReadonlyArray<TierSpec>
  readonly nextNo: number
  readonly series: ReadonlyArray<HeaderSeries>
}

/** Everything in `rings` as a checkpoint's bytes (copied now: later samples do not change them). */
export const encodeCheckpoint = (rings: Rings, meta: CheckpointMeta): Uint8Array => {
  const series: Array<HeaderSeries> = []
  const chunks: Array<Float64Array> = []
  for (const s of rings.series.values()) {
    series.push({
      no: s.no,
      name: s.name,
      labels: s.labels,
      lastAt: Number.isFinite(s.lastAt) ? s.lastAt : null,
      lastValue: Number.isFinite(s.lastAt) ? s.lastValue : null,
      rings: s.rings.map((ring) => {
        const order = [...ring.chunks.keys()].sort((a, b) => a - b)
        for (const ci of order) chunks.push(ring.chunks.get(ci)!)
        return { head: Number.isFinite(ring.head) ? ring.head : null, chunks: order }
      })
    })
  }
  const header: Header = { version: 1, ...meta, tiers: rings.tiers, nextNo: rings.nextNo, series }
  const text = encoder.encode(JSON.stringify(header))
  const headerEnd = 12 + text.length
  const dataStart = Math.ceil(headerEnd / 8) * 8
  const dataBytes = chunks.reduce((n, c) => n + c.byteLength, 0)
  const out = new Uint8Array(dataStart + dataBytes + 4)
  out.set(MAGIC, 0)
  new DataView(out.buffer).setUint32(8, text.length, true)
  out.set(text, 12)
  let p = dataStart
  for (const c of chunks) {
    out.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), p)
    p += c.byteLength
  }
  new DataView(out.buffer).setUint32(p, crc32(out, 0, p), true)
  return out
}

export class CheckpointUnreadable extends Error {}

/**
 * A checkpoint's contents put into `rings` (empty, with the same tiers), or
 * CheckpointUnreadable saying what is wrong (nothing is put in then).
 */
export const decodeCheckpoint = (bytes: Uint8Array, rings: Rings): CheckpointMeta => {
  if (bytes.length < 16 || !MAGIC.every((b, i) => bytes[i] === b)) throw new CheckpointUnreadable("it does not start with SVHIST01")
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const end = bytes.length - 4
  if (crc32(bytes, 0, end) !== view.getUint32(end, true)) throw new CheckpointUnreadable("its checksum does not match")
  const headerLength = view.getUint32(8, true)
  if (12 + headerLength > end) throw new CheckpointUnreadable("its header runs past its end")
  let header: Header
  try {
    header = JSON.parse(decoder.decode(bytes.subarray(12, 12 + headerLength))) as Header
  } catch (error) {
    throw new CheckpointUnreadable(`its header is not JSON (${String(error).slice(0, 100)})`)
  }
  if (header.version !== 1) throw new CheckpointUnreadable(`it is version ${String(header.version)}, this code reads version 1`)
  if (JSON.stringify(header.tiers) !== JSON.stringify(rings.tiers)) {
    throw new CheckpointUnreadable(`its tiers ${JSON.stringify(header.tiers)} are not this code's ${JSON.stringify(rings.tiers)}`)
  }
  let p = Math.ceil((12 + headerLength) / 8) * 8
  const staged: Array<{ readonly s: HeaderSeries; readonly rings: Array<Map<number, Float64Array>> }> = []
  for (const s of header.series) {
    const maps = s.rings.map((ring, k) => {
      const map = new Map<number, Float64Array>()
      const capacity = rings.tiers[k]!.capacity
      for (const ci of ring.chunks) {
        const n = chunkLength(capacity, ci) * FIELDS * 8
        if (!(n > 0) || p + n > end) throw new CheckpointUnreadable("its chunks run past its end")
        map.set(ci, new Float64Array(bytes.buffer.slice(bytes.byteOffset + p, bytes.byteOffset + p + n)))
        p += n
      }
      return map
    })
    staged.push({ s, rings: maps })
  }
  if (p !== end) throw new CheckpointUnreadable(`${end - p} bytes follow its last chunk`)
  const caps = rings.caps
  // Loaded whatever the caps say now (they bound growth from here on); series over a lowered series cap are dropped.
  rings.caps = { maxSeries: caps.maxSeries, maxBytes: Number.MAX_SAFE_INTEGER }
  try {
    for (const { s, rings: maps } of staged) {
      const id = seriesId(s.name, s.labels)
      const added = rings.addSeries(id, s.name, s.labels, s.no)
      if (typeof added === "string") continue
      loadSeries(rings, added, s, maps)
    }
  } finally {
    rings.caps = caps
  }
  rings.nextNo = Math.max(rings.nextNo, header.nextNo)
  return { generation: header.generation, samples: header.samples, refused: header.refused }
}

const loadSeries = (rings: Rings, s: Series, h: HeaderSeries, maps: ReadonlyArray<Map<number, Float64Array>>) => {
  s.lastAt = h.lastAt ?? -Infinity
  s.lastValue = h.lastValue ?? Number.NaN
  for (let k = 0; k < s.rings.length; k++) {
    const ring = s.rings[k]!
    ring.head = h.rings[k]?.head ?? -Infinity
    for (const [ci, chunk] of maps[k] ?? []) {
      ring.chunks.set(ci, chunk)
      const cost = chunk.byteLength + CHUNK_OVERHEAD
      rings.bytes += cost
      s.bytes += cost
    }
  }
}
