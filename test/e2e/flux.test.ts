/**
 * FLUX through the compiled binary: an administrator adds a rule with
 * `sigmavault ask FLUX '{"type":"add-rule",...}'` (the plan first, then with
 * confirm); the rule is kept across a restart; in the restarted daemon a real
 * alert (SENTRY configured to alert on memory used at or above 1 %) fires it,
 * and its action — a NEXUS silence — is sent on the administrator's behalf
 * and recorded as theirs. Security: a reader (a user made for this test) may
 * list and dry-run rules but not add one; an administrator's rule whose
 * action they may not send (NEXUS 'report': only the daemon) is refused.
 */
import { execFileSync } from "node:child_process"
import { chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cli, cliAs, type Daemon, idOf, startDaemon } from "./harness.ts"

const stop = async (daemon: Daemon | undefined) => {
  if (daemon === undefined) return
  daemon.process.kill("SIGTERM")
  await daemon.exited
}

const suffix = String(process.pid)
const READERS = `svfr${suffix}`
const READER = `svfread${suffix}`

describe("FLUX, through the binary", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `sigmavault-e2e-flux-${process.pid}-`)))
  const base = [`file_roots = ${dir}`, `socket_group = ${READERS}`, "socket_mode = 0660", `role_read = ${READERS}`, "audit_interval_hours = 0"]
  const quiet = join(dir, "quiet.conf")
  const alerting = join(dir, "alerting.conf")
  let daemon: Daemon | undefined

  beforeAll(() => {
    execFileSync("groupadd", [READERS])
    execFileSync("useradd", ["-M", "-N", "-g", READERS, "-s", "/usr/sbin/nologin", READER])
    chmodSync(dir, 0o755)
    writeFileSync(quiet, [...base, ""].join("\n"))
    writeFileSync(alerting, [
      ...base,
      // Memory used is always at or above 1 %: SENTRY raises its memory alert on its first reading, after FLUX has started.
      "memory_alert_percent = 1,0",
      "resource_check_interval_seconds = 1",
      "resource_alert_samples = 1",
      ""
    ].join("\n"))
  })

  afterAll(async () => {
    await stop(daemon)
    try {
      execFileSync("userdel", [READER])
    } finally {
      execFileSync("groupdel", [READERS])
      rmSync(dir, { recursive: true, force: true })
    }
  })

  const rule = {
    type: "add-rule",
    name: "quiet-memory",
    when: { kind: "alert", agent: "SENTRY" },
    if: "event.subject == \"memory\" and event.severity in [\"warning\", \"critical\"]",
    do: { agent: "NEXUS", message: { type: "silence", agent: "SENTRY", subject: "memory", reason: "silenced by FLUX rule quiet-memory", expiresInSeconds: 3600, confirm: true } }
  }

  it("a rule added through the CLI fires on a real alert in the daemon and sends a real message on its owner's behalf", async () => {
    daemon = await startDaemon({ dir, args: ["--config", quiet] })
    chmodSync(join(dir, "run"), 0o755)
    const socket = () => daemon!.socket
    const ask = async (message: unknown) => {
      const result = await cli(["ask", "FLUX", JSON.stringify(message), "--json", "--socket", socket()])
      expect(result.code, result.stderr).toBe(0)
      return JSON.parse(result.stdout)
    }
    const askAs = (user: string, message: unknown) => cliAs(user, ["ask", "FLUX", JSON.stringify(message), "--socket", socket()])

    // Security: a reader may list and dry-run, not add; an admin may not hand a rule what they may not send.
    const refused = await askAs(READER, { ...rule, confirm: true })
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain(`uid ${idOf("-u", READER)} may not send FLUX 'add-rule': it needs admin access`)
    expect((await askAs(READER, { type: "rules" })).code).toBe(0)
    const dry = await askAs(READER, {
      type: "test-rule",
      rule: { name: rule.name, when: rule.when, if: rule.if, do: rule.do },
      events: [{ kind: "alert", agent: "SENTRY", severity: "warning", subject: "memory", text: "memory used 93 %" }, { kind: "alert", agent: "SENTRY", severity: "warning", subject: "cpu", text: "busy" }]
    })
    expect(dry.code, dry.stderr).toBe(0)
    const forged = await cli(["ask", "FLUX", JSON.stringify({ ...rule, name: "forger", do: { agent: "NEXUS", message: { type: "report", source: "LATTICE", subject: "pool tank", severity: "critical", summary: "forged" } }, confirm: true }), "--socket", socket()])
    expect(forged.code).not.toBe(0)
    expect(forged.stderr).toContain("may not send NEXUS 'report'")

    const planned = await ask(rule)
    expect(planned).toMatchObject({ applied: false, rule: { name: "quiet-memory", status: "enabled", owner: "uid 0" } })
    expect(planned.plan).toContain("send NEXUS {\"type\":\"silence\"")
    expect((await ask({ type: "rules" })).rules).toEqual([])
    expect(await ask({ ...rule, confirm: true })).toMatchObject({ applied: true })

    // Kept across a restart, into a daemon whose SENTRY raises a real alert.
    await stop(daemon)
    daemon = await startDaemon({ dir, args: ["--config", alerting] })
    chmodSync(join(dir, "run"), 0o755)
    let view: any
    const deadline = Date.now() + 20_000
    for (;;) {
      view = await ask({ type: "rule", name: "quiet-memory" })
      if (view.counters.succeeded + view.counters.failed > 0) break
      if (Date.now() > deadline) throw new Error(`the rule did not fire within 20 s: ${JSON.stringify(view)}\n${daemon.log()}`)
      await new Promise((r) => setTimeout(r, 250))
    }
    expect(view.counters).toMatchObject({ succeeded: 1, failed: 0 })
    expect(view.outcomes[0].event).toContain("alert SENTRY")
    const silences = await cli(["ask", "NEXUS", JSON.stringify({ type: "silences" }), "--json", "--socket", socket()])
    expect(JSON.parse(silences.stdout).silences).toEqual([
      expect.objectContaining({ agent: "SENTRY", subject: "memory", reason: "silenced by FLUX rule quiet-memory", createdBy: "uid:0" })
    ])
    // What FLUX recorded is there for dry-runs: the same rule would have fired on it.
    const replay = await ask({ type: "test-rule", name: "quiet-memory" })
    expect(replay.source).toBe("recorded")
    expect(replay.matches.length).toBeGreaterThanOrEqual(1)
  }, 90_000)
})
