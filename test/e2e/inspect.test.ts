/**
 * `sigmavault inspect` on a real terminal (a tmux pane at 80x24, then
 * 200x50): the tree appears, a message injected into CORE is answered in its
 * detail pane, a filter narrows the tree, a crashed agent's restart
 * shows, the daemon going away shows the reconnect banner and its return
 * brings the tree back, and q quits with the terminal restored.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { binary, cli, type Daemon, startDaemon } from "./harness.ts"

const session = `sigmavault-inspect-${process.pid}`
const tmux = (...args: ReadonlyArray<string>) => spawnSync("tmux", ["-L", session, ...args], { encoding: "utf8" })
const screen = () => tmux("capture-pane", "-p", "-t", session).stdout
const waitForScreen = async (pattern: RegExp, what = String(pattern)) => {
  for (let i = 0; i < 400; i++) {
    const text = screen()
    if (pattern.test(text)) return text
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`the inspector never showed ${what}; it shows:\n${screen()}`)
}

describe("sigmavault inspect in a terminal (needs tmux; .ci/run installs it)", () => {
  let daemon: Daemon | undefined
  afterAll(() => {
    tmux("kill-server")
    daemon?.process.kill("SIGKILL")
  })

  it("shows the tree, filters, sees a restart, survives the daemon going away, quits cleanly", async () => {
    expect(spawnSync("tmux", ["-V"]).status, "tmux is not installed (apt-get install tmux)").toBe(0)
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-inspect-"))
    daemon = await startDaemon({ dir })
    const socket = daemon.socket
    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", "sh", "-c", `${binary()} inspect --socket ${socket} --rate 10; echo "exit $?"; sleep 60`)
    const first = await waitForScreen(/40\/40 running[\s\S]*CORE/, "the tree with all 40 agents running")
    const lines = first.split("\n")
    expect(lines[0]).toMatch(/^sigmavault \d+\.\d+\.\d+ · up \d+m\d+s · 40\/40 running/)
    expect(lines[2]).toMatch(/NAME\s+STATE\s+MBOX\/HW\s+MSG\/S\s+P99\s+RST\s+DEAD/)
    expect(first).toMatch(/- tier-1/)
    expect(lines.length).toBeLessThanOrEqual(25)

    // Inject {"type":"facts"} into CORE from its detail pane and see the answer.
    tmux("send-keys", "-t", session, "/", "CORE", "Enter")
    await waitForScreen(/filter: CORE/)
    tmux("send-keys", "-t", session, "Home", "Down", "Down", "Enter")
    await waitForScreen(/CORE — tier 2 · running[\s\S]*accepts: facts, ping, status, describe/, "CORE's detail")
    tmux("send-keys", "-t", session, "i")
    await waitForScreen(/ask CORE · type facts[\s\S]*> \{"type":"facts"\}/, "the editor with CORE's facts template")
    tmux("send-keys", "-t", session, "Enter")
    await waitForScreen(/ask \{"type":"facts"\} →[\s\S]*"hostname"/, "CORE's answer in the detail pane")
    tmux("send-keys", "-t", session, "Escape", "Escape", "/", "SENTRY", "Enter")
    await waitForScreen(/filter: SENTRY/)
    expect(screen()).not.toMatch(/\bCORE\b/)
    expect((await cli(["tell", "SENTRY", '{"type":"sv.fault"}', "--socket", socket])).code).toBe(0)
    await waitForScreen(/\*\s+SENTRY\s+\S+\s+\d+\/\d+\s+\S+\s+\S+\s+1\s+0\s+fault/, "SENTRY with 1 restart, marked recent")

    tmux("send-keys", "-t", session, "e")
    await waitForScreen(/events matching "SENTRY"[\s\S]*restarted\s+SENTRY \(restart 1/, "the restart in the event log pane")
    tmux("send-keys", "-t", session, "e")

    tmux("resize-window", "-t", session, "-x", "200", "-y", "50")
    await waitForScreen(/LAST ERROR[\s\S]*fault injected into SENTRY for testing/, "the wide layout with the whole last error")

    daemon.process.kill("SIGTERM")
    await daemon.exited
    await waitForScreen(/disconnected, retrying in [\d.]+ s \(attempt \d+\)/, "the reconnect banner")
    daemon = await startDaemon({ dir })
    await waitForScreen(/filter: SENTRY[\s\S]*SENTRY\s+\S+\s+\d+\/\d+\s+\S+\s+\S+\s+0\s+0/, "the tree of the new daemon (SENTRY with no restarts)")
    expect(screen()).not.toMatch(/disconnected/)

    // Restart SENTRY from the inspector, confirming with y.
    tmux("send-keys", "-t", session, "Home", "Down", "Down", "R")
    await waitForScreen(/restart SENTRY\? y to confirm/, "the restart confirmation")
    tmux("send-keys", "-t", session, "y")
    await waitForScreen(/SENTRY: restart done[\s\S]*SENTRY\s+\S+\s+\d+\/\d+\s+\S+\s+\S+\s+1\s+0/, "SENTRY restarted once by the operator")

    tmux("send-keys", "-t", session, "q")
    const after = await waitForScreen(/exit 0/, "the inspector's exit")
    // Back on the normal screen: the inspector's frame is gone.
    expect(after).not.toMatch(/NAME\s+STATE\s+MBOX/)
  }, 60_000)

  it("refuses without a terminal and says what to use instead", async () => {
    const result = await cli(["inspect", "--socket", "/nonexistent.sock"])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/inspect needs a terminal; for scripts use 'sigmavault agents --json'/)
    const rate = await cli(["inspect", "--rate", "50"])
    expect([rate.code, rate.stderr.trim()]).toEqual([2, "sigmavault: --rate '50' must be a whole number from 1 to 10"])
  })
})
