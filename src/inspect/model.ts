/**
 * The inspector's state, without a terminal: snapshots of the daemon read
 * over the control socket, the rows they make (rates from consecutive
 * snapshots), sorting, filtering, collapsed tiers, selection, and the
 * connection's life (connected, disconnected and retrying). Keys become
 * actions and actions a new state, so all of it is tested as plain data.
 */
import type { DaemonStatus } from "../protocol/Requests.ts"
import type { AgentStatus, Description, TreeNode } from "../runtime/Status.ts"

export type { DaemonStatus } from "../protocol/Requests.ts"
export type { Description } from "../runtime/Status.ts"

export interface Snapshot {
  /** Client clock, milliseconds, when the snapshot arrived. */
  readonly at: number
  readonly status: DaemonStatus
  readonly tree: TreeNode
}

export const COLUMNS = ["name", "state", "mailbox", "rate", "p99", "restarts", "dead"] as const
export type Column = (typeof COLUMNS)[number]

export interface Row {
  /** Unique among rows: OMNISCIENT is both a supervisor and an agent. */
  readonly key: string
  readonly kind: "supervisor" | "agent"
  readonly name: string
  readonly depth: number
  readonly tier: string
  /** XState state value for agents; lifecycle for supervisors. */
  readonly state: string
  readonly lifecycle: string
  readonly mailbox: number
  readonly highWater: number
  /** Messages handled per second since the previous snapshot; undefined on the first. */
  readonly rate: number | undefined
  readonly p99Us: number
  readonly restarts: number
  /** Restarted since the previous snapshot or within the last minute. */
  readonly recentRestart: boolean
  readonly dead: number
  readonly lastError: string | undefined
  readonly collapsed: boolean
}

export type Connection =
  | { readonly _tag: "Connecting" }
  | { readonly _tag: "Connected" }
  | { readonly _tag: "Disconnected"; readonly reason: string; readonly attempt: number; readonly retryAt: number }

export interface ViewState {
  readonly connection: Connection
  readonly snapshot: Snapshot | undefined
  readonly previous: Snapshot | undefined
  /** When each agent was last seen to restart (client clock). */
  readonly restartedAt: ReadonlyMap<string, number>
  readonly sort: Column
  readonly descending: boolean
  readonly filter: string
  /** The filter line is being typed. */
  readonly editingFilter: boolean
  readonly collapsed: ReadonlySet<string>
  /** Key of the selected row. */
  readonly selected: string | undefined
  readonly paused: boolean
  readonly help: boolean
  readonly quit: boolean
  /** The agent detail pane, following the selected agent. */
  readonly detail: boolean
  /** The detail pane's sparklines by agent (message rate and p99 from CANVAS), refreshed every SPARKLINE_REFRESH_MS while shown. */
  readonly sparklines: ReadonlyMap<string, Sparklines>
  /** `describe` answers by agent, fetched when the detail pane first shows one. */
  readonly described: ReadonlyMap<string, Description>
  /** The message editor, while injecting. */
  readonly editor: Editor | undefined
  /** The last injected message's answer, by agent. */
  readonly replies: ReadonlyMap<string, Reply>
  readonly readOnly: boolean
  /** Requests for the terminal loop to send; it empties this after each update. */
  readonly outbox: ReadonlyArray<Request>
  /** The event log pane (shown when the detail pane is not). */
  readonly eventsPane: boolean
  /** Newest last, at most EVENT_LOG_LIMIT. */
  readonly events: ReadonlyArray<LoggedEvent>
  /** Only the selected agent's events. */
  readonly eventsOfSelected: boolean
  /** Lines scrolled back from the newest. */
  readonly eventsScroll: number
  /** Events lost per STREAM topic since the inspector connected (the terminal fell behind its buffer). */
  readonly lostByTopic: ReadonlyMap<string, number>
  /** An action waiting for y/n. */
  readonly confirm: { readonly op: "restart" | "stop" | "start"; readonly agent: string } | undefined
  /** The outcome of the last action, shown in the status line for a few seconds. */
  readonly notice: { readonly text: string; readonly at: number } | undefined
}

export interface LoggedEvent {
  readonly seq: number
  readonly agent: string
  readonly tag: string
  /** The line as `sigmavault events` prints it. */
  readonly text: string
}

export const EVENT_LOG_LIMIT = 1000

/** STREAM's topics the event log watches, one subscription each, so each topic's losses are counted apart. */
export const EVENT_TOPICS = ["lifecycle", "alerts", "incidents", "progress"] as const
/** Each topic's buffer in the daemon for this terminal. */
export const EVENT_TOPIC_BUFFER = 256

export interface Editor {
  readonly agent: string
  readonly types: ReadonlyArray<string>
  readonly typeIndex: number
  readonly text: string
  /** Cursor position in `text`, in UTF-16 units. */
  readonly cursor: number
  readonly mode: "ask" | "tell"
  readonly error: string | undefined
}

export interface Reply {
  readonly message: string
  readonly mode: "ask" | "tell"
  readonly ok: boolean
  readonly text: string
}

/** One sparkline of the detail pane: its glyphs and its figures, or why there is none. */
export type Sparkline = { readonly line: string; readonly text: string } | { readonly unavailable: string }

export interface Sparklines {
  /** When they were last asked for (client clock). */
  readonly askedAt: number
  /** An answer is awaited. */
  readonly pending: boolean
  /** Messages handled per second (sigmavault_agent_messages_total as a rate); undefined until the first answer. */
  readonly rate: Sparkline | undefined
  /** sigmavault_agent_latency_p99_seconds */
  readonly p99: Sparkline | undefined
}

/** How often the detail pane's sparklines are read again: the daemon samples agents every 10 s. */
export const SPARKLINE_REFRESH_MS = 10_000
/** The window and width of the detail pane's sparklines. */
export const SPARKLINE_WINDOW = "1h"
export const SPARKLINE_WIDTH = 40

export type Request =
  | { readonly _tag: "Sparklines"; readonly agent: string }
  | { readonly _tag: "Describe"; readonly agent: string }
  | { readonly _tag: "Send"; readonly agent: string; readonly mode: "ask" | "tell"; readonly message: Record<string, unknown> }
  | { readonly _tag: "Operate"; readonly agent: string; readonly op: "restart" | "stop" | "start" }

/** How long a notice stays in the status line. */
export const NOTICE_MS = 5_000

export const initialState: ViewState = {
  connection: { _tag: "Connecting" },
  snapshot: undefined,
  previous: undefined,
  restartedAt: new Map(),
  sort: "name",
  descending: false,
  filter: "",
  editingFilter: false,
  collapsed: new Set(),
  selected: undefined,
  paused: false,
  help: false,
  quit: false,
  detail: false,
  sparklines: new Map(),
  described: new Map(),
  editor: undefined,
  replies: new Map(),
  readOnly: false,
  outbox: [],
  eventsPane: false,
  events: [],
  eventsOfSelected: false,
  eventsScroll: 0,
  lostByTopic: new Map(),
  confirm: undefined,
  notice: undefined
}

const RECENT_RESTART_MS = 60_000

const agentsOf = (tree: TreeNode): Array<AgentStatus> =>
  tree.kind === "agent" ? [tree.status] : tree.children.flatMap(agentsOf)

/** Retry delays: 250 ms doubling to 5 s. */
export const retryDelayMs = (attempt: number) => Math.min(5_000, 250 * 2 ** Math.max(0, attempt - 1))

export type Action =
  | { readonly _tag: "Snapshot"; readonly snapshot: Snapshot }
  | { readonly _tag: "Disconnected"; readonly reason: string; readonly now: number }
  | { readonly _tag: "Connected" }
  | { readonly _tag: "Key"; readonly key: string }
  | { readonly _tag: "Sparked"; readonly agent: string; readonly rate: Sparkline; readonly p99: Sparkline }
  | { readonly _tag: "Described"; readonly agent: string; readonly description: Description }
  | { readonly _tag: "Replied"; readonly agent: string; readonly reply: Reply }
  | { readonly _tag: "Event"; readonly event: LoggedEvent }
  /** A topic's subscription lost events (the daemon said so). */
  | { readonly _tag: "Lost"; readonly topic: string; readonly lost: number; readonly at: number }
  | { readonly _tag: "Notice"; readonly text: string }

/** Messages handled per second between two snapshots, per agent. */
export const rates = (previous: Snapshot | undefined, current: Snapshot): ReadonlyMap<string, number> => {
  const out = new Map<string, number>()
  if (previous === undefined) return out
  const seconds = (current.at - previous.at) / 1000
  if (seconds <= 0) return out
  const before = new Map(agentsOf(previous.tree).map((a) => [a.name, a.handled]))
  for (const agent of agentsOf(current.tree)) {
    const was = before.get(agent.name)
    // A counter that went down means a different daemon: no rate rather than a negative one.
    if (was !== undefined && agent.handled >= was) out.set(agent.name, (agent.handled - was) / seconds)
  }
  return out
}

const compare = (column: Column) => (a: Row, b: Row): number => {
  switch (column) {
    case "name":
      return a.name.localeCompare(b.name)
    case "state":
      return a.state.localeCompare(b.state) || a.name.localeCompare(b.name)
    case "mailbox":
      return a.mailbox - b.mailbox
    case "rate":
      return (a.rate ?? -1) - (b.rate ?? -1)
    case "p99":
      return a.p99Us - b.p99Us
    case "restarts":
      return a.restarts - b.restarts
    case "dead":
      return a.dead - b.dead
  }
}

const matches = (filter: string, row: Row) => {
  if (filter === "") return true
  const needle = filter.toLowerCase()
  return [row.name, row.tier, row.state, row.lifecycle].some((field) => field.toLowerCase().includes(needle))
}

/**
 * The visible rows: supervisors in tree order with their agents beneath,
 * sorted within each supervisor; a filter keeps matching agents (and their
 * supervisors); a collapsed supervisor hides its agents.
 */
export const rowsOf = (state: ViewState, now: number): ReadonlyArray<Row> => {
  const snapshot = state.snapshot
  if (snapshot === undefined) return []
  const perSecond = rates(state.previous, snapshot)
  const order = compare(state.sort)
  const rows: Array<Row> = []
  const visit = (node: TreeNode, depth: number, tier: string) => {
    if (node.kind === "agent") return
    const s = node.status
    const agentRows: Array<Row> = node.children.flatMap((child): Array<Row> => {
      if (child.kind !== "agent") return []
      const a = child.status
      const restartedAt = state.restartedAt.get(a.name)
      return [{
        key: `agent:${a.name}`,
        kind: "agent",
        name: a.name,
        depth: depth + 1,
        tier: a.tier,
        state: a.state,
        lifecycle: a.lifecycle,
        mailbox: a.mailboxDepth,
        highWater: a.mailboxHighWater,
        rate: perSecond.get(a.name),
        p99Us: a.handlingP99Us,
        restarts: a.restarts,
        recentRestart: restartedAt !== undefined && now - restartedAt < RECENT_RESTART_MS,
        dead: a.deadLetters,
        lastError: a.lastError ?? undefined,
        collapsed: false
      }]
    }).filter((row) => matches(state.filter, row))
    agentRows.sort((a, b) => (state.descending ? -order(a, b) : order(a, b)))
    const collapsed = state.collapsed.has(s.name)
    const childSupervisors = node.children.filter((c) => c.kind === "supervisor")
    const supervisorRow: Row = {
      key: `supervisor:${s.name}`,
      kind: "supervisor",
      name: s.name,
      depth,
      tier,
      state: s.lifecycle,
      lifecycle: s.lifecycle,
      mailbox: agentRows.reduce((sum, r) => sum + r.mailbox, 0),
      highWater: 0,
      rate: agentRows.some((r) => r.rate !== undefined) ? agentRows.reduce((sum, r) => sum + (r.rate ?? 0), 0) : undefined,
      p99Us: 0,
      restarts: s.restarts,
      recentRestart: false,
      dead: agentRows.reduce((sum, r) => sum + r.dead, 0),
      lastError: s.lastError ?? undefined,
      collapsed
    }
    const before = rows.length
    rows.push(supervisorRow)
    if (!collapsed) rows.push(...agentRows)
    for (const child of childSupervisors) visit(child, depth + 1, child.kind === "supervisor" ? child.status.name : tier)
    // A supervisor with nothing matching beneath it is hidden while filtering.
    if (state.filter !== "" && rows.length === before + 1 && agentRows.length === 0 && !matches(state.filter, supervisorRow)) rows.pop()
  }
  visit(snapshot.tree, 0, "root")
  return rows
}

const move = (state: ViewState, by: number, now: number): ViewState => {
  const rows = rowsOf(state, now)
  if (rows.length === 0) return state
  const at = Math.max(0, rows.findIndex((r) => r.key === state.selected))
  const next = Math.min(rows.length - 1, Math.max(0, at + by))
  return { ...state, selected: rows[next]!.key }
}

/** The next state after an action; `now` is the client clock. */
export const update = (state: ViewState, action: Action, now: number): ViewState => {
  switch (action._tag) {
    case "Snapshot": {
      if (state.paused) return { ...state, connection: { _tag: "Connected" } }
      const restartedAt = new Map(state.restartedAt)
      const before = state.snapshot === undefined ? undefined : new Map(agentsOf(state.snapshot.tree).map((a) => [a.name, a.restarts]))
      for (const agent of agentsOf(action.snapshot.tree)) {
        const was = before?.get(agent.name)
        if (was !== undefined && agent.restarts > was) restartedAt.set(agent.name, now)
      }
      // After a reconnect to a restarted daemon, rates start again rather than compare two daemons.
      const sameDaemon = state.snapshot?.status.pid === action.snapshot.status.pid
      const next: ViewState = {
        ...state,
        connection: { _tag: "Connected" },
        previous: sameDaemon ? state.snapshot : undefined,
        snapshot: action.snapshot,
        restartedAt
      }
      const selected = next.selected === undefined ? { ...next, selected: rowsOf(next, now)[0]?.key } : next
      // The detail pane's agent is described again at each refresh: its recent messages move.
      const agent = detailAgent(selected)
      return withSparklines(
        selected.detail && agent !== undefined && !selected.outbox.some((r) => r._tag === "Describe")
          ? { ...selected, outbox: [...selected.outbox, { _tag: "Describe", agent }] }
          : selected,
        now
      )
    }
    case "Connected":
      return { ...state, connection: { _tag: "Connected" } }
    case "Disconnected": {
      const attempt = state.connection._tag === "Disconnected" ? state.connection.attempt + 1 : 1
      return { ...state, connection: { _tag: "Disconnected", reason: action.reason, attempt, retryAt: action.now + retryDelayMs(attempt) } }
    }
    case "Key":
      return withSparklines(withDescribe(key(state, action.key, now), now), now)
    case "Sparked": {
      const was = state.sparklines.get(action.agent)
      return { ...state, sparklines: new Map(state.sparklines).set(action.agent, { askedAt: was?.askedAt ?? now, pending: false, rate: action.rate, p99: action.p99 }) }
    }
    case "Described":
      return { ...state, described: new Map(state.described).set(action.agent, action.description) }
    case "Replied":
      return { ...state, replies: new Map(state.replies).set(action.agent, action.reply) }
    case "Notice":
      return { ...state, notice: { text: action.text, at: now } }
    case "Lost": {
      const lostByTopic = new Map(state.lostByTopic).set(action.topic, (state.lostByTopic.get(action.topic) ?? 0) + action.lost)
      const line = `${new Date(action.at).toISOString().slice(11, 23)} lost           ${action.lost} ${action.topic} events (this terminal fell behind)`
      return update({ ...state, lostByTopic }, { _tag: "Event", event: { seq: -1, agent: "", tag: "lost", text: line } }, now)
    }
    case "Event": {
      const events = state.events.length >= EVENT_LOG_LIMIT ? [...state.events.slice(1), action.event] : [...state.events, action.event]
      // Scrolled back, the view stays on the same lines as new ones arrive.
      const shown = visibleEvents({ ...state, events }).length
      const eventsScroll = state.eventsScroll === 0 ? 0 : Math.min(state.eventsScroll + (shown > visibleEvents(state).length ? 1 : 0), shown)
      return { ...state, events, eventsScroll }
    }
  }
}

/** The logged events the pane shows: the tree's filter text and, when asked, only the selected agent's. */
export const visibleEvents = (state: ViewState): ReadonlyArray<LoggedEvent> => {
  const agent = detailAgent(state)
  const needle = state.filter.toLowerCase()
  return state.events.filter((e) =>
    (!state.eventsOfSelected || agent === undefined || e.agent === agent) &&
    (needle === "" || e.text.toLowerCase().includes(needle))
  )
}

/** The agent the detail pane shows: the selected row's, when it is an agent. */
export const detailAgent = (state: ViewState): string | undefined =>
  state.selected?.startsWith("agent:") === true ? state.selected.slice("agent:".length) : undefined

/** Asks for the detail agent's description once. */
const withDescribe = (state: ViewState, _now: number): ViewState => {
  const agent = detailAgent(state)
  if (!state.detail || agent === undefined || state.described.has(agent) || state.outbox.some((r) => r._tag === "Describe" && r.agent === agent)) {
    return state
  }
  return { ...state, outbox: [...state.outbox, { _tag: "Describe", agent }] }
}

/**
 * Asks CANVAS for the detail agent's sparklines while the pane shows it: at
 * once, then every SPARKLINE_REFRESH_MS, never twice at a time. Nothing is
 * asked while the pane is closed or paused.
 */
export const withSparklines = (state: ViewState, now: number): ViewState => {
  const agent = detailAgent(state)
  if (!state.detail || state.paused || agent === undefined || state.connection._tag !== "Connected") return state
  const was = state.sparklines.get(agent)
  if (was !== undefined && (was.pending || now - was.askedAt < SPARKLINE_REFRESH_MS)) return state
  return {
    ...state,
    sparklines: new Map(state.sparklines).set(agent, { askedAt: now, pending: true, rate: was?.rate, p99: was?.p99 }),
    outbox: [...state.outbox, { _tag: "Sparklines", agent }]
  }
}

type JsonSchema = {
  readonly type?: string
  readonly enum?: ReadonlyArray<unknown>
  readonly properties?: Readonly<Record<string, JsonSchema>>
  readonly required?: ReadonlyArray<string>
  readonly anyOf?: ReadonlyArray<JsonSchema>
}

const placeholder = (schema: JsonSchema | undefined): unknown => {
  if (schema === undefined) return ""
  if (schema.enum !== undefined && schema.enum.length > 0) return schema.enum[0]
  if (schema.anyOf !== undefined && schema.anyOf.length > 0) return placeholder(schema.anyOf[0])
  switch (schema.type) {
    case "number":
    case "integer":
      return 0
    case "boolean":
      return false
    case "array":
      return []
    case "object":
      return {}
    default:
      return ""
  }
}

/** A message of `type` with every required field filled with a placeholder of its kind. */
export const template = (type: string, schema: unknown): string => {
  const s = (schema ?? {}) as JsonSchema
  const message: Record<string, unknown> = { type }
  for (const field of s.required ?? []) if (field !== "type") message[field] = placeholder(s.properties?.[field])
  return JSON.stringify(message)
}

/** The editor's text as a message the agent accepts, or what is wrong with it (checked before anything is sent). */
export const checkMessage = (text: string, description: Description | undefined): { readonly ok: true; readonly message: Record<string, unknown> } | { readonly ok: false; readonly error: string } => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { ok: false, error: `not JSON: ${error instanceof Error ? error.message : String(error)}` }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, error: "a message is a JSON object with a \"type\"" }
  const message = value as Record<string, unknown>
  if (typeof message.type !== "string") return { ok: false, error: "the message has no \"type\" string" }
  if (description !== undefined && !description.accepts.includes(message.type)) {
    return { ok: false, error: `${description.name} does not accept '${message.type}'; it accepts ${description.accepts.join(", ")}` }
  }
  const schema = description?.messages[message.type]?.request as JsonSchema | undefined
  const missing = (schema?.required ?? []).filter((field) => !(field in message))
  if (missing.length > 0) return { ok: false, error: `'${message.type}' needs ${missing.map((f) => `"${f}"`).join(", ")}` }
  return { ok: true, message }
}

const openEditor = (state: ViewState): ViewState => {
  const agent = detailAgent(state)
  if (agent === undefined) return state
  if (state.readOnly) return { ...state, editor: undefined, replies: new Map(state.replies).set(agent, { message: "", mode: "ask", ok: false, text: "read-only: this inspector was started with --read-only, so it sends nothing" }) }
  const description = state.described.get(agent)
  const types = (description?.accepts ?? ["ping", "status", "describe"])
  const first = Math.max(0, types.findIndex((t) => !["ping", "status", "describe"].includes(t)))
  const type = types[first] ?? "ping"
  const text = template(type, description?.messages[type]?.request)
  return { ...state, detail: true, editor: { agent, types, typeIndex: first, text, cursor: text.length, mode: "ask", error: undefined } }
}

const editorKey = (state: ViewState, editor: Editor, pressed: string): ViewState => {
  const set = (next: Partial<Editor>) => ({ ...state, editor: { ...editor, error: undefined, ...next } })
  const { text, cursor } = editor
  switch (pressed) {
    case "escape":
      return { ...state, editor: undefined }
    case "ctrl-c":
      return { ...state, quit: true }
    case "tab": {
      const typeIndex = (editor.typeIndex + 1) % editor.types.length
      const type = editor.types[typeIndex]!
      const next = template(type, state.described.get(editor.agent)?.messages[type]?.request)
      return set({ typeIndex, text: next, cursor: next.length })
    }
    case "ctrl-t":
      return set({ mode: editor.mode === "ask" ? "tell" : "ask" })
    case "left":
      return set({ cursor: Math.max(0, cursor - 1) })
    case "right":
      return set({ cursor: Math.min(text.length, cursor + 1) })
    case "home":
      return set({ cursor: 0 })
    case "end":
      return set({ cursor: text.length })
    case "backspace":
      return cursor === 0 ? state : set({ text: text.slice(0, cursor - 1) + text.slice(cursor), cursor: cursor - 1 })
    case "enter": {
      const checked = checkMessage(text, state.described.get(editor.agent))
      if (!checked.ok) return { ...state, editor: { ...editor, error: checked.error } }
      return {
        ...state,
        editor: undefined,
        outbox: [...state.outbox, { _tag: "Send", agent: editor.agent, mode: editor.mode, message: checked.message }]
      }
    }
    default:
      return [...pressed].length === 1 && pressed >= " " ? set({ text: text.slice(0, cursor) + pressed + text.slice(cursor), cursor: cursor + pressed.length }) : state
  }
}

const OPERATOR_KEYS: Readonly<Record<string, "restart" | "stop" | "start">> = { R: "restart", S: "stop", T: "start" }

const key = (state: ViewState, pressed: string, now: number): ViewState => {
  if (state.editor !== undefined) return editorKey(state, state.editor, pressed)
  if (state.editingFilter) {
    if (pressed === "enter") return { ...state, editingFilter: false }
    if (pressed === "escape") return { ...state, editingFilter: false, filter: "" }
    if (pressed === "backspace") return { ...state, filter: state.filter.slice(0, -1) }
    if (pressed === "ctrl-c") return { ...state, quit: true }
    return pressed.length === 1 && pressed >= " " ? { ...state, filter: state.filter + pressed } : state
  }
  if (state.help) return pressed === "ctrl-c" || pressed === "q" ? { ...state, quit: true } : { ...state, help: false }
  if (state.confirm !== undefined) {
    if (pressed === "y") {
      return { ...state, confirm: undefined, notice: { text: `${state.confirm.op} ${state.confirm.agent}…`, at: now }, outbox: [...state.outbox, { _tag: "Operate", ...state.confirm }] }
    }
    return pressed === "ctrl-c" ? { ...state, quit: true } : { ...state, confirm: undefined, notice: { text: "cancelled", at: now } }
  }
  const op = OPERATOR_KEYS[pressed]
  if (op !== undefined) {
    const agent = detailAgent(state)
    if (agent === undefined) return { ...state, notice: { text: `select an agent to ${op}`, at: now } }
    if (state.readOnly) return { ...state, notice: { text: `read-only: this inspector was started with --read-only, so it cannot ${op} ${agent}`, at: now } }
    return { ...state, confirm: { op, agent }, notice: undefined }
  }
  switch (pressed) {
    case "q":
    case "ctrl-c":
      return { ...state, quit: true }
    case "?":
      return { ...state, help: true }
    case "up":
    case "k":
      return move(state, -1, now)
    case "down":
    case "j":
      return move(state, 1, now)
    case "pageup":
      return move(state, -10, now)
    case "pagedown":
      return move(state, 10, now)
    case "home":
      return move(state, -1_000_000, now)
    case "end":
      return move(state, 1_000_000, now)
    case "s": {
      const next = COLUMNS[(COLUMNS.indexOf(state.sort) + 1) % COLUMNS.length]!
      // Numbers read best largest first; names and states alphabetically.
      return { ...state, sort: next, descending: next !== "name" && next !== "state" }
    }
    case "r":
      return { ...state, descending: !state.descending }
    case "/":
      return { ...state, editingFilter: true }
    case "escape":
      return state.detail ? { ...state, detail: false } : { ...state, filter: "" }
    case "d":
      return { ...state, detail: !state.detail }
    case "e":
      return { ...state, eventsPane: !state.eventsPane, detail: state.eventsPane ? state.detail : false }
    case "a":
      return state.eventsPane ? { ...state, eventsOfSelected: !state.eventsOfSelected, eventsScroll: 0 } : state
    case "[":
      return state.eventsPane ? { ...state, eventsScroll: Math.min(visibleEvents(state).length, state.eventsScroll + 5) } : state
    case "]":
      return state.eventsPane ? { ...state, eventsScroll: Math.max(0, state.eventsScroll - 5) } : state
    case "i":
      return openEditor(state)
    case "p":
      return { ...state, paused: !state.paused }
    case "enter":
    case " ": {
      const row = rowsOf(state, now).find((r) => r.key === state.selected)
      if (row?.kind === "agent") return { ...state, detail: true }
      if (row?.kind !== "supervisor") return state
      const collapsed = new Set(state.collapsed)
      if (collapsed.has(row.name)) collapsed.delete(row.name)
      else collapsed.add(row.name)
      return { ...state, collapsed }
    }
    default:
      return state
  }
}
