/**
 * Human output of the client commands: tidy tables and one-line events. The
 * functions are pure (data in, text out) so they are tested without a socket.
 */
import type { KeyView } from "../actors/quantum/messages.ts"
import type { DaemonStatus } from "../protocol/Requests.ts"
import type { InspectionEvent } from "../runtime/Inspection.ts"
import type { TreeNode } from "../runtime/Status.ts"

export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()
  return [line(header), ...rows.map(line)].join("\n") + "\n"
}

const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(x % 1000 === 0 ? 0 : 1)}s` : `${x}ms`)

/** The supervision tree, one row per supervisor and agent, indented by depth. */
export const renderTree = (tree: TreeNode): string => {
  const rows: Array<Array<string>> = []
  const walk = (node: TreeNode, prefix: string, last: boolean, root: boolean) => {
    const branch = root ? "" : `${prefix}${last ? "└─ " : "├─ "}`
    if (node.kind === "supervisor") {
      const s = node.status
      rows.push([
        `${branch}${s.name}`,
        "",
        "",
        s.lifecycle,
        `${s.strategy} ${s.intensity.maxRestarts}/${ms(s.intensity.withinMs)}` +
          (s.intensity.maxRestartsInARow === undefined ? "" : `, ${s.intensity.maxRestartsInARow} in a row`),
        "",
        String(s.restarts),
        "",
        s.lastError ?? ""
      ])
      const childPrefix = root ? "" : `${prefix}${last ? "   " : "│  "}`
      node.children.forEach((child, i) => walk(child, childPrefix, i === node.children.length - 1, false))
    } else {
      const a = node.status
      rows.push([
        `${branch}${a.name}`,
        a.tier,
        a.readiness === "ready" ? "" : a.readiness,
        a.lifecycle,
        a.state,
        `${a.mailboxDepth}/${a.mailboxCapacity}`,
        String(a.restarts),
        String(a.handled),
        a.lastError ?? ""
      ])
    }
  }
  walk(tree, "", true, true)
  return table(["NAME", "TIER", "BUILT", "LIFECYCLE", "STATE / STRATEGY", "MAILBOX", "RESTARTS", "HANDLED", "LAST ERROR"], rows) +
    "BUILT: planned agents answer every message with NotBuiltYet; partial ones some (see `ask AGENT '{\"type\":\"describe\"}'`)\n"
}

export const renderStatus = (status: DaemonStatus): string => {
  const s = status.summary
  const lines = [
    `sigmavault ${status.version}  pid ${status.pid}  up ${status.uptimeSeconds}s  ${s.lifecycle}`,
    `agents: ${s.running}/${s.agents} running, ${s.restarting} restarting, ${s.failed} failed, ${s.stopped} stopped`,
    `built: ${s.ready} ready, ${s.agents - s.ready - s.planned} partial, ${s.planned} planned`,
    `dead letters: ${s.deadLetters}`,
    `socket: ${status.socket} (${status.connections} connections)`
  ]
  if (s.escalations.length > 0) lines.push(`escalations:\n${s.escalations.map((e) => `  ${e}`).join("\n")}`)
  const troubled = status.agents.filter((a) => a.lifecycle !== "running" || a.restarts > 0)
  if (troubled.length > 0) {
    lines.push(
      "",
      table(
        ["AGENT", "LIFECYCLE", "RESTARTS", "LAST ERROR"],
        troubled.map((a) => [a.name, a.lifecycle, String(a.restarts), a.lastError ?? ""])
      ).trimEnd()
    )
  }
  return lines.join("\n") + "\n"
}

const time = (at: number) => new Date(at).toISOString().slice(11, 23)

const labelText = (labels: Readonly<Record<string, string>>): string => {
  const entries = Object.entries(labels)
  return entries.length === 0 ? "" : `{${entries.map(([k, v]) => `${k}="${v}"`).join(",")}}`
}

/** One line per event, the type lower-cased as `--type` filters take it. */
export const renderEvent = (event: InspectionEvent): string => {
  const head = `${time(event.at)} ${event._tag.toLowerCase().padEnd(14)}`
  switch (event._tag) {
    case "Started":
      return `${head} ${event.agent} (incarnation ${event.incarnation})`
    case "Stopped":
      return `${head} ${event.agent}: ${event.reason}`
    case "Failed":
      return `${head} ${event.agent}: ${event.error}`
    case "Restarted":
      return `${head} ${event.agent} (restart ${event.restarts}, after ${event.delayMs} ms)`
    case "Escalated":
      return `${head} ${event.supervisor}: ${event.reason}`
    case "Transition":
      return `${head} ${event.agent}: ${event.from} -> ${event.to}`
    case "MessageHandled":
      return `${head} ${event.agent}: ${event.messageType} in ${event.durationUs.toFixed(0)} µs`
    case "DeadLetter":
      return `${head} ${event.agent}: ${event.messageType} (${event.reason})`
    case "Alert":
      return `${head} ${event.agent}: ${event.severity}: ${event.text}${event.code === undefined ? "" : ` [${event.code}]`}`
    case "Incident":
      return `${head} ${event.id} ${event.state}: ${event.severity}: ${event.title} (${event.alerts} alert${event.alerts === 1 ? "" : "s"})`
    case "Metrics":
      return `${head} ${event.agent}: ${event.samples.map((s) => `${s.name}${labelText(s.labels)} ${s.value}`).join(", ")}`
    case "Progress":
      return `${head} ${event.agent}: ${event.job}: ${event.done}${event.total === undefined ? "" : ` of ${event.total}`} ${event.unit}` +
        (event.total === undefined || event.total === 0 ? "" : ` (${Math.floor((100 * event.done) / event.total)}%)`)
  }
}

/** An agent's answer: strings as they are, anything else as indented JSON. */
export const renderAnswer = (value: unknown): string =>
  typeof value === "string" ? `${value}\n` : `${JSON.stringify(value, null, 2)}\n`

/** The keyring as a table; public keys are long (1,632 characters), so only their start is shown: `keys export` prints one whole. */
export const renderKeys = (keys: ReadonlyArray<KeyView>): string =>
  keys.length === 0
    ? "no keys yet: 'sigmavault keys export' or 'keys rotate' creates the first\n"
    : ["ID                DEFAULT  CREATED                   PUBLIC KEY",
      ...keys.map((key) =>
        `${key.id.padEnd(18)}${(key.default ? "yes" : "").padEnd(9)}${key.created.padEnd(26)}${key.publicKey.slice(0, 24)}…`)
    ].join("\n") + "\n"
