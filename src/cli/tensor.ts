/**
 * compress and decompress (docs/compression-format.md), and the chunk store
 * (docs/store-format.md): TENSOR's file commands. Outputs appear only on
 * success and are never written over an existing file; long work shows its
 * progress on stderr when stderr is a terminal.
 */
import { statSync } from "node:fs"
import { Exit, Result } from "effect"
import { commandStreams, runFileCommand } from "../adapters/fs/StdioLive.ts"
import { type Codec, compressFile, decompressFile, isCodec } from "../compress/Compress.ts"
import { EXIT, flag, hasFlag, integerFlag, type Parsed } from "./args.ts"
import { fail, failureOf as messageOf } from "./output.ts"


const MiB = 1024 * 1024

/** A progress line on stderr (a terminal only), redrawn at most ten times a second and cleared at the end. */
export const progressReporter = (verb: string, path: string) => {
  const stat = path === "-" ? undefined : Result.getOrUndefined(Result.try(() => statSync(path)))
  const total = stat?.isFile() === true ? stat.size : undefined
  if (!process.stderr.isTTY || (total !== undefined && total < 64 * MiB)) return { report: (_bytes: number) => {}, done: () => {} }
  let last = 0
  let shown = false
  return {
    report: (bytes: number) => {
      if (Date.now() - last < 100) return
      last = Date.now()
      shown = true
      const of = total === undefined ? "" : ` of ${(total / MiB).toFixed(0)} MiB (${Math.floor((100 * bytes) / Math.max(1, total))}%)`
      process.stderr.write(`\r${verb}: ${(bytes / MiB).toFixed(0)} MiB${of}\u001b[K`)
    },
    done: () => {
      if (shown) process.stderr.write("\r\u001b[K")
    }
  }
}

const SUFFIX = ".svz"

const compress = async (parsed: Parsed): Promise<number> => {
  const input = parsed.positional[0] ?? "-"
  const output = flag(parsed, "--output") ?? (input === "-" ? "-" : `${input}${SUFFIX}`)
  const codecName = flag(parsed, "--codec")
  if (codecName !== undefined && !isCodec(codecName)) return fail(`--codec '${codecName}' is not one of zstd, brotli, gzip, store`, EXIT.usage)
  const level = integerFlag(parsed, "--level", 0, 22)
  if (!level.ok) return fail(level.message, EXIT.usage)
  if (output === "-" && process.stdout.isTTY) return fail("refusing to write compressed data to a terminal; use -o FILE or redirect stdout", EXIT.usage)
  const progress = progressReporter("compressing", input)
  const result = await runFileCommand(compressFile(input, output, {
    ...(codecName === undefined ? {} : { codec: codecName as Codec }),
    ...(level.value === undefined ? {} : { level: level.value }),
    onProgress: progress.report,
    ...commandStreams()
  }))
  progress.done()
  if (Exit.isFailure(result)) return fail(messageOf(result))
  const r = result.value
  if (hasFlag(parsed, "--json")) process.stdout.write(JSON.stringify({ output, ...r }) + "\n")
  else {
    process.stderr.write(
      `sigmavault: ${input === "-" ? "stdin" : input}: ${r.strategy.reason}; ${r.strategy.codec}` +
        `${r.strategy.codec === "store" ? "" : ` level ${r.strategy.level}`}: ${r.originalBytes} -> ${r.compressedBytes} bytes ` +
        `(ratio ${r.ratio.toFixed(2)}) in ${r.seconds.toFixed(2)} s${output === "-" ? "" : `, written to ${output}`}\n`
    )
  }
  return EXIT.ok
}

const decompress = async (parsed: Parsed): Promise<number> => {
  const input = parsed.positional[0] ?? "-"
  const output = flag(parsed, "--output") ??
    (input === "-" ? "-" : input.endsWith(SUFFIX) ? input.slice(0, -SUFFIX.length) : undefined)
  if (output === undefined) return fail(`${input} does not end in ${SUFFIX}: say where to write with -o OUT`, EXIT.usage)
  const progress = progressReporter("decompressing", input)
  const result = await runFileCommand(decompressFile(input, output, { onProgress: progress.report, ...commandStreams() }))
  progress.done()
  return Exit.isSuccess(result) ? EXIT.ok : fail(messageOf(result))
}

export const runTensorCommand = (parsed: Parsed): Promise<number> =>
  parsed.command === "compress" ? compress(parsed) : decompress(parsed)
