/**
 * SCRIBE: reports from the other agents' answers and the metric history
 * (build.ts), rendered as Markdown from the JSON source (render.ts), archived
 * under the state directory (archive.ts), each report's SHA-256 recorded in
 * LEDGER so a modified archive is found out (`verify-report`). Scheduled
 * through ORBIT (a `scribe-<kind>` schedule per kind, added at start when
 * absent, owned by the daemon): SCRIBE has no timer of its own.
 */
import { Cause, Clock, Effect, Exit } from "effect"
import { type FileError, Files } from "../../adapters/fs/Files.ts"
import { MetricHistory } from "../../history/History.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { type Caller, DAEMON, describeCaller } from "../../runtime/Caller.ts"
import { describeError } from "../../runtime/Errors.ts"
import { Ledger } from "../ledger/messages.ts"
import { Orbit } from "../orbit/messages.ts"
import { serviceMachine } from "../shared/serve.ts"
import { type Archive, decodeDocument, idFor, openArchive, sha256Hex } from "./archive.ts"
import { accessOf, buildReport } from "./build.ts"
import { SCRIBE_REPORT_FAILED, SCRIBE_REPORT_MODIFIED } from "./codes.ts"
import { ScribeConfig } from "./config.ts"
import {
  NoSuchReport,
  REPORT_KINDS,
  type ReportDocument,
  type ReportEntry,
  type ReportFormat,
  ReportUnreadable,
  ReportWithheld,
  Scribe,
  type Verification
} from "./messages.ts"
import { renderHtml, renderMarkdown } from "./render.ts"

export const scribeCapabilities: ReadonlyArray<Capability> = [
  {
    name: "reports",
    available: true,
    detail: "health, capacity, security and activity reports in JSON and Markdown from the other agents' answers and the metric history; " +
      "a source that does not answer, is not built yet or that the caller may not read makes its section say so"
  },
  {
    name: "report-archive",
    available: true,
    detail: "keeps reports under the state directory (bounded by count and bytes), lists them, records each one's SHA-256 in LEDGER and checks it"
  },
  { name: "report-schedule", available: true, detail: "writes the reports on a cron schedule through ORBIT (weekly by default: scribe_schedule)" }
]

/** The LEDGER action a report's hash is recorded under. */
export const LEDGER_ACTION = "report.archived"
const LEDGER_WINDOW = 1000
/** Tries to register the schedules while ORBIT starts: 1 s, 2 s, 4 s … up to a minute apart. */
const REGISTER_TRIES = 10

const decoder = new TextDecoder()
const encoder = new TextEncoder()

const replyOf = (entry: ReportEntry, document: ReportDocument, format: ReportFormat | undefined) =>
  format === "json" ? { entry, document } : format === "html" ? { entry, html: renderHtml(document) } : { entry, markdown: renderMarkdown(document) }

export const scribeMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const files = yield* Files
  const history = yield* MetricHistory
  const config = yield* ScribeConfig

  // Opened on first use, so a state directory that cannot be written is an answer (FileError), not a crash loop.
  let archive: Archive | undefined
  const opened: Effect.Effect<Archive, FileError> = Effect.suspend(() =>
    archive !== undefined
      ? Effect.succeed(archive)
      : Effect.tap(openArchive(files, config), (a) => Effect.sync(() => void (archive = a)))
  )

  const record = (entry: { readonly id: string; readonly kind: string; readonly requestedBy: string }) => (sha256: string) =>
    env.system.call(Ledger, {
      type: "append",
      actor: env.self,
      action: LEDGER_ACTION,
      detail: { id: entry.id, kind: entry.kind, sha256, requestedBy: entry.requestedBy }
    }).pipe(
      Effect.map((written) => ({ ledger: { seq: written.seq, hash: written.hash } })),
      Effect.catch((error) => Effect.succeed({ ledger: null, ledgerProblem: `LEDGER could not record it: ${error.message}` }))
    )

  const report = (request: { readonly kind: ReportDocument["kind"]; readonly format?: ReportFormat; readonly period?: ReportDocument["period"]["name"] }, caller: Caller) =>
    Effect.gen(function*() {
      const store = yield* opened
      const now = yield* Clock.currentTimeMillis
      const id = idFor(request.kind, now, (candidate) => store.find(candidate) !== undefined)
      const document = yield* buildReport({ env, history, caller, kind: request.kind, period: request.period ?? "week", id, now })
      const bytes = encoder.encode(`${JSON.stringify(document, null, 2)}\n`)
      const entry = yield* store.add(
        { id, kind: document.kind, generatedAt: document.generatedAt, requestedBy: document.requestedBy, status: document.status, access: accessOf(document) },
        bytes,
        record(document)
      )
      return replyOf(entry, document, request.format)
    }).pipe(
      // Nobody waits for a scheduled report's answer: its failure is an alert.
      Effect.tapError((error) =>
        caller.via === "daemon" || caller.via === "schedule"
          ? env.alert({ severity: "warning", subject: `${request.kind} report`, text: `the ${request.kind} report could not be written: ${error.message}`, code: SCRIBE_REPORT_FAILED })
          : Effect.void
      )
    )

  const documentOf = (id: string) =>
    Effect.gen(function*() {
      const store = yield* opened
      const entry = store.find(id)
      if (entry === undefined) return yield* Effect.fail(new NoSuchReport({ id, kept: store.entries().length }))
      const bytes = yield* store.read(id)
      if (bytes === undefined) return yield* Effect.fail(new NoSuchReport({ id, kept: store.entries().length }))
      const decoded = decodeDocument(decoder.decode(bytes))
      if (Exit.isFailure(decoded)) return yield* Effect.fail(new ReportUnreadable({ id, reason: "the archived file is not a report document (modified?)" }))
      return { entry, document: decoded.value }
    })

  /** Every source the report includes must be one the caller may ask now: a report is as restricted as its strictest part. */
  const mayRead = (document: ReportDocument, caller: Caller) => {
    const denied = document.sources.flatMap((source) =>
      source.state === "answered" && source.agent !== undefined && source.message !== undefined &&
        env.system.permits(caller, source.agent, source.message) !== undefined
        ? [{ name: source.name, access: source.access ?? "admin" }]
        : []
    )
    return denied.length === 0
      ? Effect.void
      : Effect.fail(new ReportWithheld({
        id: document.id,
        needed: denied.some((d) => d.access === "admin" || d.access === "runtime") ? "admin" : "operate",
        sources: denied.map((d) => d.name),
        caller: describeCaller(caller)
      }))
  }

  const verify = (id: string) =>
    Effect.gen(function*() {
      const store = yield* opened
      const entry = store.find(id)
      if (entry === undefined) return yield* Effect.fail(new NoSuchReport({ id, kept: store.entries().length }))
      const bytes = yield* store.read(id)
      const fileSha256 = bytes === undefined ? null : sha256Hex(bytes)
      const answered = yield* Effect.exit(env.system.call(Ledger, { type: "entries", limit: LEDGER_WINDOW }))
      const chain = yield* Effect.exit(env.system.call(Ledger, { type: "verify" }))
      const chainOk = Exit.isSuccess(chain) ? chain.value.ok : null
      const base = { id, fileSha256, chainOk }
      if (Exit.isFailure(answered)) {
        return { ...base, verdict: "unknown", ledgerSha256: null, ledgerSeq: null, detail: "LEDGER did not answer" } satisfies Verification
      }
      const entries = answered.value
      const found = entries.find((e) => e.actor === env.self && e.action === LEDGER_ACTION && e.detail["id"] === id)
      if (found === undefined) {
        const oldest = entries[0]?.seq
        const beyond = entry.ledger !== null && oldest !== undefined && entries.length >= LEDGER_WINDOW && entry.ledger.seq < oldest
        return {
          ...base,
          verdict: beyond ? "unknown" : "unrecorded",
          ledgerSha256: null,
          ledgerSeq: entry.ledger?.seq ?? null,
          detail: beyond
            ? `its LEDGER entry (seq ${entry.ledger!.seq}) is older than the last ${LEDGER_WINDOW} entries LEDGER answers; \`sigmavault ledger verify\` checks the whole chain`
            : "LEDGER holds no record of this report: it was not written by SCRIBE, or LEDGER could not record it then"
        } satisfies Verification
      }
      const ledgerSha256 = typeof found.detail["sha256"] === "string" ? found.detail["sha256"] : null
      const intact = fileSha256 !== null && fileSha256 === ledgerSha256
      const verification: Verification = {
        ...base,
        verdict: intact ? "intact" : "modified",
        ledgerSha256,
        ledgerSeq: found.seq,
        detail: intact
          ? `the file's SHA-256 is the one LEDGER recorded at seq ${found.seq}${chainOk === false ? ", but LEDGER's chain does not verify" : ""}`
          : fileSha256 === null
          ? `the file is gone; LEDGER recorded it at seq ${found.seq}`
          : `the file's SHA-256 ${fileSha256} is not the ${ledgerSha256} LEDGER recorded at seq ${found.seq}: the archived report was modified`
      }
      if (!intact) {
        yield* env.alert({ severity: "critical", subject: `report ${id}`, text: verification.detail, code: SCRIBE_REPORT_MODIFIED })
      }
      return verification
    })

  // ---- the schedules, through ORBIT -----------------------------------------------
  /**
   * The ORBIT schedules as the configuration wants them: one per kind on
   * `scribe_schedule`. The daemon's own `scribe-*` schedules whose cron
   * differs are replaced and those no longer wanted removed (ORBIT keeps
   * added schedules across restarts); one added by hand or configured as a
   * `schedule.NAME` key is left alone.
   */
  const reconcile = Effect.gen(function*() {
    const listing = yield* env.system.call(Orbit, { type: "list" })
    // How ORBIT's `list` names the daemon as a schedule's owner (ScheduleView.addedBy).
    const daemon = describeCaller(DAEMON)
    for (const kind of REPORT_KINDS) {
      const name = `scribe-${kind}`
      const existing = listing.schedules.find((s) => s.name === name)
      const wanted = config.schedule !== undefined && config.kinds.includes(kind)
      const ours = existing !== undefined && existing.origin === "added" && existing.addedBy === daemon && existing.target === env.self
      if (existing !== undefined && !ours) continue
      if (ours && wanted && existing.cron === config.schedule) continue
      if (ours) yield* env.system.call(Orbit, { type: "remove", name }).pipe(Effect.catchTag("NoSuchSchedule", () => Effect.void))
      if (wanted) {
        yield* env.system.call(Orbit, { type: "add", name, cron: config.schedule!, target: env.self, message: { type: "report", kind } }).pipe(
          Effect.catchTag("ScheduleExists", () => Effect.void)
        )
      }
    }
  })
  // In the background, retried while ORBIT starts (1 s, 2 s, 4 s … a minute apart), then given up with a warning.
  const register = Effect.gen(function*() {
    for (let attempt = 0; ; attempt++) {
      const done = yield* Effect.exit(reconcile)
      if (Exit.isSuccess(done)) return
      if (attempt === REGISTER_TRIES - 1) {
        return yield* Effect.logWarning(`cannot schedule SCRIBE's reports with ORBIT: ${describeError(Cause.squash(done.cause))}`)
      }
      yield* Effect.sleep(Math.min(60_000, 1000 * 2 ** attempt))
    }
  })
  yield* Effect.forkScoped(register)

  return yield* serviceMachine(Scribe, {
    handlers: {
      report: (request, { caller }) => report(request, caller),
      reports: (request) =>
        Effect.map(opened, (store) => ({
          reports: [...store.entries()].reverse().filter((e) => request.kind === undefined || e.kind === request.kind),
          keep: config.keep,
          maxBytes: config.maxBytes,
          bytes: store.bytes()
        })),
      "get-report": (request, { caller }) =>
        Effect.gen(function*() {
          const { entry, document } = yield* documentOf(request.id)
          yield* mayRead(document, caller)
          return replyOf(entry, document, request.format)
        }),
      "verify-report": (request) => verify(request.id)
    }
  })
})

