/**
 * SCRIBE in the compiled binary: a report asked over the control socket is
 * archived under the state directory, its SHA-256 is in LEDGER and
 * `verify-report` catches the file modified on disk; `sigmavault report`
 * prints or writes one; the weekly schedules are ORBIT's, owned by the daemon.
 * Then real users (made for the test, removed after it): a reader may read
 * archived reports but not write one, nor read one that includes FORTRESS's
 * admin findings; an operator's security report leaves those out and says so.
 */
import { createHash, randomBytes } from "node:crypto"
import { execFileSync } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cli, cliAs, type Daemon, startDaemon } from "./harness.ts"

const suffix = `${process.pid}${randomBytes(2).toString("hex")}`.slice(-8)
const READERS = `svsr${suffix}`
const OPERATORS = `svso${suffix}`
const READER = `svsread${suffix}`
const OPERATOR = `svsop${suffix}`

interface Entry {
  readonly id: string
  readonly kind: string
  readonly sha256: string
  readonly bytes: number
  readonly access: string
  readonly ledger: { readonly seq: number; readonly hash: string } | null
}

describe("SCRIBE in the binary", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `sigmavault-e2e-scribe-${process.pid}-`)))
  let daemon: Daemon
  const ask = async (agent: string, message: unknown) => {
    const result = await cli(["ask", agent, JSON.stringify(message), "--json", "--socket", daemon.socket])
    return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : undefined }
  }
  const askAs = (user: string, agent: string, message: unknown) => cliAs(user, ["ask", agent, JSON.stringify(message), "--json", "--socket", daemon.socket])
  const reports = join(dir, "state", "reports")

  beforeAll(async () => {
    expect(process.getuid?.(), "this test makes users and groups: it runs as root").toBe(0)
    execFileSync("groupadd", [READERS])
    execFileSync("groupadd", [OPERATORS])
    execFileSync("useradd", ["-M", "-N", "-g", READERS, "-s", "/usr/sbin/nologin", READER])
    execFileSync("useradd", ["-M", "-N", "-g", OPERATORS, "-G", READERS, "-s", "/usr/sbin/nologin", OPERATOR])
    chmodSync(dir, 0o755)
    writeFileSync(join(dir, "sigmavault.conf"), [
      `socket_group = ${READERS}`,
      "socket_mode = 0660",
      `role_read = ${READERS}`,
      `role_operate = ${OPERATORS}`,
      `file_roots = ${dir}`,
      "scribe_keep = 50",
      ""
    ].join("\n"))
    daemon = await startDaemon({ dir, args: ["--config", join(dir, "sigmavault.conf")] })
    chmodSync(join(dir, "run"), 0o755)
  }, 30_000)

  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    for (const user of [READER, OPERATOR]) {
      try {
        execFileSync("userdel", [user])
      } catch {}
    }
    for (const group of [READERS, OPERATORS]) {
      try {
        execFileSync("groupdel", [group])
      } catch {}
    }
    rmSync(dir, { recursive: true, force: true })
  })

  it("a health report is archived on disk, its SHA-256 is in LEDGER, and a modified file is caught", async () => {
    const asked = await ask("SCRIBE", { type: "report", kind: "health" })
    expect(asked.stderr).toBe("")
    const entry = asked.json.entry as Entry
    expect(asked.json.markdown).toMatch(/^# Health report\n\n\*\*Health: /)
    expect(entry.id).toMatch(/^health-\d{8}T\d{6}Z$/)
    const file = join(reports, `${entry.id}.json`)
    const bytes = readFileSync(file)
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(entry.sha256)
    expect(bytes.length).toBe(entry.bytes)
    const document = JSON.parse(bytes.toString("utf8"))
    // Every section says where it comes from and whether it answered; none is made up.
    expect(document.sources.map((s: { name: string }) => s.name)).toEqual([
      "OMNISCIENT summary", "LATTICE health", "ORACLE assess", "metric history", "SENTRY alerts", "NEXUS incidents"
    ])
    expect(document.sections.find((s: { title: string }) => s.title === "Agents").state).toBe("answered")

    const entries = await ask("LEDGER", { type: "entries", limit: 50 })
    const recorded = entries.json.find((e: { action: string; detail: { id?: string } }) => e.action === "report.archived" && e.detail.id === entry.id)
    expect(recorded).toMatchObject({ actor: "SCRIBE", detail: { sha256: entry.sha256, kind: "health" } })
    expect(entry.ledger).toEqual({ seq: recorded.seq, hash: recorded.hash })

    expect((await ask("SCRIBE", { type: "verify-report", id: entry.id })).json).toMatchObject({ verdict: "intact", chainOk: true })
    writeFileSync(file, bytes.toString("utf8").replace(/"status": "[a-z]+"/, "\"status\": \"ok\"").replace("\n}", ",\"x\":1\n}"))
    const verified = await ask("SCRIBE", { type: "verify-report", id: entry.id })
    expect(verified.json).toMatchObject({ verdict: "modified", ledgerSha256: entry.sha256 })
    expect(verified.json.fileSha256).not.toBe(entry.sha256)
  }, 120_000)

  it("`sigmavault report` prints Markdown or the JSON document, or writes it to a file", async () => {
    const printed = await cli(["report", "activity", "--period", "day", "--socket", daemon.socket])
    expect(printed.stderr).toBe("")
    expect(printed.code).toBe(0)
    expect(printed.stdout).toMatch(/^# Activity report\n/)
    expect(printed.stdout).toContain("## Recorded actions")
    const json = await cli(["report", "capacity", "--json", "--socket", daemon.socket])
    expect(JSON.parse(json.stdout)).toMatchObject({ format: "sigmavault-report/1", kind: "capacity", period: { name: "week" } })
    const out = join(dir, "security.md")
    const written = await cli(["report", "security", "-o", out, "--socket", daemon.socket])
    expect(written.stdout).toMatch(/^wrote .*security\.md: security-\d{8}T\d{6}Z .*recorded in LEDGER at seq \d+\)\n$/)
    expect(readFileSync(out, "utf8")).toMatch(/^# Security report\n/)
    const again = await cli(["report", "security", "-o", out, "--socket", daemon.socket])
    expect(again.code).not.toBe(0)
    expect(again.stderr).toContain("--force")
    const bad = await cli(["report", "weather", "--socket", daemon.socket])
    expect(bad.stderr).toBe("sigmavault: KIND 'weather' is not a report; the kinds are health, capacity, security, activity\n")
  }, 120_000)

  it("the weekly reports are ORBIT schedules owned by the daemon", async () => {
    const listed = (await ask("ORBIT", { type: "list" })).json.schedules as ReadonlyArray<{ name: string; cron: string; target: string; addedBy: string }>
    const scribe = listed.filter((s) => s.target === "SCRIBE").map((s) => [s.name, s.cron, s.addedBy]).sort()
    expect(scribe).toEqual([
      ["scribe-activity", "0 7 * * 1", "the daemon"],
      ["scribe-capacity", "0 7 * * 1", "the daemon"],
      ["scribe-health", "0 7 * * 1", "the daemon"],
      ["scribe-security", "0 7 * * 1", "the daemon"]
    ])
  })

  it("a reader reads archived reports but writes none, and is refused one that holds FORTRESS's findings", async () => {
    const health = (await ask("SCRIBE", { type: "report", kind: "health" })).json.entry as Entry
    const security = (await ask("SCRIBE", { type: "report", kind: "security" })).json.entry as Entry
    expect([health.access, security.access]).toEqual(["read", "admin"])
    expect(existsSync(join(reports, `${security.id}.json`))).toBe(true)

    const write = await askAs(READER, "SCRIBE", { type: "report", kind: "health" })
    expect(write.code).not.toBe(0)
    expect(write.stderr).toContain("may not send SCRIBE 'report': it needs operate access")
    const listed = await askAs(READER, "SCRIBE", { type: "reports" })
    expect(JSON.parse(listed.stdout).reports.map((e: Entry) => e.id)).toEqual(expect.arrayContaining([health.id, security.id]))
    const readable = await askAs(READER, "SCRIBE", { type: "get-report", id: health.id })
    expect(JSON.parse(readable.stdout).markdown).toMatch(/^# Health report/)
    const withheld = await askAs(READER, "SCRIBE", { type: "get-report", id: security.id })
    expect(withheld.code).not.toBe(0)
    expect(withheld.stdout + withheld.stderr).toContain(`report '${security.id}' includes FORTRESS findings, which need admin access`)

    // An operator may write reports; FORTRESS's section is left out of theirs, and says why.
    const own = await askAs(OPERATOR, "SCRIBE", { type: "report", kind: "security", format: "json" })
    expect(own.stderr).toBe("")
    const document = JSON.parse(own.stdout).document
    const audit = document.sections.find((s: { title: string }) => s.title === "Security audit")
    expect(audit.state).toBe("withheld")
    expect(audit.note).toMatch(/^withheld: FORTRESS 'findings' needs admin access/)
    expect(JSON.parse(own.stdout).entry.access).toBe("read")
  }, 120_000)
})
