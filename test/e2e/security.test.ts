/**
 * The daemon runs as root; its callers do not. Real users and groups made
 * for this test (useradd, groupadd) use the compiled CLI through the control
 * socket (setpriv --reuid --regid --init-groups), and try what an attacker
 * would: read /etc/shadow or another user's file through a file job, write
 * into /etc, destroy a dataset, schedule what they may not send, forge the
 * audit ledger, rotate the keys, stop the ledger. Each attempt fails with a
 * clear refusal, leaves nothing behind, and the permitted requests are in
 * the audit ledger with who asked. Needs root; skipped otherwise.
 */
import { execFileSync, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type PrivateBus, startPrivateBus } from "../adapters/dbus/bus.ts"
import { binary, cli, type Daemon, startDaemon, cliAs, idOf, type Output } from "./harness.ts"

const isRoot = process.getuid?.() === 0
const suffix = randomBytes(3).toString("hex")
const READERS = `svr${suffix}`
const OPERATORS = `svo${suffix}`
const READER = `svread${suffix}`
const OPERATOR = `svop${suffix}`
const STRANGER = `svnone${suffix}`

const as = cliAs

describe.skipIf(!isRoot)("callers who are not root", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "sigmavault-e2e-security-")))
  const srv = join(dir, "srv")
  let daemon: Daemon
  let bus: PrivateBus
  let socket = ""
  const ask = (user: string, agent: string, message: unknown) => as(user, ["ask", agent, JSON.stringify(message), "--socket", socket])

  beforeAll(async () => {
    execFileSync("groupadd", [READERS])
    execFileSync("groupadd", [OPERATORS])
    execFileSync("useradd", ["-M", "-N", "-g", READERS, "-s", "/usr/sbin/nologin", READER])
    execFileSync("useradd", ["-M", "-N", "-g", OPERATORS, "-G", READERS, "-s", "/usr/sbin/nologin", OPERATOR])
    execFileSync("useradd", ["-M", "-N", "-g", "nogroup", "-s", "/usr/sbin/nologin", STRANGER])
    chmodSync(dir, 0o755)
    // The file root: a shared area the operator may write to, a root-only secret, and traps.
    mkdirSync(join(srv, "shared"), { recursive: true, mode: 0o755 })
    chmodSync(srv, 0o755)
    chownSync(join(srv, "shared"), idOf("-u", OPERATOR), idOf("-g", OPERATOR))
    writeFileSync(join(srv, "shared", "report.txt"), "pool tank: all well\n".repeat(500), { mode: 0o644 })
    chownSync(join(srv, "shared", "report.txt"), idOf("-u", OPERATOR), idOf("-g", OPERATOR))
    writeFileSync(join(srv, "payroll.csv"), "alice,100000\n", { mode: 0o600 })
    mkdirSync(join(srv, "root-only"), { mode: 0o755 })
    symlinkSync("/etc/shadow", join(srv, "shared", "shadow-link"))
    symlinkSync("/dev/urandom", join(srv, "shared", "random-link"))
    writeFileSync(join(dir, "sigmavault.conf"), [
      `socket_group = ${READERS}`,
      "socket_mode = 0660",
      `role_read = ${READERS}`,
      `role_operate = ${OPERATORS}`,
      `file_roots = ${srv}`,
      // A real alert for NEXUS to make an incident of: memory used is always at or above 1 %.
      "memory_alert_percent = 1,0",
      "resource_alert_samples = 1",
      ""
    ].join("\n"))
    bus = await startPrivateBus(5_000, { anyUser: true })
    daemon = await startDaemon({ dir, args: ["--config", join(dir, "sigmavault.conf"), "--dbus", "session", "--dbus-address", bus.address] })
    socket = daemon.socket
    // The socket's directory must be reachable for the socket's group to matter.
    chmodSync(join(dir, "run"), 0o755)
  }, 30_000)

  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    bus?.stop()
    for (const user of [READER, OPERATOR, STRANGER]) execFileSync("userdel", [user])
    for (const group of [READERS, OPERATORS]) execFileSync("groupdel", [group])
    rmSync(dir, { recursive: true, force: true })
  })

  it("AEGIS tells each caller who they are to the daemon and why", async () => {
    const reader = await ask(READER, "AEGIS", { type: "whoami" })
    expect(reader.code, reader.stderr).toBe(0)
    expect(JSON.parse(reader.stdout)).toMatchObject({ uid: idOf("-u", READER), via: "socket", class: "read", because: `member of group ${READERS} (gid ${idOf("-g", READER)})` })
    const operator = JSON.parse((await ask(OPERATOR, "AEGIS", { type: "whoami" })).stdout)
    expect(operator).toMatchObject({ class: "operate", because: `member of group ${OPERATORS} (gid ${idOf("-g", OPERATOR)})` })
    const why = JSON.parse((await ask(READER, "AEGIS", { type: "explain", agent: "LATTICE", messageType: "destroy" })).stdout)
    expect(why).toMatchObject({ allowed: false, needed: "admin", class: "read" })
  })

  it("someone outside the socket's group cannot even connect", async () => {
    const stranger = await as(STRANGER, ["agents", "--socket", socket])
    expect(stranger.code).not.toBe(0)
    expect(stranger.stderr).toMatch(/permission denied/i)
  })

  it("a reader reads, and is refused everything that changes state, by the policy and not by luck", async () => {
    expect((await as(READER, ["agents", "--socket", socket])).code).toBe(0)
    const cases: ReadonlyArray<readonly [string, unknown, string]> = [
      ["TENSOR", { type: "compress", input: "/etc/shadow", output: join(srv, "shadow.svz") }, "TENSOR 'compress': it needs operate access"],
      ["VELOCITY", { type: "benchmark", target: join(srv, "shared"), sizeMiB: 1, seconds: 1 }, "VELOCITY 'benchmark': it needs operate access"],
      ["CIPHER", { type: "decrypt", input: join(srv, "shared", "report.txt"), output: "/etc/cron.d/sigmavault-owned" }, "CIPHER 'decrypt': it needs operate access"],
      ["LATTICE", { type: "destroy", dataset: "tank/photos", confirm: true }, "LATTICE 'destroy': it needs admin access"],
      ["ORBIT", { type: "add", name: "evil", cron: "* * * * *", target: "LATTICE", message: { type: "destroy", dataset: "tank", confirm: true } }, "ORBIT 'add': it needs operate access"],
      ["LEDGER", { type: "append", actor: "ROOT", action: "forged", detail: {} }, "LEDGER 'append': only the daemon itself sends it"],
      ["NEXUS", { type: "report", source: "LATTICE", subject: "pool tank", severity: "critical", summary: "forged: pool tank is FAULTED" }, "NEXUS 'report': only the daemon itself sends it"],
      ["QUANTUM", { type: "rotate" }, "QUANTUM 'rotate': it needs admin access"],
      ["ARBITER", { type: "acquire", resource: "pool:tank", job: "benchmark", holder: "LATTICE" }, "ARBITER 'acquire': it needs admin access"],
      ["ARBITER", { type: "release", lease: "lease-1" }, "ARBITER 'release': it needs admin access"],
      ["ARBITER", { type: "renew", lease: "lease-1" }, "ARBITER 'renew': it needs admin access"],
      ["HELIX", { type: "prune", confirm: true }, "HELIX 'prune': it needs admin access"],
      ["HELIX", { type: "snapshot", dataset: "tank/photos", confirm: true }, "HELIX 'snapshot': it needs operate access"],
      ["HELIX", { type: "policy", dataset: "tank/photos", policy: { settings: { daily: 0 } }, confirm: true }, "HELIX 'policy': it needs admin access"]
    ]
    for (const [agent, message, refusal] of cases) {
      const result = await ask(READER, agent, message)
      expect(result.code, `${agent}: ${result.stderr}`).toBe(4)
      expect(result.stderr).toContain(`uid ${idOf("-u", READER)} may not send ${refusal}`)
    }
    // The operator may not take or drop leases either: they are admin. Reading them, and the order of jobs, is a read.
    const lease = await ask(OPERATOR, "ARBITER", { type: "acquire", resource: "pool:tank", job: "benchmark", holder: "LATTICE" })
    expect(lease.code).toBe(4)
    expect(lease.stderr).toContain(`uid ${idOf("-u", OPERATOR)} may not send ARBITER 'acquire': it needs admin access`)
    // Issue 18's admin work is refused to an operator: replication, path snapshots and syncs, migrations, raw-device benchmarks.
    const adminOnly: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
      ["HELIX", { type: "replicate", source: "tank/photos", target: "backup/photos", confirm: true }],
      ["HELIX", { type: "path-snapshot", source: srv, root: srv, confirm: true }],
      ["HELIX", { type: "path-sync", source: srv, destination: srv, confirm: true }],
      ["HELIX", { type: "prune", confirm: true }],
      ["MORPH", { type: "migrate", source: srv, destination: `${srv}-moved`, mode: "move", confirm: true }],
      ["MORPH", { type: "revert", id: "any", confirm: true }],
      ["VELOCITY", { type: "benchmark-device", device: "/dev/sda", confirm: true }]
    ]
    for (const [agent, message] of adminOnly) {
      const result = await ask(OPERATOR, agent, message)
      expect(result.code, `${agent} ${String(message["type"])}: ${result.stderr}`).toBe(4)
      expect(result.stderr).toContain(`uid ${idOf("-u", OPERATOR)} may not send ${agent} '${String(message["type"])}': it needs admin access`)
    }
    // And a reader may not start the operate-class jobs: a manifest, a verify, a benchmark, an estimate.
    for (const [agent, type] of [["CRYPTO", "manifest"], ["CRYPTO", "verify"], ["VELOCITY", "benchmark"], ["TENSOR", "estimate"]] as const) {
      const result = await ask(READER, agent, { type, path: srv })
      expect(result.code, `${agent} ${type}: ${result.stderr}`).toBe(4)
      expect(result.stderr).toContain(`uid ${idOf("-u", READER)} may not send ${agent} '${type}': it needs operate access`)
    }
    const leases = await ask(READER, "ARBITER", { type: "leases" })
    expect(leases.code, leases.stderr).toBe(0)
    expect(JSON.parse(leases.stdout).leases).toEqual([])
    const order = await ask(READER, "OMNISCIENT", { type: "prioritise", jobs: [{ job: "benchmark", resource: "pool:tank" }, { job: "scrub", resource: "pool:tank" }] })
    expect(order.code, order.stderr).toBe(0)
    expect(JSON.parse(order.stdout).order.map((p: { job: string }) => p.job)).toEqual(["scrub", "benchmark"])
    const stop = await as(READER, ["stop", "LEDGER", "--socket", socket])
    expect(stop.code).toBe(4)
    expect(stop.stderr).toContain("may not send stop LEDGER: it needs admin access")
    const ledger = JSON.parse((await ask(READER, "LEDGER", { type: "status" })).stdout) as { lifecycle: string; restarts: number }
    expect([ledger.lifecycle, ledger.restarts]).toEqual(["running", 0])
  })

  it("an operator's file jobs run with the operator's rights, inside the file roots only", async () => {
    const compress = (input: string, output: string) => ask(OPERATOR, "TENSOR", { type: "compress", input, output })
    const refusals: ReadonlyArray<readonly [string, string, RegExp]> = [
      ["/etc/shadow", join(srv, "shared", "a.svz"), /cannot open \/etc\/shadow: file jobs never use \/etc/],
      [join(srv, "payroll.csv"), join(srv, "shared", "b.svz"), /cannot open .*payroll\.csv: permission denied/],
      [join(srv, "shared", "shadow-link"), join(srv, "shared", "c.svz"), /symbolic link/],
      ["/dev/urandom", join(srv, "shared", "d.svz"), /file jobs never use \/dev/],
      [join(srv, "shared", "random-link"), join(srv, "shared", "e.svz"), /symbolic link/],
      [join(srv, "shared", "report.txt"), "/etc/cron.d/sigmavault-owned", /cannot create \/etc\/cron\.d\/sigmavault-owned: file jobs never use \/etc/],
      [join(srv, "shared", "report.txt"), join(srv, "root-only", "f.svz"), /cannot create .*root-only\/f\.svz: permission denied/],
      [join(dir, "state", "keys", "x"), join(srv, "shared", "g.svz"), /outside the file roots|never use/]
    ]
    for (const [input, output, refusal] of refusals) {
      const result = await compress(input, output)
      expect(result.code, `${input} -> ${output}: ${result.stdout}`).toBe(4)
      expect(result.stderr).toMatch(refusal)
    }
    expect(existsSync("/etc/cron.d/sigmavault-owned")).toBe(false)
    expect(readdirSync(join(srv, "root-only"))).toEqual([])
    expect(readdirSync(join(srv, "shared")).sort()).toEqual(["random-link", "report.txt", "shadow-link"])

    const made = await compress(join(srv, "shared", "report.txt"), join(srv, "shared", "report.svz"))
    expect(made.code, made.stderr).toBe(0)
    const output = statSync(join(srv, "shared", "report.svz"))
    expect([output.uid, output.gid]).toEqual([idOf("-u", OPERATOR), idOf("-g", OPERATOR)])

    const back = await ask(OPERATOR, "TENSOR", { type: "decompress", input: join(srv, "shared", "report.svz"), output: "/etc/motd.d/sigmavault" })
    expect(back.code).toBe(4)
    expect(existsSync("/etc/motd.d/sigmavault")).toBe(false)
  }, 60_000)

  it("an operator benchmarks only where the operator may create files, never a raw device, and leaves nothing", async () => {
    const bench = (message: Record<string, unknown>) =>
      as(OPERATOR, ["ask", "VELOCITY", JSON.stringify({ type: "benchmark", sizeMiB: 1, seconds: 1, presets: ["rnd4k-q1t1-read"], ...message }), "--socket", socket, "--timeout", "60000"])
    const rootOnly = await bench({ target: join(srv, "root-only") })
    expect(rootOnly.code, rootOnly.stdout).toBe(4)
    expect(rootOnly.stderr).toMatch(/cannot create .*root-only\/\.sigmavault-benchmark: permission denied/)
    const etc = await bench({ target: "/etc" })
    expect(etc.code).toBe(4)
    expect(etc.stderr).toMatch(/file jobs never use \/etc/)
    expect(readdirSync(join(srv, "root-only"))).toEqual([])
    const ran = await bench({ target: join(srv, "shared") })
    expect(ran.code, ran.stderr).toBe(0)
    expect(JSON.parse(ran.stdout)).toMatchObject({ engine: "fio", uid: idOf("-u", OPERATOR) })
    expect(readdirSync(join(srv, "shared")).sort()).toEqual(["random-link", "report.svz", "report.txt", "shadow-link"])
    const device = await as(OPERATOR, ["ask", "VELOCITY", JSON.stringify({ type: "benchmark-device", device: "sda", confirm: true }), "--socket", socket])
    expect(device.code).toBe(4)
    expect(device.stderr).toContain(`uid ${idOf("-u", OPERATOR)} may not send VELOCITY 'benchmark-device': it needs admin access`)
  }, 60_000)

  it("an operator may not schedule, or stop, what only an admin may do", async () => {
    const schedule = await ask(OPERATOR, "ORBIT", { type: "add", name: "wipe", cron: "* * * * *", target: "LATTICE", message: { type: "destroy", dataset: "tank", confirm: true } })
    expect(schedule.code).toBe(4)
    expect(schedule.stderr).toContain(`uid ${idOf("-u", OPERATOR)} may not send LATTICE 'destroy': it needs admin access`)
    const allowed = await ask(OPERATOR, "ORBIT", { type: "add", name: "nightly-usage", cron: "@daily", target: "SENTRY", message: { type: "sample" } })
    expect(allowed.code, allowed.stderr).toBe(0)
    const list = JSON.parse((await ask(READER, "ORBIT", { type: "list" })).stdout) as { schedules: Array<{ name: string; addedBy: string }> }
    expect(list.schedules.find((s) => s.name === "nightly-usage")?.addedBy).toBe(`uid ${idOf("-u", OPERATOR)}`)
    // HELIX: an operator may take a snapshot (plan shown here), not prune or schedule a prune.
    const prune = await ask(OPERATOR, "HELIX", { type: "prune", confirm: true })
    expect(prune.code).toBe(4)
    expect(prune.stderr).toContain(`uid ${idOf("-u", OPERATOR)} may not send HELIX 'prune': it needs admin access`)
    const autoprune = await ask(OPERATOR, "ORBIT", { type: "add", name: "prune-all", cron: "* * * * *", target: "HELIX", message: { type: "autosnap", confirm: true } })
    expect(autoprune.stderr).toContain(`uid ${idOf("-u", OPERATOR)} may not send HELIX 'autosnap': it needs admin access`)
    const snapshot = await ask(OPERATOR, "HELIX", { type: "snapshot", dataset: "tank/photos", name: "by-operator" })
    expect(snapshot.code, snapshot.stderr).toBe(0)
    expect(JSON.parse(snapshot.stdout).planned).toMatchObject({ display: "zfs snapshot tank/photos@by-operator", executed: false })
    for (const op of ["stop", "restart"]) {
      const result = await as(OPERATOR, [op, "LEDGER", "--socket", socket])
      expect(result.code).toBe(4)
      expect(result.stderr).toContain(`may not send ${op} LEDGER: it needs admin access`)
    }
  })

  it("NEXUS: a reader lists incidents and is refused acknowledge, silence and unsilence; an operator may", async () => {
    let incidents: Array<{ id: string; subject: string }> = []
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && incidents.length === 0;) {
      const listed = await ask(READER, "NEXUS", { type: "incidents" })
      expect(listed.code, listed.stderr).toBe(0)
      incidents = (JSON.parse(listed.stdout) as { incidents: typeof incidents }).incidents.filter((i) => i.subject === "memory")
      if (incidents.length === 0) await new Promise((r) => setTimeout(r, 250))
    }
    const id = incidents[0]?.id ?? "none"
    expect(id).toMatch(/^inc-\d+$/)
    for (const message of [
      { type: "acknowledge", id, confirm: true },
      { type: "silence", agent: "SENTRY", reason: "not mine to silence", expiresInSeconds: 600, confirm: true },
      { type: "unsilence", id: "sil-1", confirm: true }
    ]) {
      const refused = await ask(READER, "NEXUS", message)
      expect(refused.code).toBe(4)
      expect(refused.stderr).toContain(`uid ${idOf("-u", READER)} may not send NEXUS '${message.type}': it needs operate access`)
    }
    const acked = await ask(OPERATOR, "NEXUS", { type: "acknowledge", id, confirm: true })
    expect(acked.code, acked.stderr).toBe(0)
    expect(JSON.parse(acked.stdout)).toMatchObject({ applied: true, incident: { acknowledged: { by: `uid:${idOf("-u", OPERATOR)}` } } })
    const silence = await ask(OPERATOR, "NEXUS", { type: "silence", agent: "SENTRY", subject: "memory", reason: "memory alert at 1% for this test", expiresInSeconds: 600, confirm: true })
    expect(silence.code, silence.stderr).toBe(0)
    const silenceId = (JSON.parse(silence.stdout) as { silence: { id: string; createdBy: string } }).silence
    expect(silenceId.createdBy).toBe(`uid:${idOf("-u", OPERATOR)}`)
    const unsilence = await ask(OPERATOR, "NEXUS", { type: "unsilence", id: silenceId.id, confirm: true })
    expect(unsilence.code, unsilence.stderr).toBe(0)
  })

  it("MENTOR: a reader explains a code and the memory incident (its alert's SENTRY-MEMORY code, through NEXUS); someone outside the groups cannot reach it", async () => {
    const explained = await ask(READER, "MENTOR", { type: "explain", finding: "ZFS-8000-9P", subject: "pool tank" })
    expect(explained.code, explained.stderr).toBe(0)
    expect(JSON.parse(explained.stdout).explanations[0]).toMatchObject({ code: "ZFS-8000-9P", urgency: "warning" })
    let id = ""
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && id === "";) {
      const listed = await ask(READER, "NEXUS", { type: "incidents", open: false })
      id = (JSON.parse(listed.stdout) as { incidents: Array<{ id: string; subject: string }> }).incidents.find((i) => i.subject === "memory")?.id ?? ""
      if (id === "") await new Promise((r) => setTimeout(r, 250))
    }
    const incident = await ask(READER, "MENTOR", { type: "remediation", finding: id })
    expect(incident.code, incident.stderr).toBe(0)
    expect(JSON.parse(incident.stdout)).toMatchObject({ matched: "incident", incident: id, remediations: [{ code: "SENTRY-MEMORY", subject: "memory" }] })
    const codes = await ask(READER, "MENTOR", { type: "codes", source: "zfs" })
    expect(codes.code, codes.stderr).toBe(0)
    const stranger = await ask(STRANGER, "MENTOR", { type: "codes" })
    expect(stranger.code).not.toBe(0)
  })

  it("shares, VPN peers and the audit: a reader and an operator are refused every change and every secret", async () => {
    const share = { type: "add-share", protocol: "smb", name: "payroll", path: srv, guest: true, confirm: true }
    const cases: ReadonlyArray<readonly [string, string, unknown, string]> = [
      [READER, "BRIDGE", share, "BRIDGE 'add-share': it needs admin access"],
      [READER, "BRIDGE", { type: "reload", confirm: true }, "BRIDGE 'reload': it needs operate access"],
      [READER, "FORGE", { type: "validate", kind: "smb", text: "[x]\n\tpath = /srv\n" }, "FORGE 'validate': it needs operate access"],
      [READER, "PHANTOM", { type: "peer-config", name: "phone" }, "PHANTOM 'peer-config': it needs admin access"],
      [READER, "FORTRESS", { type: "findings" }, "FORTRESS 'findings': it needs admin access"],
      [OPERATOR, "BRIDGE", share, "BRIDGE 'add-share': it needs admin access"],
      [OPERATOR, "BRIDGE", { type: "remove-share", protocol: "smb", name: "payroll", confirm: true }, "BRIDGE 'remove-share': it needs admin access"],
      [OPERATOR, "PHANTOM", { type: "add-peer", name: "intruder", confirm: true }, "PHANTOM 'add-peer': it needs admin access"],
      [OPERATOR, "PHANTOM", { type: "apply", confirm: true }, "PHANTOM 'apply': it needs admin access"],
      [OPERATOR, "PHANTOM", { type: "peer-config", name: "phone" }, "PHANTOM 'peer-config': it needs admin access"],
      [OPERATOR, "FORTRESS", { type: "audit" }, "FORTRESS 'audit': it needs admin access"]
    ]
    for (const [user, agent, message, refusal] of cases) {
      const result = await ask(user, agent, message)
      expect(result.code, `${user} ${agent}: ${result.stderr}`).toBe(4)
      expect(result.stderr).toContain(`uid ${idOf("-u", user)} may not send ${refusal}`)
    }
    // Nothing was made for them: no share in BRIDGE's database, no peer or key in PHANTOM's state.
    expect(existsSync(join(dir, "state", "bridge-shares.json"))).toBe(false)
    expect(existsSync(join(dir, "state", "phantom.json"))).toBe(false)
    // What is theirs to read, they read.
    expect((await ask(READER, "PHOTON", { type: "interfaces" })).code).not.toBe(4)
    const shares = await ask(READER, "BRIDGE", { type: "shares", live: false })
    expect(shares.code, shares.stderr).toBe(0)
    const validated = await ask(OPERATOR, "FORGE", { type: "validate", kind: "smb", text: "[x]\n\tpath = /srv\n" })
    expect(validated.code, validated.stderr).not.toBe(4)
  }, 60_000)

  it("on D-Bus, where the bus lets anyone call, the daemon's own policy decides", async () => {
    const busctl = (user: string, ...args: ReadonlyArray<string>) =>
      new Promise<Output>((resolve) => {
        const child = spawn("setpriv", [`--reuid=${user}`, `--regid=${idOf("-g", user)}`, "--init-groups", "--", "busctl", `--address=${bus.address}`, "--json=short", "call", "org.sigmavault.Runtime", "/org/sigmavault/Runtime", "org.sigmavault.Runtime1", ...args], { env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" } })
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", (d) => (stdout += d))
        child.stderr.on("data", (d) => (stderr += d))
        child.on("close", (code) => resolve({ code, stdout, stderr }))
      })
    // The name may take a moment after the socket: wait for it (bounded).
    for (let i = 0; i < 50 && (await busctl(READER, "ListAgents")).code !== 0; i++) await new Promise((r) => setTimeout(r, 100))
    expect((await busctl(READER, "ListAgents")).code).toBe(0)
    const destroy = await busctl(READER, "Ask", "ssu", "LATTICE", JSON.stringify({ type: "destroy", dataset: "tank", confirm: true }), "0")
    expect(destroy.code).not.toBe(0)
    expect(destroy.stderr).toContain(`uid ${idOf("-u", READER)} may not send LATTICE 'destroy': it needs admin access`)
    const stranger = await busctl(STRANGER, "ListAgents")
    expect(stranger.code).not.toBe(0)
    expect(stranger.stderr).toContain("may not send")
    const whoami = await busctl(OPERATOR, "Ask", "ssu", "AEGIS", JSON.stringify({ type: "whoami" }), "0")
    expect(whoami.code, whoami.stderr).toBe(0)
    expect(whoami.stdout).toContain('\\"via\\":\\"dbus\\"')
  })

  it("a STREAM named subscription is its owner's: no other user, root included, can take from it or end it", async () => {
    const refusedReader = await ask(READER, "STREAM", { type: "subscribe", subscriber: "feed", topics: ["alerts"], confirm: true })
    expect(refusedReader.code).toBe(4)
    expect(refusedReader.stderr).toContain(`uid ${idOf("-u", READER)} may not send STREAM 'subscribe': it needs operate access`)
    const made = await ask(OPERATOR, "STREAM", { type: "subscribe", subscriber: "feed", topics: ["alerts", "incidents"], buffer: 16, confirm: true })
    expect(made.code, made.stderr).toBe(0)
    expect(JSON.parse(made.stdout)).toMatchObject({ subscriber: "feed", applied: true, buffer: 16 })
    const mine = await ask(OPERATOR, "STREAM", { type: "take", subscriber: "feed" })
    expect(mine.code, mine.stderr).toBe(0)
    expect(JSON.parse(mine.stdout)).toMatchObject({ subscriber: "feed", events: [], lost: 0 })
    // A reader may not end anything (operate); it may take, but only from its own.
    const readerEnds = await ask(READER, "STREAM", { type: "unsubscribe", subscriber: "feed", confirm: true })
    expect(readerEnds.code).toBe(4)
    expect(readerEnds.stderr).toContain(`uid ${idOf("-u", READER)} may not send STREAM 'unsubscribe': it needs operate access`)
    // Another user, and root, find no subscription of theirs by that name: they can neither read it nor end it.
    for (const attempt of [
      () => ask(READER, "STREAM", { type: "take", subscriber: "feed" }),
      () => cli(["ask", "STREAM", JSON.stringify({ type: "take", subscriber: "feed" }), "--socket", socket]),
      () => cli(["ask", "STREAM", JSON.stringify({ type: "unsubscribe", subscriber: "feed", confirm: true }), "--socket", socket])
    ]) {
      const result = await attempt()
      expect(result.code).toBe(4)
      expect(result.stderr).toContain("you hold no subscription named 'feed'")
    }
    // It is still there, listed (a reader may list subscribers), and still its owner's.
    const listed = JSON.parse((await ask(READER, "STREAM", { type: "subscribers" })).stdout) as Array<{ transport: string; who: string }>
    expect(listed).toContainEqual(expect.objectContaining({ transport: "stream", who: `feed (uid ${idOf("-u", OPERATOR)})` }))
    const ended = await ask(OPERATOR, "STREAM", { type: "unsubscribe", subscriber: "feed", confirm: true })
    expect(ended.code, ended.stderr).toBe(0)
    expect(JSON.parse(ended.stdout)).toMatchObject({ applied: true })
  }, 60_000)

  it("the audit ledger has each permitted change with who asked, and the refusals, and still verifies", async () => {
    const tail = execFileSync(binary(), ["audit", "tail", "--state-dir", join(dir, "state"), "-n", "200", "--json"], { encoding: "utf8" })
    const entries = tail.trim().split("\n").map((line) => JSON.parse(line) as { actor: string; action: string; detail: Record<string, unknown> })
    const operator = `uid:${idOf("-u", OPERATOR)}`
    expect(entries).toContainEqual(expect.objectContaining({
      actor: operator,
      action: "request.admitted",
      detail: expect.objectContaining({ agent: "TENSOR", message: expect.objectContaining({ type: "compress", output: join(srv, "shared", "report.svz") }) })
    }))
    expect(entries).toContainEqual(expect.objectContaining({ actor: operator, action: "request.admitted", detail: expect.objectContaining({ agent: "ORBIT" }) }))
    expect(entries).toContainEqual(expect.objectContaining({ actor: operator, action: "request.admitted", detail: expect.objectContaining({ agent: "NEXUS" }) }))
    expect(entries).toContainEqual(expect.objectContaining({
      actor: operator,
      action: "request.admitted",
      detail: expect.objectContaining({ agent: "STREAM", message: expect.objectContaining({ type: "subscribe", subscriber: "feed" }) })
    }))
    expect(entries).toContainEqual(expect.objectContaining({ actor: `uid:${idOf("-u", READER)}`, action: "access.denied" }))
    expect(entries.some((e) => e.action === "forged")).toBe(false)
    const verify = execFileSync(binary(), ["audit", "verify", "--state-dir", join(dir, "state")], { encoding: "utf8" })
    expect(verify).toMatch(/ok|verified/i)
  })
})
