/**
 * compress and decompress (docs/compression-format.md), and the chunk store
 * (docs/store-format.md): TENSOR's file commands. Outputs appear only on
 * success and are never written over an existing file; long work shows its
 * progress on stderr when stderr is a terminal.
 *
 * Several inputs are handled in one process, each to its own output beside
 * it, as zstd and gzip do: one start-up serves them all. A failure on one is
 * reported naming it and the others go on; the exit status says whether any
 * failed.
 *
 * A command runs once per file in scripts, so what it touches at start-up
 * counts: standard input and output are opened only when "-" names them, and
 * the lines on stderr go out with a plain write(2) rather than through
 * process.stderr, whose stream costs a few milliseconds to build.
 */
import { writeSync } from "node:fs"
import { Effect, Exit } from "effect"
import type { Files, Writer } from "../adapters/fs/Files.ts"
import { isTerminal, openDeviceOutput, runFileCommand, standardInput, standardOutput } from "../adapters/fs/StdioLive.ts"
import { type Codec, compressFile, type CompressOptions, decompressFile, isCodec } from "../compress/Compress.ts"
import { EXIT, flag, hasFlag, integerFlag, type Parsed } from "./args.ts"
import { fail, failureOf as messageOf, progressReporter } from "./output.ts"

const SUFFIX = ".svz"
const STDIO = "-"

/** One line on stderr, written before the next thing happens. */
const say = (line: string): void => {
  const bytes = Buffer.from(`sigmavault: ${line}\n`)
  for (let at = 0; at < bytes.byteLength;) at += writeSync(2, bytes, at)
}

/** Progress on stderr only when it is a terminal: checked without building process.stderr. */
const progressFor = (verb: string, input: string) => (isTerminal(2) ? progressReporter(verb, input) : { report: () => {}, done: () => {} })

interface Job {
  readonly input: string
  readonly output: string
}

/** What "-" and a character device output are written through, for one job. */
interface Target {
  readonly output: string
  readonly stdout?: Writer
}

/**
 * Where `job` writes: a file through its atomic write, standard output, or
 * a character device directly (as "-", with the device as the stream).
 * `refuseTerminal` refuses a terminal for binary output.
 */
const targetOf = (job: Job, refuseTerminal: boolean) =>
  Effect.gen(function*() {
    if (job.output === STDIO) return { output: STDIO, stdout: standardOutput({ blocking: true }) } satisfies Target
    const device = yield* openDeviceOutput(job.output)
    if (device === undefined) return { output: job.output } satisfies Target
    if (refuseTerminal && device.isTerminal) {
      return yield* Effect.fail(`refusing to write compressed data to the terminal ${job.output}`)
    }
    return { output: STDIO, stdout: device.write } satisfies Target
  })

/** The streams a job may read and write: standard input only when it is the input. */
const streamsOf = (job: Job, target: Target) => ({
  ...(job.input === STDIO ? { stdin: standardInput() } : {}),
  ...(target.stdout === undefined ? {} : { stdout: target.stdout })
})

/**
 * Runs `one` on every job in one process and returns the exit status: ok
 * when every job succeeded, else failure. Each job's failure is said on
 * stderr, naming its input, and the next job still runs.
 */
const runJobs = async (jobs: ReadonlyArray<Job>, one: (job: Job) => Effect.Effect<void, unknown, Files>): Promise<number> => {
  const exit = await runFileCommand(Effect.gen(function*() {
    let failed = 0
    for (const job of jobs) {
      const result = yield* Effect.exit(one(job))
      if (Exit.isSuccess(result)) continue
      failed++
      say(jobs.length === 1 ? messageOf(result) : `${job.input === STDIO ? "standard input" : job.input}: ${messageOf(result)}`)
    }
    return failed
  }))
  // Only an interruption ends the run itself, and the signal that caused it ends the process first.
  return Exit.isSuccess(exit) && exit.value === 0 ? EXIT.ok : EXIT.failure
}

/** The inputs, or a usage error: several files, or "-" (or nothing) alone; -o only with one input. */
const inputsOf = (parsed: Parsed): { readonly inputs: ReadonlyArray<string> } | { readonly usage: string } => {
  const inputs = parsed.positional.length === 0 ? [STDIO] : parsed.positional
  if (inputs.length > 1 && inputs.includes(STDIO)) return { usage: `- (standard input) can only be the one input, not one of ${inputs.length}` }
  if (inputs.length > 1 && flag(parsed, "--output") !== undefined) {
    return { usage: `-o names the output of one input, but ${inputs.length} were given; without -o each IN is written to IN${SUFFIX}` }
  }
  return { inputs }
}

const compress = async (parsed: Parsed): Promise<number> => {
  const given = inputsOf(parsed)
  if ("usage" in given) return fail(given.usage, EXIT.usage)
  const codecName = flag(parsed, "--codec")
  if (codecName !== undefined && !isCodec(codecName)) return fail(`--codec '${codecName}' is not one of zstd, brotli, gzip, store`, EXIT.usage)
  const level = integerFlag(parsed, "--level", 0, 22)
  if (!level.ok) return fail(level.message, EXIT.usage)
  const json = hasFlag(parsed, "--json")
  const jobs = given.inputs.map((input) => ({ input, output: flag(parsed, "--output") ?? (input === STDIO ? STDIO : `${input}${SUFFIX}`) }))
  if (jobs[0]!.output === STDIO) {
    if (json) return fail("--json prints on standard output, where the compressed data would go: use -o FILE", EXIT.usage)
    if (isTerminal(1)) return fail("refusing to write compressed data to a terminal; use -o FILE or redirect stdout", EXIT.usage)
  }
  const options: CompressOptions = {
    ...(codecName === undefined ? {} : { codec: codecName as Codec }),
    ...(level.value === undefined ? {} : { level: level.value })
  }
  return runJobs(jobs, (job) =>
    Effect.scoped(Effect.gen(function*() {
      const target = yield* targetOf(job, true)
      const progress = progressFor("compressing", job.input)
      const r = yield* Effect.ensuring(
        compressFile(job.input, target.output, { ...options, onProgress: progress.report, ...streamsOf(job, target) }),
        Effect.sync(progress.done)
      )
      if (json) process.stdout.write(JSON.stringify({ input: job.input, output: job.output, ...r }) + "\n")
      else {
        say(
          `${job.input === STDIO ? "stdin" : job.input}: ${r.strategy.reason}; ${r.strategy.codec}` +
            `${r.strategy.codec === "store" ? "" : ` level ${r.strategy.level}`}: ${r.originalBytes} -> ${r.compressedBytes} bytes ` +
            `(ratio ${r.ratio.toFixed(2)}) in ${r.seconds.toFixed(2)} s${job.output === STDIO ? "" : `, written to ${job.output}`}`
        )
      }
    })))
}

const decompress = async (parsed: Parsed): Promise<number> => {
  const given = inputsOf(parsed)
  if ("usage" in given) return fail(given.usage, EXIT.usage)
  const output = flag(parsed, "--output")
  const unnamed = given.inputs.find((input) => output === undefined && input !== STDIO && !input.endsWith(SUFFIX))
  if (unnamed !== undefined) {
    return fail(
      given.inputs.length === 1
        ? `${unnamed} does not end in ${SUFFIX}: say where to write with -o OUT`
        : `${unnamed} does not end in ${SUFFIX}, so it has no output name: decompress it alone with -o OUT`,
      EXIT.usage
    )
  }
  const jobs = given.inputs.map((input) => ({ input, output: output ?? (input === STDIO ? STDIO : input.slice(0, -SUFFIX.length)) }))
  return runJobs(jobs, (job) =>
    Effect.scoped(Effect.gen(function*() {
      const target = yield* targetOf(job, false)
      const progress = progressFor("decompressing", job.input)
      yield* Effect.ensuring(decompressFile(job.input, target.output, { onProgress: progress.report, ...streamsOf(job, target) }), Effect.sync(progress.done))
    })))
}

export const runCompressCommand = (parsed: Parsed): Promise<number> =>
  parsed.command === "compress" ? compress(parsed) : decompress(parsed)
