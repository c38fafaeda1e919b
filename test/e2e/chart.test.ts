/**
 * `sigmavault chart` through the compiled binary: strict parsing of SERIES
 * before anything is asked, CANVAS's refusals as a user sees them, and (with
 * the daemon's runtime sampler recording agent metrics every 10 s) the
 * sparklines of an agent's series and an SVG file written atomically, never
 * over an existing file without --force.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { parseXml } from "../support/xml.ts"
import { binary, cli, type Daemon, startDaemon } from "./harness.ts"

const session = `sigmavault-chart-${process.pid}`
const tmux = (...args: ReadonlyArray<string>) => spawnSync("tmux", ["-L", session, ...args], { encoding: "utf8" })
const screen = () => tmux("capture-pane", "-p", "-t", session).stdout
const waitForScreen = async (pattern: RegExp, what: string, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const text = screen()
    if (pattern.test(text)) return text
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`the inspector never showed ${what}; it shows:\n${screen()}`)
}

describe("sigmavault chart, through the binary", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `sigmavault-e2e-chart-${process.pid}-`)))
  let daemon: Daemon
  const chart = (args: ReadonlyArray<string>) => cli(["chart", ...args, "--socket", daemon.socket])
  beforeAll(async () => {
    daemon = await startDaemon({ dir })
  })
  afterAll(async () => {
    tmux("kill-server")
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    rmSync(dir, { recursive: true, force: true })
  })

  it("refuses a malformed SERIES or flags with a usage error naming what is wrong, without asking the daemon", async () => {
    const bad = await cli(["chart", "sigmavault_pool_allocated_bytes{pool=tank}", "--socket", join(dir, "nowhere.sock")])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toBe(
      "sigmavault: SERIES 'sigmavault_pool_allocated_bytes{pool=tank}': at column 38: expected a quoted value (\"…\", '…' or `…`) for the label 'pool', found 't'\n"
    )
    const since = await cli(["chart", "sigmavault_agent_up", "--since", "forever"])
    expect([since.code, since.stderr]).toEqual([2, "sigmavault: --since: 'forever' is not a duration such as 1h, 24h, 7d or 30d (a whole number and one of s, m, h, d, w)\n"])
    const force = await cli(["chart", "sigmavault_agent_up", "--force"])
    expect(force.code).toBe(2)
    expect(force.stderr).toContain("--force only goes with -o FILE")
    const help = await cli(["chart", "--help"])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("Usage: sigmavault chart SERIES [options]")
  })

  it("says when a metric is not in the catalogue, suggesting close names", async () => {
    const unknown = await chart(["sigmavault_agent_mesages_total"])
    expect(unknown.code).toBe(4)
    expect(unknown.stderr).toContain("'sigmavault_agent_mesages_total' is not in the metric catalogue")
    expect(unknown.stderr).toContain("did you mean sigmavault_agent_messages_total")
    const nothing = await chart(["sigmavault_agent_up{agent=\"NOSUCH\"}"])
    expect(nothing.code).toBe(1)
    expect(nothing.stderr).toBe("sigmavault: no series match sigmavault_agent_up{agent=\"NOSUCH\"} in the metric history (nothing recorded under that name and those labels yet)\n")
  })

  it("draws an agent's recorded series (needs the daemon's runtime sampler): sparklines on the terminal, an SVG file with -o (never over a file without --force)", async () => {
    // The runtime sampler records every agent's numbers every 10 s: wait for CORE's p99 and two samples of its counter.
    const deadline = Date.now() + 35_000
    let sparks = await chart(["sigmavault_agent_messages_total{agent=~\"CORE|ORACLE\"}", "--since", "1h", "--width", "30", "--json"])
    while (Date.now() < deadline && !(sparks.code === 0 && JSON.parse(sparks.stdout).series.some((s: { last?: number }) => s.last !== undefined))) {
      await new Promise((r) => setTimeout(r, 1_000))
      sparks = await chart(["sigmavault_agent_messages_total{agent=~\"CORE|ORACLE\"}", "--since", "1h", "--width", "30", "--json"])
    }
    expect(sparks.code, `no agent series in the history after 35 s (needs the daemon's runtime sampler): ${sparks.stderr}`).toBe(0)
    const reply = JSON.parse(sparks.stdout)
    expect(reply).toMatchObject({ metric: "sigmavault_agent_messages_total", type: "counter", unit: "messages/s", rate: true, width: 30, matched: 2, omitted: 0 })
    expect(reply.series.map((s: { labels: { agent: string } }) => s.labels.agent)).toEqual(["CORE", "ORACLE"])
    for (const s of reply.series) expect([...s.line]).toHaveLength(30)

    const terminal = await chart(["sigmavault_agent_latency_p99_seconds{agent=\"CORE\"}", "--since", "1h", "--width", "20"])
    expect(terminal.code, terminal.stderr).toBe(0)
    const lines = terminal.stdout.split("\n")
    expect(lines[0]).toMatch(/^sigmavault_agent_latency_p99_seconds\{agent="CORE"\} — seconds, step \d+ s$/)
    expect(lines[1]).toBe("agent=\"CORE\"")
    expect(lines[2]).toMatch(/^ {2}[ ▁▂▃▄▅▆▇█]{20} {2}min .* · max .* · last .*$/)

    const file = join(dir, "core.svg")
    const written = await chart(["sigmavault_agent_latency_p99_seconds{agent=\"CORE\"}", "--since", "1h", "-o", file])
    expect(written.code, written.stderr).toBe(0)
    expect(written.stdout).toBe(`wrote ${file}: 1 series of sigmavault_agent_latency_p99_seconds{agent="CORE"}\n`)
    const svg = readFileSync(file, "utf8")
    expect(parseXml(svg).name).toBe("svg")
    expect(svg).toContain("agent=&quot;CORE&quot; — last ")
    expect(svg).not.toMatch(/<script|href|url\(/)

    writeFileSync(file, "mine")
    const refused = await chart(["sigmavault_agent_up", "--since", "1h", "-o", file])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/exists.*; pass --force to replace it\n$/)
    expect(readFileSync(file, "utf8")).toBe("mine")
    const forced = await chart(["sigmavault_agent_up", "--since", "1h", "-o", file, "--force"])
    expect(forced.code, forced.stderr).toBe(0)
    expect(parseXml(readFileSync(file, "utf8")).name).toBe("svg")
    // Atomic: no temporary file left beside it.
    expect(readdirSync(dir).filter((name) => name.startsWith("core.svg"))).toEqual(["core.svg"])
    expect(existsSync(file)).toBe(true)
  }, 60_000)

  it("the inspector's detail pane shows the agent's message rate and p99 as sparklines (runs after the series exist)", async () => {
    expect(spawnSync("tmux", ["-V"]).status, "tmux is not installed (apt-get install tmux)").toBe(0)
    tmux("new-session", "-d", "-s", session, "-x", "200", "-y", "50", "sh", "-c", `${binary()} inspect --socket ${daemon.socket}; echo "exit $?"; sleep 60`)
    await waitForScreen(/40\/40 running[\s\S]*CORE/, "the tree")
    tmux("send-keys", "-t", session, "/", "CORE", "Enter")
    await waitForScreen(/filter: CORE/, "the filter")
    tmux("send-keys", "-t", session, "Home", "Down", "Down", "Enter")
    // A rate needs two whole 30-second steps after the daemon's first sample; the pane asks again every 10 s.
    const pane = await waitForScreen(/CORE — tier 2 · running[\s\S]*rate\/s 1h +[ ▁▂▃▄▅▆▇█]{40} +min [\d.]+ (k )?messages\/s · max/, "CORE's rate sparkline", 60_000)
    expect(pane).toMatch(/p99 {4}1h [ ▁▂▃▄▅▆▇█]{40} +min [\d.]+ (µs|ms|s) · max [\d.]+ (µs|ms|s) · last [\d.]+ (µs|ms|s)/)
    tmux("send-keys", "-t", session, "q")
    await waitForScreen(/exit 0/, "the inspector quitting")
  }, 90_000)
})
