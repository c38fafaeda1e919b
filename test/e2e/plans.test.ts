/**
 * APEX through the compiled binary, as a user drives it: `plan run` shows the
 * dry run and starts nothing without --yes, then runs a small plan against
 * real agents (CORE, ORBIT) and follows it; `plan list|show|cancel`; a daemon
 * killed mid-plan reports the plan interrupted after its restart. Then real
 * users (useradd, setpriv): a reader cannot run a plan, an operator cannot
 * put in a plan what they may not send, and cannot cancel someone else's plan.
 */
import { execFileSync, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { binary, cli, cliAs, type Daemon, idOf, type Output, startDaemon } from "./harness.ts"

const isRoot = process.getuid?.() === 0

/** The CLI with `input` on its stdin. */
const cliWithStdin = (args: ReadonlyArray<string>, input: string): Promise<Output> =>
  new Promise((resolve) => {
    const child = spawn(binary(), args)
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(input)
  })

/** A plan that keeps CORE busy for a while: many reads, one at a time. */
const longPlan = (n = 3000) => ({
  goal: "read the facts many times",
  concurrency: 1,
  tasks: Array.from({ length: n }, (_, i) => ({ id: `t${i}`, agent: "CORE", message: { type: "facts" } }))
})

describe("plans through the binary", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `sigmavault-e2e-plans-${process.pid}-`)))
  let daemon: Daemon
  const schedule = `apex-e2e-${process.pid}`
  const planFile = join(dir, "plan.json")

  beforeAll(async () => {
    writeFileSync(planFile, JSON.stringify({
      goal: "add a schedule, look at it, remove it",
      tasks: [
        { id: "facts", agent: "CORE", message: { type: "facts" } },
        { id: "add", agent: "ORBIT", message: { type: "add", name: schedule, cron: "@daily", target: "CORE", message: { type: "facts" } } },
        { id: "list", agent: "ORBIT", message: { type: "list" }, after: ["add"], retries: 1 },
        { id: "remove", agent: "ORBIT", message: { type: "remove", name: schedule }, after: ["list", "facts"] }
      ]
    }))
    daemon = await startDaemon({ dir })
  }, 30_000)

  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    rmSync(dir, { recursive: true, force: true })
  })

  const plan = (args: ReadonlyArray<string>) => cli(["plan", ...args, "--socket", daemon.socket])

  it("plan run without --yes prints the dry run and starts nothing", async () => {
    const dry = await plan(["run", planFile])
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toContain("plan: add a schedule, look at it, remove it")
    expect(dry.stdout).toContain("4 tasks in 3 levels, at most 4 at once; it changes state")
    expect(dry.stdout).toMatch(/0\s+add\s+ORBIT\s+\{"type":"add"/)
    expect(dry.stdout).toContain("not started: this was the dry run; add --yes to run it")
    const list = await plan(["list", "--json"])
    expect(JSON.parse(list.stdout)).toEqual({ plans: [] })
  })

  it("plan run --yes runs it against the real agents and follows it to its end", async () => {
    const ran = await plan(["run", planFile, "--yes"])
    expect(ran.code, ran.stdout + ran.stderr).toBe(0)
    expect(ran.stdout).toMatch(/state succeeded, run by uid 0/)
    expect(ran.stdout).toMatch(/4 tasks: 4 succeeded/)
    const listed = JSON.parse((await plan(["list", "--json"])).stdout) as { plans: Array<{ id: string; state: string }> }
    expect(listed.plans.map((p) => p.state)).toEqual(["succeeded"])
    const shown = JSON.parse((await plan(["show", listed.plans[0]!.id, "--json"])).stdout) as { taskPage: Array<{ id: string; state: string; reply?: unknown }> }
    expect(shown.taskPage.map((t) => [t.id, t.state])).toEqual([["facts", "succeeded"], ["add", "succeeded"], ["list", "succeeded"], ["remove", "succeeded"]])
    const listing = shown.taskPage[2]!.reply as { schedules: Array<{ name: string; addedBy: string }> }
    expect(listing.schedules.find((s) => s.name === schedule)?.addedBy).toBe("uid 0")
    // The schedule the plan added, it removed.
    const orbit = JSON.parse((await cli(["ask", "ORBIT", '{"type":"list"}', "--json", "--socket", daemon.socket])).stdout) as { schedules: Array<{ name: string }> }
    expect(orbit.schedules.map((s) => s.name)).not.toContain(schedule)
  })

  it("an invalid plan is refused with the task and the reason; nothing runs", async () => {
    const cyclic = join(dir, "cycle.json")
    writeFileSync(cyclic, JSON.stringify({
      goal: "a cycle",
      tasks: [{ id: "a", agent: "CORE", message: { type: "facts" }, after: ["b"] }, { id: "b", agent: "CORE", message: { type: "facts" }, after: ["a"] }]
    }))
    const refused = await plan(["run", cyclic, "--yes"])
    expect(refused.code).toBe(4)
    expect(refused.stderr).toMatch(/invalid plan: task '[ab]': the tasks wait for each other in a cycle: (a → b → a|b → a → b)/)
    const bad = await cliWithStdin(["plan", "run", "-", "--socket", daemon.socket], "{ not json")
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("the plan is not valid JSON")
  })

  it("plan run - --detach starts a plan from stdin; plan cancel stops it", async () => {
    const started = await cliWithStdin(["plan", "run", "-", "--yes", "--detach", "--json", "--socket", daemon.socket], JSON.stringify(longPlan()))
    expect(started.code, started.stderr).toBe(0)
    const { id, state } = JSON.parse(started.stdout.trim().split("\n").at(-1)!) as { id: string; state: string }
    expect(state).toBe("running")
    const cancelled = await plan(["cancel", id])
    expect(cancelled.code, cancelled.stderr).toBe(0)
    expect(cancelled.stdout).toMatch(new RegExp(`plan ${id} cancelled: \\d+ tasks cancelled`))
    const shown = JSON.parse((await plan(["show", id, "--json"])).stdout) as { state: string; counts: { cancelled: number; pending: number; running: number } }
    expect(shown.state).toBe("cancelled")
    expect(shown.counts.pending + shown.counts.running).toBe(0)
    expect(shown.counts.cancelled).toBeGreaterThan(0)
    const again = await plan(["cancel", id])
    expect(again.code).toBe(4)
    expect(again.stderr).toContain(`plan '${id}' is cancelled: cannot cancel it`)
  })

  it("a daemon killed mid-plan reports the plan interrupted after its restart, and re-runs nothing", async () => {
    const started = await cliWithStdin(["plan", "run", "-", "--yes", "--detach", "--json", "--socket", daemon.socket], JSON.stringify(longPlan(9_000)))
    const { id } = JSON.parse(started.stdout.trim().split("\n").at(-1)!) as { id: string }
    // Let it run and be written at least once more, then kill the daemon without a chance to save.
    await new Promise((r) => setTimeout(r, 1500))
    daemon.process.kill("SIGKILL")
    await daemon.exited
    daemon = await startDaemon({ dir })
    const shown = JSON.parse((await plan(["show", id, "--json"])).stdout) as { state: string; reason: string; counts: { succeeded: number; running: number; pending: number } }
    expect(shown.state).toBe("interrupted")
    expect(shown.reason).toContain("the daemon stopped while the plan ran")
    expect(shown.counts.running).toBe(0)
    expect(shown.counts.pending).toBeGreaterThan(0)
    // Nothing runs again on its own.
    await new Promise((r) => setTimeout(r, 500))
    const later = JSON.parse((await plan(["show", id, "--json"])).stdout) as { counts: { succeeded: number } }
    expect(later.counts.succeeded).toBe(shown.counts.succeeded)
  }, 30_000)
})

describe.skipIf(!isRoot)("plans and callers who are not root", () => {
  const suffix = randomBytes(3).toString("hex")
  const READERS = `svpr${suffix}`
  const OPERATORS = `svpo${suffix}`
  const READER = `svpread${suffix}`
  const OPERATOR = `svpop${suffix}`
  const OPERATOR2 = `svpop2${suffix}`
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `sigmavault-e2e-plans-users-${process.pid}-`)))
  let daemon: Daemon
  const file = (name: string, value: unknown) => {
    const path = join(dir, name)
    writeFileSync(path, JSON.stringify(value), { mode: 0o644 })
    return path
  }
  const plan = (user: string, args: ReadonlyArray<string>) => cliAs(user, ["plan", ...args, "--socket", daemon.socket])

  beforeAll(async () => {
    execFileSync("groupadd", [READERS])
    execFileSync("groupadd", [OPERATORS])
    execFileSync("useradd", ["-M", "-N", "-g", READERS, "-s", "/usr/sbin/nologin", READER])
    execFileSync("useradd", ["-M", "-N", "-g", OPERATORS, "-G", READERS, "-s", "/usr/sbin/nologin", OPERATOR])
    execFileSync("useradd", ["-M", "-N", "-g", OPERATORS, "-G", READERS, "-s", "/usr/sbin/nologin", OPERATOR2])
    chmodSync(dir, 0o755)
    writeFileSync(join(dir, "sigmavault.conf"), [
      `socket_group = ${READERS}`,
      "socket_mode = 0660",
      `role_read = ${READERS}`,
      `role_operate = ${OPERATORS}`,
      ""
    ].join("\n"))
    daemon = await startDaemon({ dir, args: ["--config", join(dir, "sigmavault.conf")] })
    chmodSync(join(dir, "run"), 0o755)
  }, 30_000)

  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    for (const user of [READER, OPERATOR, OPERATOR2]) execFileSync("userdel", [user])
    for (const group of [READERS, OPERATORS]) execFileSync("groupdel", [group])
    rmSync(dir, { recursive: true, force: true })
  })

  it("a reader cannot run a plan, not even a read-only one", async () => {
    const readOnly = file("read.json", { goal: "facts", tasks: [{ id: "f", agent: "CORE", message: { type: "facts" } }] })
    const refused = await plan(READER, ["run", readOnly, "--yes"])
    expect(refused.code).toBe(4)
    expect(refused.stderr).toContain(`uid ${idOf("-u", READER)} may not send APEX 'run': it needs operate access`)
  })

  it("a plan cannot contain a task its caller may not send", async () => {
    const sneaky = file("sneaky.json", {
      goal: "innocent",
      tasks: [
        { id: "look", agent: "CORE", message: { type: "facts" } },
        { id: "destroy", agent: "LATTICE", message: { type: "destroy", dataset: "tank/photos", confirm: true }, after: ["look"] }
      ]
    })
    const refused = await plan(OPERATOR, ["run", sneaky, "--yes"])
    expect(refused.code).toBe(4)
    expect(refused.stderr).toContain(`invalid plan: task 'destroy': uid ${idOf("-u", OPERATOR)} may not send LATTICE 'destroy': it needs admin access`)
    expect(JSON.parse((await plan(OPERATOR, ["list", "--json"])).stdout)).toEqual({ plans: [] })
  })

  it("another user cannot see or cancel my plan; I can", async () => {
    const mine = file("long.json", longPlan())
    const started = await plan(OPERATOR, ["run", mine, "--yes", "--detach", "--json"])
    expect(started.code, started.stderr).toBe(0)
    const { id } = JSON.parse(started.stdout.trim().split("\n").at(-1)!) as { id: string }
    const other = await plan(OPERATOR2, ["cancel", id])
    expect(other.code).toBe(4)
    expect(other.stderr).toContain(`plan '${id}' was run by someone else: only they or an admin may see or change it`)
    expect((await plan(OPERATOR2, ["show", id])).code).toBe(4)
    expect(JSON.parse((await plan(OPERATOR2, ["list", "--json"])).stdout)).toEqual({ plans: [] })
    const reader = await plan(READER, ["cancel", id])
    expect(reader.code).toBe(4)
    expect(reader.stderr).toContain("may not send APEX 'cancel': it needs operate access")
    const shown = JSON.parse((await plan(OPERATOR, ["show", id, "--json"])).stdout) as { owner: string }
    expect(shown.owner).toBe(`uid ${idOf("-u", OPERATOR)}`)
    const cancelled = await plan(OPERATOR, ["cancel", id])
    expect(cancelled.code, cancelled.stderr).toBe(0)
    // root is an admin: it sees every plan.
    const all = JSON.parse((await cli(["plan", "list", "--json", "--socket", daemon.socket])).stdout) as { plans: Array<{ id: string; state: string }> }
    expect(all.plans.find((p) => p.id === id)?.state).toBe("cancelled")
  })
})
