/**
 * Judging a built binary's smoke runs: `--version` must print the embedded
 * version line, `selftest` one JSON line with every agent running and CORE's
 * facts.
 */

export interface RunResult {
  readonly status: number | null
  readonly signal: string | null
  readonly stdout: string
  readonly stderr: string
  readonly timedOut: boolean
}

export type Verdict =
  | { readonly _tag: "Passed"; readonly detail: string }
  | { readonly _tag: "Failed"; readonly detail: string }

const tail = (text: string, lines = 12): string => text.trimEnd().split("\n").slice(-lines).join("\n")

const exitOf = (run: RunResult): string =>
  run.timedOut ? "timed out" : run.signal !== null ? `killed by ${run.signal}` : `exit ${run.status}`

const failed = (run: RunResult, why: string): Verdict => ({
  _tag: "Failed",
  detail: [
    `${why} (${exitOf(run)})`,
    run.stdout.trim() === "" ? "" : `stdout:\n${tail(run.stdout)}`,
    run.stderr.trim() === "" ? "" : `stderr:\n${tail(run.stderr)}`
  ].filter((part) => part !== "").join("\n")
})

export const judgeVersion = (run: RunResult, expectedLine: string): Verdict => {
  if (run.timedOut || run.status !== 0) return failed(run, "--version did not succeed")
  const line = run.stdout.trim()
  return line === expectedLine
    ? { _tag: "Passed", detail: line }
    : failed(run, `--version printed ${JSON.stringify(line)}, expected ${JSON.stringify(expectedLine)}`)
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null

export const judgeSelftest = (run: RunResult): Verdict => {
  if (run.timedOut || run.status !== 0) return failed(run, "selftest did not succeed")
  const last = run.stdout.trim().split("\n").at(-1) ?? ""
  let report: unknown
  try {
    report = JSON.parse(last)
  } catch {
    return failed(run, "selftest's last line is not JSON")
  }
  if (!isRecord(report) || typeof report["agents"] !== "number" || typeof report["running"] !== "number" || !isRecord(report["facts"])) {
    return failed(run, "selftest's JSON lacks agents, running or facts")
  }
  const { agents, running, facts } = report as { agents: number; running: number; facts: Record<string, unknown> }
  if (agents === 0 || running !== agents) return failed(run, `selftest: ${running} of ${agents} agents running`)
  const kernel = facts["kernel"]
  const arch = isRecord(kernel) && typeof kernel["arch"] === "string" ? `, CORE reports ${kernel["arch"]}` : ""
  return { _tag: "Passed", detail: `${running}/${agents} agents running${arch}` }
}
