/**
 * One frame of the inspector as text: a header, a status line, the tree as a
 * table and a line of keys, exactly `height` lines of at most `width`
 * columns. Colour is optional (NO_COLOR, dumb terminals): the selected row
 * is also marked with '>', and trouble with words, so nothing depends on colour.
 */
import { COLUMNS, detailAgent, NOTICE_MS, type Row, rowsOf, type ViewState, visibleEvents } from "./model.ts"
import { SPARKLINE_WINDOW, type Sparkline } from "./model.ts"
import type { TreeNode } from "../runtime/Status.ts"
import type { AgentStatus } from "../runtime/Status.ts"

export interface Screen {
  readonly width: number
  readonly height: number
  readonly color: boolean
  readonly now: number
  readonly rateHz: number
}

const ESC = "\x1b["
const style = (on: boolean, code: string, text: string) => (on ? `${ESC}${code}m${text}${ESC}0m` : text)

const fit = (text: string, width: number): string => {
  const chars = [...text.replace(/[\r\n\t]+/g, " ")]
  return chars.length <= width ? text.replace(/[\r\n\t]+/g, " ") + " ".repeat(width - chars.length) : chars.slice(0, Math.max(0, width - 1)).join("") + "…"
}
const right = (text: string, width: number) => (text.length >= width ? text.slice(0, width) : " ".repeat(width - text.length) + text)

const duration = (seconds: number) => {
  const d = Math.floor(seconds / 86_400)
  const h = Math.floor((seconds % 86_400) / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  return d > 0 ? `${d}d${h}h` : h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(seconds % 60).padStart(2, "0")}s`
}
const rate = (r: number | undefined) => (r === undefined ? "-" : r >= 100 ? r.toFixed(0) : r.toFixed(1))
const micros = (us: number) => (us === 0 ? "-" : us >= 10_000 ? `${(us / 1000).toFixed(0)}ms` : us >= 1000 ? `${(us / 1000).toFixed(1)}ms` : `${us.toFixed(0)}µs`)

const HEADINGS: Readonly<Record<(typeof COLUMNS)[number], string>> = {
  name: "NAME",
  state: "STATE",
  mailbox: "MBOX/HW",
  rate: "MSG/S",
  p99: "P99",
  restarts: "RST",
  dead: "DEAD"
}

/** Column widths for a terminal `width` wide; the last error takes what is left. */
const layout = (width: number) => {
  const name = width >= 120 ? 24 : 16
  const state = width >= 120 ? 22 : 13
  // 2 for the marks, 7 single spaces between the seven columns, 2 before the error.
  const used = 2 + name + state + 8 + 7 + 7 + 4 + 5 + 7 + 2
  return { name, state, mailbox: 8, rate: 7, p99: 7, restarts: 4, dead: 5, error: Math.max(0, width - used) }
}

const rowText = (row: Row, w: ReturnType<typeof layout>) => {
  const indent = "  ".repeat(row.depth)
  const name = row.kind === "supervisor" ? `${indent}${row.collapsed ? "+" : "-"} ${row.name}` : `${indent}${row.name}`
  const state = row.kind === "agent" && row.lifecycle !== "running" ? `${row.lifecycle}` : row.state
  return [
    fit(name, w.name),
    fit(state, w.state),
    right(row.kind === "agent" ? `${row.mailbox}/${row.highWater}` : "", w.mailbox),
    right(rate(row.rate), w.rate),
    right(row.kind === "agent" ? micros(row.p99Us) : "", w.p99),
    right(String(row.restarts), w.restarts),
    right(String(row.dead), w.dead),
    ...(w.error < 8 ? [] : [" ", fit(row.lastError ?? "", w.error - 1)])
  ].join(" ")
}

/** The selected agent's status and its supervisor's policy, from the tree. */
const findAgent = (tree: TreeNode, name: string, parent?: TreeNode): { status: AgentStatus; parent: TreeNode | undefined } | undefined => {
  if (tree.kind === "agent") return tree.status.name === name ? { status: tree.status, parent } : undefined
  for (const child of tree.children) {
    const found = findAgent(child, name, tree)
    if (found !== undefined) return found
  }
  return undefined
}

const wrap = (text: string, width: number): Array<string> => {
  const out: Array<string> = []
  for (const paragraph of text.split("\n")) {
    let rest = paragraph
    while ([...rest].length > width) {
      out.push([...rest].slice(0, width).join(""))
      rest = [...rest].slice(width).join("")
    }
    out.push(rest)
  }
  return out
}

/** The agent's message rate and p99 over the last hour, as CANVAS draws them (or why not). */
const sparklineLines = (state: ViewState, agent: string): Array<string> => {
  const sparks = state.sparklines.get(agent)
  if (sparks === undefined || (sparks.rate === undefined && sparks.p99 === undefined)) return [`last ${SPARKLINE_WINDOW}: asking CANVAS for sparklines…`]
  const line = (name: string, spark: Sparkline | undefined) =>
    spark === undefined ? `${name} …` : "unavailable" in spark ? `${name} ${spark.unavailable}` : `${name} ${spark.line}  ${spark.text}`
  const rate = line(`rate/s ${SPARKLINE_WINDOW}`, sparks.rate)
  const p99 = line(`p99    ${SPARKLINE_WINDOW}`, sparks.p99)
  // CANVAS's refusal is the same for both (not built, not running): said once.
  return sparks.rate !== undefined && sparks.p99 !== undefined && "unavailable" in sparks.rate && "unavailable" in sparks.p99 &&
      sparks.rate.unavailable === sparks.p99.unavailable
    ? [`sparklines: ${sparks.rate.unavailable}`]
    : [rate, p99]
}

/** The detail pane's lines, and where its editor or last reply starts (shown first when it does not all fit). */
const detailLines = (state: ViewState, width: number): { readonly lines: Array<string>; readonly focus: number } => {
  const agent = detailAgent(state)
  if (agent === undefined) return { lines: ["select an agent to see its detail (a supervisor row has none)"], focus: 0 }
  const found = state.snapshot === undefined ? undefined : findAgent(state.snapshot.tree, agent)
  const d = state.described.get(agent)
  const lines: Array<string> = []
  if (found !== undefined) {
    const a = found.status
    lines.push(`${a.name} — tier ${a.tier} · ${a.lifecycle} · state ${a.state} · incarnation ${a.incarnation}` + (d === undefined ? "" : ` · restart ${d.restart}`))
    const parent = found.parent
    if (parent?.kind === "supervisor") {
      const p = parent.status
      lines.push(
        `supervised by ${p.name}: ${p.strategy}, at most ${p.intensity.maxRestarts} restarts in ${p.intensity.withinMs / 1000} s` +
          (p.intensity.maxRestartsInARow === undefined ? "" : ` or ${p.intensity.maxRestartsInARow} in a row`) +
          (p.backoff === undefined ? "" : `; backoff ${p.backoff.initialMs} ms doubling to ${p.backoff.maxMs / 1000} s, ±${Math.round(p.backoff.jitter * 100)}%, reset after ${p.backoff.resetAfterMs / 1000} s stable`)
      )
    }
    lines.push(`mailbox ${a.mailboxDepth}/${a.mailboxCapacity} (high ${a.mailboxHighWater}) · handled ${a.handled} · refused ${a.rejected} · p50 ${micros(a.handlingP50Us)} p99 ${micros(a.handlingP99Us)} · dead letters ${a.deadLetters}`)
    if (a.lastError !== null) lines.push(`last error: ${a.lastError}`)
    lines.push(...sparklineLines(state, agent))
  }
  if (d === undefined) lines.push("(asking for its description…)")
  else {
    lines.push(d.description)
    if (d.states !== undefined && d.states.length > 0) lines.push(`states: ${d.states.join(", ")}`)
    if (d.recent !== undefined && d.recent.length > 0) {
      lines.push(`recent: ${d.recent.slice(0, 8).map((m) => `${m.type} ${micros(m.durationUs)}${m.outcome === "ok" ? "" : ` ${m.outcome}`}`).join(" · ")}`)
    }
    lines.push(`accepts: ${d.accepts.join(", ")}`)
    lines.push(`capabilities: ${d.capabilities.map((c) => `${c.name}${c.available ? "" : " (not built yet)"}`).join(", ")}`)
  }
  const wrapped = lines.flatMap((line) => wrap(line, width))
  const focus = wrapped.length
  lines.length = 0
  const editor = state.editor
  if (editor !== undefined) {
    lines.push("")
    lines.push(`${editor.mode} ${editor.agent} · type ${editor.types[editor.typeIndex]} · tab: next type · ctrl-t: ask/tell · enter: send · esc: cancel`)
    lines.push(`> ${editor.text.slice(0, editor.cursor)}▏${editor.text.slice(editor.cursor)}`)
    if (editor.error !== undefined) lines.push(`cannot send: ${editor.error}`)
  } else {
    const reply = state.replies.get(agent)
    if (reply !== undefined) {
      lines.push("")
      lines.push(`${reply.mode} ${reply.message} → ${reply.ok ? "" : "refused: "}`)
      lines.push(...reply.text.split("\n"))
    }
    lines.push(state.readOnly ? "esc closes (read-only: no injecting)" : "i injects a message · esc closes")
  }
  return { lines: [...wrapped, ...lines.flatMap((line) => wrap(line, width))], focus }
}

const eventsTitle = (state: ViewState) => {
  const agent = detailAgent(state)
  return `  events${state.eventsOfSelected && agent !== undefined ? ` of ${agent}` : ""}${state.filter === "" ? "" : ` matching "${state.filter}"`}` +
    (state.eventsScroll > 0 ? ` · ${state.eventsScroll} back (] newer)` : "") + lostText(state) + " · a: this agent only · [ ] scroll · e closes"
}

/** Events lost per topic, when any was: " · lost: alerts 3, progress 120". */
const lostText = (state: ViewState): string => {
  const lost = [...state.lostByTopic].filter(([, n]) => n > 0)
  return lost.length === 0 ? "" : ` · lost: ${lost.map(([topic, n]) => `${topic} ${n}`).join(", ")}`
}

/** The last `room` events shown (or earlier ones, scrolled back), oldest first. */
const eventLines = (state: ViewState, room: number): { readonly lines: Array<string>; readonly focus: number } => {
  const events = visibleEvents(state)
  const end = events.length - state.eventsScroll
  const shown = events.slice(Math.max(0, end - room), end).map((e) => e.text)
  return { lines: shown.length === 0 ? ["no events yet (lifecycle, alerts, incidents and progress appear here)"] : shown, focus: 0 }
}

const HELP = [
  "sigmavault inspect — keys",
  "",
  "  ↑ ↓  j k       move the selection (PgUp PgDn Home End)",
  "  enter, space   collapse or expand a supervisor's agents",
  "  s              sort by the next column (name, state, mailbox, msg/s, p99, restarts, dead letters)",
  "  r              reverse the sort",
  "  /              filter by name, tier or state; enter keeps it, esc clears it",
  "  p              pause or resume the view (the daemon keeps running)",
  "  d, enter        show the selected agent's detail (state, policy, messages, capabilities, rate and p99 sparklines)",
  "  e              the event log: lifecycle, alerts, progress (a: selected agent only, [ ] scroll;",
  "                 the / filter applies to it too)",
  "  i              inject a message into the selected agent (a template from its schema;",
  "                 tab: next type, ctrl-t: ask or tell, enter: check and send, esc: cancel)",
  "  ?              this help; any key closes it",
  "  q, ctrl-c      quit",
  "",
  "Columns: MBOX/HW mailbox depth and its high-water mark; MSG/S messages handled per second;",
  "P99 handling time; RST restarts (marked * when recent); DEAD dead letters.",
  "  R  S  T        restart, stop or start the selected agent (asks y/n first)"
]

export const render = (state: ViewState, screen: Screen): string => {
  const { width, height, color } = screen
  const lines: Array<string> = []
  const snapshot = state.snapshot
  const s = snapshot?.status
  const total = snapshot === undefined ? undefined : rowsOf(state, screen.now).filter((r) => r.kind === "agent" && r.rate !== undefined)
  const agents = snapshot === undefined ? [] : rowsOf({ ...state, filter: "", collapsed: new Set() }, screen.now).filter((r) => r.kind === "agent")
  const count = (lifecycle: string) => agents.filter((r) => r.lifecycle === lifecycle).length
  const troubled = agents.length - count("running")
  const header = s === undefined
    ? "sigmavault inspect — waiting for the daemon"
    : `sigmavault ${s.version.split(" ")[0]} · up ${duration(s.uptimeSeconds)} · ${count("running")}/${agents.length} running` +
      (troubled > 0 ? `, ${count("restarting")} restarting, ${count("failed")} failed, ${count("stopped")} stopped` : "") +
      ` · ${total === undefined || total.length === 0 ? "-" : rate(total.reduce((sum, r) => sum + (r.rate ?? 0), 0))} msg/s` +
      (s.eventLoopLagMs === undefined ? "" : ` · lag ${s.eventLoopLagMs.toFixed(1)}ms`) +
      (s.rssBytes === undefined ? "" : ` · RSS ${Math.round(s.rssBytes / 1_048_576)}MB`) +
      ` · ${screen.rateHz}Hz`
  lines.push(style(color, "1", fit(header, width)))

  const c = state.connection
  const banner = c._tag === "Disconnected"
    ? style(color, "41;97", fit(`disconnected, retrying in ${Math.max(0, (c.retryAt - screen.now) / 1000).toFixed(1)} s (attempt ${c.attempt}): ${c.reason}`, width))
    : c._tag === "Connecting"
    ? fit("connecting…", width)
    : state.confirm !== undefined
    ? style(color, "43;30", fit(`${state.confirm.op} ${state.confirm.agent}? y to confirm, any other key cancels`, width))
    : state.notice !== undefined && !state.editingFilter && screen.now - state.notice.at < NOTICE_MS
    ? fit(state.notice.text, width)
    : state.editingFilter
    ? fit(`filter: ${state.filter}▏ (enter keeps, esc clears)`, width)
    : state.paused
    ? style(color, "43;30", fit("paused — p resumes", width))
    : fit(state.filter === "" ? `sorted by ${state.sort}${state.descending ? " (descending)" : ""}` : `filter: ${state.filter} · sorted by ${state.sort}`, width)
  lines.push(banner)

  const body = Math.max(0, height - 3)
  if (state.help) {
    for (let i = 0; i < body; i++) lines.push(fit(HELP[i] ?? "", width))
  } else {
    const w = layout(width)
    const headings = [
      fit(HEADINGS.name, w.name),
      fit(HEADINGS.state, w.state),
      right(HEADINGS.mailbox, w.mailbox),
      right(HEADINGS.rate, w.rate),
      right(HEADINGS.p99, w.p99),
      right(HEADINGS.restarts, w.restarts),
      right(HEADINGS.dead, w.dead),
      ...(w.error < 8 ? [] : [" ", fit("LAST ERROR", w.error - 1)])
    ].join(" ")
    lines.push(style(color, "7", fit(`  ${headings}`, width)))
    const rows = rowsOf(state, screen.now)
    const selected = Math.max(0, rows.findIndex((r) => r.key === state.selected))
    const showDetail = state.detail || state.editor !== undefined
    const { lines: detail, focus } = showDetail
      ? detailLines(state, width)
      : state.eventsPane
      ? eventLines(state, Math.max(4, Math.floor((body - 1) / 2)) - 1)
      : { lines: [], focus: 0 }
    const half = Math.max(4, Math.floor((body - 1) / 2))
    const detailHeight = detail.length === 0 ? 0 : showDetail ? Math.min(detail.length + 1, half) : half
    const visible = Math.max(0, body - 1 - detailHeight)
    const first = Math.min(Math.max(0, selected - visible + 1), Math.max(0, rows.length - visible))
    for (let i = first; i < first + visible; i++) {
      const row = rows[i]
      if (row === undefined) {
        lines.push(" ".repeat(width))
        continue
      }
      const mark = i === selected ? ">" : " "
      const flag = row.recentRestart ? "*" : " "
      const text = fit(`${mark}${flag}${rowText(row, w)}`, width)
      const trouble = row.lifecycle === "failed" || row.lifecycle === "restarting" || row.lifecycle === "stopped"
      lines.push(
        i === selected
          ? style(color, "7", text)
          : trouble
          ? style(color, "31", text)
          : row.recentRestart
          ? style(color, "33", text)
          : row.kind === "supervisor"
          ? style(color, "1", text)
          : text
      )
    }
    if (detailHeight > 0) {
      lines.push(style(color, "7", fit(showDetail ? "  detail" : eventsTitle(state), width)))
      // When it does not all fit: the agent's first two lines, then the editor or the start of the reply.
      const room = detailHeight - 1
      const shown = detail.length <= room ? detail : [...detail.slice(0, 2), ...detail.slice(Math.min(focus, detail.length - (room - 2)), Math.min(focus, detail.length - (room - 2)) + room - 2)]
      for (let i = 0; i < detailHeight - 1; i++) lines.push(fit(shown[i] ?? "", width))
    }
  }
  lines.push(style(color, "2", fit("↑↓ move  enter detail/fold  i inject  s sort  r rev  / filter  p pause  ? help  q quit", width)))
  while (lines.length < height) lines.splice(lines.length - 1, 0, " ".repeat(width))
  return lines.slice(0, height).join("\n")
}
