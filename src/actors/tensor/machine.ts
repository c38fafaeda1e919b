/**
 * TENSOR: files compressed and decompressed in the container format
 * (docs/compression-format.md), the codec chosen from the content, with
 * progress on the event stream and a short history of jobs.
 */
import { Cause, Clock, Effect } from "effect"
import { CallerFiles } from "../../adapters/fs/CallerFiles.ts"
import { Files } from "../../adapters/fs/Files.ts"
import { type CompressResult, compressFile, decompressFile, type LevelContext } from "../../compress/Compress.ts"
import { DEFAULT_SAMPLE_BYTES, estimateWith } from "../../compress/Estimate.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { withLease } from "../shared/lease.ts"
import { pathResource } from "../shared/leaseRules.ts"
import { Neural } from "../neural/messages.ts"
import { serviceMachine } from "../shared/serve.ts"
import { type Job, NoDefaultOutput, Tensor } from "./messages.ts"


export const tensorCapabilities: ReadonlyArray<Capability> = [
  {
    name: "compression",
    available: true,
    detail: "compresses and decompresses files with zstd, brotli, gzip or store, chosen from the content (already-compressed data is stored); size and SHA-256 verified; progress on the event stream; " +
      "each job holds ARBITER's compression leases on its input and output paths; with no level given, the zstd level is NEURAL's tuned choice for the content class (its default if NEURAL does not answer within 250 ms), and each zstd job's outcome is reported to NEURAL"
  },
  { name: "jobs", available: true, detail: "the last 20 jobs: what, how long, the outcome" },
  {
    name: "estimation",
    available: true,
    detail: "estimates compress's ratio and the chunk store's dedup and stored ratios of a file or tree from a bounded, seeded sample (64 MiB by default; exact for compression when it all fits), with a 95% interval"
  }
]

/**
 * How long a compression waits for NEURAL's `choose`: NEURAL down, busy or
 * slow means the strategy table's fixed level, never a failed compression.
 */
export const CHOOSE_TIMEOUT_MS = 250
/** How long reporting an outcome may take; it runs beside the reply, and a failure is only logged. */
const OUTCOME_TIMEOUT_MS = 5000

const SUFFIX = ".svz"
const HISTORY = 20
/** One progress event per this many bytes at most. */
const PROGRESS_EVERY = 8 * 1024 * 1024

export const tensorMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const callerFiles = yield* CallerFiles
  const history: Array<Job> = []

  const progressOf = (job: string) => {
    let reported = 0
    return (bytes: number) => {
      if (bytes - reported < PROGRESS_EVERY) return
      reported = bytes
      Effect.runFork(env.progress({ job, done: bytes, unit: "bytes" }))
    }
  }

  /**
   * NEURAL's tuning, for one job: the level for the detected class (zstd only:
   * its levels are the bandit's arms), and the outcome afterwards, with the
   * decision it followed.
   */
  const tuned = () => {
    let decision: string | undefined
    const chooseLevel = ({ detection, size, strategy }: LevelContext) =>
      strategy.codec !== "zstd"
        ? Effect.succeed(undefined)
        : env.system.call(Neural, {
          type: "choose",
          class: detection.format,
          defaultLevel: strategy.level,
          ...(size === undefined ? {} : { bytes: size })
        }, { timeoutMs: CHOOSE_TIMEOUT_MS }).pipe(
          Effect.map((chosen) => {
            decision = chosen.decision
            return { level: chosen.level, why: `level ${chosen.level} from NEURAL's tuning (${chosen.why})` }
          }),
          Effect.catchCause((cause) =>
            Effect.as(Effect.logDebug(`NEURAL did not choose a level, keeping the default: ${Cause.pretty(cause)}`), undefined)
          )
        )
    const report = (result: CompressResult) =>
      result.strategy.codec !== "zstd"
        ? Effect.void
        : Effect.asVoid(Effect.forkDetach(env.system.call(Neural, {
          type: "outcome",
          class: result.detection.format,
          level: result.strategy.level,
          bytesIn: result.originalBytes,
          bytesOut: result.compressedBytes,
          seconds: result.seconds,
          ...(decision === undefined ? {} : { decision })
        }, { timeoutMs: OUTCOME_TIMEOUT_MS }).pipe(
          Effect.catchCause((cause) => Effect.logDebug(`NEURAL did not take the outcome: ${Cause.pretty(cause)}`))
        )))
    return { chooseLevel, report }
  }

  /** Runs `job` holding compression leases on the paths it reads and writes, so no migration or verification moves them meanwhile. */
  const leased = <A, E, R>(input: string, output: string, job: Effect.Effect<A, E, R>) =>
    withLease(env, { resource: pathResource(input), job: "compression" }, withLease(env, { resource: pathResource(output), job: "compression" }, job))

  /** Runs a job, keeping it in the history whatever its outcome. */
  const asJob = <A extends Job["detail"], E extends { readonly message: string }>(
    job: string,
    run: (onProgress: (bytes: number) => void) => Effect.Effect<A, E>
  ) =>
    Effect.gen(function*() {
      const started = yield* Clock.currentTimeMillis
      const exit = yield* Effect.exit(run(progressOf(job)))
      const seconds = ((yield* Clock.currentTimeMillis) - started) / 1000
      const detail = exit._tag === "Success" ? exit.value : exit.cause.reasons.map((r) => (r._tag === "Fail" ? r.error.message : String(r))).join("; ")
      history.push({ job, startedAt: new Date(started).toISOString(), seconds, outcome: exit._tag === "Success" ? "done" : "failed", detail })
      if (history.length > HISTORY) history.shift()
      return yield* exit
    })

  return yield* serviceMachine(Tensor, {
    handlers: {
      compress: (message, { caller }) => {
        const output = message.output ?? `${message.input}${SUFFIX}`
        const tuning = tuned()
        return asJob(`compress ${message.input}`, (onProgress) =>
          leased(message.input, output, Effect.map(
            compressFile(message.input, output, {
              ...(message.codec === undefined ? {} : { codec: message.codec }),
              // An explicit level (or codec) is never overridden: NEURAL is asked only when neither is given.
              ...(message.level === undefined ? {} : { level: message.level }),
              chooseLevel: tuning.chooseLevel,
              onProgress
            }).pipe(Effect.tap(tuning.report)),
            (result) => ({ output, ...result })
          ).pipe(Effect.provideServiceEffect(Files, callerFiles.forCaller(caller)), Effect.scoped)))
      },
      decompress: (message, { caller }) => {
        const output = message.output ??
          (message.input.endsWith(SUFFIX) ? message.input.slice(0, -SUFFIX.length) : undefined)
        if (output === undefined) return Effect.fail(new NoDefaultOutput({ input: message.input, suffix: SUFFIX }))
        return asJob(`decompress ${message.input}`, (onProgress) =>
          leased(message.input, output, Effect.map(decompressFile(message.input, output, { onProgress }), (result) => ({ output, ...result })).pipe(
            Effect.provideServiceEffect(Files, callerFiles.forCaller(caller)),
            Effect.scoped
          )))
      },
      estimate: (message, { caller }) => {
        const sampleBytes = message.sampleMiB === undefined ? DEFAULT_SAMPLE_BYTES : message.sampleMiB * 1024 * 1024
        return asJob(`estimate ${message.path}`, (onProgress) =>
          Effect.scoped(Effect.gen(function*() {
            const files = yield* callerFiles.forCaller(caller)
            const estimate = yield* estimateWith(files, message.path, {
              sampleBytes,
              ...(message.seed === undefined ? {} : { seed: message.seed }),
              onProgress
            })
            return { path: message.path, ...estimate }
          })))
      },
      jobs: () => Effect.sync(() => [...history].reverse())
    }
  })
})
