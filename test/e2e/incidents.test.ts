/**
 * NEXUS through the compiled binary: a real alert (SENTRY configured to alert
 * on memory used at or above 1 %, as an administrator could) becomes one
 * incident a user lists with `sigmavault ask NEXUS '{"type":"incidents"}'`;
 * a silence and an acknowledgement; both kept across a restart of the daemon.
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { cli, type Daemon, startDaemon } from "./harness.ts"

const stop = async (daemon: Daemon) => {
  daemon.process.kill("SIGTERM")
  await daemon.exited
}

describe("incidents, through the binary", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `sigmavault-e2e-incidents-${process.pid}-`)))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const config = join(dir, "sigmavault.conf")
  writeFileSync(config, [
    `file_roots = ${dir}`,
    // Memory used is always at or above 1 %: SENTRY raises its memory alert on the first sample.
    "memory_alert_percent = 1,0",
    "resource_check_interval_seconds = 1",
    "resource_alert_samples = 1",
    "audit_interval_hours = 0",
    "incident_group_wait_seconds = 0",
    ""
  ].join("\n"))

  it("an agent's alert is one incident a user lists, silences and acknowledges; all kept across a restart", async () => {
    let daemon = await startDaemon({ dir, args: ["--config", config] })
    const ask = async (message: unknown) => {
      const result = await cli(["ask", "NEXUS", JSON.stringify(message), "--json", "--socket", daemon.socket])
      expect(result.code, result.stderr).toBe(0)
      return JSON.parse(result.stdout)
    }
    try {
      let listed: any
      const deadline = Date.now() + 20_000
      for (;;) {
        listed = await ask({ type: "incidents" })
        if (listed.incidents.some((i: any) => i.subject === "memory" && i.notified)) break
        if (Date.now() > deadline) throw new Error(`no memory incident within 20 s: ${JSON.stringify(listed)}\n${daemon.log()}`)
        await new Promise((r) => setTimeout(r, 250))
      }
      const memory = listed.incidents.find((i: any) => i.subject === "memory")
      expect(memory).toMatchObject({ state: "open", severity: "warning", root: "subject:memory", notified: true, alerts: 1 })
      expect(listed.feed.lost).toBe(0)
      const detail = await ask({ type: "incident", id: memory.id })
      expect(detail.alerts).toEqual([expect.objectContaining({ agent: "SENTRY", subject: "memory", firing: true })])

      const plan = await ask({ type: "silence", agent: "SENTRY", subject: "memory", reason: "memory alert set at 1% for this test", expiresInSeconds: 3600 })
      expect(plan).toMatchObject({ applied: false, matches: { firing: 1, incidents: [memory.id] } })
      const silence = await ask({ type: "silence", agent: "SENTRY", subject: "memory", reason: "memory alert set at 1% for this test", expiresInSeconds: 3600, confirm: true })
      expect(silence).toMatchObject({ applied: true, silence: { id: "sil-1", createdBy: "uid:0" } })
      const acked = await ask({ type: "acknowledge", id: memory.id, confirm: true })
      expect(acked).toMatchObject({ applied: true, incident: { acknowledged: { by: "uid:0" }, silenced: true } })

      const refused = await cli(["ask", "NEXUS", JSON.stringify({ type: "acknowledge", id: "inc-999", confirm: true }), "--socket", daemon.socket])
      expect(refused.code).not.toBe(0)
      expect(refused.stderr).toContain("no incident 'inc-999'")

      await stop(daemon)
      daemon = await startDaemon({ dir, args: ["--config", config] })
      const after = await ask({ type: "incidents", open: false })
      expect(after.incidents.find((i: any) => i.id === memory.id)).toMatchObject({ acknowledged: { by: "uid:0" } })
      expect((await ask({ type: "silences" })).silences).toEqual([expect.objectContaining({ id: "sil-1", agent: "SENTRY", subject: "memory" })])
    } finally {
      await stop(daemon)
    }
  }, 60_000)
})
