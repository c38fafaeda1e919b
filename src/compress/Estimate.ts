/**
 * TENSOR's `estimate`: the compression ratio `compress` would reach on a
 * path (a file or a tree), and the dedup and stored ratios the chunk store
 * would reach, from a bounded, deterministic sample.
 *
 * The files are split into slots of 1 MiB (the compressor's smallest block
 * size, used for files of a few MiB; a run of sampled slots is compressed in the blocks
 * `compressFile` would use, so a whole file gives exactly its figure). Each slot gets a pseudo-random key from the
 * seed, its file's size and its index in the file — not the file's name —
 * and the slots with the smallest keys are read until the budget is spent
 * (bottom-k sampling): deterministic for a seed, and two identical files are
 * sampled at the same places, so duplicates in the tree show up as
 * duplicates in the sample. Adjacent sampled slots are read as one run.
 *
 * Each run is compressed block by block exactly as `compressFile` would
 * (the codec chosen from the file's first 64 KiB, blocks that look random or
 * do not shrink kept raw), and cut with the store's chunker (FastCDC,
 * DEFAULT_CHUNKER); each new chunk is compressed with the store's per-chunk
 * strategy. When the whole path fits in the budget, everything is read and
 * the compression figure is exact.
 */
import { createHash } from "node:crypto"
import { Clock, Effect } from "effect"
import { type FileError, Files, type FileReader, type FilesShape } from "../adapters/fs/Files.ts"
import { DEFAULT_CHUNKER, makeCutter } from "../chunkstore/Chunker.ts"
import { strategyCodec } from "../chunkstore/Codec.ts"
import { type Codec, encodeWith } from "./Codecs.ts"
import { blockSizeFor, defaultConcurrency } from "./Compress.ts"
import { END_BYTES, HEADER_BYTES, RECORD_BYTES } from "./Container.ts"
import { detect, HIGH_ENTROPY_BITS, SAMPLE_BYTES, sampledEntropy } from "./Detect.ts"
import type { CompressionCodecFailed } from "./Errors.ts"
import { chooseStrategy } from "./Strategy.ts"

export const DEFAULT_SAMPLE_BYTES = 64 * 1024 * 1024
/** The compressor's smallest block size (files of a few MiB); larger files' blocks are compressed whole when all their slots are sampled. */
export const SLOT_BYTES = 1024 * 1024
/** The walk stops after this many entries; what it did not reach is not represented (and the reply says so). */
export const MAX_ENTRIES = 1_000_000

export interface EstimateOptions {
  /** Bytes read at most (besides each sampled file's first 64 KiB, read to choose its codec). */
  readonly sampleBytes?: number
  readonly seed?: number
  readonly onProgress?: (bytesRead: number) => void
}

export interface Estimate {
  readonly files: number
  readonly totalBytes: number
  readonly sampledBytes: number
  readonly sampledFiles: number
  /** Runs of adjacent sampled slots. */
  readonly segments: number
  readonly seed: number
  /** Everything was read: the compression figure is what `compress` gives. */
  readonly exact: boolean
  readonly compression: {
    /** original / compressed, as `compress` reports it (container included). */
    readonly ratio: number
    /** A 95 % interval of the ratio from the spread between segments; the ratio itself when exact. */
    readonly low: number
    readonly high: number
    readonly estimatedBytes: number
    /** Sampled bytes by the codec the strategy chose for their file. */
    readonly byCodec: Readonly<Record<string, number>>
  }
  readonly dedup: {
    /** sampled bytes / bytes of distinct chunks. */
    readonly ratio: number
    readonly chunks: number
    readonly uniqueChunks: number
  }
  /** The chunk store: distinct chunks, each compressed with the store's strategy (pack and index overhead left out). */
  readonly store: { readonly ratio: number; readonly estimatedBytes: number }
  readonly seconds: number
  readonly notes: ReadonlyArray<string>
}

interface Entry {
  readonly path: string
  readonly size: number
}

interface Slot {
  readonly file: number
  readonly index: number
  readonly key: number
}

/** 32-bit mix of (seed, size, index): splitmix-style, so neighbouring slots get unrelated keys. */
export const slotKey = (seed: number, size: number, index: number): number => {
  let h = (seed ^ 0x9e3779b9) >>> 0
  for (const part of [size % 0x100000000, Math.floor(size / 0x100000000), index]) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b) >>> 0
    h = (h ^ (h >>> 13)) >>> 0
    h = Math.imul(h, 0xc2b2ae35) >>> 0
    h = (h ^ (h >>> 16)) >>> 0
  }
  return h
}

/** The files under `root` (or `root` itself), regular files only, each once, bounded. */
const listFiles = (files: FilesShape, root: string) =>
  Effect.gen(function*() {
    const found: Array<Entry> = []
    let entries = 0
    let unreadable = 0
    let truncated = false
    const walked = yield* Effect.exit(files.walk(root, {
      entry: (entry) => {
        if (++entries > MAX_ENTRIES) {
          truncated = true
          return false
        }
        if (entry.info.type === "file" && !entry.seenBefore && entry.info.size > 0) found.push({ path: entry.path, size: entry.info.size })
        return true
      },
      leave: () => {},
      unreadable: () => void unreadable++
    }))
    if (walked._tag === "Failure" && !walked.cause.reasons.some((r) => r._tag === "Fail" && r.error.reason === "NotDirectory")) {
      return yield* Effect.failCause(walked.cause)
    }
    return { found, unreadable, truncated, single: walked._tag === "Failure" }
  })

/** Fills `buffer` from `position`; fewer bytes only at the end of the file. */
const readFully = (reader: FileReader, buffer: Uint8Array, position: number) =>
  Effect.gen(function*() {
    let done = 0
    while (done < buffer.byteLength) {
      const n = yield* reader.readAt(buffer.subarray(done), position + done)
      if (n === 0) break
      done += n
    }
    return done
  })

export const estimatePath = (
  path: string,
  options: EstimateOptions = {}
): Effect.Effect<Estimate, FileError | CompressionCodecFailed, Files> =>
  Effect.flatMap(Files, (files: FilesShape) => estimateWith(files, path, options))

export const estimateWith = (
  files: FilesShape,
  path: string,
  options: EstimateOptions = {}
): Effect.Effect<Estimate, FileError | CompressionCodecFailed> =>
  Effect.scoped(Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const budget = options.sampleBytes ?? DEFAULT_SAMPLE_BYTES
    const seed = options.seed ?? 0
    const onProgress = options.onProgress ?? (() => {})
    const notes: Array<string> = []

    const listed = yield* listFiles(files, path)
    let entries: ReadonlyArray<Entry> = listed.found
    if (listed.single) {
      const reader = yield* files.openRead(path)
      entries = reader.info.size > 0 ? [{ path, size: reader.info.size }] : []
    }
    if (listed.truncated) notes.push(`the walk stopped after ${MAX_ENTRIES} entries: files beyond them are not represented`)
    if (listed.unreadable > 0) notes.push(`${listed.unreadable} entries could not be read and are left out`)
    const totalBytes = entries.reduce((sum, e) => sum + e.size, 0)

    // Bottom-k: the slots with the smallest keys, until the budget is spent.
    const slots: Array<Slot> = []
    for (const [file, entry] of entries.entries()) {
      const count = Math.ceil(entry.size / SLOT_BYTES)
      for (let index = 0; index < count; index++) slots.push({ file, index, key: slotKey(seed, entry.size, index) })
    }
    const exact = totalBytes <= budget
    const chosen: Array<Slot> = []
    if (exact) chosen.push(...slots)
    else {
      slots.sort((a, b) => a.key - b.key || a.file - b.file || a.index - b.index)
      let bytes = 0
      for (const slot of slots) {
        if (bytes >= budget) break
        chosen.push(slot)
        bytes += Math.min(SLOT_BYTES, entries[slot.file]!.size - slot.index * SLOT_BYTES)
      }
    }
    // Runs of adjacent slots per file, in file order.
    chosen.sort((a, b) => a.file - b.file || a.index - b.index)
    const runs: Array<{ file: number; first: number; last: number }> = []
    for (const slot of chosen) {
      const previous = runs.at(-1)
      if (previous !== undefined && previous.file === slot.file && previous.last === slot.index - 1) previous.last = slot.index
      else runs.push({ file: slot.file, first: slot.index, last: slot.index })
    }

    const cutter = makeCutter(DEFAULT_CHUNKER)
    const { maxSize } = DEFAULT_CHUNKER
    const chunkCodec = strategyCodec()
    const seen = new Set<string>()
    const concurrency = defaultConcurrency()
    let sampledBytes = 0
    let compressedPayload = 0
    let chunks = 0
    let uniqueChunks = 0
    let uniqueBytes = 0
    let storeBytes = 0
    const byCodec: Record<string, number> = {}
    const perSegment: Array<{ readonly original: number; readonly compressed: number }> = []
    const sampledFiles = new Set<number>()

    /** Counts a chunk; a new one is kept to be compressed with the next batch. */
    const fresh: Array<Uint8Array> = []
    const seeChunk = (chunk: Uint8Array) => {
      chunks++
      const id = createHash("sha256").update(chunk).digest("hex")
      if (seen.has(id)) return
      seen.add(id)
      uniqueChunks++
      uniqueBytes += chunk.byteLength
      fresh.push(chunk)
    }
    /** The new chunks through the store's per-chunk strategy, several at once (the codecs run on the thread pool). */
    const storeFresh = Effect.suspend(() => {
      const batch = fresh.splice(0)
      return Effect.forEach(batch, (chunk) => {
        const choice = chunkCodec.choose(chunk)
        return choice.codec === "store"
          ? Effect.succeed(chunk.byteLength)
          : Effect.map(encodeWith(choice.codec, choice.level, chunk), (stored) => Math.min(stored.byteLength, chunk.byteLength))
      }, { concurrency }).pipe(Effect.map((sizes) => void (storeBytes += sizes.reduce((a, b) => a + b, 0))))
    })

    let currentFile = -1
    let reader: FileReader | undefined
    let strategy: { readonly codec: Codec; readonly level: number } = { codec: "store", level: 0 }
    for (const run of runs) {
      const entry = entries[run.file]!
      if (run.file !== currentFile) {
        currentFile = run.file
        reader = yield* files.openRead(entry.path)
        // The codec `compress` would choose: from the file's first bytes, whatever the slots sampled.
        const head = new Uint8Array(Math.min(SAMPLE_BYTES, entry.size))
        const got = yield* readFully(reader, head, 0)
        const chosenStrategy = chooseStrategy(detect(head.subarray(0, got)))
        strategy = { codec: chosenStrategy.codec, level: chosenStrategy.level }
        sampledFiles.add(run.file)
      }
      const blockSize = blockSizeFor(entry.size, concurrency)
      const start = run.first * SLOT_BYTES
      const end = Math.min(entry.size, (run.last + 1) * SLOT_BYTES)
      // The chunker's window: what is read and not yet cut.
      const pending = new Uint8Array(maxSize + blockSize)
      let pendingLength = 0
      let segmentOriginal = 0
      let segmentCompressed = 0
      /** Compresses a batch of blocks at once, as compressFile does, then feeds them to the chunker in order. */
      const takeBatch = (blocks: ReadonlyArray<Uint8Array>) =>
        Effect.gen(function*() {
          const sizes = yield* Effect.forEach(blocks, (bytes) =>
            strategy.codec === "store" || sampledEntropy(bytes) >= HIGH_ENTROPY_BITS
              ? Effect.succeed(bytes.byteLength)
              : Effect.map(encodeWith(strategy.codec, strategy.level, bytes), (encoded) => Math.min(encoded.byteLength, bytes.byteLength)), { concurrency })
          for (const [index, bytes] of blocks.entries()) {
            segmentCompressed += sizes[index]!
            segmentOriginal += bytes.byteLength
            byCodec[strategy.codec] = (byCodec[strategy.codec] ?? 0) + bytes.byteLength
            pending.set(bytes, pendingLength)
            pendingLength += bytes.byteLength
            let cut = 0
            while (pendingLength - cut >= maxSize) {
              const n = cutter.cut(pending, cut, pendingLength)
              seeChunk(pending.slice(cut, cut + n))
              cut += n
            }
            pending.copyWithin(0, cut, pendingLength)
            pendingLength -= cut
            sampledBytes += bytes.byteLength
          }
          yield* storeFresh
          onProgress(sampledBytes)
        })
      let batch: Array<Uint8Array> = []
      for (let position = start; position < end;) {
        // Up to the next block boundary of compressFile's blocks.
        const boundary = Math.min(end, (Math.floor(position / blockSize) + 1) * blockSize)
        const block = new Uint8Array(boundary - position)
        const length = yield* readFully(reader!, block, position)
        position += length
        if (length === 0) break
        batch.push(block.subarray(0, length))
        if (batch.length === concurrency) {
          yield* takeBatch(batch)
          batch = []
        }
      }
      if (batch.length > 0) yield* takeBatch(batch)
      for (let cut = 0; cut < pendingLength;) {
        const n = cutter.cut(pending, cut, pendingLength)
        seeChunk(pending.slice(cut, cut + n))
        cut += n
      }
      yield* storeFresh
      compressedPayload += segmentCompressed
      perSegment.push({ original: segmentOriginal, compressed: segmentCompressed })
    }

    // compress's container: a header and an end record per file, a record per block.
    const overhead = entries.reduce(
      (sum, e) => sum + HEADER_BYTES + END_BYTES + RECORD_BYTES * Math.ceil(e.size / blockSizeFor(e.size, concurrency)),
      0
    )
    const fraction = sampledBytes === 0 ? 1 : compressedPayload / sampledBytes
    const estimatedBytes = Math.round(fraction * totalBytes) + overhead
    const ratio = estimatedBytes === 0 ? 1 : totalBytes / estimatedBytes
    let low = ratio
    let high = ratio
    if (!exact && perSegment.length > 1) {
      // The ratio estimator's standard error over segments, with the finite-population correction.
      const n = perSegment.length
      const residuals = perSegment.reduce((sum, s) => sum + (s.compressed - fraction * s.original) ** 2, 0)
      const se = Math.sqrt(Math.max(0, 1 - sampledBytes / totalBytes) * (n / (n - 1)) * residuals) / sampledBytes
      const bytesAt = (f: number) => Math.max(1, Math.round(f * totalBytes) + overhead)
      low = totalBytes / bytesAt(fraction + 1.96 * se)
      high = totalBytes / bytesAt(Math.max(0, fraction - 1.96 * se))
    }
    if (!exact) {
      notes.push(
        `sampled ${sampledBytes} of ${totalBytes} bytes (${perSegment.length} segments of up to ${SLOT_BYTES / 1024 / 1024} MiB, seed ${seed})`,
        "dedup is counted only between sampled regions: identical files are sampled at the same places and found, but data repeated at other offsets (shifted, or inside different files) is missed, so the dedup ratio is a lower bound"
      )
    }
    const dedupRatio = uniqueBytes === 0 ? 1 : sampledBytes / uniqueBytes
    const storeRatio = storeBytes === 0 ? 1 : sampledBytes / storeBytes
    return {
      files: entries.length,
      totalBytes,
      sampledBytes,
      sampledFiles: sampledFiles.size,
      segments: perSegment.length,
      seed,
      exact,
      compression: { ratio, low, high, estimatedBytes, byCodec },
      dedup: { ratio: dedupRatio, chunks, uniqueChunks },
      store: { ratio: storeRatio, estimatedBytes: Math.round(totalBytes / storeRatio) },
      seconds: ((yield* Clock.currentTimeMillis) - started) / 1000,
      notes
    }
  }))
