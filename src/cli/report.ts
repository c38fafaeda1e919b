/**
 * `report KIND`: asks SCRIBE to write a report (it is archived under the
 * daemon's state directory and its SHA-256 recorded in LEDGER) and prints it:
 * Markdown, the JSON document with --json, or an HTML page with --html; with -o FILE, writes it to FILE
 * atomically instead (an existing file is replaced only with --force).
 */
import { Effect, Exit } from "effect"
import { REPORT_KINDS, type ReportKind, type ReportPeriod, type Scribe } from "../actors/scribe/messages.ts"
import { Files } from "../adapters/fs/Files.ts"
import { runFileCommand } from "../adapters/fs/StdioLive.ts"
import type * as Protocol from "../runtime/Protocol.ts"
import { EXIT, flag, hasFlag, type Parsed } from "./args.ts"
import { fail, failureOf, out } from "./output.ts"
import { type Env, withSession } from "./Session.ts"

type Reply = Protocol.Reply<Protocol.Typed<typeof Scribe, "report">>

const PERIODS: ReadonlyArray<ReportPeriod> = ["day", "week", "month"]
/** A report asks a dozen agents one after the other; give it more than one ask's default. */
const REPORT_TIMEOUT_MS = 300_000

export interface ReportPlan {
  readonly kind: ReportKind
  readonly period: ReportPeriod | undefined
  readonly json: boolean
  readonly html: boolean
  readonly output: string | undefined
  readonly force: boolean
}

export const planReport = (parsed: Parsed): { readonly ok: true; readonly plan: ReportPlan } | { readonly ok: false; readonly message: string } => {
  const kind = parsed.positional[0] ?? ""
  if (!(REPORT_KINDS as ReadonlyArray<string>).includes(kind)) return { ok: false, message: `KIND '${kind.slice(0, 40)}' is not a report; the kinds are ${REPORT_KINDS.join(", ")}` }
  const period = flag(parsed, "--period")
  if (period !== undefined && !(PERIODS as ReadonlyArray<string>).includes(period)) return { ok: false, message: `--period '${period.slice(0, 40)}' must be day, week or month` }
  const output = flag(parsed, "--output")
  if (output === "") return { ok: false, message: "-o needs a file name" }
  if (hasFlag(parsed, "--json") && hasFlag(parsed, "--html")) return { ok: false, message: "--json and --html: choose one" }
  if (output === undefined && hasFlag(parsed, "--force")) return { ok: false, message: "--force only goes with -o FILE (it allows replacing FILE)" }
  return {
    ok: true,
    plan: { kind: kind as ReportKind, period: period as ReportPeriod | undefined, json: hasFlag(parsed, "--json"), html: hasFlag(parsed, "--html"), output, force: hasFlag(parsed, "--force") }
  }
}

/** The report as printed or written: the JSON document, or the Markdown. */
export const reportText = (reply: Reply): string =>
  reply.document !== undefined ? `${JSON.stringify(reply.document, null, 2)}\n` : (reply.html ?? reply.markdown ?? "")

export const runReportCommand = (parsed: Parsed, env: Env): Promise<number> => {
  const planned = planReport(parsed)
  if (!planned.ok) return Promise.resolve(fail(planned.message, EXIT.usage))
  const plan = planned.plan
  return withSession(parsed, env, async (session) => {
    const message = { type: "report", kind: plan.kind, format: plan.json ? "json" : plan.html ? "html" : "markdown", ...(plan.period === undefined ? {} : { period: plan.period }) }
    const reply = await session.client.ask("SCRIBE", message, REPORT_TIMEOUT_MS).then((value) => value as Reply, (error: Error) => error)
    if (reply instanceof Error) return session.failed(reply)
    const text = reportText(reply)
    const output = plan.output
    if (output === undefined) {
      out(text)
      return EXIT.ok
    }
    const written = await runFileCommand(Effect.gen(function*() {
      const files = yield* Files
      yield* files.writeAtomic(output, new TextEncoder().encode(text), { replace: plan.force, mode: 0o644 })
    }))
    if (Exit.isFailure(written)) {
      const failure = failureOf(written)
      return fail(/exist/i.test(failure) && !plan.force ? `${failure}; pass --force to replace it` : failure)
    }
    out(plan.json
      ? JSON.stringify({ ...reply.entry, output }) + "\n"
      : `wrote ${output}: ${reply.entry.id} (${reply.entry.status}; sha256 ${reply.entry.sha256}, recorded in LEDGER${reply.entry.ledger === null ? ": no" : ` at seq ${reply.entry.ledger.seq}`})\n`)
    return EXIT.ok
  })
}
