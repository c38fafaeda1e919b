/**
 * StorageBench on this machine: fio through the CommandRunner (argv arrays,
 * killed on timeout or when the request is cancelled), the scratch file
 * filled with node:fs, and the built-in engine when fio is absent: one
 * synchronous 1 MiB request at a time, O_DIRECT when the filesystem and the
 * buffer's alignment allow it, buffered (and said so) when not.
 */
import { randomFillSync } from "node:crypto"
import { constants } from "node:fs"
import * as fs from "node:fs/promises"
import { Effect, Layer, Result } from "effect"
import { CommandExited, CommandRunner } from "../command/Command.ts"
import { fileErrorFrom } from "../fs/Files.ts"
import { fioArgv, fioTimeoutMs, parseFioJson, PRESETS, presetResultOf, refusesDirect } from "./fio.ts"
import { type BuiltinRun, type FioRun, FioJobFailed, type Measurement, type PresetResult, StorageBench, type StorageBenchShape } from "./StorageBench.ts"

const BLOCK = 1024 * 1024
/** Distinct random blocks written in turn (each 4 KiB also stamped with its offset), so neither compression nor dedup can shrink the data. */
const POOL_BLOCKS = 16
const ALIGN = 4096

const randomPool = (): ReadonlyArray<Buffer> => Array.from({ length: POOL_BLOCKS }, () => randomFillSync(Buffer.allocUnsafe(BLOCK)))

const stamp = (block: Buffer, position: number) => {
  for (let at = 0; at + 8 <= block.length; at += ALIGN) block.writeBigUInt64LE(BigInt(position + at), at)
}

const aborted = (signal: AbortSignal) => {
  if (signal.aborted) throw Object.assign(new Error("the benchmark was cancelled"), { code: "ECANCELED" })
}

interface Opened {
  readonly handle: fs.FileHandle
  readonly direct: boolean
  /** A BLOCK-long window of a larger buffer, aligned for O_DIRECT when `direct`. */
  readonly window: Buffer
}

/**
 * Opens `file` with O_DIRECT and finds a window of the buffer the kernel
 * accepts for direct I/O (JavaScript cannot ask for an aligned buffer; a
 * large one sits a few bytes past a page, so trying offsets finds it). A
 * filesystem that refuses O_DIRECT, or no window found, gives a buffered handle.
 */
const openForBench = async (file: string, flags: number, probe: "read" | "write"): Promise<Opened> => {
  const buffer = Buffer.allocUnsafeSlow(BLOCK + ALIGN)
  randomFillSync(buffer)
  const handle = await fs.open(file, flags | constants.O_DIRECT).catch((cause: NodeJS.ErrnoException) => {
    if (cause.code === "EINVAL") return undefined
    throw cause
  })
  if (handle !== undefined) {
    for (let offset = 0; offset < ALIGN; offset += 16) {
      const window = buffer.subarray(offset, offset + BLOCK)
      const tried = await (probe === "write" ? handle.write(window, 0, ALIGN, 0) : handle.read(window, 0, ALIGN, 0)).then(
        () => true,
        (cause: NodeJS.ErrnoException) => {
          if (cause.code === "EINVAL") return false
          throw cause
        }
      )
      if (tried) return { handle, direct: true, window }
    }
    await handle.close()
  }
  return { handle: await fs.open(file, flags), direct: false, window: buffer.subarray(0, BLOCK) }
}

const percentileOf = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0

const measurementOf = (bytes: number, seconds: number, latenciesNs: ReadonlyArray<number> | undefined): Measurement => {
  const sorted = latenciesNs === undefined ? undefined : [...latenciesNs].sort((a, b) => a - b)
  return {
    mbPerSecond: seconds === 0 ? 0 : bytes / 1e6 / seconds,
    iops: seconds === 0 ? 0 : bytes / BLOCK / seconds,
    ...(sorted === undefined || sorted.length === 0
      ? {}
      : {
        latencyUs: {
          mean: sorted.reduce((a, b) => a + b, 0) / sorted.length / 1000,
          p50: percentileOf(sorted, 50) / 1000,
          p99: percentileOf(sorted, 99) / 1000,
          p999: percentileOf(sorted, 99.9) / 1000
        }
      }),
    bytes,
    seconds
  }
}

const now = () => Number(process.hrtime.bigint())

const builtinRun = async (run: BuiltinRun, signal: AbortSignal): Promise<ReadonlyArray<PresetResult>> => {
  const pool = randomPool()
  const limitNs = run.seconds * 1e9
  const size = Math.max(BLOCK, Math.floor(run.sizeBytes / BLOCK) * BLOCK)

  const writer = await openForBench(run.file, constants.O_WRONLY, "write")
  let written = 0
  const writeLatencies: Array<number> = []
  const writeStart = now()
  try {
    while (written < size && now() - writeStart < limitNs) {
      aborted(signal)
      const block = pool[(written / BLOCK) % POOL_BLOCKS]!
      stamp(block, written)
      block.copy(writer.window)
      const t = now()
      await writer.handle.write(writer.window, 0, BLOCK, written)
      writeLatencies.push(now() - t)
      written += BLOCK
    }
    await writer.handle.datasync()
  } finally {
    await writer.handle.close()
  }
  const writeSeconds = (now() - writeStart) / 1e9

  const reader = await openForBench(run.file, constants.O_RDONLY, "read")
  let read = 0
  const readLatencies: Array<number> = []
  const readStart = now()
  try {
    while (read < written && now() - readStart < limitNs) {
      aborted(signal)
      const t = now()
      const { bytesRead } = await reader.handle.read(reader.window, 0, BLOCK, read)
      readLatencies.push(now() - t)
      if (bytesRead === 0) break
      read += bytesRead
    }
  } finally {
    await reader.handle.close()
  }
  const readSeconds = (now() - readStart) / 1e9
  return [
    {
      preset: "seq1m-q1t1-write",
      label: PRESETS["seq1m-q1t1-write"].label,
      engine: "builtin",
      direct: writer.direct,
      // Buffered writes are timed up to the final fdatasync, so their throughput is honest; one request's latency is not.
      write: measurementOf(written, writeSeconds, writer.direct ? writeLatencies : undefined)
    },
    {
      preset: "seq1m-q1t1-read",
      label: PRESETS["seq1m-q1t1-read"].label,
      engine: "builtin",
      direct: reader.direct,
      read: measurementOf(read, readSeconds, reader.direct ? readLatencies : undefined)
    }
  ]
}

const prepareFile = async (file: string, sizeBytes: number, signal: AbortSignal): Promise<void> => {
  const pool = randomPool()
  const handle = await fs.open(file, constants.O_WRONLY)
  try {
    for (let position = 0; position < sizeBytes; position += BLOCK) {
      aborted(signal)
      const block = pool[(position / BLOCK) % POOL_BLOCKS]!
      stamp(block, position)
      const length = Math.min(BLOCK, sizeBytes - position)
      let done = 0
      while (done < length) done += (await handle.write(block, done, length - done, position + done)).bytesWritten
    }
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** stderr's last line that says something (fio's "fio: pid=…, err=22/file:…, error=Invalid argument"). */
const lastWords = (stderr: string) =>
  stderr.split("\n").map((line) => line.trim()).filter((line) => line !== "").slice(-2).join("; ").slice(0, 500)

export const make = (runner: CommandRunner["Service"]): StorageBenchShape => {
  const runOnce = (run: FioRun) =>
    Effect.gen(function*() {
      const argv = fioArgv(run)
      const output = yield* runner.run("fio", argv, { timeoutMs: fioTimeoutMs(run.seconds, run.sizeBytes), maxOutputBytes: 4 * 1024 * 1024 })
      const parsed = parseFioJson(output.stdout)
      if (Result.isFailure(parsed)) {
        return yield* output.exitCode === 0
          ? Effect.fail(parsed.failure)
          : Effect.fail(new CommandExited({ tool: "fio", args: [...argv], exitCode: output.exitCode, stderr: lastWords(output.stderr) }))
      }
      const report = parsed.success
      if (report.error !== 0) return yield* new FioJobFailed({ preset: run.preset, errno: report.error, detail: lastWords(output.stderr) })
      return presetResultOf(report, run, argv) as PresetResult
    })

  return StorageBench.of({
    fio: runner.run("fio", ["--version"], { timeoutMs: 10_000 }).pipe(
      Effect.map((output) =>
        output.exitCode === 0
          ? { available: true as const, version: output.stdout.trim() }
          : { available: false as const, reason: `fio --version exited ${output.exitCode}: ${lastWords(output.stderr)}` }
      ),
      Effect.catch((error) => Effect.succeed({ available: false as const, reason: error.message }))
    ),
    prepare: (file, sizeBytes) =>
      Effect.tryPromise({ try: (signal) => prepareFile(file, sizeBytes, signal), catch: (cause) => fileErrorFrom("fill", file, cause) }),
    runFio: (run) =>
      runOnce(run).pipe(
        Effect.catchTag("FioJobFailed", (error) =>
          run.direct && refusesDirect(error.errno, error.detail) ? runOnce({ ...run, direct: false }) : Effect.fail(error))
      ),
    builtin: (run) =>
      Effect.tryPromise({ try: (signal) => builtinRun(run, signal), catch: (cause) => fileErrorFrom("benchmark", run.file, cause) })
  })
}

export const layer: Layer.Layer<StorageBench, never, CommandRunner> = Layer.effect(StorageBench, Effect.map(CommandRunner, make))
