/**
 * Content-defined chunking with FastCDC (Xia et al., "FastCDC: a Fast and
 * Efficient Content-Defined Chunking Approach for Data Deduplication", 2016,
 * and the 2020 journal version), with normalized chunking at level 1.
 *
 * A gear hash rolls over the bytes (`fp = (fp << 1) + GEAR[byte]`, 32 bits,
 * so a bit of `fp` depends on at most the last 32 bytes) and a chunk ends
 * where the masked bits of `fp` are all zero. Before the average size the
 * mask has one bit more than log2(avg) (cuts are rarer), after it one fewer
 * (cuts are likelier), so sizes bunch around the average. The first `min`
 * bytes of a chunk are never hashed (cut-point skipping), which is most of
 * FastCDC's speed; a chunk never passes `max`.
 *
 * Why level 1 and not the paper's favourite 2: an edit changes the chunk it
 * lands in, and the chunker must then fall back into step with the old cut
 * points. Normalization makes a cut depend on the distance from the previous
 * one, which slows that. Measured on 300–400 KiB random files at 4/16/64 KiB,
 * inserting 1–5000 bytes at the front: new chunks per edit averaged 1.16
 * (level 0), 1.27 (level 1) and 1.86 (level 2, with 1 edit in 30 costing 7
 * or more chunks), while the size spread (standard deviation) was 14.5,
 * 9.8 and 5.6 KiB. Level 1 keeps nearly all of level 0's resynchronization
 * and a third less spread.
 *
 * The gear table is derived from a fixed seed, so every repository cuts the
 * same bytes the same way; the parameters are fixed per repository
 * (its config) because changing them changes every boundary.
 */
import { createHash } from "node:crypto"
import { Effect } from "effect"

export interface ChunkerParams {
  /** No chunk is shorter, except the last of a file. */
  readonly minSize: number
  /** The target mean; a power of two. */
  readonly avgSize: number
  /** No chunk is longer. */
  readonly maxSize: number
}

/**
 * The defaults (docs/store-format.md §4.1): restic's 512 KiB / 1 MiB /
 * 8 MiB; chunks average ~1.4 MiB. The chunker runs at 1.5–2.8 GB/s under
 * Bun at any size from 256 KiB to 2 MiB average, far faster than
 * compression, so the choice is about the index: ~750 k chunks for 1 TiB
 * (~50 MB in memory), while a change still costs only one chunk of ~1.4 MiB.
 */
export const DEFAULT_CHUNKER: ChunkerParams = { minSize: 512 * 1024, avgSize: 1024 * 1024, maxSize: 8 * 1024 * 1024 }

/** Bounds the store accepts; offsets and lengths in a pack are 32-bit. */
export const MIN_CHUNK_BYTES = 64
export const MAX_CHUNK_BYTES = 64 * 1024 * 1024

/** Why `params` is unusable, or undefined when it is fine. */
export const describeParams = (params: ChunkerParams): string | undefined => {
  const { avgSize, maxSize, minSize } = params
  for (const [name, value] of [["minSize", minSize], ["avgSize", avgSize], ["maxSize", maxSize]] as const) {
    if (!Number.isSafeInteger(value) || value < MIN_CHUNK_BYTES || value > MAX_CHUNK_BYTES) {
      return `${name} must be a whole number of bytes from ${MIN_CHUNK_BYTES} to ${MAX_CHUNK_BYTES}, got ${value}`
    }
  }
  if ((avgSize & (avgSize - 1)) !== 0) return `avgSize must be a power of two, got ${avgSize}`
  if (!(minSize < avgSize && avgSize < maxSize)) {
    return `sizes must satisfy minSize < avgSize < maxSize, got ${minSize} / ${avgSize} / ${maxSize}`
  }
  return undefined
}

/** The seed of the gear table: changing it changes every chunk boundary, so it is part of the format. */
export const GEAR_SEED = "sigmavault/store/fastcdc-gear/v1"

/** 256 pseudo-random 32-bit values: SHA-256(seed ‖ u32le counter), eight values per digest. */
const makeGear = (): Int32Array => {
  const gear = new Int32Array(256)
  for (let block = 0; block < 32; block++) {
    const counter = Buffer.alloc(4)
    counter.writeUInt32LE(block)
    const digest = createHash("sha256").update(GEAR_SEED).update(counter).digest()
    for (let i = 0; i < 8; i++) gear[block * 8 + i] = digest.readInt32LE(i * 4)
  }
  return gear
}

const GEAR = makeGear()

/** `bits` one-bits at the top of a 32-bit word, where the gear hash has mixed the most bytes. */
const topMask = (bits: number): number => (bits >= 32 ? -1 : ~((1 << (32 - bits)) - 1)) | 0

/** A cut-point finder for one parameter set. */
export interface Cutter {
  readonly params: ChunkerParams
  /**
   * The length of the chunk starting at `bytes[start]`, given that
   * `bytes[start..end)` is all that is left or at least `maxSize` bytes.
   */
  readonly cut: (bytes: Uint8Array, start: number, end: number) => number
}

/**
 * The cut-point finder for `params`. `normalization` is the FastCDC level;
 * the store always uses 1 (another level cuts other boundaries), the
 * parameter exists for measurements.
 */
export const makeCutter = (params: ChunkerParams, normalization = 1): Cutter => {
  const problem = describeParams(params)
  if (problem !== undefined) throw new RangeError(`FastCDC: ${problem}`)
  const { avgSize, maxSize, minSize } = params
  const bits = Math.round(Math.log2(avgSize))
  // Harder before the average, easier after it.
  const maskSmall = topMask(bits + normalization)
  const maskLarge = topMask(Math.max(1, bits - normalization))
  const gear = GEAR
  const cut = (bytes: Uint8Array, start: number, end: number): number => {
    let n = end - start
    if (n <= minSize) return n
    if (n > maxSize) n = maxSize
    const normal = n < avgSize ? n : avgSize
    let fp = 0
    let i = start + minSize
    const normalEnd = start + normal
    const hardEnd = start + n
    for (; i < normalEnd; i++) {
      fp = ((fp << 1) + gear[bytes[i]!]!) | 0
      if ((fp & maskSmall) === 0) return i + 1 - start
    }
    for (; i < hardEnd; i++) {
      fp = ((fp << 1) + gear[bytes[i]!]!) | 0
      if ((fp & maskLarge) === 0) return i + 1 - start
    }
    return n
  }
  return { params, cut }
}

/** The chunk lengths of `bytes` as one whole input (for tests and small buffers). */
export const chunkLengths = (cutter: Cutter, bytes: Uint8Array): Array<number> => {
  const lengths: Array<number> = []
  for (let start = 0; start < bytes.byteLength;) {
    const length = cutter.cut(bytes, start, bytes.byteLength)
    lengths.push(length)
    start += length
  }
  return lengths
}

/** How much one read asks for. */
export const READ_BYTES = 1024 * 1024

/**
 * A buffer for `chunkStream`: `maxSize + READ_BYTES` bytes. Allocate one
 * and pass it to every file of a run: a fresh 9 MiB buffer per file made
 * small files ten times slower to add.
 */
export const makeChunkBuffer = (params: ChunkerParams): Uint8Array => new Uint8Array(params.maxSize + READ_BYTES)

/**
 * Streams chunks out of `read` with constant memory (`buffer`, from
 * `makeChunkBuffer`). `read(buffer, offset, length)` fills part of the
 * buffer and gives the byte count, 0 at the end. Each chunk handed to
 * `emit` is a view into the buffer, valid until `emit` completes: copy it
 * to keep it. Returns the bytes read. Runs using one buffer must not
 * overlap.
 */
export const chunkStream = <E, E2>(
  cutter: Cutter,
  read: (buffer: Uint8Array, offset: number, length: number) => Effect.Effect<number, E>,
  emit: (chunk: Uint8Array) => Effect.Effect<void, E2>,
  buffer: Uint8Array = makeChunkBuffer(cutter.params)
): Effect.Effect<number, E | E2> =>
  Effect.gen(function*() {
    const { maxSize } = cutter.params
    if (buffer.byteLength <= maxSize) return yield* Effect.die(new RangeError(`chunkStream: the buffer must be longer than maxSize (${maxSize})`))
    let filled = 0
    let position = 0
    let total = 0
    let ended = false
    for (;;) {
      while (position < filled && (ended || filled - position >= maxSize)) {
        const length = cutter.cut(buffer, position, filled)
        yield* emit(buffer.subarray(position, position + length))
        position += length
      }
      if (ended) return total
      if (position > 0) {
        buffer.copyWithin(0, position, filled)
        filled -= position
        position = 0
      }
      while (!ended && filled < maxSize) {
        const got = yield* read(buffer, filled, Math.min(READ_BYTES, buffer.byteLength - filled))
        if (got === 0) ended = true
        filled += got
        total += got
      }
    }
  })
