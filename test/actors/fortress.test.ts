/**
 * FORTRESS over the test HostProbe: the parsers on what the tools print, each
 * rule on its own, a hardened baseline with no finding, the seeded weak host
 * with every weakness flagged, and the agent: audits kept in the state
 * store, alerts only for new high or critical findings, the severity filter.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import * as CommandRunnerTest from "../../src/adapters/command/CommandRunnerTest.ts"
import { Files } from "../../src/adapters/fs/Files.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as HostProbeLive from "../../src/adapters/hostprobe/HostProbeLive.ts"
import * as HostProbeTest from "../../src/adapters/hostprobe/HostProbeTest.ts"
import type { HostProbe } from "../../src/adapters/hostprobe/HostProbe.ts"
import { parseExports, parseSmbText, parseSs, parseSshdT, smbSections } from "../../src/adapters/hostprobe/parse.ts"
import * as StateStoreTest from "../../src/adapters/state/StateStoreTest.ts"
import { StateStore } from "../../src/adapters/state/StateStore.ts"
import { runAudit } from "../../src/actors/fortress/audit.ts"
import { CHECKS, CODES, FINDING_CODES } from "../../src/actors/fortress/codes.ts"
import { FortressConfig } from "../../src/actors/fortress/config.ts"
import { fortressAgent } from "../../src/actors/fortress/index.ts"
import { STATE_KEY } from "../../src/actors/fortress/machine.ts"
import type { AuditResult, Finding } from "../../src/actors/fortress/messages.ts"
import { isSystemPath, nfsFindings, ownFindings, smbFindings, socketFindings, sshdFindings } from "../../src/actors/fortress/rules.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { ROOT, tree, watch } from "../support/agents.ts"
import { configUnder, GROUP, hardened, type HostTexts, PASSWD, pathTable, SEEDED_CODES, seeded } from "../support/fortressHost.ts"

const R = "/host"

const tablesOf = (texts: HostTexts) =>
  HostProbeTest.fromTexts({
    ss: texts.ss,
    sshdT: texts.sshdConfig.toLowerCase(),
    smbConf: { path: `${R}/etc/samba/smb.conf`, text: texts.smbConf },
    exports: { path: `${R}/etc/exports`, text: texts.exports },
    passwd: PASSWD,
    group: GROUP,
    paths: pathTable(R, texts)
  })

const codes = (findings: ReadonlyArray<Finding>) => [...new Set(findings.map((f) => f.code))].sort()

describe("HostProbe parsers", () => {
  it("ss -H -tulnp: with, without and with a cut-short process column", () => {
    const listeners = parseSs([
      `tcp   LISTEN 0      128          0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=501,fd=3),("sshd",pid=502,fd=3))`,
      `tcp   LISTEN 0      128          0.0.0.0:2024      0.0.0.0:*`,
      `udp   UNCONN 0      0      127.0.0.53%lo:53        0.0.0.0:*    users:(("systemd-resolve",pid=300,fd=13))`,
      `tcp   LISTEN 0      50              [::]:445          [::]:*    users:(("smbd",pid=61`,
      `garbage line`,
      ``
    ].join("\n"))
    assert.deepStrictEqual(listeners.map((l) => [l.protocol, l.address, l.port, l.process, l.pid]), [
      ["tcp", "0.0.0.0", 22, "sshd", 501],
      ["tcp", "0.0.0.0", 2024, undefined, undefined],
      ["udp", "127.0.0.53%lo", 53, "systemd-resolve", 300],
      ["tcp", "[::]", 445, undefined, undefined]
    ])
  })

  it("sshd -T: lowercase keywords, repeated ones kept", () => {
    const settings = parseSshdT("port 22\nlistenaddress [::]:22\nlistenaddress 0.0.0.0:22\nPasswordAuthentication yes\n")
    assert.deepStrictEqual(settings.listenaddress, ["[::]:22", "0.0.0.0:22"])
    assert.deepStrictEqual(settings.passwordauthentication, ["yes"])
  })

  it("smb.conf: sections, comments, continuations, parameters before any section in [global], case-free keys", () => {
    const sections = smbSections(parseSmbText(
      "workgroup = W\n# comment\n; another\n[Public]\n  Guest  OK = Yes\n  path = /srv/\\\npublic\n[global]\nntlm auth = yes\n",
      "/etc/samba/smb.conf"
    ))
    assert.deepStrictEqual(sections.map((s) => [s.name, s.parameters.map((p) => `${p.key}=${p.value}@${p.where}`)]), [
      ["global", ["workgroup=W@/etc/samba/smb.conf:1", "ntlm auth=yes@/etc/samba/smb.conf:9"]],
      ["Public", ["guest ok=Yes@/etc/samba/smb.conf:5", "path=/srv/public@/etc/samba/smb.conf:6"]]
    ])
  })

  it("exports: default options, several clients, no client, quoted and escaped paths, comments", () => {
    const exports = parseExports(
      [
        "# comment",
        "/srv/a -rw,no_root_squash 10.0.0.1 10.0.0.2(ro)",
        "/srv/b",
        `"/srv/with space" *(rw,insecure) # trailing`,
        "/srv/c\\040d host(rw)"
      ].join("\n"),
      "/etc/exports"
    )
    assert.deepStrictEqual(exports.map((e) => [e.path, e.client, e.options.join(","), e.where]), [
      ["/srv/a", "10.0.0.1", "rw,no_root_squash", "/etc/exports:2"],
      ["/srv/a", "10.0.0.2", "ro", "/etc/exports:2"],
      ["/srv/b", "", "", "/etc/exports:3"],
      ["/srv/with space", "*", "rw,insecure", "/etc/exports:4"],
      ["/srv/c d", "host", "rw", "/etc/exports:5"]
    ])
  })
})

describe("FORTRESS rules", () => {
  it("every code has a severity, a check, a title and a fix; codes are stable identifiers", () => {
    for (const code of FINDING_CODES) {
      assert.match(code, /^[A-Z][A-Z0-9_]+$/)
      const spec = CODES[code]
      assert.include(CHECKS, spec.check)
      assert.isAbove(spec.title.length, 10)
      assert.isAbove(spec.fix.length, 10)
    }
  })

  it("docs/audit.md has a row for every code with its severity and check", () => {
    const doc = readFileSync(join(import.meta.dirname, "../../docs/audit.md"), "utf8")
    for (const code of FINDING_CODES) {
      const row = new RegExp(`^\\| \`${code}\` \\| (\\w+) \\| (\\w+) \\|`, "m").exec(doc)
      assert.isNotNull(row, `${code} has no row in docs/audit.md`)
      assert.deepStrictEqual([row![1], row![2]], [CODES[code].severity, CODES[code].check], code)
    }
  })

  it("listeners: every interface on a port not allowed; cleartext services anywhere but loopback; loopback is fine", () => {
    const findings = socketFindings(parseSs([
      `tcp LISTEN 0 5 0.0.0.0:4444 0.0.0.0:* users:(("socat",pid=9,fd=5))`,
      `tcp LISTEN 0 5 [::]:4444 [::]:* users:(("socat",pid=9,fd=6))`,
      `tcp LISTEN 0 5 *:8080 *:*`,
      `tcp LISTEN 0 5 192.168.1.10:23 0.0.0.0:*`,
      `tcp LISTEN 0 5 127.0.0.1:21 0.0.0.0:*`,
      `tcp LISTEN 0 5 0.0.0.0:22 0.0.0.0:*`,
      `udp UNCONN 0 0 0.0.0.0:69 0.0.0.0:*`
    ].join("\n")), [22], "ss -H -tulnp")
    assert.deepStrictEqual(findings.map((f) => [f.code, f.subject]), [
      ["LISTENER_ALL_INTERFACES", "tcp/4444"],
      ["LISTENER_ALL_INTERFACES", "tcp/8080"],
      ["LISTENER_CLEARTEXT_SERVICE", "tcp/23"],
      ["LISTENER_CLEARTEXT_SERVICE", "udp/69"]
    ])
    assert.include(findings[1]!.evidence.detail, "process not visible to ss")
    assert.include(findings[0]!.evidence.detail, "socat (pid 9)")
  })

  it("sshd: each weak setting is its own code, with the setting as evidence", () => {
    const weak = parseSshdT("passwordauthentication yes\npermitrootlogin yes\npermitemptypasswords yes\nkbdinteractiveauthentication yes\nusepam yes\npermituserenvironment yes\nx11forwarding yes\nmaxauthtries 6\n")
    assert.deepStrictEqual(sshdFindings(weak, "sshd -T").map((f) => f.code), [
      "SSH_PASSWORD_AUTH",
      "SSH_ROOT_LOGIN",
      "SSH_EMPTY_PASSWORDS",
      "SSH_KBD_INTERACTIVE_PAM",
      "SSH_USER_ENVIRONMENT",
      "SSH_X11_FORWARDING",
      "SSH_MAX_AUTH_TRIES"
    ])
    assert.deepStrictEqual(sshdFindings(weak, "sshd -T")[0]!.evidence, { source: "sshd -T", detail: "passwordauthentication yes" })
    // prohibit-password, forced-commands-only, and keyboard-interactive without PAM are fine.
    const fine = parseSshdT("permitrootlogin prohibit-password\nkbdinteractiveauthentication yes\nusepam no\nmaxauthtries 4\npermituserenvironment no\n")
    assert.deepStrictEqual(sshdFindings(fine, "sshd -T"), [])
  })

  it("SMB: guest read is high, guest write critical, [global] defaults count, SMB1 and NTLMv1 flagged", () => {
    const smb = {
      sections: smbSections(parseSmbText(
        "[global]\nserver min protocol = NT1\nntlm auth = ntlmv1-permitted\n[ro]\npath=/srv/ro\npublic = yes\n[rw]\npath=/srv/rw\nguest ok = yes\nread only = no\n[ok]\npath=/srv/ok\nguest ok = no\n",
        "smb.conf"
      )),
      unread: []
    }
    assert.deepStrictEqual(smbFindings(smb).map((f) => [f.code, f.severity, f.subject]), [
      ["SMB_GUEST_OK", "high", "smb share [ro]"],
      ["SMB_GUEST_WRITABLE", "critical", "smb share [rw]"],
      ["SMB1_ENABLED", "high", "smb [global]"],
      ["SMB_NTLMV1", "high", "smb [global]"]
    ])
    const globalGuest = { sections: smbSections(parseSmbText("[global]\nguest ok = yes\n[any]\npath=/srv/any\n", "smb.conf")), unread: [] }
    assert.deepStrictEqual(smbFindings(globalGuest).map((f) => f.subject), ["smb share [any]"])
  })

  it("NFS: no_root_squash, insecure and exports to everyone", () => {
    const findings = nfsFindings(parseExports("/srv/a *(rw,no_root_squash,insecure)\n/srv/b\n/srv/c 10.0.0.0/8(rw)\n", "/etc/exports"))
    assert.deepStrictEqual(findings.map((f) => [f.code, f.subject, f.evidence.source]), [
      ["NFS_NO_ROOT_SQUASH", "nfs export /srv/a to *", "/etc/exports:1"],
      ["NFS_INSECURE", "nfs export /srv/a to *", "/etc/exports:1"],
      ["NFS_EXPORT_TO_ALL", "nfs export /srv/a to *", "/etc/exports:1"],
      ["NFS_EXPORT_TO_ALL", "nfs export /srv/b to everyone", "/etc/exports:2"]
    ])
  })

  it("system paths are told from data paths", () => {
    for (const path of ["/", "/etc", "/etc/", "/root/x", "/usr/share", "/var", "/home"]) assert.isTrue(isSystemPath(path), path)
    for (const path of ["/srv", "/tank/media", "/var/lib/data", "/home/alice", "/etc2"]) assert.isFalse(isSystemPath(path), path)
  })

  it("the daemon's own files: socket, runtime and state dirs, keys, config file, owners", () => {
    const daemon = { ...configUnder("/h", 998).daemon }
    const at = (path: string, type: "file" | "directory" | "socket", mode: number, uid = 998) =>
      ({ _tag: "Read" as const, source: `stat ${path}`, value: { path, type, mode, uid, gid: 0 } })
    const findings = ownFindings({
      socket: at("/h/run/control.sock", "socket", 0o666),
      runtimeDir: at("/h/run", "directory", 0o777),
      stateDir: at("/h/state", "directory", 0o755),
      keysDir: at("/h/state/keys", "directory", 0o750),
      keys: { _tag: "Read", source: "ls", value: [{ path: "/h/state/keys/a.key", type: "file", mode: 0o644, uid: 1000, gid: 0 }] },
      configFile: at("/h/etc/sigmavault.conf", "file", 0o666, 0)
    }, daemon)
    assert.deepStrictEqual(findings.map((f) => [f.code, f.subject]), [
      ["SOCKET_WORLD_WRITABLE", "/h/run/control.sock"],
      ["RUNTIME_DIR_WRITABLE", "/h/run"],
      ["STATE_DIR_OPEN", "/h/state"],
      ["KEY_FILE_EXPOSED", "/h/state/keys"],
      ["KEY_FILE_EXPOSED", "/h/state/keys/a.key"],
      ["OWN_PATH_OWNER", "/h/state/keys/a.key"],
      ["CONFIG_FILE_WRITABLE", "/h/etc/sigmavault.conf"]
    ])
    assert.strictEqual(findings[0]!.evidence.detail, "socket mode 0666 uid 998 gid 0")
  })
})

describe("FORTRESS audits", () => {
  const config = configUnder(R)

  it.effect("a hardened baseline gives no finding, and every source was read", () =>
    Effect.gen(function*() {
      const outcome = yield* runAudit(HostProbeTest.make(tablesOf(hardened(R))).service, config, CHECKS)
      assert.deepStrictEqual(outcome.findings, [])
      assert.deepStrictEqual(outcome.unread, [])
    }))

  it.effect("the seeded host: every seeded weakness is flagged, with evidence naming where it was read", () =>
    Effect.gen(function*() {
      const outcome = yield* runAudit(HostProbeTest.make(tablesOf(seeded(R))).service, config, CHECKS)
      assert.includeMembers(codes(outcome.findings), [...SEEDED_CODES])
      assert.deepStrictEqual(codes(outcome.findings), [...SEEDED_CODES].sort())
      const guest = outcome.findings.find((f) => f.code === "SMB_GUEST_OK")!
      assert.deepStrictEqual(guest.evidence, { source: `${R}/etc/samba/smb.conf:12`, detail: "guest ok = yes" })
      assert.strictEqual(outcome.findings.find((f) => f.code === "SHARE_PATH_WORLD_WRITABLE")!.evidence.detail, "directory mode 0777 uid 1000 gid 1000 (smb share [public])")
      // Most severe first.
      assert.deepStrictEqual(outcome.findings.map((f) => f.severity), [...outcome.findings.map((f) => f.severity)].sort((a, b) => ["info", "low", "medium", "high", "critical"].indexOf(b) - ["info", "low", "medium", "high", "critical"].indexOf(a)))
    }))

  it.effect("what cannot be read is reported as unread, not as clean", () =>
    Effect.gen(function*() {
      const outcome = yield* runAudit(
        HostProbeTest.make({ listeners: { unavailable: "ss is not installed" }, sshd: { unavailable: "could not read: sshd -T needs /run/sshd" } }).service,
        config,
        ["sockets", "sshd"]
      )
      assert.deepStrictEqual(outcome.findings, [])
      assert.deepStrictEqual(outcome.unread.map((u) => [u.check, u.reason]), [
        ["sockets", "ss is not installed"],
        ["sshd", "could not read: sshd -T needs /run/sshd"]
      ])
    }))
})

describe("FORTRESS, the agent", () => {
  it.effect("audit keeps its result; a second audit alerts only on what is new and high or critical; findings filter by severity", () => {
    const probe = HostProbeTest.make(tablesOf(hardened(R)))
    return Effect.gen(function*() {
      const store = yield* StateStoreTest.make()
      const system = yield* ActorSystem.make({ root: tree<HostProbe | StateStore>("root", "one_for_one", [fortressAgent]) }).pipe(
        Effect.provideService(StateStore, store)
      )
      const events = yield* watch(system)
      const never = (yield* system.injectAsk(ROOT, "FORTRESS", { type: "findings" })) as { auditedAt: string | null; findings: Array<Finding> }
      assert.deepStrictEqual([never.auditedAt, never.findings], [null, []])

      const clean = (yield* system.injectAsk(ROOT, "FORTRESS", { type: "audit" })) as AuditResult
      assert.deepStrictEqual([clean.findings.length, clean.newFindings, clean.stored, clean.checks], [0, 0, true, [...CHECKS]])

      // The host gets weaker: every seeded finding is new, and the high ones alert.
      Object.assign(probe.tables, tablesOf(seeded(R)))
      const weak = (yield* system.injectAsk(ROOT, "FORTRESS", { type: "audit" })) as AuditResult
      assert.strictEqual(weak.newFindings, weak.findings.length)
      const alerts: Array<{ subject: string; severity: string }> = []
      for (let i = 0; i < weak.findings.filter((f) => f.severity === "high" || f.severity === "critical").length; i++) {
        alerts.push((yield* events.until((e) => e._tag === "Alert")) as never)
      }
      assert.sameMembers(
        alerts.map((a) => a.subject),
        weak.findings.filter((f) => f.severity === "high" || f.severity === "critical").map((f) => f.subject)
      )
      const kept = store.documents.get(STATE_KEY)
      assert.isDefined(kept)
      assert.include(kept!, "SSH_PASSWORD_AUTH")

      // Nothing changed: nothing new, and no alert.
      const again = (yield* system.injectAsk(ROOT, "FORTRESS", { type: "audit" })) as AuditResult
      assert.strictEqual(again.newFindings, 0)
      // One more weakness: only it is new.
      Object.assign(probe.tables, tablesOf({ ...seeded(R), sshdConfig: seeded(R).sshdConfig.replace("PermitEmptyPasswords no", "PermitEmptyPasswords yes") }))
      const worse = (yield* system.injectAsk(ROOT, "FORTRESS", { type: "audit", checks: ["sshd"] })) as AuditResult
      assert.deepStrictEqual([worse.newFindings, worse.checks], [1, ["sshd"]])
      const alert = (yield* events.until((e) => e._tag === "Alert" && (e as { subject: string }).subject === "sshd permitemptypasswords")) as { severity: string; text: string }
      assert.strictEqual(alert.severity, "critical")
      assert.match(alert.text, /^SSH_EMPTY_PASSWORDS: /)
      assert.strictEqual((alert as { code?: string }).code, "FORTRESS-SSH-EMPTY-PASSWORDS")

      // A partial audit keeps the other checks' findings.
      const high = (yield* system.injectAsk(ROOT, "FORTRESS", { type: "findings", severity: "high" })) as { findings: Array<Finding> }
      assert.isTrue(high.findings.every((f) => f.severity === "high" || f.severity === "critical"))
      assert.includeMembers(high.findings.map((f) => f.code), ["SSH_EMPTY_PASSWORDS", "SMB_GUEST_OK", "NFS_NO_ROOT_SQUASH", "SOCKET_WORLD_WRITABLE"])
      assert.notInclude(high.findings.map((f) => f.code), "LISTENER_ALL_INTERFACES")
    }).pipe(Effect.scoped, Effect.provide(probe.layer), Effect.provideService(FortressConfig, configUnder(R)))
  })

  it.effect("a restarted FORTRESS answers findings from the kept audit", () =>
    Effect.gen(function*() {
      const store = yield* StateStoreTest.make()
      const first = yield* ActorSystem.make({ root: tree<HostProbe | StateStore>("root", "one_for_one", [fortressAgent]) }).pipe(
        Effect.provideService(StateStore, store),
        Effect.provide(HostProbeTest.layer(tablesOf(seeded(R))))
      )
      const audited = (yield* first.injectAsk(ROOT, "FORTRESS", { type: "audit" })) as AuditResult
      const second = yield* ActorSystem.make({ root: tree<HostProbe | StateStore>("root2", "one_for_one", [fortressAgent]) }).pipe(
        Effect.provideService(StateStore, store),
        Effect.provide(HostProbeTest.layer({}))
      )
      const findings = (yield* second.injectAsk(ROOT, "FORTRESS", { type: "findings" })) as { auditedAt: string; findings: Array<Finding> }
      assert.strictEqual(findings.auditedAt, audited.auditedAt)
      assert.deepStrictEqual(codes(findings.findings), codes(audited.findings))
    }).pipe(Effect.scoped, Effect.provideService(FortressConfig, configUnder(R))))
})

describe("HostProbeLive on files and scripted tools", () => {
  it.effect("smb.conf: includes are followed, the registry read through net conf list, loops and substitutions reported unread", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), `fortress-probe-${process.pid}-`))
      try {
        writeFileSync(join(dir, "smb.conf"), `[global]\ninclude = ${dir}/extra.conf\ninclude = registry\ninclude = /etc/samba/%m.conf\n[local]\npath = /srv/local\n`)
        writeFileSync(join(dir, "extra.conf"), `[extra]\npath = /srv/extra\nguest ok = yes\ninclude = ${dir}/smb.conf\n`)
        mkdirSync(join(dir, "exports.d"))
        writeFileSync(join(dir, "exports"), "/srv/a 10.0.0.0/8(rw)\n")
        writeFileSync(join(dir, "exports.d", "b.exports"), "/srv/b *(rw,no_root_squash)\n")
        writeFileSync(join(dir, "exports.d", "ignored.conf"), "/srv/c *(rw)\n")
        const runner = CommandRunnerTest.make({ "net conf list": { stdout: "[reg]\n\tpath = /srv/reg\n\tguest ok = yes\n\tread only = no\n" } })
        const probe = HostProbeLive.make(runner.service, yield* Files)
        const smb = yield* probe.smb(join(dir, "smb.conf"))
        if (smb._tag !== "Read" || smb.value === undefined) return assert.fail("smb.conf not read")
        assert.sameMembers(smb.value.sections.map((s) => s.name), ["extra", "reg", "local"])
        assert.deepStrictEqual(smbFindings(smb.value).map((f) => [f.code, f.subject, f.evidence.source]), [
          ["SMB_GUEST_OK", "smb share [extra]", `${dir}/extra.conf:3`],
          ["SMB_GUEST_WRITABLE", "smb share [reg]", "registry:3"]
        ])
        assert.deepStrictEqual(smb.value.unread.map((u) => u.reason), [
          "include loop or nesting too deep",
          "an include with substitutions or a relative path is not followed"
        ])
        const exports = yield* probe.nfs(join(dir, "exports"), join(dir, "exports.d"))
        if (exports._tag !== "Read") return assert.fail("exports not read")
        assert.deepStrictEqual(exports.value.map((e) => [e.path, e.client]), [["/srv/a", "10.0.0.0/8"], ["/srv/b", "*"]])
        const missing = yield* probe.smb(join(dir, "none.conf"))
        assert.deepStrictEqual(missing, { _tag: "Read", source: join(dir, "none.conf"), value: undefined })
        // Without net: the registry is unread, the file still read.
        const noNet = HostProbeLive.make(CommandRunnerTest.make({}).service, yield* Files)
        const partial = yield* noNet.smb(join(dir, "smb.conf"))
        if (partial._tag !== "Read" || partial.value === undefined) return assert.fail("smb.conf not read")
        assert.include(partial.value.unread.map((u) => u.reason), "net is not installed")
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }).pipe(Effect.provide(FilesLive.layer)))

  it.effect("ss and sshd: missing tools and failures are honest Unavailable readings", () =>
    Effect.gen(function*() {
      const probe = HostProbeLive.make(CommandRunnerTest.make({
        "sshd -T -f /x/sshd_config": { exitCode: 255, stderr: "Missing privilege separation directory: /run/sshd\n" }
      }).service, yield* Files)
      const ss = yield* probe.listeners
      assert.deepStrictEqual(ss, { _tag: "Unavailable", source: "ss -H -tulnp", reason: "ss is not installed" })
      const sshd = yield* probe.sshd("/x/sshd_config")
      assert.strictEqual(sshd._tag, "Unavailable")
      if (sshd._tag === "Unavailable") assert.match(sshd.reason, /^could not read: sshd -T needs its privilege separation directory/)
    }).pipe(Effect.provide(FilesLive.layer)))
})

describe("FORTRESS properties", () => {
  it("the parsers take any text without throwing, and every listener they return has a port in range", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 400 }), (text) => {
      for (const l of parseSs(text)) assert.isTrue(Number.isInteger(l.port) && l.port >= 0 && l.port <= 65535)
      parseSshdT(text)
      smbSections(parseSmbText(text, "smb.conf"))
      parseExports(text, "exports")
    }), { numRuns: 500, examples: [["__proto__"], ["constructor x\n__proto__ y"]] })
  })

  it("an SMB share is flagged exactly when guests may enter it, critical exactly when they may also write", () => {
    const yesNo = fc.constantFrom("yes", "no", "Yes", "true", "0", "1", "off")
    const truthy = (v: string) => ["yes", "true", "1", "on"].includes(v.toLowerCase())
    fc.assert(fc.property(fc.option(yesNo, { nil: undefined }), fc.option(yesNo, { nil: undefined }), fc.option(yesNo, { nil: undefined }), (guest, globalGuest, readOnly) => {
      const text = [
        "[global]",
        ...(globalGuest === undefined ? [] : [`guest ok = ${globalGuest}`]),
        "[s]",
        "path = /srv/s",
        ...(guest === undefined ? [] : [`public = ${guest}`]),
        ...(readOnly === undefined ? [] : [`read only = ${readOnly}`])
      ].join("\n")
      const findings = smbFindings({ sections: smbSections(parseSmbText(text, "smb.conf")), unread: [] })
      const guests = truthy(guest ?? globalGuest ?? "no")
      const writes = readOnly !== undefined && !truthy(readOnly)
      assert.deepStrictEqual(findings.map((f) => f.code), guests ? [writes ? "SMB_GUEST_WRITABLE" : "SMB_GUEST_OK"] : [])
    }), { numRuns: 300 })
  })
})
