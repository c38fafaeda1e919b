/**
 * Shares through the compiled binary, as an administrator does it: `sigmavault
 * ask BRIDGE …` against a daemon whose smb_config is a real smbd's temp config
 * (test/support/samba.ts). A share is planned, then added with confirm, and
 * smbclient lists it with smbd never restarted; FORGE's refusals and system
 * paths come back as typed rejections; VERTEX places the share; removing it
 * unlists it. NFS is only planned here (applying would run the host's
 * exportfs; test/actors/bridge-nfs.test.ts applies it inside a namespace).
 */
import { existsSync, mkdirSync, chmodSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Samba, startSamba } from "../support/samba.ts"
import { cli, type Daemon, startDaemon } from "./harness.ts"

let samba: Samba
let daemon: Daemon | undefined

const ask = async (agent: string, message: unknown) => {
  const result = await cli(["ask", agent, JSON.stringify(message), "--json", "--socket", daemon!.socket])
  return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : undefined }
}

describe("shares in the binary", () => {
  beforeAll(async () => {
    samba = await startSamba("e2e-shares", 1)
    const config = join(samba.dir, "sigmavault.conf")
    writeFileSync(config, [
      `share_roots = ${samba.data}`,
      `smb_config = ${samba.conf}`,
      `nfs_exports_dir = ${join(samba.dir, "exports.d")}`,
      `file_roots = ${samba.data}`,
      ""
    ].join("\n"))
    daemon = await startDaemon({ dir: join(samba.dir, "daemon"), args: ["--config", config] })
  }, 60_000)
  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    if (daemon !== undefined) await daemon.exited
    await samba?.stop()
  }, 20_000)

  it("plans, adds (registry + reload-config, same smbd), lists, places in VERTEX, refuses, removes", async () => {
    const photos = join(samba.data, "photos")
    mkdirSync(photos)
    chmodSync(photos, 0o777)
    const share = { protocol: "smb", name: "photos", path: photos, guest: true, readOnly: true, comment: "family photos" }

    const plan = await ask("BRIDGE", { type: "add-share", ...share })
    expect(plan.stderr).toBe("")
    expect(plan.json.executed).toBe(false)
    expect(plan.json.steps[1].display).toBe(`net -s ${samba.conf} conf import ${join(samba.dir, "daemon", "run", "shares", "smb-photos.conf")} photos`)
    expect(plan.json.steps.at(-1).display).toBe(`smbcontrol -s ${samba.conf} smbd reload-config`)
    expect(plan.json.validated.tool).toMatch(/^testparm/)
    expect(samba.list()).not.toContain("photos")

    const added = await ask("BRIDGE", { type: "add-share", ...share, confirm: true })
    expect(added.json.executed).toBe(true)
    expect(samba.list()).toContain("photos")
    expect(samba.alive()).toBe(true)
    expect(samba.client("photos", `put ${join(samba.dir, "sigmavault.conf")} x.conf`).output).toMatch(/NT_STATUS_(ACCESS_DENIED|MEDIA_WRITE_PROTECTED)/)

    const listed = await ask("BRIDGE", { type: "shares" })
    expect(listed.json.inSync).toBe(true)
    expect(listed.json.shares.map((s: { spec: { name: string }; live: string }) => `${s.spec.name} ${s.live}`)).toEqual(["photos in-sync"])

    const placed = await ask("VERTEX", { type: "shares" })
    expect(placed.json.shares).toEqual([expect.objectContaining({ protocol: "smb", name: "photos", path: photos })])

    const again = await ask("BRIDGE", { type: "add-share", ...share, confirm: true })
    expect(again.code).not.toBe(0)
    expect(again.stderr).toMatch(/already exists/)
    const system = await ask("BRIDGE", { type: "add-share", protocol: "smb", name: "etc", path: "/etc", confirm: true })
    expect(system.stderr).toMatch(/cannot be shared: it is inside \/etc/)
    const hostile = await ask("BRIDGE", { type: "add-share", protocol: "smb", name: "x;reboot", path: photos, confirm: true })
    expect(hostile.stderr).toMatch(/name/)
    const forged = await ask("BRIDGE", { type: "add-share", protocol: "nfs", name: "n", path: photos, hosts: ["127.0.0.1"], nfsOptions: ["no_root_squash;x"], confirm: true })
    expect(forged.code).not.toBe(0)
    expect(existsSync(join(samba.dir, "exports.d"))).toBe(false)

    const nfsPlan = await ask("BRIDGE", { type: "add-share", protocol: "nfs", name: "backup", path: photos, hosts: ["192.168.1.0/24"] })
    expect(nfsPlan.json.steps.map((s: { kind: string; path?: string; display?: string }) => s.display ?? `${s.kind} ${s.path}`)).toEqual([
      `write ${join(samba.dir, "exports.d", "sigmavault-backup.exports")}`,
      "exportfs -ra"
    ])

    const removed = await ask("BRIDGE", { type: "remove-share", protocol: "smb", name: "photos", confirm: true })
    expect(removed.json.executed).toBe(true)
    expect(samba.list()).not.toContain("photos")
    expect(samba.alive()).toBe(true)
  })
})
