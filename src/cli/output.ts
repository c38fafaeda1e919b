/**
 * What every command writes: its output on stdout, a failure as one
 * "sigmavault: …" line on stderr with the exit code that says what happened.
 */
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
