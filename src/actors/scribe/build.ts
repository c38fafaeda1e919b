/**
 * How a report is put together: each section asks one agent (with its real
 * protocol, through `env.system.call`) or reads the metric history, and turns
 * the answer into facts, a table and findings. A source that does not answer
 * makes its section say so — planned, unavailable, failed, or withheld when the
 * caller may not read it — and never a made-up figure. Pure of the OS: the
 * machine hands it the system and the history.
 */
import { Effect } from "effect"
import type { MetricHistoryShape } from "../../history/History.ts"
import type { AgentEnvShape } from "../../runtime/Agent.ts"
import { type Caller, describeCaller } from "../../runtime/Caller.ts"
import { Axiom } from "../axiom/messages.ts"
import { Fortress } from "../fortress/messages.ts"
import { Lattice } from "../lattice/messages.ts"
import { Ledger } from "../ledger/messages.ts"
import { Nexus } from "../nexus/messages.ts"
import { Omniscient } from "../omniscient/messages.ts"
import { Oracle } from "../oracle/messages.ts"
import { Orbit } from "../orbit/messages.ts"
import { Sentry } from "../sentry/messages.ts"
import { Vanguard } from "../vanguard/messages.ts"
import {
  type Cell,
  type Column,
  REPORT_FORMAT_VERSION,
  type ReportDocument,
  type ReportFinding,
  type ReportKind,
  type ReportPeriod,
  type Section,
  type Source,
  type SourceState
} from "./messages.ts"

/** Rows a table keeps; the rest are counted as omitted. */
export const MAX_ROWS = 50
/** LEDGER answers at most this many entries. */
const LEDGER_WINDOW = 1000
/** Each agent's answer waits at most this long: a report is not held up by one stuck agent. */
const ASK_TIMEOUT_MS = 30_000

export const PERIOD_MS: Readonly<Record<ReportPeriod, number>> = {
  day: 86_400_000,
  week: 7 * 86_400_000,
  month: 30 * 86_400_000
}

type Access = NonNullable<Source["access"]>
type Severity = ReportFinding["severity"]

const SEVERITY_ORDER: ReadonlyArray<Severity> = ["critical", "high", "warning", "medium", "low", "info"]

/** What one section contributes. */
interface Part {
  readonly section: Section
  readonly source: Source
  readonly findings: ReadonlyArray<ReportFinding>
}

export interface BuildContext {
  readonly env: AgentEnvShape
  readonly history: MetricHistoryShape
  readonly caller: Caller
  readonly kind: ReportKind
  readonly period: ReportPeriod
  readonly id: string
  /** ms since the epoch */
  readonly now: number
}

interface Content {
  readonly facts?: ReadonlyArray<{ readonly label: string; readonly value: Cell; readonly unit?: Column["unit"] }>
  readonly table?: { readonly columns: ReadonlyArray<Column>; readonly rows: ReadonlyArray<ReadonlyArray<Cell>> }
  readonly findings?: ReadonlyArray<ReportFinding>
  readonly note?: string
}

const bounded = (table: Content["table"]): Section["table"] =>
  table === undefined
    ? undefined
    : { columns: table.columns, rows: table.rows.slice(0, MAX_ROWS), omitted: Math.max(0, table.rows.length - MAX_ROWS) }

/** The failure's tag; for an ask by name, the tag of the rejection it carries (NotBuiltYet). */
const errorTag = (error: unknown): string => {
  const e = error as { readonly _tag?: string; readonly rejection?: { readonly _tag?: string } } | undefined
  return (e?._tag === "Rejected" ? e.rejection?._tag : e?._tag) ?? ""
}
const errorText = (error: unknown): string =>
  error instanceof Error || typeof (error as { readonly message?: unknown })?.message === "string"
    ? (error as { readonly message: string }).message
    : String(error)

const UNAVAILABLE = new Set(["UnknownAgent", "AgentStopped", "MailboxFull", "AskTimeout", "AgentCrashed", "SystemShuttingDown", "NotAccepted"])

/**
 * One section from one agent's answer. The caller's right to that message is
 * checked first (the report never shows what its reader could not ask for).
 */
const fromAgent = <A>(
  context: BuildContext,
  options: {
    readonly title: string
    readonly agent: string
    readonly message: string
    readonly ask: Effect.Effect<A, unknown>
    readonly read: (answer: A) => Content
  }
): Effect.Effect<Part> => {
  const { env, caller } = context
  const name = `${options.agent} ${options.message}`
  const access = (env.system.protocolOf(options.agent)?.get(options.message)?.access ?? "read") as Access
  const settled = (state: SourceState, note: string): Part => ({
    section: { title: options.title, state, source: name, note, facts: [] },
    source: { name, agent: options.agent, message: options.message, access, state, note },
    findings: []
  })
  const denied = env.system.permits(caller, options.agent, options.message)
  if (denied !== undefined) {
    return Effect.succeed(settled("withheld", `withheld: ${options.agent} '${options.message}' needs ${access} access, and ${describeCaller(caller)} has less`))
  }
  return options.ask.pipe(
    Effect.map((answer): Part => {
      const content = options.read(answer)
      const table = bounded(content.table)
      return {
        section: {
          title: options.title,
          state: "answered",
          source: name,
          ...(content.note === undefined ? {} : { note: content.note }),
          facts: (content.facts ?? []).map((fact) => ({ label: fact.label, value: fact.value, ...(fact.unit === undefined ? {} : { unit: fact.unit }) })),
          ...(table === undefined ? {} : { table })
        },
        source: { name, agent: options.agent, message: options.message, access, state: "answered" },
        findings: content.findings ?? []
      }
    }),
    Effect.catch((error) => {
      const tag = errorTag(error)
      if (tag === "NotBuiltYet") return Effect.succeed(settled("planned", errorText(error)))
      if (UNAVAILABLE.has(tag)) return Effect.succeed(settled("unavailable", `${options.agent} did not answer: ${errorText(error)}`))
      return Effect.succeed(settled("failed", `${options.agent} could not answer: ${errorText(error)}`))
    })
  )
}

/** A section from the metric history (read by SCRIBE itself; the history holds nothing a reader may not see through PRISM). */
const fromHistory = (title: string, run: Effect.Effect<Content, unknown>): Effect.Effect<Part> => {
  const name = "metric history"
  return run.pipe(
    Effect.map((content): Part => {
      const table = bounded(content.table)
      return {
        section: {
          title,
          state: "answered",
          source: name,
          ...(content.note === undefined ? {} : { note: content.note }),
          facts: (content.facts ?? []).map((fact) => ({ label: fact.label, value: fact.value, ...(fact.unit === undefined ? {} : { unit: fact.unit }) })),
          ...(table === undefined ? {} : { table })
        },
        source: { name, state: "answered" },
        findings: content.findings ?? []
      }
    }),
    Effect.catch((error) =>
      Effect.succeed<Part>({
        section: { title, state: "unavailable", source: name, note: `the metric history could not answer: ${errorText(error)}`, facts: [] },
        source: { name, state: "unavailable", note: errorText(error) },
        findings: []
      })
    )
  )
}

const finding = (severity: Severity, subject: string, text: string, source: string, code?: string): ReportFinding => ({
  severity,
  ...(code === undefined ? {} : { code }),
  subject,
  text,
  source
})

const iso = (ms: number) => new Date(ms).toISOString()
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits

// ---- the sections --------------------------------------------------------------

const agentsSection = (context: BuildContext) =>
  fromAgent(context, {
    title: "Agents",
    agent: "OMNISCIENT",
    message: "summary",
    ask: context.env.system.call(Omniscient, { type: "summary" }, { timeoutMs: ASK_TIMEOUT_MS }),
    read: (s) => ({
      facts: [
        { label: "agents", value: s.agents },
        { label: "running", value: s.running },
        { label: "restarting", value: s.restarting },
        { label: "failed", value: s.failed },
        { label: "planned (not built yet)", value: s.planned },
        { label: "dead letters", value: s.deadLetters }
      ],
      findings: [
        ...(s.failed > 0 ? [finding("high", "agents", `${s.failed} agent${s.failed === 1 ? "" : "s"} failed`, "OMNISCIENT summary")] : []),
        ...s.escalations.map((text) => finding("warning", "supervision", text, "OMNISCIENT summary"))
      ]
    })
  })

const poolsHealthSection = (context: BuildContext) =>
  fromAgent(context, {
    title: "Pools",
    agent: "LATTICE",
    message: "health",
    ask: context.env.system.call(Lattice, { type: "health" }, { timeoutMs: ASK_TIMEOUT_MS }),
    read: (h) => ({
      ...(h.pools.length === 0 ? { note: "no pools" } : {}),
      table: {
        columns: [
          { name: "pool" },
          { name: "state" },
          { name: "used", unit: "percent" },
          { name: "read errors" },
          { name: "write errors" },
          { name: "checksum errors" },
          { name: "problem devices" },
          { name: "scrub" }
        ],
        rows: h.pools.map((p) => [
          p.name,
          p.state,
          p.capacity === undefined ? null : round(p.capacity.percent),
          p.errors.read,
          p.errors.write,
          p.errors.checksum,
          p.problems.map((d) => `${d.vdev} ${d.state}`).join(", ") || null,
          scrubText(p.scrub)
        ])
      },
      findings: h.pools.flatMap((p) => [
        ...(p.healthy ? [] : [finding(p.state === "ONLINE" ? "warning" : "critical", `pool ${p.name}`, `${p.state}${p.status === undefined ? "" : `: ${p.status}`}`, "LATTICE health")]),
        ...(p.dataErrors !== "" && !/^no known data errors$/i.test(p.dataErrors) ? [finding("critical", `pool ${p.name}`, `data errors: ${p.dataErrors}`, "LATTICE health")] : [])
      ])
    })
  })

const scrubText = (scrub: { readonly function: string; readonly state: string; readonly paused: boolean; readonly endTime?: string | undefined; readonly errors: number }): string =>
  scrub.function === "none" || scrub.state === "none"
    ? "never"
    : `${scrub.function} ${scrub.paused ? "paused" : scrub.state}${scrub.endTime === undefined ? "" : ` ${scrub.endTime}`}${scrub.errors > 0 ? `, ${scrub.errors} errors` : ""}`

const disksSection = (context: BuildContext) =>
  fromAgent(context, {
    title: "Disks",
    agent: "ORACLE",
    message: "assess",
    ask: context.env.system.call(Oracle, { type: "assess" }, { timeoutMs: ASK_TIMEOUT_MS }),
    read: (a) => ({
      ...(a.disks.length === 0 && a.unreadable.length === 0 ? { note: "no disks" } : {}),
      table: {
        columns: [{ name: "disk" }, { name: "model" }, { name: "risk" }, { name: "score" }, { name: "main evidence" }],
        rows: [
          ...a.disks.map((d) => [d.device, d.model ?? null, d.level, round(d.score), d.evidence[0]?.text ?? null]),
          ...a.unreadable.map((u) => [u.device, null, "unreadable", null, u.reason])
        ]
      },
      findings: a.disks.flatMap((d) =>
        d.level === "ok"
          ? []
          : [finding(d.level === "critical" ? "critical" : d.level === "warn" ? "warning" : "low", `disk ${d.device}`,
            d.evidence.map((e) => e.text).join("; ") || `risk ${d.level}`, "ORACLE assess", d.evidence[0]?.code)]
      )
    })
  })

const resourcesSection = (context: BuildContext) =>
  fromAgent(context, {
    title: "Resource alerts",
    agent: "SENTRY",
    message: "alerts",
    ask: context.env.system.call(Sentry, { type: "alerts" }, { timeoutMs: ASK_TIMEOUT_MS }),
    read: (a) => {
      const from = context.now - PERIOD_MS[context.period]
      const raised = a.history.filter((t) => t.change === "raised" && t.at >= from).length
      return {
        facts: [{ label: "active alerts", value: a.active.length }, { label: "alerts raised in the period", value: raised }],
        ...(a.active.length === 0 ? {} : {
          table: {
            columns: [{ name: "alert" }, { name: "metric" }, { name: "since" }, { name: "latest" }],
            rows: a.active.map((x) => [x.key, x.metric, iso(x.since), round(x.latest, 2)])
          }
        }),
        findings: a.active.map((x) => finding("warning", x.key, `${x.metric} is ${round(x.latest, 2)} since ${iso(x.since)}`, "SENTRY alerts"))
      }
    }
  })

const incidentSeverity = (severity: string): Severity => (severity === "critical" ? "critical" : severity === "warning" ? "warning" : "info")

const openIncidentsSection = (context: BuildContext) =>
  fromAgent(context, {
    title: "Open incidents",
    agent: "NEXUS",
    message: "incidents",
    ask: context.env.system.call(Nexus, { type: "incidents", open: true }, { timeoutMs: ASK_TIMEOUT_MS }),
    read: (r) => ({
      facts: [{ label: "open incidents", value: r.open }],
      ...(r.incidents.length === 0 ? {} : {
        table: {
          columns: [{ name: "incident" }, { name: "severity" }, { name: "subject" }, { name: "title" }, { name: "opened" }, { name: "acknowledged" }],
          rows: r.incidents.map((i) => [i.id, i.severity, i.subject, i.title, i.openedAt, i.acknowledged === undefined ? false : true])
        }
      }),
      findings: r.incidents.map((i) => finding(incidentSeverity(i.severity), i.subject, `incident ${i.id}: ${i.title}`, "NEXUS incidents"))
    })
  })

const temperatureSection = (context: BuildContext) =>
  fromHistory("Disk temperatures", Effect.gen(function*() {
    const from = context.now - PERIOD_MS[context.period]
    const series = yield* context.history.query({
      name: "sigmavault_disk_temperature_celsius",
      from,
      to: context.now,
      step: PERIOD_MS[context.period],
      consolidate: "max"
    })
    const latest = yield* context.history.latest("sigmavault_disk_temperature_celsius")
    const rows = series
      .map((s) => {
        const device = s.labels["device"] ?? "?"
        const max = Math.max(...s.points.map(([, v]) => v))
        const now = latest.find((l) => l.labels["device"] === device)
        return [device, now === undefined ? null : round(now.value), Number.isFinite(max) ? round(max) : null] as Array<Cell>
      })
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])))
    return rows.length === 0
      ? { note: "no temperature in the history for the period (ORACLE records one per SMART reading)" }
      : { table: { columns: [{ name: "disk" }, { name: "latest", unit: "celsius" }, { name: "highest in the period", unit: "celsius" }], rows } }
  }))

const capacitySection = (context: BuildContext) =>
  fromAgent(context, {
    title: "Pool capacity",
    agent: "LATTICE",
    message: "health",
    ask: context.env.system.call(Lattice, { type: "health" }, { timeoutMs: ASK_TIMEOUT_MS }),
    read: (h) => ({
      ...(h.pools.length === 0 ? { note: "no pools" } : {}),
      table: {
        columns: [{ name: "pool" }, { name: "size", unit: "bytes" }, { name: "allocated", unit: "bytes" }, { name: "free", unit: "bytes" }, { name: "used", unit: "percent" }, { name: "level" }],
        rows: h.pools.map((p) =>
          p.capacity === undefined
            ? [p.name, null, null, null, null, "unknown"]
            : [p.name, p.capacity.sizeBytes, p.capacity.allocatedBytes, p.capacity.freeBytes, round(p.capacity.percent), p.capacity.level]
        )
      },
      findings: h.pools.flatMap((p) =>
        p.capacity === undefined || p.capacity.level === "ok"
          ? []
          : [finding(p.capacity.level === "critical" ? "critical" : p.capacity.level === "high" ? "high" : "warning", `pool ${p.name}`,
            `${round(p.capacity.percent)} % used (${p.capacity.level})`, "LATTICE health")]
      )
    })
  })

const growthSection = (context: BuildContext) =>
  fromHistory("Growth in the period", Effect.gen(function*() {
    const from = context.now - PERIOD_MS[context.period]
    const series = yield* context.history.query({ name: "sigmavault_pool_allocated_bytes", from, to: context.now, step: 3_600_000, consolidate: "last" })
    const rows = series
      .filter((s) => s.points.length > 0)
      .map((s) => {
        const [firstAt, first] = s.points[0]!
        const [lastAt, last] = s.points[s.points.length - 1]!
        const days = (lastAt - firstAt) / 86_400_000
        return [s.labels["pool"] ?? "?", first, last, last - first, days > 0 ? Math.round((last - first) / days) : null] as Array<Cell>
      })
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])))
    return rows.length === 0
      ? { note: "no pool usage in the history for the period" }
      : {
        table: {
          columns: [{ name: "pool" }, { name: "allocated at start", unit: "bytes" }, { name: "allocated at end", unit: "bytes" }, { name: "change", unit: "bytes" }, { name: "per day", unit: "bytes/day" }],
          rows
        }
      }
  }))

const forecastsSection = (context: BuildContext) =>
  fromAgent(context, {
    title: "Forecasts",
    agent: "AXIOM",
    message: "forecasts",
    ask: context.env.system.call(Axiom, { type: "forecasts" }, { timeoutMs: ASK_TIMEOUT_MS }),
    read: (r) => {
      const dayTo = (f: (typeof r.forecasts)[number], percent: number) => {
        const crossing = f.crossings.find((c) => c.percent === percent)
        return crossing === undefined || crossing.days === null ? null : round(crossing.days)
      }
      const subject = (f: (typeof r.forecasts)[number]) => f.subject.dataset ?? f.subject.pool
      return {
        ...(r.forecasts.length === 0 ? { note: r.skipped.length === 0 ? "nothing to forecast" : `nothing forecast: ${r.skipped.map((s) => `${s.subject.dataset ?? s.subject.pool}: ${s.reason}`).join("; ")}` } : {}),
        ...(r.forecasts.length === 0 ? {} : {
          table: {
            columns: [{ name: "subject" }, { name: "used", unit: "percent" }, { name: "trend" }, { name: "growth", unit: "bytes/day" }, { name: "to 90 %", unit: "days" }, { name: "to full", unit: "days" }],
            rows: r.forecasts.map((f) => [subject(f), round(f.usedPercent), f.trend, Math.round(f.growthBytesPerDay), dayTo(f, 90), dayTo(f, 100)])
          }
        }),
        findings: r.forecasts.flatMap((f) => {
          const full = dayTo(f, 100)
          return full !== null && full <= 30 ? [finding(full <= 7 ? "critical" : "warning", `${f.subject.kind} ${subject(f)}`, `full in about ${full} days at the current growth`, "AXIOM forecasts")] : []
        })
      }
    }
  })

const datasetsSection = (context: BuildContext) =>
  fromAgent(context, {
    title: "Largest datasets",
    agent: "LATTICE",
    message: "datasets",
    ask: context.env.system.call(Lattice, { type: "datasets" }, { timeoutMs: ASK_TIMEOUT_MS }),
    read: (r) => {
      const sorted = [...r.datasets].sort((a, b) => b.usedBytes - a.usedBytes || a.name.localeCompare(b.name)).slice(0, 20)
      return {
        ...(r.datasets.length === 0 ? { note: "no datasets" } : {
          table: {
            columns: [{ name: "dataset" }, { name: "used", unit: "bytes" }, { name: "available", unit: "bytes" }, { name: "mountpoint" }],
            rows: sorted.map((d) => [d.name, d.usedBytes, d.availableBytes, d.mountpoint ?? null])
          }
        })
      }
    }
  })

const fortressSeverity = (severity: string): Severity => (severity === "critical" ? "critical" : severity === "high" ? "high" : severity === "medium" ? "medium" : severity === "low" ? "low" : "info")

const auditSection = (context: BuildContext) =>
  fromAgent(context, {
    title: "Security audit",
    agent: "FORTRESS",
    message: "findings",
    ask: context.env.system.call(Fortress, { type: "findings" }, { timeoutMs: ASK_TIMEOUT_MS }),
    read: (r) => ({
      ...(r.auditedAt === null ? { note: "no audit has run yet (FORTRESS `audit`, or its daily run)" } : {}),
      facts: [
        { label: "audited", value: r.auditedAt },
        { label: "findings", value: r.findings.length },
        { label: "sources not read", value: r.unread.length }
      ],
      ...(r.findings.length === 0 ? {} : {
        table: {
          columns: [{ name: "code" }, { name: "severity" }, { name: "subject" }, { name: "fix" }],
          rows: r.findings.map((f) => [f.code, f.severity, f.subject, f.fix])
        }
      }),
      findings: [
        ...r.findings.map((f) => finding(fortressSeverity(f.severity), f.subject, f.title, "FORTRESS findings", f.code)),
        ...r.unread.map((u) => finding("info", u.source, `the ${u.check} check could not read it: ${u.reason}`, "FORTRESS findings"))
      ]
    })
  })

const updatesSection = (context: BuildContext) =>
  fromAgent(context, {
    title: "Updates",
    agent: "VANGUARD",
    message: "updates",
    ask: context.env.system.call(Vanguard, { type: "updates" }, { timeoutMs: ASK_TIMEOUT_MS }),
    read: (r) => {
      const security = r.upgradable.filter((p) => p.security)
      return {
        ...(r.index.note === undefined ? {} : { note: r.index.note }),
        facts: [
          { label: "index refreshed", value: r.index.refreshedAt },
          { label: "upgradable packages", value: r.upgradable.length },
          { label: "security updates", value: r.securityCount },
          { label: "kept back", value: r.keptBack.length },
          { label: "reboot required", value: r.reboot.required }
        ],
        ...(security.length === 0 ? {} : {
          table: {
            columns: [{ name: "package" }, { name: "installed" }, { name: "available" }, { name: "suite" }],
            rows: security.map((p) => [p.name, p.from ?? "", p.to, p.suites.join(", ")])
          }
        }),
        findings: [
          ...(r.securityCount > 0
            ? [finding("high", "packages", `${r.securityCount} security update${r.securityCount === 1 ? "" : "s"} waiting`, "VANGUARD updates", "VANGUARD-SECURITY-UPDATES")]
            : []),
          ...(r.reboot.required ? [finding("warning", "system", "a reboot is required to finish updates", "VANGUARD updates", "VANGUARD-REBOOT-REQUIRED")] : []),
          ...(r.index.refreshed ? [] : [finding("warning", "package index", "the package index was never refreshed: \"no updates\" means nothing yet", "VANGUARD updates")])
        ]
      }
    }
  })

const ledgerSection = (context: BuildContext) =>
  fromAgent(context, {
    title: "Audit ledger",
    agent: "LEDGER",
    message: "verify",
    ask: context.env.system.call(Ledger, { type: "verify" }, { timeoutMs: ASK_TIMEOUT_MS }),
    read: (r) => ({
      facts: [
        { label: "chain intact", value: r.ok },
        { label: "entries", value: r.entries },
        { label: "signed checkpoints", value: r.checkpoints },
        { label: "entries after the last checkpoint", value: r.unsignedTail }
      ],
      findings: [
        ...(r.ok ? [] : [finding("critical", "audit ledger", r.summary.join("; ") || "the ledger does not verify", "LEDGER verify")]),
        ...r.warnings.map((w) => finding("info", "audit ledger", w, "LEDGER verify"))
      ]
    })
  })

const activitySection = (context: BuildContext) =>
  fromAgent(context, {
    title: "Recorded actions",
    agent: "LEDGER",
    message: "entries",
    ask: context.env.system.call(Ledger, { type: "entries", limit: LEDGER_WINDOW }, { timeoutMs: ASK_TIMEOUT_MS }),
    read: (entries) => {
      const from = context.now - PERIOD_MS[context.period]
      const inPeriod = entries.filter((e) => Date.parse(e.at) >= from)
      const counts = new Map<string, number>()
      for (const e of inPeriod) counts.set(e.action, (counts.get(e.action) ?? 0) + 1)
      const reachesBack = entries.length < LEDGER_WINDOW || entries.some((e) => Date.parse(e.at) < from)
      return {
        ...(reachesBack ? {} : { note: `only the last ${LEDGER_WINDOW} entries were read; the period holds more` }),
        facts: [
          { label: "actions recorded in the period", value: inPeriod.length },
          ...[...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 10).map(([action, n]) => ({ label: action, value: n }))
        ],
        ...(inPeriod.length === 0 ? {} : {
          table: {
            columns: [{ name: "at" }, { name: "actor" }, { name: "action" }],
            rows: [...inPeriod].reverse().map((e) => [e.at, e.actor, e.action])
          }
        })
      }
    }
  })

const incidentsInPeriodSection = (context: BuildContext) =>
  fromAgent(context, {
    title: "Incidents in the period",
    agent: "NEXUS",
    message: "incidents",
    ask: context.env.system.call(Nexus, { type: "incidents", open: false }, { timeoutMs: ASK_TIMEOUT_MS }),
    read: (r) => {
      const from = context.now - PERIOD_MS[context.period]
      const inPeriod = r.incidents.filter((i) => Date.parse(i.updatedAt) >= from)
      return {
        facts: [
          { label: "incidents", value: inPeriod.length },
          { label: "still open", value: inPeriod.filter((i) => i.state === "open").length }
        ],
        ...(inPeriod.length === 0 ? {} : {
          table: {
            columns: [{ name: "incident" }, { name: "state" }, { name: "severity" }, { name: "title" }, { name: "opened" }, { name: "resolved" }],
            rows: inPeriod.map((i) => [i.id, i.state, i.severity, i.title, i.openedAt, i.resolvedAt ?? null])
          }
        })
      }
    }
  })

const schedulesSection = (context: BuildContext) =>
  fromAgent(context, {
    title: "Schedules",
    agent: "ORBIT",
    message: "list",
    ask: context.env.system.call(Orbit, { type: "list" }, { timeoutMs: ASK_TIMEOUT_MS }),
    read: (r) => ({
      ...(r.schedules.length === 0 ? { note: "no schedules" } : {
        table: {
          columns: [{ name: "schedule" }, { name: "target" }, { name: "cron" }, { name: "last run" }, { name: "outcome" }, { name: "next run" }],
          rows: r.schedules.map((s) => [s.name, `${s.target} ${s.messageType}`, s.cron, s.lastRun, s.lastOutcome, s.nextRun])
        }
      }),
      findings: r.schedules.flatMap((s) =>
        s.lastOutcome !== null && s.lastOutcome !== "sent"
          ? [finding("warning", `schedule ${s.name}`, `last run did not send: ${s.lastOutcome}`, "ORBIT list")]
          : []
      )
    })
  })

const SECTIONS: Readonly<Record<ReportKind, ReadonlyArray<(context: BuildContext) => Effect.Effect<Part>>>> = {
  health: [agentsSection, poolsHealthSection, disksSection, temperatureSection, resourcesSection, openIncidentsSection],
  capacity: [capacitySection, growthSection, forecastsSection, datasetsSection],
  security: [auditSection, updatesSection, ledgerSection],
  activity: [activitySection, incidentsInPeriodSection, schedulesSection]
}

const TITLES: Readonly<Record<ReportKind, string>> = {
  health: "Health",
  capacity: "Capacity",
  security: "Security",
  activity: "Activity"
}

export const titleOf = (kind: ReportKind) => TITLES[kind]

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

/** The report: every section in turn (one agent at a time: a report is no reason to load the NAS). */
export const buildReport = (context: BuildContext): Effect.Effect<ReportDocument> =>
  Effect.gen(function*() {
    const parts: Array<Part> = []
    const sections = SECTIONS[context.kind]
    for (const [index, section] of sections.entries()) {
      parts.push(yield* section(context))
      yield* context.env.progress({ job: `report ${context.id}`, done: index + 1, total: sections.length, unit: "sections" })
    }
    const findings = parts
      .flatMap((p) => p.findings)
      .sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || a.subject.localeCompare(b.subject) || a.text.localeCompare(b.text))
    const sources = parts.map((p) => p.source)
    const answered = sources.filter((s) => s.state === "answered").length
    const worst = findings[0]?.severity
    const status: ReportDocument["status"] = worst === "critical" || worst === "high"
      ? "critical"
      : worst === "warning" || worst === "medium"
      ? "attention"
      : answered < sources.length
      ? "incomplete"
      : "ok"
    const counted = SEVERITY_ORDER.map((s) => [s, findings.filter((f) => f.severity === s).length] as const).filter(([, n]) => n > 0)
    const summary = `${TITLES[context.kind]}: ${status}; ` +
      (findings.length === 0 ? "no findings" : `${plural(findings.length, "finding")} (${counted.map(([s, n]) => `${n} ${s}`).join(", ")})`) +
      `; ${answered} of ${plural(sources.length, "source")} answered`
    return {
      format: REPORT_FORMAT_VERSION,
      id: context.id,
      kind: context.kind,
      generatedAt: iso(context.now),
      period: { name: context.period, from: iso(context.now - PERIOD_MS[context.period]), to: iso(context.now) },
      requestedBy: describeCaller(context.caller),
      status,
      summary,
      findings,
      sections: parts.map((p) => p.section),
      sources
    }
  })

/** The strictest access class among a report's answered or withheld sources: what reading it needs. */
export const accessOf = (document: ReportDocument): "read" | "operate" | "admin" => {
  const rank = { read: 0, operate: 1, admin: 2, runtime: 2 } as const
  let worst: "read" | "operate" | "admin" = "read"
  for (const source of document.sources) {
    if (source.state !== "answered" || source.access === undefined) continue
    const access = source.access === "runtime" ? "admin" : source.access
    if (rank[access] > rank[worst]) worst = access
  }
  return worst
}
