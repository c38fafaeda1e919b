/**
 * The systemd unit, checked by systemd itself: `systemd-analyze verify` parses
 * every directive (an unknown key or a bad value is a warning on stderr, while
 * the exit code stays 0, so stderr must be empty) and checks that ExecStart
 * exists. /usr/bin/sigmavault is not installed here, so the copy that is
 * verified points ExecStart at an executable that exists, with the same arguments.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"

const UNIT = join(import.meta.dirname, "../../packaging/systemd/sigmavault.service")
const text = readFileSync(UNIT, "utf8")
const analyze = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" })
const hasAnalyze = analyze.error === undefined && analyze.status === 0

const dir = mkdtempSync(join(tmpdir(), "sigmavault-unit-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Verifies `unitText` as sigmavault.service with ExecStart pointed at an existing binary. */
const verify = (unitText: string) => {
  const path = join(dir, "sigmavault.service")
  writeFileSync(path, unitText.replace(/^ExecStart=\/usr\/bin\/sigmavault /m, `ExecStart=${process.execPath} `))
  const result = spawnSync("systemd-analyze", ["verify", path], { encoding: "utf8" })
  return { status: result.status, stderr: result.stderr.trim() }
}

/** `key=value` lines of one section; a key may repeat. */
const directives = (section: string): Array<[string, string]> => {
  const body = text.split(/^\[/m).find((part) => part.startsWith(`${section}]`)) ?? ""
  return body.split("\n").filter((line) => /^[A-Za-z]+=/.test(line)).map((line) => {
    const at = line.indexOf("=")
    return [line.slice(0, at), line.slice(at + 1)]
  })
}
const service = new Map(directives("Service"))

describe("packaging/systemd/sigmavault.service", () => {
  it("is a notify service with the watchdog, restart and directories the daemon relies on", () => {
    expect(Object.fromEntries(["Type", "NotifyAccess", "WatchdogSec", "Restart", "ExecStart", "RuntimeDirectory", "StateDirectory", "ConfigurationDirectory"].map((key) => [key, service.get(key)]))).toEqual({
      Type: "notify",
      NotifyAccess: "all",
      WatchdogSec: "30s",
      Restart: "on-failure",
      ExecStart: "/usr/bin/sigmavault run",
      RuntimeDirectory: "sigmavault",
      StateDirectory: "sigmavault",
      ConfigurationDirectory: "sigmavault"
    })
  })

  it("lets a member of socket_group reach the socket: the runtime directory is searchable by all, the state directory is not", () => {
    // The socket's group and mode decide who connects (docs/security.md); a 0750 root:root
    // directory in front of it would refuse every member of socket_group.
    const mode = (key: string) => Number.parseInt(service.get(key) ?? "0755", 8)
    expect(mode("RuntimeDirectoryMode") & 0o001).toBe(0o001)
    expect(mode("RuntimeDirectoryMode") & 0o002).toBe(0)
    expect(service.has("Group")).toBe(false) // the daemon runs as root:root; socket_group is the daemon's business
    expect(mode("StateDirectoryMode") & 0o007).toBe(0)
  })

  it("is hardened without taking away what SMART and ZFS need", () => {
    expect(service.get("NoNewPrivileges")).toBe("yes")
    expect(service.get("ProtectSystem")).toBe("strict")
    expect(service.get("ProtectHome")).toBe("yes")
    expect(service.get("PrivateTmp")).toBe("yes")
    // Raw disk ioctls (SMART) and /dev/zfs: devices stay visible and CAP_SYS_RAWIO stays.
    expect(service.get("PrivateDevices")).toBe("no")
    expect(service.has("DeviceAllow")).toBe(false)
    expect(service.get("ProtectClock")).not.toBe("yes")
    expect(service.get("CapabilityBoundingSet")?.split(" ")).toEqual(expect.arrayContaining(["CAP_SYS_RAWIO", "CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_SYS_PTRACE"]))
    // The JIT needs W+X memory.
    expect(service.get("MemoryDenyWriteExecute")).not.toBe("yes")
  })

  it.skipIf(!hasAnalyze)("passes systemd-analyze verify with no warning at all", () => {
    expect(verify(text)).toEqual({ status: 0, stderr: "" })
  })

  it.skipIf(!hasAnalyze)("the check would catch a mistake: a bad value or an unknown key is a warning", () => {
    expect(verify(text.replace(/^ProtectSystem=strict$/m, "ProtectSystem=sideways")).stderr).toMatch(/protect system value/i)
    expect(verify(text.replace("[Service]\n", "[Service]\nWatchdogSecs=30s\n")).stderr).toMatch(/Unknown key 'WatchdogSecs'/)
  })

  it.skipIf(!hasAnalyze)("as installed, the only thing systemd-analyze misses here is the binary itself", () => {
    const result = spawnSync("systemd-analyze", ["verify", UNIT], { encoding: "utf8" })
    expect(result.stderr.trim()).toBe("sigmavault.service: Command /usr/bin/sigmavault is not executable: No such file or directory")
  })
})

if (!hasAnalyze) {
  describe("packaging/systemd/sigmavault.service", () => {
    it.skip("systemd-analyze verify: skipped because systemd-analyze is not installed (apt-get install systemd)", () => {})
  })
}
