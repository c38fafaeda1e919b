import { describe, expect, it } from "vitest"
import { stepsOf } from "../../../src/adapters/shares/commands.ts"
import { parseExportfs, parseListShares, parseShowShare, parseSmbStatus } from "../../../src/adapters/shares/parse.ts"

describe("share tool output", () => {
  it("net conf listshares and showshare", () => {
    expect(parseListShares("photos\nrw\n\n")).toEqual(["photos", "rw"])
    expect(parseShowShare("[photos]\n\tpath = /srv/photos\n\tcomment = family  photos\n\tread only = yes\n\tvalid users = \n")).toEqual([
      ["path", "/srv/photos"],
      ["comment", "family  photos"],
      ["read only", "yes"],
      ["valid users", ""]
    ])
  })

  it("exportfs -v: short paths on one line, long ones on the next, several clients, the world, escaped spaces", () => {
    const text = [
      "/srv/a         \t192.168.1.0/24(sync,wdelay,hide,no_subtree_check,sec=sys,ro,root_squash,no_all_squash)",
      "/tmp/sigmavault-bridge-nfs-1234-abcdef/data/backup",
      "\t\t127.0.0.1(sync,wdelay,hide,no_subtree_check,sec=sys,ro,root_squash,no_all_squash)",
      "\t\t10.0.0.1(sync,rw)",
      "/srv/with\\040space\t<world>(sync,ro)",
      "/srv/anyone\t(ro)"
    ].join("\n")
    expect(parseExportfs(text).map((e) => [e.path, e.client, e.options[0]])).toEqual([
      ["/srv/a", "192.168.1.0/24", "sync"],
      ["/tmp/sigmavault-bridge-nfs-1234-abcdef/data/backup", "127.0.0.1", "sync"],
      ["/tmp/sigmavault-bridge-nfs-1234-abcdef/data/backup", "10.0.0.1", "sync"],
      ["/srv/with space", "<world>", "sync"],
      ["/srv/anyone", "<world>", "ro"]
    ])
  })

  it("smbstatus --json (Samba 4.17): sessions, connections per share, open files; garbage is undefined", () => {
    const json = JSON.stringify({
      timestamp: "2026-12-07T11:57:35.707642+0000",
      version: "4.17.12-Debian",
      sessions: { "3456": { session_id: "3456", username: "nobody" } },
      tcons: { "1": { service: "rw", machine: "127.0.0.1" }, "2": { service: "rw" }, "3": { service: "IPC$" } },
      open_files: { "/srv/rw/x": {} }
    })
    expect(parseSmbStatus(json)).toEqual({ sessions: 1, connections: { rw: 2, IPC$: 1 }, openFiles: 1 })
    expect(parseSmbStatus("smbd not running")).toBeUndefined()
  })

  it("every step is an argument vector or a file in the exports dir; -s CONF when configured", () => {
    const c = { smbConf: "/etc/sv/smb.conf", exportsDir: "/etc/exports.d", stagingDir: "/run/sv/shares" }
    expect(stepsOf(c, { op: "smb-put", name: "p", text: "[p]\n\tpath = /srv/p\n" })).toEqual([
      { kind: "write", path: "/run/sv/shares/smb-p.conf", text: "[p]\n\tpath = /srv/p\n" },
      { kind: "run", command: ["net", "-s", "/etc/sv/smb.conf", "conf", "import", "/run/sv/shares/smb-p.conf", "p"], display: "net -s /etc/sv/smb.conf conf import /run/sv/shares/smb-p.conf p" },
      { kind: "remove", path: "/run/sv/shares/smb-p.conf" }
    ])
    expect(stepsOf(c, { op: "nfs-write", file: "sigmavault-p.exports", text: "x\n" })).toEqual([{ kind: "write", path: "/etc/exports.d/sigmavault-p.exports", text: "x\n" }])
    expect(stepsOf({ exportsDir: "/x", stagingDir: "/y" }, { op: "smb-reload" })[0]).toMatchObject({ command: ["smbcontrol", "smbd", "reload-config"] })
  })
})
