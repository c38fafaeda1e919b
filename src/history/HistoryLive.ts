/**
 * The metric history kept under the state directory (`<stateDir>/history/`,
 * docs/history.md): the tiers in memory (store/Rings.ts), every accepted
 * sample appended to a journal at each flush (one framed, checksummed write,
 * fdatasynced), and now and then a checkpoint of the whole store written
 * atomically (temporary file, fsync, rename), after which the journals it
 * covers are removed. On start: the checkpoint, then the journals after it;
 * a torn journal tail or an unreadable checkpoint is reported (logged and in
 * `recovery`), never fatal. All through the Files port.
 *
 * Flushes run at most every `flushIntervalMs` (60 s) after something was
 * recorded, sooner only when the journal buffer fills, and never while idle;
 * the layer's scope closing (daemon shutdown) flushes and checkpoints.
 */
import { join } from "node:path"
import { Clock, Effect, Exit, Latch, Layer, Result, Scope, Semaphore } from "effect"
import { type AppendFile, type FileError, Files, listIfPresent, removeStaleTemporaries, unlessMissing } from "../adapters/fs/Files.ts"
import {
  compileMatchers,
  type HistoryStats,
  HistoryQueryInvalid,
  HistoryUnavailable,
  type Labels,
  MAX_POINTS,
  MetricHistory,
  type MetricHistoryShape,
  type Query,
  type Sample,
  type SeriesPoints
} from "./History.ts"
import { CheckpointUnreadable, decodeCheckpoint, encodeCheckpoint, Pending, replayJournal, type TornTail } from "./store/Codec.ts"
import { identify } from "./store/identify.ts"
import { DEFAULT_HISTORY_MAX_BYTES, DEFAULT_HISTORY_MAX_SERIES } from "./limits.ts"
import { DEFAULT_TIERS, type RefusalReason, Rings, type Series, type TierSpec, tiersOf } from "./store/Rings.ts"

export { DEFAULT_HISTORY_MAX_BYTES as DEFAULT_MAX_BYTES, DEFAULT_HISTORY_MAX_SERIES as DEFAULT_MAX_SERIES } from "./limits.ts"

export interface HistoryLiveOptions {
  /** where the files go: `<stateDir>/history` in the daemon */
  readonly dir: string
  readonly maxSeries?: number
  /** bytes of memory the history may hold: its buckets, series, and the journal buffer */
  readonly maxBytes?: number
  readonly tiers?: ReadonlyArray<TierSpec>
  /** how long after the first unflushed sample the background flush runs; default 60 s */
  readonly flushIntervalMs?: number
  /** a checkpoint is written after a flush that brings the journal past this many bytes … */
  readonly checkpointJournalBytes?: number
  /** … or when the last checkpoint is older than this and the journal is not empty */
  readonly checkpointIntervalMs?: number
  /** samples stamped further than this ahead of the clock are refused as invalid; default 5 min */
  readonly futureMs?: number
}

export interface JournalTear extends TornTail {
  readonly file: string
}

/** What the start found on disk. */
export interface Recovery {
  readonly checkpoint: "none" | "loaded" | "unreadable"
  /** why the checkpoint could not be used (it was copied to `checkpoint.unreadable`) */
  readonly checkpointProblem?: string
  readonly journals: number
  readonly frames: number
  readonly samples: number
  readonly tornTails: ReadonlyArray<JournalTear>
  /** the directory could not be used: the history runs in memory only, and `flush` fails saying why */
  readonly unavailable?: string
}

export interface HistoryLiveShape extends MetricHistoryShape {
  readonly recovery: Recovery
  /** Flushes, then writes a checkpoint and removes the journals it covers. */
  readonly checkpoint: Effect.Effect<void, HistoryUnavailable>
  /** What the byte cap has cost: chunks evicted, samples a tier missed, and per tier where its data now starts (ms; null: all of it kept). */
  readonly pressure: Effect.Effect<{ readonly evictedChunks: number; readonly tierMisses: number; readonly horizon: ReadonlyArray<number | null> }>
}

/** Samples recorded between two chances for a checkpoint write or a flush to run. */
const SLICE = 1024
const CHECKPOINT = "checkpoint"
const UNREADABLE = "checkpoint.unreadable"
const JOURNAL = /^journal-(\d+)$/
const journalName = (generation: number) => `journal-${generation}`

export const make = (options: HistoryLiveOptions): Effect.Effect<HistoryLiveShape, never, Files | Scope.Scope> =>
  Effect.gen(function*() {
    const files = yield* Files
    const dir = options.dir
    const maxSeries = options.maxSeries ?? DEFAULT_HISTORY_MAX_SERIES
    const maxBytes = options.maxBytes ?? DEFAULT_HISTORY_MAX_BYTES
    const tiers = options.tiers ?? DEFAULT_TIERS
    const flushIntervalMs = options.flushIntervalMs ?? 60_000
    const checkpointJournalBytes = options.checkpointJournalBytes ?? 4 * 1024 * 1024
    const checkpointIntervalMs = options.checkpointIntervalMs ?? 6 * 3_600_000
    const futureMs = options.futureMs ?? 300_000
    // The journal buffer's share of the byte cap (the rings get the rest): the pending records are
    // written once they reach a quarter of it, the buffer never grows past half of it (but for one
    // outsize record), and frames a failing disk could not take are kept up to the other half.
    const reserve = Math.max(16 * 1024, Math.min(2 * 1024 * 1024, Math.floor(maxBytes / 8)))
    const flushAt = Math.floor(reserve / 4)

    let rings = new Rings(tiers, { maxSeries, maxBytes: maxBytes - reserve })
    const pending = new Pending(Math.floor(reserve / 2))
    /** frames a failed append could not write: retried first by the next flush (bounded by `reserve`) */
    let unwritten: Array<Uint8Array> = []
    const unwrittenBytes = () => unwritten.reduce((n, f) => n + f.byteLength, 0)
    let samples = 0
    const refused = { seriesCap: 0, byteCap: 0, invalid: 0 }
    let generation = 0
    /** Bumped whenever what is pending will go to another journal file than the records before it: each file defines the series it uses. */
    let epoch = 0
    let journal: { readonly file: AppendFile; readonly scope: Scope.Closeable; size: number } | undefined
    let lastCheckpointAt = yield* Clock.currentTimeMillis
    let unavailable: string | undefined
    const lock = Semaphore.makeUnsafe(1)
    const dirty = yield* Latch.make(false)
    /** closed while a checkpoint is being written: records wait */
    const idle = yield* Latch.make(true)

    const count = (reason: RefusalReason) => {
      refused[reason]++
    }
    const unavailableError = (error: FileError | string) =>
      new HistoryUnavailable({ reason: typeof error === "string" ? error : error.message })

    // --- start: checkpoint, then the journals after it ------------------------------
    const recovery = yield* Effect.gen(function*() {
      yield* files.makeDirectory(dir, { recursive: true, mode: 0o700 })
      yield* removeStaleTemporaries(files, dir)
      const names = yield* listIfPresent(files, dir)
      let checkpoint: Recovery["checkpoint"] = "none"
      let checkpointProblem: string | undefined
      const bytes = yield* unlessMissing(files.readFile(join(dir, CHECKPOINT), { maxBytes: 4 * maxBytes + 64 * 1024 * 1024 }))
      if (bytes !== undefined) {
        try {
          const meta = decodeCheckpoint(bytes, rings)
          generation = meta.generation
          samples = meta.samples
          Object.assign(refused, meta.refused)
          checkpoint = "loaded"
        } catch (error) {
          if (!(error instanceof CheckpointUnreadable)) throw error
          checkpoint = "unreadable"
          checkpointProblem = error.message
          rings = new Rings(tiers, rings.caps)
          yield* files.writeAtomic(join(dir, UNREADABLE), bytes, { replace: true })
          yield* Effect.logError(`metric history: the checkpoint ${join(dir, CHECKPOINT)} is unreadable (${error.message}); kept as ${UNREADABLE}, starting from the journals alone`)
        }
      }
      const journals = names.flatMap((name) => {
        const match = JOURNAL.exec(name)
        return match === null ? [] : [Number(match[1])]
      }).sort((a, b) => a - b)
      const tornTails: Array<JournalTear> = []
      let frames = 0
      let replayed = 0
      const now = yield* Clock.currentTimeMillis
      for (const g of journals) {
        const file = join(dir, journalName(g))
        if (g < generation) {
          yield* files.remove(file)
          continue
        }
        const content = yield* files.readFile(file)
        const byNo = new Map<number, Series>()
        const result = replayJournal(content, {
          series: (no, name, labels) => {
            // a whole frame holds what this code wrote; checked anyway, as for any sample
            const id = identify({ name, labels, value: 0 })
            if (id === undefined) return
            const existing = rings.series.get(id)
            if (existing !== undefined) {
              byNo.set(no, existing)
              return
            }
            const added = rings.addSeries(id, name, labels, rings.byNo.has(no) ? undefined : no)
            if (typeof added === "string") count(added)
            else byNo.set(no, added)
          },
          sample: (no, at, value) => {
            const s = byNo.get(no) ?? rings.byNo.get(no)
            if (s === undefined) return
            if (!Number.isFinite(at) || !Number.isFinite(value) || at > now + futureMs || rings.tooOld(at, now + futureMs)) return
            const refusal = rings.add(s, at, value)
            if (refusal === undefined) {
              samples++
              replayed++
            } else if (refusal !== "invalid") count(refusal)
          }
        })
        frames += result.frames
        if (result.torn !== undefined) {
          tornTails.push({ file, ...result.torn })
          yield* Effect.logWarning(`metric history: ${file} ends in a torn tail of ${result.torn.bytes} bytes at byte ${result.torn.offset} (${result.torn.reason}); the ${result.frames} whole frames before it were replayed`)
        }
        generation = Math.max(generation, g + 1)
      }
      const found: Recovery = {
        checkpoint,
        ...(checkpointProblem === undefined ? {} : { checkpointProblem }),
        journals: journals.length,
        frames,
        samples: replayed,
        tornTails
      }
      return found
    }).pipe(
      Effect.catchTag("FileError", (error) => {
        unavailable = `${dir} cannot be used: ${error.message}`
        return Effect.as(
          Effect.logError(`metric history: ${unavailable}; keeping the history in memory only`),
          { checkpoint: "none", journals: 0, frames: 0, samples: 0, tornTails: [], unavailable } satisfies Recovery
        )
      })
    )

    // --- writing -------------------------------------------------------------------
    const closeJournal = Effect.suspend(() => {
      const open = journal
      journal = undefined
      return open === undefined ? Effect.void : Scope.close(open.scope, Exit.void)
    })

    const openJournal = Effect.gen(function*() {
      if (journal !== undefined) return journal
      const scope = yield* Scope.make()
      const file = yield* files.openAppend(join(dir, journalName(generation)), { mode: 0o600 }).pipe(
        Scope.provide(scope),
        Effect.onError(() => Scope.close(scope, Exit.void))
      )
      journal = { file, scope, size: file.size }
      return journal
    })

    /** Appends what is pending (one write, fdatasync). A failed append moves on to a new journal file. */
    const appendPending: Effect.Effect<void, HistoryUnavailable> = Effect.gen(function*() {
      if (unavailable !== undefined) return yield* Effect.fail(unavailableError(unavailable))
      const frame = pending.take()
      if (frame !== undefined) unwritten.push(frame)
      if (unwritten.length === 0) return
      const frames = unwritten
      const bytes = frames.length === 1 ? frames[0]! : concat(frames)
      const written = yield* Effect.result(Effect.gen(function*() {
        const open = yield* openJournal
        yield* open.file.append(bytes)
        open.size += bytes.byteLength
      }))
      if (Result.isFailure(written)) {
        // What may be left of a half-written frame ends that file; the retry goes to the next one.
        yield* closeJournal
        generation++
        epoch++
        let kept = frames
        while (kept.length > 0 && kept.reduce((n, f) => n + f.byteLength, 0) > reserve / 2) kept = kept.slice(1)
        if (kept.length < frames.length) yield* Effect.logWarning(`metric history: ${frames.length - kept.length} unwritten journal frames dropped (they stay in memory, not on disk)`)
        unwritten = kept
        return yield* Effect.fail(unavailableError(written.failure))
      }
      unwritten = []
    })

    const writeCheckpoint: Effect.Effect<void, HistoryUnavailable> = Effect.gen(function*() {
      if (unavailable !== undefined) return yield* Effect.fail(unavailableError(unavailable))
      const next = generation + 1
      // No record changes the rings until the pieces (views of the chunks themselves) are written.
      yield* idle.close
      return yield* Effect.ensuring(writeCheckpointPieces(next), idle.open)
    })

    const writeCheckpointPieces = (next: number): Effect.Effect<void, HistoryUnavailable> => Effect.gen(function*() {
      const bytes = encodeCheckpoint(rings, { generation: next, samples, refused: { ...refused } })
      // Everything recorded so far is in `bytes`: what is pending need not be journaled.
      const frame = pending.take()
      epoch++
      const covered = frame === undefined ? unwritten : [...unwritten, frame]
      unwritten = []
      const written = yield* Effect.result(files.writeAtomic(join(dir, CHECKPOINT), bytes, { replace: true, mode: 0o600 }))
      if (Result.isFailure(written)) {
        unwritten = [...covered, ...unwritten]
        return yield* Effect.fail(unavailableError(written.failure))
      }
      yield* closeJournal
      generation = next
      lastCheckpointAt = yield* Clock.currentTimeMillis
      const names = yield* Effect.orElseSucceed(listIfPresent(files, dir), () => [])
      for (const name of names) {
        const match = JOURNAL.exec(name)
        if (match !== null && Number(match[1]) < next) yield* Effect.ignore(files.remove(join(dir, name)))
      }
    })

    const flushNow: Effect.Effect<void, HistoryUnavailable> = lock.withPermit(Effect.uninterruptible(Effect.gen(function*() {
      yield* appendPending
      const now = yield* Clock.currentTimeMillis
      const size = journal?.size ?? 0
      if (size > checkpointJournalBytes || (size > 0 && now - lastCheckpointAt >= checkpointIntervalMs)) {
        yield* Effect.catch(writeCheckpoint, (error) => Effect.logWarning(`metric history: checkpoint not written: ${error.message}`))
      }
    })))

    const checkpointNow: Effect.Effect<void, HistoryUnavailable> = lock.withPermit(Effect.uninterruptible(writeCheckpoint))

    // What the start replayed goes into a checkpoint at once, so the journals behind it are gone.
    if (unavailable === undefined && (recovery.frames > 0 || recovery.tornTails.length > 0 || recovery.checkpoint === "unreadable")) {
      yield* Effect.catch(checkpointNow, (error) => Effect.logWarning(`metric history: checkpoint after start not written: ${error.message}`))
    }

    // The background flush: waits (no timer at all) until something is recorded, then flushes flushIntervalMs later.
    yield* Effect.forkScoped(Effect.forever(Effect.gen(function*() {
      yield* dirty.await
      yield* dirty.close
      yield* Effect.sleep(flushIntervalMs)
      yield* Effect.catch(flushNow, (error) => Effect.logWarning(`metric history: flush failed: ${error.message}`))
    })))
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        yield* Effect.catch(flushNow, (error) => Effect.logWarning(`metric history: flush at shutdown failed: ${error.message}`))
        if (journal !== undefined && journal.size > 0) {
          yield* Effect.catch(checkpointNow, (error) => Effect.logWarning(`metric history: checkpoint at shutdown failed: ${error.message}`))
        }
        yield* closeJournal
      })
    )

    // --- the service ---------------------------------------------------------------
    const matching = (name: string | undefined): Array<Series> =>
      [...rings.series.values()].filter((s) => name === undefined || s.name === name)

    /** Records `batch[from, to)` at once (no yield inside: no checkpoint write sees it half done). */
    const recordSlice = (batch: ReadonlyArray<Sample>, from: number, to: number, now: number, result: { accepted: number; refused: number }) => {
      for (let i = from; i < to; i++) {
        const sample = batch[i]!
        const at = sample.at ?? now
        const id = identify(sample)
        if (id === undefined || !Number.isFinite(at) || at > now + futureMs || rings.tooOld(at, now + futureMs)) {
          count("invalid")
          result.refused++
          continue
        }
        let s = rings.series.get(id)
        const isNew = s === undefined
        if (s === undefined) {
          const labels: Labels = Object.fromEntries(Object.entries(sample.labels ?? {}).filter(([, v]) => v !== ""))
          const added = rings.addSeries(id, sample.name, labels)
          if (typeof added === "string") {
            count(added)
            result.refused++
            continue
          }
          s = added
        }
        const refusal = rings.add(s, at, sample.value)
        if (refusal !== undefined) {
          // a series is not kept without a sample
          if (isNew) rings.removeSeries(s)
          count(refusal)
          result.refused++
          continue
        }
        if (s.journaled !== epoch) {
          pending.series(s.no, s.name, s.labels)
          s.journaled = epoch
        }
        pending.sample(s.no, at, sample.value)
        samples++
        result.accepted++
        if (pending.length >= flushAt) return i + 1
      }
      return to
    }

    const record = (batch: ReadonlyArray<Sample>) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const result = { accepted: 0, refused: 0 }
        let i = 0
        while (i < batch.length) {
          yield* idle.await
          i = recordSlice(batch, i, Math.min(batch.length, i + SLICE), now, result)
          // A full buffer is written now (a burst never holds more than the reserve).
          if (pending.length >= flushAt) yield* Effect.catch(flushNow, (error) => Effect.logWarning(`metric history: flush failed: ${error.message}`))
        }
        if (pending.length > 0) dirty.openUnsafe()
        return result
      })

    const query = (q: Query) =>
      Effect.gen(function*() {
        if (!Number.isFinite(q.from) || !Number.isFinite(q.to)) return yield* new HistoryQueryInvalid({ field: "from", reason: "and 'to' must be finite numbers of ms" })
        if (!(q.from <= q.to)) return yield* new HistoryQueryInvalid({ field: "from", reason: "is after 'to'" })
        if (q.step !== undefined && !(q.step >= 1)) return yield* new HistoryQueryInvalid({ field: "step", reason: "must be at least 1 ms" })
        const how = q.consolidate ?? "avg"
        if (how !== "avg" && how !== "min" && how !== "max" && how !== "last") {
          return yield* new HistoryQueryInvalid({ field: "consolidate", reason: `'${String(how).slice(0, 40)}' is not one of avg, min, max, last` })
        }
        const test = compileMatchers(q.matchers)
        if (test instanceof HistoryQueryInvalid) return yield* test
        const now = yield* Clock.currentTimeMillis
        const k = rings.tierFor(q.from, now + futureMs)
        const resolution = rings.tiers[k]!.step
        const step = q.step === undefined
          ? resolution * Math.max(1, Math.ceil((q.to - q.from) / MAX_POINTS / resolution))
          : Math.ceil(q.step / resolution) * resolution
        if ((q.to - q.from) / step > MAX_POINTS) {
          return yield* new HistoryQueryInvalid({ field: "step", reason: `would give more than ${MAX_POINTS} points per series` })
        }
        const out: Array<SeriesPoints> = []
        for (const s of matching(q.name)) {
          if (!test(s.labels)) continue
          out.push({ name: s.name, labels: s.labels, resolution, points: rings.read(s, k, q.from, q.to, step, how) })
        }
        return out
      })

    const shape: HistoryLiveShape = {
      record,
      query,
      series: (name) => Effect.sync(() => matching(name).map((s) => ({ name: s.name, labels: s.labels }))),
      latest: (name) =>
        Effect.sync(() =>
          matching(name).flatMap((s) => Number.isFinite(s.lastAt) ? [{ name: s.name, labels: s.labels, at: s.lastAt, value: s.lastValue }] : [])
        ),
      stats: Effect.sync((): HistoryStats => ({
        series: rings.series.size,
        maxSeries,
        bytes: rings.bytes + pending.capacity + unwrittenBytes(),
        maxBytes,
        samples,
        refused: { ...refused },
        tiers: tiersOf(rings.tiers)
      })),
      flush: flushNow,
      checkpoint: Effect.andThen(flushNow, checkpointNow),
      pressure: Effect.sync(() => ({ ...rings.pressure, horizon: rings.horizon.map((h) => (Number.isFinite(h) ? h : null)) })),
      recovery
    }
    return shape
  })

const concat = (frames: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(frames.reduce((n, f) => n + f.byteLength, 0))
  let p = 0
  for (const f of frames) {
    out.set(f, p)
    p += f.byteLength
  }
  return out
}

export const layer = (options: HistoryLiveOptions): Layer.Layer<MetricHistory, never, Files> => Layer.effect(MetricHistory, make(options))
