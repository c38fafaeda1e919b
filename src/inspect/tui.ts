/**
 * `sigmavault inspect`: the terminal side. Reads the daemon's status and
 * supervision tree over the control socket at the chosen rate (1–10 Hz), so
 * the daemon does one snapshot per refresh and nothing per message; draws
 * the frame on the alternate screen; turns key presses into model actions;
 * shows "disconnected, retrying" and reconnects when the daemon comes back;
 * and always restores the terminal: on q, Ctrl-C, SIGTERM, SIGHUP or a crash.
 */
import { type Client, connect } from "../cli/Client.ts"
import type { TreeNode } from "../runtime/Status.ts"
import { renderEvent } from "../cli/render.ts"
import type { InspectionEvent } from "../runtime/Inspection.ts"
import { type Action, type DaemonStatus, type Description, EVENT_TOPIC_BUFFER, EVENT_TOPICS, initialState, type Request, update, type ViewState } from "./model.ts"
import { SPARKLINE_WIDTH, SPARKLINE_WINDOW, type Sparkline } from "./model.ts"
import { render } from "./render.ts"

export interface InspectOptions {
  readonly socket: string
  readonly rateHz: number
  readonly color: boolean
  readonly readOnly: boolean
}

/** An answer for the detail pane: indented JSON, at most a screenful. */
const answerText = (value: unknown) => {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2) ?? String(value)
  const lines = text.split("\n")
  return lines.length > 40 ? [...lines.slice(0, 40), `… (${lines.length - 40} more lines)`].join("\n") : text
}

const STATUS_EVERY_MS = 1000

/** One of the detail pane's sparklines, from CANVAS: the agent's series of `metric` over the last hour. */
const askSparkline = (client: Client, agent: string, metric: string): Promise<Sparkline> => {
  const message = { type: "sparkline", metric, matchers: [{ label: "agent", op: "=", value: agent }], since: SPARKLINE_WINDOW, width: SPARKLINE_WIDTH, limit: 1 }
  return client.ask("CANVAS", message).then(
    (reply) => {
      const series = (reply as { readonly series: ReadonlyArray<{ readonly line: string; readonly text: string }> }).series[0]
      return series === undefined ? { unavailable: "no samples recorded yet" } : { line: series.line, text: series.text }
    },
    (error: unknown) => ({ unavailable: error instanceof Error ? error.message : String(error) })
  )
}

const KEYS: ReadonlyArray<readonly [string, string]> = [
  ["\x1b[A", "up"],
  ["\x1bOA", "up"],
  ["\x1b[B", "down"],
  ["\x1bOB", "down"],
  ["\x1b[5~", "pageup"],
  ["\x1b[6~", "pagedown"],
  ["\x1b[H", "home"],
  ["\x1b[1~", "home"],
  ["\x1b[F", "end"],
  ["\x1b[4~", "end"],
  ["\x1b[C", "right"],
  ["\x1b[D", "left"]
]

/** The keys in one read from a raw-mode terminal. */
export const decodeKeys = (input: string): Array<string> => {
  const keys: Array<string> = []
  let i = 0
  while (i < input.length) {
    const sequence = KEYS.find(([seq]) => input.startsWith(seq, i))
    if (sequence !== undefined) {
      keys.push(sequence[1])
      i += sequence[0].length
      continue
    }
    const ch = input[i]!
    if (ch === "\x1b" && input[i + 1] === "[") {
      // An escape sequence we do not use (mouse, function keys): skip to its final byte.
      let j = i + 2
      while (j < input.length && !/[@-~]/.test(input[j]!)) j++
      i = j + 1
      continue
    }
    keys.push(
      ch === "\r" || ch === "\n"
        ? "enter"
        : ch === "\x7f" || ch === "\b"
        ? "backspace"
        : ch === "\x1b"
        ? "escape"
        : ch === "\x03"
        ? "ctrl-c"
        : ch === "\t"
        ? "tab"
        : ch === "\x14"
        ? "ctrl-t"
        : ch
    )
    i++
  }
  return keys
}

export const runInspector = (options: InspectOptions): Promise<number> =>
  new Promise((resolve) => {
    const stdin = process.stdin
    const stdout = process.stdout
    let state: ViewState = { ...initialState, readOnly: options.readOnly }
    let client: Client | undefined
    let lastFrame = ""
    let done = false
    const timers: Array<ReturnType<typeof setInterval>> = []

    const draw = () => {
      if (done) return
      const frame = render(state, {
        width: stdout.columns || 80,
        height: stdout.rows || 24,
        color: options.color,
        now: Date.now(),
        rateHz: options.rateHz
      })
      if (frame === lastFrame) return
      lastFrame = frame
      stdout.write(`\x1b[H${frame.split("\n").map((line) => `${line}\x1b[K`).join("\r\n")}\x1b[J`)
    }

    const restore = () => {
      if (done) return
      done = true
      for (const timer of timers) clearInterval(timer)
      client?.close()
      if (stdin.isTTY) stdin.setRawMode(false)
      stdin.pause()
      stdout.write("\x1b[0m\x1b[?25h\x1b[?1049l")
    }
    const quit = (code: number) => {
      restore()
      process.off("SIGTERM", onSignal)
      process.off("SIGHUP", onSignal)
      process.off("exit", restore)
      resolve(code)
    }
    const onSignal = () => quit(0)

    const dispatch = (action: Action) => {
      state = update(state, action, Date.now())
      if (state.quit) return quit(0)
      const outbox = state.outbox
      if (outbox.length > 0) {
        state = { ...state, outbox: [] }
        for (const request of outbox) void perform(request)
      }
      draw()
    }

    const perform = async (request: Request) => {
      const c = client
      if (c === undefined) {
        if (request._tag === "Sparklines") dispatch({ _tag: "Sparked", agent: request.agent, rate: { unavailable: "not connected" }, p99: { unavailable: "not connected" } })
        if (request._tag === "Operate") dispatch({ _tag: "Notice", text: `not done: the daemon is not connected` })
        if (request._tag === "Send") {
          dispatch({ _tag: "Replied", agent: request.agent, reply: { message: JSON.stringify(request.message), mode: request.mode, ok: false, text: "not sent: the daemon is not connected" } })
        }
        return
      }
      switch (request._tag) {
        case "Sparklines": {
          const [rate, p99] = await Promise.all([
            askSparkline(c, request.agent, "sigmavault_agent_messages_total"),
            askSparkline(c, request.agent, "sigmavault_agent_latency_p99_seconds")
          ])
          dispatch({ _tag: "Sparked", agent: request.agent, rate, p99 })
          return
        }
        case "Describe":
          try {
            const description = await c.ask(request.agent, { type: "describe" })
            dispatch({ _tag: "Described", agent: request.agent, description: description as Description })
          } catch {
            // Shown as "asking…" until the next attempt (re-opening the detail).
          }
          return
        case "Operate":
          try {
            await c.call(request.op, { agent: request.agent })
            dispatch({ _tag: "Notice", text: `${request.agent}: ${request.op} done` })
          } catch (error) {
            dispatch({ _tag: "Notice", text: `refused: ${error instanceof Error ? error.message : String(error)}` })
          }
          return
        case "Send": {
          const message = JSON.stringify(request.message)
          try {
            const result = request.mode === "ask"
              ? await c.ask(request.agent, request.message as { readonly type: string })
              : await c.call("tell", { agent: request.agent, message: request.message })
            dispatch({ _tag: "Replied", agent: request.agent, reply: { message, mode: request.mode, ok: true, text: answerText(result) } })
          } catch (error) {
            dispatch({ _tag: "Replied", agent: request.agent, reply: { message, mode: request.mode, ok: false, text: error instanceof Error ? error.message : String(error) } })
          }
        }
      }
    }

    // The tree at every refresh; the status (version, uptime, RSS, lag) at most once a second:
    // it carries every agent's status again, and none of its figures move faster.
    let status: DaemonStatus | undefined
    let statusAt = 0
    const poll = async () => {
      const c = client
      if (c === undefined) return
      const at = Date.now()
      try {
        const fresh = status === undefined || at - statusAt >= STATUS_EVERY_MS
        const [tree, next] = await Promise.all([c.call("agents"), fresh ? c.call("status") : Promise.resolve(status!)])
        if (fresh) statusAt = at
        status = next
        dispatch({ _tag: "Snapshot", snapshot: { at, status, tree } })
      } catch {
        // The connection's close is what reports a lost daemon.
      }
    }

    const connectLoop = async () => {
      while (!done) {
        try {
          client = await connect(options.socket)
          status = undefined
          dispatch({ _tag: "Connected" })
          const subscribed = client
          // STREAM's topics, one watch each: each topic's losses are counted apart.
          const topicOfSubscription = new Map<number, string>()
          subscribed.onPush((push) => {
            if ("lost" in push) {
              const topic = topicOfSubscription.get(push.subscription) ?? "some"
              dispatch({ _tag: "Lost", topic, lost: push.lost, at: push.at ?? Date.now() })
              return
            }
            const event = push.event
            const agent = "agent" in event ? event.agent : event.supervisor
            dispatch({ _tag: "Event", event: { seq: event.seq, agent, tag: event._tag, text: renderEvent(event) } })
          })
          for (const topic of EVENT_TOPICS) {
            void subscribed.call("watch", { topics: [topic], buffer: EVENT_TOPIC_BUFFER }).then(
              (watching) => void topicOfSubscription.set(watching.subscription, topic),
              () => {}
            )
          }
          await poll()
          await client.closed
          client = undefined
          if (done) return
          dispatch({ _tag: "Disconnected", reason: "the daemon closed the connection", now: Date.now() })
        } catch (error) {
          client = undefined
          dispatch({ _tag: "Disconnected", reason: error instanceof Error ? error.message : String(error), now: Date.now() })
        }
        const wait = state.connection._tag === "Disconnected" ? Math.max(0, state.connection.retryAt - Date.now()) : 250
        await new Promise((r) => setTimeout(r, wait))
      }
    }

    process.on("exit", restore)
    process.on("SIGTERM", onSignal)
    process.on("SIGHUP", onSignal)
    stdout.write("\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J")
    if (stdin.isTTY) stdin.setRawMode(true)
    stdin.setEncoding("utf8")
    stdin.on("data", (chunk: string) => {
      for (const key of decodeKeys(chunk)) {
        if (done) return
        dispatch({ _tag: "Key", key })
      }
    })
    stdin.resume()
    stdout.on("resize", () => {
      lastFrame = ""
      draw()
    })
    timers.push(setInterval(() => void poll(), Math.round(1000 / options.rateHz)))
    // Redraw for the retry countdown and "recent restart" marks even without new data.
    timers.push(setInterval(draw, 500))
    draw()
    void connectLoop()
  })
