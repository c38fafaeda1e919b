/**
 * FORGE in the compiled binary, as an administrator uses it: renders asked
 * over the control socket, and the real testparm, exportfs (in its private
 * mount namespace) and systemd-analyze checking them.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { requireTools } from "../support/tools.ts"
import { cli, type Daemon, startDaemon } from "./harness.ts"

let daemon: Daemon

const ask = async (message: unknown) => {
  const result = await cli(["ask", "FORGE", JSON.stringify(message), "--json", "--socket", daemon.socket])
  return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : undefined }
}

describe("FORGE in the binary", () => {
  beforeAll(async () => {
    requireTools("testparm", "exportfs", "unshare", "nsenter", "systemd-analyze")
    daemon = await startDaemon({ dir: mkdtempSync(join(tmpdir(), "sigmavault-e2e-forge-")) })
  }, 30_000)
  afterAll(() => void daemon?.process.kill("SIGTERM"))

  it("renders an SMB share that testparm accepts, and refuses a hostile one naming the field", async () => {
    const share = await ask({ type: "render-share", protocol: "smb", name: "photos", path: "/srv/family photos", hosts: ["192.168.1.0/24"], users: ["@family"] })
    expect(share.stderr).toBe("")
    expect(share.json.files[0].parameters).toContainEqual(["valid users", "@family"])
    const checked = await ask({ type: "validate", kind: "smb", text: share.json.files[0].text })
    expect(checked.json).toMatchObject({ kind: "smb", tool: "testparm -s --suppress-prompt" })
    const unknown = await ask({ type: "validate", kind: "smb", text: "[photos]\n\tpath = /srv/photos\n\tbogus param = yes\n" })
    expect(unknown.code).not.toBe(0)
    expect(unknown.stderr).toMatch(/bogus param/)
    const hostile = await ask({ type: "render-share", protocol: "smb", name: "photos", path: "/srv/photos\n[global]\ninclude = /etc/shadow" })
    expect(hostile.code).not.toBe(0)
    expect(hostile.stderr).toMatch(/path/)
  })

  it("renders an NFS export that exportfs accepts in its own namespace; bad options are refused before any tool", async () => {
    const share = await ask({ type: "render-share", protocol: "nfs", name: "tmp", path: "/tmp", hosts: ["10.0.0.0/8"], readOnly: true })
    expect(share.json.files[0].target).toBe("/etc/exports.d/sigmavault-tmp.exports")
    const checked = await ask({ type: "validate", kind: "nfs", text: share.json.files[0].text })
    expect(checked.stderr).toBe("")
    expect(checked.json).toMatchObject({ kind: "nfs", tool: "exportfs -ra" })
    const bad = await ask({ type: "render-share", protocol: "nfs", name: "tmp", path: "/tmp", hosts: ["*"], nfsOptions: ["no_root_squash,insecure"] })
    expect(bad.stderr).toMatch(/nfsOptions\[0\]/)
    const rejected = await ask({ type: "validate", kind: "nfs", text: "/tmp *(ro,bogus)\n" })
    expect(rejected.stderr).toMatch(/bogus/)
  })

  it("renders a timer whose units systemd-analyze verifies", async () => {
    const timer = await ask({ type: "render-timer", name: "nightly-check", onCalendar: "Mon..Fri 02:30", agent: "ECLIPSE", message: { type: "check", note: "50% $HOME" } })
    expect(timer.stderr).toBe("")
    expect(timer.json.files[0].text).toContain("OnCalendar=Mon..Fri *-*-* 02:30:00\n")
    const [unit, service] = timer.json.files
    const checked = await ask({ type: "validate", kind: "systemd-timer", name: "nightly-check", text: unit.text, service: service.text })
    expect(checked.stderr).toBe("")
    expect(checked.json.tool).toBe("systemd-analyze verify")
    const bad = await ask({ type: "render-timer", name: "n", onCalendar: "Mon..Fun", agent: "ECLIPSE", message: { type: "check" } })
    expect(bad.stderr).toMatch(/onCalendar/)
  })
})
