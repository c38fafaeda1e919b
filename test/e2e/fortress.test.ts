/**
 * FORTRESS in the compiled binary, auditing a seeded host: a network
 * namespace with a private mount namespace (overlay /etc, tmpfs /run) where a
 * real sshd and socat listeners run (test/support/fortressNamespace.ts). The
 * daemon's PATH starts with `ss` and `sshd` scripts that enter that namespace
 * with nsenter and run the real tools there; its configuration points the
 * audit_* keys at the seeded files. Nothing touches this host's /etc.
 */
import { execFileSync } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SEEDED_CODES } from "../support/fortressHost.ts"
import { type AuditedNamespace, makeNamespace } from "../support/fortressNamespace.ts"
import { cli, type Daemon, startDaemon } from "./harness.ts"

let daemon: Daemon | undefined
let host: AuditedNamespace | undefined
let dir: string

const ask = async (message: unknown) => {
  const result = await cli(["ask", "FORTRESS", JSON.stringify(message), "--json", "--socket", daemon!.socket])
  return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : undefined }
}

describe("FORTRESS in the binary", () => {
  beforeAll(async () => {
    host = await makeNamespace("seeded")
    dir = mkdtempSync(join(tmpdir(), `sigmavault-e2e-fortress-${process.pid}-`))
    const bin = join(dir, "bin")
    mkdirSync(bin)
    // Absolute paths: the scripts shadow the tools on PATH.
    const ss = execFileSync("sh", ["-c", "command -v ss"], { encoding: "utf8" }).trim()
    for (const [tool, path] of [["ss", ss], ["sshd", "/usr/sbin/sshd"]] as const) {
      writeFileSync(join(bin, tool), `#!/bin/sh\nexec nsenter -t ${host.holderPid} -m -n -- ${path} "$@"\n`)
      chmodSync(join(bin, tool), 0o755)
    }
    const config = join(dir, "sigmavault.conf")
    writeFileSync(config, [
      `file_roots = ${realpathSync(tmpdir())}`,
      "audit_interval_hours = 0",
      `audit_sshd_config = ${host.config.sshdConfig}`,
      `audit_smb_config = ${host.config.smbConfig}`,
      `audit_nfs_exports = ${host.config.nfsExports}`,
      `audit_nfs_exports_dir = ${host.config.nfsExportsDir}`,
      ""
    ].join("\n"))
    daemon = await startDaemon({ dir, env: { PATH: `${bin}:${process.env.PATH}` }, args: ["--config", config] })
  }, 60_000)

  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    await host?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it("sigmavault ask FORTRESS audit: every seeded weakness, with evidence, kept in the state dir, new ones alerted", async () => {
    // Someone opened the daemon's own socket to everybody.
    chmodSync(daemon!.socket, 0o666)
    const audit = await ask({ type: "audit" })
    expect(audit.stderr).toBe("")
    const codes = audit.json.findings.map((f: { code: string }) => f.code)
    for (const code of SEEDED_CODES) expect(codes).toContain(code)
    expect(audit.json.unread).toEqual([])
    expect(audit.json.stored).toBe(true)
    expect(audit.json.newFindings).toBe(audit.json.findings.length)
    const ssh = audit.json.findings.find((f: { code: string }) => f.code === "SSH_PASSWORD_AUTH")
    expect(ssh).toMatchObject({ severity: "high", check: "sshd", evidence: { source: `sshd -T -f ${host!.config.sshdConfig}`, detail: "passwordauthentication yes" } })
    const socket = audit.json.findings.find((f: { code: string }) => f.code === "SOCKET_WORLD_WRITABLE")
    expect(socket.subject).toBe(daemon!.socket)
    expect(existsSync(join(daemon!.dir, "state", "fortress.json"))).toBe(true)
    expect(readFileSync(join(daemon!.dir, "state", "fortress.json"), "utf8")).toContain("NFS_NO_ROOT_SQUASH")
    expect(daemon!.log()).toMatch(/SMB_GUEST_OK/)

    // Nothing changed: no new finding.
    chmodSync(daemon!.socket, 0o660)
    const again = await ask({ type: "audit", checks: ["sshd", "shares"] })
    expect(again.json.newFindings).toBe(0)
    const high = await ask({ type: "findings", severity: "high" })
    expect(high.json.findings.map((f: { code: string }) => f.code)).toContain("SSH_ROOT_LOGIN")
    expect(high.json.findings.every((f: { severity: string }) => f.severity === "high" || f.severity === "critical")).toBe(true)
  }, 30_000)

  it("refuses a bad check or severity naming the field, before anything runs", async () => {
    const bad = await ask({ type: "audit", checks: ["$(reboot)"] })
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/checks/)
    const severity = await ask({ type: "findings", severity: "urgent" })
    expect(severity.code).not.toBe(0)
    expect(severity.stderr).toMatch(/severity/)
  })
})
