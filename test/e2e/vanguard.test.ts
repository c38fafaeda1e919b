/**
 * VANGUARD in the compiled binary, on a hermetic apt (test/support/aptSandbox.ts):
 * the daemon's configuration points vanguard_apt_config at the sandbox's
 * APT_CONFIG file and vanguard_reboot_required at a flag in the sandbox, so
 * the real apt-get it runs reads and writes only the sandbox. A user would:
 * ask for updates before any refresh (said plainly), refresh, read the
 * upgradable packages with security ones flagged, see a reboot asked for,
 * plan an upgrade (nothing runs), then run it with confirm (real .debs; dpkg
 * works in the sandbox's own root and database). A reader (a real user made here, run
 * through setpriv) sees the updates and is refused refresh and upgrade.
 * Needs root (useradd, setpriv) and apt.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type AptSandbox, makeAptSandbox } from "../support/aptSandbox.ts"
import { binary, cli, cliAs, type Daemon, idOf, startDaemon } from "./harness.ts"

const suffix = randomBytes(3).toString("hex")
const READERS = `svvr${suffix}`
const READER = `svvread${suffix}`

let sandbox: AptSandbox
let daemon: Daemon | undefined
let users = false

const ask = async (message: unknown) => {
  const result = await cli(["ask", "VANGUARD", JSON.stringify(message), "--json", "--socket", daemon!.socket])
  return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : undefined }
}

describe("VANGUARD in the binary, on a hermetic apt", () => {
  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error("this test needs root (useradd, setpriv)")
    for (const tool of ["apt-get", "apt-mark", "apt-config", "dpkg-deb", "useradd", "setpriv"]) {
      try {
        execFileSync("sh", ["-c", `command -v ${tool}`])
      } catch {
        throw new Error(`this test needs ${tool}, which is not installed`)
      }
    }
    sandbox = makeAptSandbox({ debs: true })
    execFileSync("groupadd", [READERS])
    execFileSync("useradd", ["-M", "-N", "-g", READERS, "-s", "/usr/sbin/nologin", READER])
    users = true
    const config = join(sandbox.dir, "sigmavault.conf")
    writeFileSync(config, [
      `vanguard_apt_config = ${sandbox.aptConfig}`,
      `vanguard_reboot_required = ${sandbox.rebootRequired}`,
      "update_check_interval_hours = 0",
      "audit_interval_hours = 0",
      `socket_group = ${READERS}`,
      "socket_mode = 0660",
      `role_read = ${READERS}`,
      ""
    ].join("\n"))
    daemon = await startDaemon({ dir: sandbox.dir, args: ["--config", config] })
    chmodSync(join(sandbox.dir, "run"), 0o755)
  }, 60_000)

  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    if (users) {
      execFileSync("userdel", [READER])
      execFileSync("groupdel", [READERS])
    }
    sandbox?.close()
  })

  it("updates before any refresh says the index was never refreshed; refresh; then upgradable packages with security flagged", async () => {
    const never = await ask({ type: "updates" })
    expect(never.stderr).toBe("")
    expect(never.json.index).toMatchObject({ refreshed: false, refreshedAt: null, lists: 0 })
    expect(never.json.index.note).toMatch(/never refreshed/)
    expect(never.json.upgradable).toEqual([])

    const refreshed = await ask({ type: "refresh" })
    expect(refreshed.stderr).toBe("")
    expect(refreshed.json).toMatchObject({ upgradable: 6, securityCount: 3, warnings: [] })

    const updates = await ask({ type: "updates" })
    expect(updates.json.index.refreshed).toBe(true)
    expect(updates.json.upgradable.map((p: { name: string; security: boolean }) => [p.name, p.security])).toEqual([
      ["sv-app", false],
      ["sv-core", false],
      ["sv-docs", false],
      ["sv-kernel", true],
      ["sv-libfoo", true],
      ["sv-openssl", true]
    ])
    expect(updates.json.upgradable.find((p: { name: string }) => p.name === "sv-openssl")).toMatchObject({
      from: "3.0.11-1~deb12u1",
      to: "3.0.11-1~deb12u2",
      origins: ["Debian-Security:12/stable-security"],
      suites: ["stable-security"]
    })
    expect(updates.json.keptBack).toEqual([
      { name: "sv-held", from: "1.0-1", to: "1.1-1", held: true },
      { name: "sv-tool", from: "1.0-1", to: "2.0-1", held: false }
    ])
    expect(updates.json.newPackages.map((p: { name: string }) => p.name)).toEqual(["sv-newdep"])
    expect(updates.json.removals).toEqual([{ name: "sv-legacy", version: "1.0-1" }])
    expect(updates.json.reboot.flag).toBe(false)

    const security = await ask({ type: "updates", security: true })
    expect(security.json.upgradable.map((p: { name: string }) => p.name)).toEqual(["sv-kernel", "sv-libfoo", "sv-openssl"])

    // A package asks for a reboot.
    writeFileSync(sandbox.rebootRequired, "")
    writeFileSync(`${sandbox.rebootRequired}.pkgs`, "linux-image-6.1.0-30-amd64\n")
    const reboot = await ask({ type: "updates" })
    expect(reboot.json.reboot).toMatchObject({ required: true, flag: true, packages: ["linux-image-6.1.0-30-amd64"] })
  })

  it("on a terminal, an ask shows the refresh's progress on stderr while it runs", async () => {
    // script(1) gives the CLI a terminal; its output is what the user would see.
    const typed = execFileSync("script", ["-qec", `${binary()} ask VANGUARD '{"type":"refresh"}' --socket ${daemon!.socket}`, "/dev/null"], { encoding: "utf8" })
    expect(typed).toMatch(/\rVANGUARD: apt-get update: 0 of 2 \(0%\) steps/)
    expect(typed).toContain("\"upgradable\": 6")
  })

  it("upgrade without confirm is the plan: the exact command, apt's own list; nothing is installed", async () => {
    const status = join(sandbox.dir, "state/lib/dpkg/status")
    const before = [readFileSync(status, "utf8"), statSync(status).mtimeMs]
    const plan = await ask({ type: "upgrade", security: true })
    expect(plan.stderr).toBe("")
    expect(plan.json).toMatchObject({
      scope: "security",
      executed: false,
      command: ["apt-get", "-y", "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold", "install", "--only-upgrade", "sv-kernel", "sv-libfoo", "sv-openssl"],
      env: { APT_CONFIG: sandbox.aptConfig, DEBIAN_FRONTEND: "noninteractive", LC_ALL: "C" }
    })
    expect(plan.json.upgrades.map((p: { name: string }) => p.name).sort()).toEqual(["sv-kernel", "sv-libfoo", "sv-openssl"])
    const all = await ask({ type: "upgrade" })
    expect(all.json).toMatchObject({ scope: "all", executed: false, keptBack: ["sv-held", "sv-tool"] })
    expect(all.json.command.at(-1)).toBe("dist-upgrade")
    expect([readFileSync(status, "utf8"), statSync(status).mtimeMs]).toEqual(before)
  })

  it("upgrade with confirm installs the security updates, in the sandbox only; the host's dpkg database is untouched", async () => {
    const host = statSync("/var/lib/dpkg/status").mtimeMs
    const done = await ask({ type: "upgrade", security: true, confirm: true })
    expect(done.stderr).toBe("")
    expect(done.json).toMatchObject({ scope: "security", executed: true })
    expect(done.json.output).toMatch(/Setting up sv-openssl \(3\.0\.11-1~deb12u2\)/)
    expect(readFileSync(join(sandbox.root, "usr/share/doc/sv-openssl/VERSION"), "utf8")).toBe("sv-openssl 3.0.11-1~deb12u2\n")
    const after = await ask({ type: "updates" })
    expect(after.json.securityCount).toBe(0)
    expect(after.json.upgradable.map((p: { name: string }) => p.name)).toEqual(["sv-app", "sv-core", "sv-docs"])
    const again = await cli(["ask", "VANGUARD", JSON.stringify({ type: "upgrade", security: true, confirm: true }), "--socket", daemon!.socket])
    expect(again.code).not.toBe(0)
    expect(again.stderr).toContain("no security update is pending: nothing was run")
    expect(statSync("/var/lib/dpkg/status").mtimeMs).toBe(host)
  })

  it("a reader sees the updates and is refused refresh and upgrade, by the policy", async () => {
    const socket = daemon!.socket
    const read = await cliAs(READER, ["ask", "VANGUARD", JSON.stringify({ type: "updates", security: true }), "--json", "--socket", socket])
    expect(read.code, read.stderr).toBe(0)
    expect(JSON.parse(read.stdout).upgradable).toEqual([])
    for (const [message, refusal] of [
      [{ type: "refresh" }, "VANGUARD 'refresh': it needs operate access"],
      [{ type: "upgrade" }, "VANGUARD 'upgrade': it needs admin access"],
      [{ type: "upgrade", confirm: true }, "VANGUARD 'upgrade': it needs admin access"]
    ] as const) {
      const refused = await cliAs(READER, ["ask", "VANGUARD", JSON.stringify(message), "--socket", socket])
      expect(refused.code, refused.stderr).toBe(4)
      expect(refused.stderr).toContain(`uid ${idOf("-u", READER)} may not send ${refusal}`)
    }
  })

  it("the audit ledger has the refresh and the confirmed upgrade with who asked, and the reader's refusals", async () => {
    const tail = execFileSync(binary(), ["audit", "tail", "--state-dir", join(sandbox.dir, "state"), "-n", "200", "--json"], { encoding: "utf8" })
    const entries = tail.trim().split("\n").map((line) => JSON.parse(line) as { actor: string; action: string; detail: Record<string, unknown> })
    const admitted = (type: string, extra: Record<string, unknown> = {}) =>
      expect(entries).toContainEqual(expect.objectContaining({
        actor: "uid:0",
        action: "request.admitted",
        detail: expect.objectContaining({ agent: "VANGUARD", message: expect.objectContaining({ type, ...extra }) })
      }))
    admitted("refresh")
    admitted("upgrade", { security: true, confirm: true })
    expect(entries).toContainEqual(expect.objectContaining({ actor: `uid:${idOf("-u", READER)}`, action: "access.denied" }))
  })
})
