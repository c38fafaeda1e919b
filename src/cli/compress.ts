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
import { fail, failureOf as messageOf, progressReporter } from "./output.ts"


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

export const runCompressCommand = (parsed: Parsed): Promise<number> =>
  parsed.command === "compress" ? compress(parsed) : decompress(parsed)
