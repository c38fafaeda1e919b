/**
 * NEURAL's tuning of TENSOR's zstd level: the per-class bandit state
 * (bandit.ts), remembered in MNEMONIC — one record per class in the
 * collection `neural-tuning` (id `class:NAME`, the state in its meta) and an
 * index record listing the classes, written durably with each outcome — and
 * the decisions handed out and not yet reported.
 */
import { Cause, Clock, Effect, Exit, Random, Schema } from "effect"
import type { MetricHistoryShape } from "../../history/History.ts"
import type { MemoryShape } from "../../memory/Memory.ts"
import { describeError } from "../../runtime/Errors.ts"
import { type BanditSettings, bestArm, choose, type ClassState, emptyClass, MAX_CLASSES, MIN_BYTES, observe } from "./bandit.ts"
import type { NeuralConfigShape } from "./config.ts"
import { UnknownDecision } from "./messages.ts"

export const COLLECTION = "neural-tuning"
const INDEX_ID = "index"
const classId = (name: string) => `class:${name}`
/** Decisions handed out and not reported yet, newest kept. */
const PENDING = 1024
/** zstd's own default: the default of a class first heard of through an outcome (a level its caller fixed). */
const ZSTD_DEFAULT_LEVEL = 3
export const KNOB = "TENSOR zstd level per content class"
export const REWARD = "log2(MiB/s × ratio) per job of at least 1 MiB: MiB/s = bytes in / seconds / 2^20, ratio = bytes in / bytes out"

const StoredArm = Schema.Struct({ level: Schema.Int, pulls: Schema.Int, mean: Schema.Finite, variance: Schema.Finite })
const StoredClass = Schema.Struct({
  name: Schema.String,
  defaultLevel: Schema.Int,
  decisions: Schema.Int,
  explored: Schema.Int,
  outcomes: Schema.Int,
  ignored: Schema.Int,
  arms: Schema.Array(StoredArm),
  updatedAt: Schema.Finite
})
const StoredIndex = Schema.Struct({ classes: Schema.Array(Schema.String) })
const decodeClass = Schema.decodeUnknownExit(StoredClass)
const decodeIndex = Schema.decodeUnknownExit(StoredIndex)

interface Pending {
  readonly class: string
  readonly level: number
}

/** What `describe` shows of the tuning: the live table in one line per class (the runtime reads it when asked). */
export const tuningSummary = { text: "nothing learned yet" }

const sdOf = (variance: number) => Math.sqrt(Math.max(0, variance))

export const makeTuner = (memory: MemoryShape, config: NeuralConfigShape, history: MetricHistoryShape) =>
  Effect.gen(function*() {
    const settings: BanditSettings = { on: config.tuning, share: config.explorePercent / 100, arms: config.levels }
    const classes = new Map<string, ClassState>()
    const pending = new Map<string, Pending>()
    /** Classes the index record in MNEMONIC lists. */
    const indexed = new Set<string>()
    let problem: string | undefined
    let sequence = 0
    const prefix = (yield* Random.nextIntBetween(0, 36 ** 6)).toString(36)

    const summarize = () => {
      const rows = [...classes.values()].map((state) => {
        const best = bestArm(state.arms)
        return best === undefined
          ? `${state.name}: level ${state.defaultLevel} (default; ${state.outcomes} outcomes)`
          : `${state.name}: level ${best.level} (mean reward ${best.mean.toFixed(2)}, ${best.pulls} jobs)`
      })
      tuningSummary.text = `${settings.on ? `on, at most ${config.explorePercent}% of jobs explore` : "off: TENSOR's default levels"}; ` +
        (rows.length === 0 ? "nothing learned yet" : rows.join("; "))
    }

    // What was learned before: a damaged record is skipped and said so, never fatal.
    const load = Effect.gen(function*() {
      const index = yield* memory.get(COLLECTION, INDEX_ID)
      if (index._tag === "None") return
      const names = decodeIndex(index.value.meta)
      if (Exit.isFailure(names)) return yield* Effect.fail(`the index record of ${COLLECTION} is damaged`)
      for (const name of names.value.classes.slice(0, MAX_CLASSES)) {
        const record = yield* memory.get(COLLECTION, classId(name))
        if (record._tag === "None") continue
        const state = decodeClass(record.value.meta["state"])
        indexed.add(name)
        if (Exit.isSuccess(state)) classes.set(name, state.value)
        else yield* Effect.logWarning(`${COLLECTION}: the record of class ${name} is damaged; learning it again`)
      }
    })
    const loaded = yield* Effect.exit(load)
    // A collection not made yet is a fresh start, not a problem.
    if (Exit.isFailure(loaded)) {
      const reason = describeError(Cause.squash(loaded.cause))
      if (!/no such collection/i.test(reason)) {
        problem = `could not load what was learned: ${reason}`
        yield* Effect.logWarning(`${COLLECTION}: ${problem}`)
      }
    }
    summarize()

    const writeIndex = Effect.gen(function*() {
      const names = [...classes.keys()]
      yield* memory.remember({ collection: COLLECTION, id: INDEX_ID, text: `${KNOB}: the classes`, meta: { classes: names } })
      indexed.clear()
      for (const name of names) indexed.add(name)
    })

    /** Writes a class (and the index, for a class it does not list yet) durably; a failure is kept to be shown, and the table goes on in memory. */
    const persist = (state: ClassState) =>
      Effect.gen(function*() {
        const written = yield* Effect.exit(Effect.gen(function*() {
          yield* memory.remember({ collection: COLLECTION, id: classId(state.name), text: `${KNOB}: ${state.name}`, meta: { state } })
          if (!indexed.has(state.name)) yield* writeIndex
        }))
        if (Exit.isSuccess(written)) {
          problem = undefined
          return
        }
        problem = `could not remember class ${state.name}: ${describeError(Cause.squash(written.cause))}`
        yield* Effect.logWarning(`${COLLECTION}: ${problem}`)
      })

    /** The class's level, its outcomes at `level` and its explorations, for the metric history (what it refuses is counted there). */
    const recordMetrics = (state: ClassState, level: number, at: number) =>
      Effect.asVoid(history.record([
        { name: "sigmavault_tuning_level", labels: { class: state.name }, value: bestArm(state.arms)?.level ?? state.defaultLevel, at },
        { name: "sigmavault_tuning_outcomes_total", labels: { class: state.name, level: String(level) }, value: state.arms.find((arm) => arm.level === level)?.pulls ?? 0, at },
        { name: "sigmavault_tuning_explored_total", labels: { class: state.name }, value: state.explored, at }
      ]))

    const chooseFor = (request: { readonly class: string; readonly defaultLevel: number; readonly bytes?: number | undefined }) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const decision = `${prefix}-${++sequence}`
        const known = classes.get(request.class)
        if (known === undefined && classes.size >= MAX_CLASSES) {
          return { level: request.defaultLevel, explored: false, decision, tuning: settings.on ? "on" : "off", why: `default level: ${MAX_CLASSES} classes are learned already` } as const
        }
        const current = { ...(known ?? emptyClass(request.class, request.defaultLevel, settings.arms, now)), defaultLevel: request.defaultLevel }
        const draws = [yield* Random.next, yield* Random.next]
        let drawn = 0
        const measurable = request.bytes === undefined || request.bytes >= MIN_BYTES
        const { choice, state } = choose(current, settings, () => draws[drawn++] ?? 0, measurable)
        classes.set(request.class, state)
        pending.set(decision, { class: request.class, level: choice.level })
        if (pending.size > PENDING) pending.delete(pending.keys().next().value!)
        if (known === undefined) summarize()
        return { level: choice.level, explored: choice.explored, decision, tuning: settings.on ? "on" : "off", why: choice.why } as const
      })

    const outcome = (report: {
      readonly class: string
      readonly level: number
      readonly bytesIn: number
      readonly bytesOut: number
      readonly seconds: number
      readonly decision?: string | undefined
    }) =>
      Effect.gen(function*() {
        if (report.decision !== undefined) {
          const decided = pending.get(report.decision)
          if (decided === undefined) {
            return yield* Effect.fail(new UnknownDecision({ decision: report.decision, reason: "not a decision waiting for its outcome (unknown, already reported, or forgotten after a restart)" }))
          }
          if (decided.class !== report.class || decided.level !== report.level) {
            return yield* Effect.fail(new UnknownDecision({ decision: report.decision, reason: `it was level ${decided.level} for class ${decided.class}, not level ${report.level} for ${report.class}` }))
          }
          pending.delete(report.decision)
        }
        const now = yield* Clock.currentTimeMillis
        const known = classes.get(report.class)
        if (known === undefined && classes.size >= MAX_CLASSES) {
          return { learned: false, why: `${MAX_CLASSES} classes are learned already`, pulls: 0 }
        }
        const state = known ?? emptyClass(report.class, ZSTD_DEFAULT_LEVEL, settings.arms, now)
        const observed = observe(state, report, now)
        classes.set(report.class, observed.state)
        yield* persist(observed.state)
        summarize()
        yield* recordMetrics(observed.state, report.level, now)
        return {
          learned: observed.learned,
          ...(observed.reward === undefined ? {} : { reward: observed.reward }),
          ...(observed.why === undefined ? {} : { why: observed.why }),
          pulls: observed.state.arms.find((arm) => arm.level === report.level)?.pulls ?? 0
        }
      })

    const table = Effect.sync(() => {
      const rows = [...classes.values()].sort((a, b) => a.name.localeCompare(b.name)).map((state) => {
        const best = bestArm(state.arms)
        return {
          class: state.name,
          defaultLevel: state.defaultLevel,
          bestLevel: best?.level ?? state.defaultLevel,
          ...(best === undefined ? {} : { meanReward: best.mean }),
          pulls: best?.pulls ?? 0,
          decisions: state.decisions,
          explored: state.explored,
          outcomes: state.outcomes,
          ignored: state.ignored,
          arms: state.arms.map((arm) => ({ level: arm.level, pulls: arm.pulls, meanReward: arm.mean, sd: sdOf(arm.variance) })),
          updatedAt: new Date(state.updatedAt).toISOString()
        }
      })
      return {
        knob: KNOB,
        tuning: settings.on ? "on" : "off",
        explorePercent: config.explorePercent,
        levels: [...settings.arms],
        reward: REWARD,
        memory: { collection: COLLECTION, ...(problem === undefined ? {} : { problem }) },
        classes: rows,
        decisions: rows.reduce((sum, row) => sum + row.decisions, 0),
        explored: rows.reduce((sum, row) => sum + row.explored, 0),
        outcomes: rows.reduce((sum, row) => sum + row.outcomes, 0)
      } as const
    })

    const reset = (request: { readonly class?: string | undefined; readonly confirm?: boolean | undefined }) =>
      Effect.gen(function*() {
        const names = request.class === undefined ? [...classes.keys()].sort() : classes.has(request.class) ? [request.class] : []
        const outcomes = names.reduce((sum, name) => sum + (classes.get(name)?.outcomes ?? 0), 0)
        const what = names.length === 0 ? "nothing learned to forget" : `forget ${outcomes} outcomes of ${names.length} class(es) (${names.join(", ")}) in MNEMONIC collection ${COLLECTION}; TENSOR then uses its default levels until relearned`
        if (request.confirm !== true) return { confirmed: false, classes: names, outcomes, plan: `would ${what}; send confirm: true to apply` }
        for (const name of names) {
          yield* memory.forget(COLLECTION, classId(name))
          classes.delete(name)
        }
        for (const [id, decided] of pending) if (names.includes(decided.class)) pending.delete(id)
        if (names.length > 0) yield* writeIndex
        summarize()
        return { confirmed: true, classes: names, outcomes, plan: names.length === 0 ? what : `forgot: ${what.slice("forget ".length)}` }
      })

    return { choose: chooseFor, outcome, table, reset } as const
  })
