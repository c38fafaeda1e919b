/**
 * What every command writes: its output on stdout, a failure as one
 * "sigmavault: …" line on stderr with the exit code that says what happened.
 */
import { statSync } from "node:fs"
import { Cause, Exit, Result } from "effect"
import { EXIT } from "./args.ts"

export const out = (text: string) => process.stdout.write(text)

export const fail = (text: string, code: number = EXIT.failure): number => {
  process.stderr.write(`sigmavault: ${text}\n`)
  return code
}

/** The message of whatever an Effect failed with (its error, or its defect). */
export const failureOf = <A, E>(exit: Exit.Exit<A, E>): string => {
  if (Exit.isSuccess(exit)) return ""
  if (Cause.hasInterruptsOnly(exit.cause)) return "interrupted"
  const error = Cause.squash(exit.cause)
  return error instanceof Error ? error.message : String(error)
}

/** JSON.parse reports bad input by throwing; this is the edge where that becomes a value. */
export const parseJson = (text: string) =>
  Result.try({ try: (): unknown => JSON.parse(text), catch: (e) => (e instanceof Error ? e.message : String(e)) })

const MiB = 1024 * 1024
/** Below this, progress would only flicker. */
const PROGRESS_FROM_BYTES = 64 * MiB

/**
 * A progress line on stderr for a long file command (a terminal only, inputs
 * of 64 MiB or more, or a stream), redrawn at most ten times a second and
 * cleared at the end.
 */
export const progressReporter = (verb: string, input: string) => {
  const stat = input === "-" ? undefined : Result.getOrUndefined(Result.try(() => statSync(input)))
  const total = stat?.isFile() === true ? stat.size : undefined
  if (!process.stderr.isTTY || (total !== undefined && total < PROGRESS_FROM_BYTES)) {
    return { report: (_bytes: number) => {}, done: () => {} }
  }
  let last = 0
  let shown = false
  return {
    report: (bytes: number) => {
      const now = Date.now()
      if (now - last < 100) return
      last = now
      shown = true
      const of = total === undefined ? "" : ` of ${(total / MiB).toFixed(0)} MiB (${Math.floor((100 * bytes) / Math.max(1, total))}%)`
      process.stderr.write(`\r${verb}: ${(bytes / MiB).toFixed(0)} MiB${of}\u001b[K`)
    },
    done: () => {
      if (shown) process.stderr.write("\r\u001b[K")
    }
  }
}
