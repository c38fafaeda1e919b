/**
 * FORGE's renders: what a good spec becomes, and every hostile spec refused
 * with the field named, before any tool or file is touched.
 */
import { assert, describe, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import { escapeExportPath, renderShare } from "../../src/actors/forge/share.ts"
import { calendarProblem, quoteExecArgument, renderTimer } from "../../src/actors/forge/timer.ts"
import { ShareSpec } from "../../src/actors/shared/fields.ts"

const spec = (fields: Record<string, unknown>): ShareSpec =>
  Schema.decodeUnknownSync(ShareSpec)({ protocol: "smb", name: "photos", path: "/srv/photos", ...fields })

const rendered = (fields: Record<string, unknown>) => Result.getOrThrow(renderShare(spec(fields)))
const refused = (fields: Record<string, unknown>) => {
  const result = renderShare(spec(fields))
  assert.isTrue(Result.isFailure(result), `expected a refusal for ${JSON.stringify(fields)}`)
  return (result as Result.Failure<unknown, import("../../src/actors/forge/messages.ts").InvalidSpec>).failure
}

describe("FORGE render-share: SMB", () => {
  it("renders a stanza and the same parameters in order for net conf", () => {
    const out = rendered({ comment: "Family photos", hosts: ["192.168.1.0/24", "nas.lan"], users: ["alice", "@family"], readOnly: true })
    assert.strictEqual(out.kind, "smb")
    assert.strictEqual(out.files.length, 1)
    const file = out.files[0]!
    assert.strictEqual(file.target, "photos")
    assert.deepStrictEqual(file.parameters, [
      ["path", "/srv/photos"],
      ["comment", "Family photos"],
      ["read only", "yes"],
      ["guest ok", "no"],
      ["hosts allow", "192.168.1.0/24 nas.lan"],
      ["valid users", "alice @family"],
      ["browseable", "yes"],
      ["create mask", "0664"],
      ["directory mask", "0775"]
    ])
    assert.strictEqual(file.text, "[photos]\n" + file.parameters!.map(([k, v]) => `\t${k} = ${v}\n`).join(""))
  })

  it("defaults: writable, no guests, any host, any authenticated user", () => {
    const file = rendered({}).files[0]!
    assert.deepInclude(file.parameters!, ["read only", "no"])
    assert.deepInclude(file.parameters!, ["guest ok", "no"])
    assert.isFalse(file.text.includes("hosts allow"))
    assert.isFalse(file.text.includes("valid users"))
  })

  it("keeps characters smb.conf reads literally: spaces, quotes, '#', ';'", () => {
    assert.deepInclude(rendered({ path: "/srv/my \"best\" #1; photos" }).files[0]!.parameters!, ["path", "/srv/my \"best\" #1; photos"])
  })

  it.each([
    [{ path: "/srv/a\nb" }, "path"],
    [{ path: "/srv/a\t b" }, "path"],
    [{ path: "/srv/%U" }, "path"],
    [{ path: "/srv/a\\" }, "path"],
    [{ hosts: ["*.lan"] }, "hosts[0]"],
    [{ path: "/srv/a " }, "path"],
    [{ path: "/srv/a  b" }, "path"],
    [{ comment: "100% sure" }, "comment"],
    [{ comment: " lead" }, "comment"],
    [{ name: "global" }, "name"],
    [{ name: "Homes" }, "name"],
    [{ hosts: ["EXCEPT"] }, "hosts[0]"],
    [{ guest: true, users: ["alice"] }, "guest"],
    [{ nfsOptions: ["rw"] }, "nfsOptions"]
  ])("refuses %j naming %s", (fields, field) => {
    const error = refused(fields)
    assert.strictEqual(error._tag, "InvalidSpec")
    assert.strictEqual(error.kind, "smb")
    assert.strictEqual(error.field, field)
  })
})

describe("FORGE render-share: NFS", () => {
  const nfs = (fields: Record<string, unknown>) => ({ protocol: "nfs", hosts: ["192.168.1.0/24"], ...fields })

  it("renders one exports line in /etc/exports.d, with exportfs's defaults written out", () => {
    const out = rendered(nfs({ readOnly: true, hosts: ["192.168.1.0/24", "nas.lan"], comment: "photos" }))
    assert.strictEqual(out.kind, "nfs")
    assert.strictEqual(out.files[0]!.target, "/etc/exports.d/sigmavault-photos.exports")
    assert.strictEqual(
      out.files[0]!.text,
      "# SigmaVault share photos; written by FORGE\n# photos\n" +
        "/srv/photos 192.168.1.0/24(ro,sync,no_subtree_check,root_squash) nas.lan(ro,sync,no_subtree_check,root_squash)\n"
    )
  })

  it("keeps the options it is given, in order, after ro/rw and the defaults they do not replace", () => {
    const line = rendered(nfs({ nfsOptions: ["async", "no_root_squash", "anonuid=1000", "sec=krb5:krb5p"] })).files[0]!.text
    assert.include(line, "192.168.1.0/24(rw,no_subtree_check,async,no_root_squash,anonuid=1000,sec=krb5:krb5p)")
  })

  it("escapes the path as exports(5) reads it: a space is \\040", () => {
    assert.strictEqual(escapeExportPath("/srv/my photos"), "/srv/my\\040photos")
    assert.strictEqual(escapeExportPath("/srv/é#\\"), "/srv/\\303\\251\\043\\134")
    assert.include(rendered(nfs({ path: "/srv/my photos" })).files[0]!.text, "/srv/my\\040photos 192.168.1.0/24(")
  })

  it.each([
    [{ hosts: [] }, "hosts"],
    [{ hosts: undefined }, "hosts"],
    [{ hosts: ["10.0.0.0/33"] }, "hosts[0]"],
    [{ hosts: ["10.0.0.1", "10.0.0.1"] }, "hosts[1]"],
    [{ hosts: ["*", "-rw"] }, "hosts[1]"],
    [{ nfsOptions: ["rw,no_root_squash"] }, "nfsOptions[0]"],
    [{ nfsOptions: ["sync", "bogus"] }, "nfsOptions[1]"],
    [{ nfsOptions: ["anonuid=-1"] }, "nfsOptions[0]"],
    [{ nfsOptions: ["fsid=abc"] }, "nfsOptions[0]"],
    [{ nfsOptions: ["sec=sys:none"] }, "nfsOptions[0]"],
    [{ readOnly: true, nfsOptions: ["rw"] }, "nfsOptions[0]"],
    [{ nfsOptions: ["sync", "async"] }, "nfsOptions[1]"],
    [{ guest: true }, "guest"],
    [{ users: ["alice"] }, "users"],
    [{ path: "/srv/photos/" }, "path"],
    [{ path: "/srv/../etc" }, "path"],
    [{ path: "/long" + "/a".repeat(600) }, "path"]
  ])("refuses %j naming %s", (fields, field) => {
    const all: Record<string, unknown> = nfs(fields)
    if ("hosts" in fields && fields.hosts === undefined) delete all.hosts
    const error = refused(all)
    assert.strictEqual(error.kind, "nfs")
    assert.strictEqual(error.field, field)
  })
})

describe("FORGE render-timer", () => {
  const spec = { name: "scrub-tank", onCalendar: "Sun 03:00", agent: "LATTICE", message: { type: "scrub", pool: "tank", note: "100% \"sure\" $HOME \\ %n" } }

  it("renders a timer and a oneshot service that tells the agent the message as one quoted argument", () => {
    const out = Result.getOrThrow(renderTimer(spec, "Sun *-*-* 03:00:00"))
    assert.deepStrictEqual(out.files.map((f) => f.target), ["sigmavault-scrub-tank.timer", "sigmavault-scrub-tank.service"])
    assert.include(out.files[0]!.text, "\nOnCalendar=Sun *-*-* 03:00:00\nPersistent=true\nUnit=sigmavault-scrub-tank.service\n")
    assert.include(out.files[0]!.text, "\n[Install]\nWantedBy=timers.target\n")
    const exec = out.files[1]!.text.split("\n").find((l) => l.startsWith("ExecStart="))!
    assert.strictEqual(
      exec,
      String.raw`ExecStart=/usr/bin/sigmavault tell LATTICE "{\"type\":\"scrub\",\"pool\":\"tank\",\"note\":\"100%% \\\"sure\\\" $$HOME \\\\ %%n\"}"`
    )
  })

  it("quotes one ExecStart word so systemd reads it back exactly: '\\' and '\"' escaped, '%' and '$' doubled", () => {
    assert.strictEqual(quoteExecArgument(`a"b\\c%d$e`), `"a\\"b\\\\c%%d$$e"`)
  })

  it.each(["daily\nOnCalendar=hourly", "*-*-* %H:00", "daily\\", "x".repeat(300)])("refuses the calendar %j before asking systemd", (expression) => {
    assert.isDefined(calendarProblem(expression))
  })

  it("refuses a message too long to be one argument (MAX_ARG_STRLEN)", () => {
    const result = renderTimer({ ...spec, message: { type: "x", blob: "a".repeat(140_000) } }, "daily")
    assert.isTrue(Result.isFailure(result) && result.failure.field === "message")
  })
})
