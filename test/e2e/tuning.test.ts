/**
 * NEURAL's tuning in the compiled daemon, used by real users (useradd,
 * groupadd, setpriv through `cliAs`): an operator's compression is tuned and
 * its outcome learned; nobody outside the daemon — not even root — may feed
 * NEURAL a decision or an outcome (runtime access), so no caller can poison
 * the table; a reader reads the table; only an admin forgets it, planned
 * first, and the forgetting is in the audit ledger with who asked. What was
 * learned outlives a daemon restart. Needs root; skipped otherwise.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { chmodSync, chownSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { binary, cli, cliAs, type Daemon, idOf, startDaemon } from "./harness.ts"

const isRoot = process.getuid?.() === 0
const suffix = `${process.pid.toString(36)}${randomBytes(2).toString("hex")}`
const READERS = `svtr${suffix}`
const OPERATORS = `svto${suffix}`
const READER = `svtread${suffix}`
const OPERATOR = `svtop${suffix}`

interface Table {
  tuning: string
  classes: ReadonlyArray<{ class: string; decisions: number; outcomes: number; bestLevel: number; arms: ReadonlyArray<{ level: number; pulls: number }> }>
  outcomes: number
}

describe.skipIf(!isRoot)("NEURAL tuning with real users", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "sigmavault-e2e-tuning-")))
  const srv = join(dir, "srv")
  const config = join(dir, "sigmavault.conf")
  let daemon: Daemon | undefined
  const ask = (user: string, agent: string, message: unknown) => cliAs(user, ["ask", agent, JSON.stringify(message), "--socket", daemon!.socket])
  const asRoot = (agent: string, message: unknown) => cli(["ask", agent, JSON.stringify(message), "--socket", daemon!.socket])
  const table = async (): Promise<Table> => JSON.parse((await ask(READER, "NEURAL", { type: "tuning" })).stdout) as Table
  const start = async () => {
    daemon = await startDaemon({ dir, args: ["--config", config] })
    chmodSync(join(dir, "run"), 0o755)
  }
  const stop = async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    daemon = undefined
  }

  beforeAll(async () => {
    execFileSync("groupadd", [READERS])
    execFileSync("groupadd", [OPERATORS])
    execFileSync("useradd", ["-M", "-N", "-g", READERS, "-s", "/usr/sbin/nologin", READER])
    execFileSync("useradd", ["-M", "-N", "-g", OPERATORS, "-G", READERS, "-s", "/usr/sbin/nologin", OPERATOR])
    chmodSync(dir, 0o755)
    mkdirSync(join(srv, "shared"), { recursive: true, mode: 0o755 })
    chmodSync(srv, 0o755)
    chownSync(join(srv, "shared"), idOf("-u", OPERATOR), idOf("-g", OPERATOR))
    const log = Array.from({ length: 60_000 }, (_, i) => `2026-12-07T08:00:${String(i % 60).padStart(2, "0")}Z INFO scrub of tank: ${i} blocks checked`).join("\n")
    writeFileSync(join(srv, "shared", "daemon.log"), log, { mode: 0o644 })
    chownSync(join(srv, "shared", "daemon.log"), idOf("-u", OPERATOR), idOf("-g", OPERATOR))
    writeFileSync(config, [
      `socket_group = ${READERS}`,
      "socket_mode = 0660",
      `role_read = ${READERS}`,
      `role_operate = ${OPERATORS}`,
      `file_roots = ${srv}`,
      "tuning = on",
      "tuning_explore_percent = 5",
      ""
    ].join("\n"))
    await start()
  }, 30_000)

  afterAll(async () => {
    await stop()
    for (const user of [READER, OPERATOR]) execFileSync("userdel", [user])
    for (const group of [READERS, OPERATORS]) execFileSync("groupdel", [group])
    rmSync(dir, { recursive: true, force: true })
  })

  it("an operator's compression asks NEURAL for the level, and the outcome is learned", async () => {
    const compressed = await ask(OPERATOR, "TENSOR", { type: "compress", input: join(srv, "shared", "daemon.log") })
    expect(compressed.code, compressed.stderr).toBe(0)
    const result = JSON.parse(compressed.stdout) as { detection: { format: string }; strategy: { codec: string; level: number; reason: string } }
    expect([result.detection.format, result.strategy.codec]).toEqual(["log", "zstd"])
    expect(result.strategy.reason).toContain("from NEURAL's tuning")
    let learned: Table | undefined
    for (let i = 0; i < 100 && (learned === undefined || learned.outcomes < 1); i++) {
      learned = await table()
      if (learned.outcomes < 1) await new Promise((r) => setTimeout(r, 50))
    }
    expect(learned!.classes.map((c) => [c.class, c.decisions, c.outcomes])).toEqual([["log", 1, 1]])
    // describe shows the table in the capability's detail.
    const described = JSON.parse((await ask(READER, "NEURAL", { type: "describe" })).stdout) as { capabilities: Array<{ name: string; detail: string }> }
    expect(described.capabilities.find((c) => c.name === "tuning")?.detail).toContain("log: level")
  }, 60_000)

  it("nobody outside the daemon may feed NEURAL decisions or outcomes, not even root: the table cannot be poisoned", async () => {
    const forged = { type: "outcome", class: "log", level: 9, bytesIn: 1 << 30, bytesOut: 1, seconds: 0.001 }
    for (const [who, run] of [
      [`uid ${idOf("-u", OPERATOR)}`, () => ask(OPERATOR, "NEURAL", forged)],
      ["uid 0", () => asRoot("NEURAL", forged)]
    ] as const) {
      const result = await run()
      expect(result.code, result.stderr).toBe(4)
      expect(result.stderr).toContain(`${who} may not send NEURAL 'outcome': only the daemon itself sends it`)
    }
    const choose = await asRoot("NEURAL", { type: "choose", class: "log", defaultLevel: 5 })
    expect(choose.code).toBe(4)
    expect(choose.stderr).toContain("NEURAL 'choose': only the daemon itself sends it")
    // Nor plant a table through MNEMONIC's own messages, which an operator may send.
    const planted = await ask(OPERATOR, "NEURAL", { type: "remember", collection: "neural-tuning", id: "class:log", text: "x", meta: { state: {} } })
    expect(planted.code, planted.stderr).not.toBe(0)
    expect(planted.stderr).toContain("reserved for NEURAL's tuning")
    expect((await table()).classes.find((c) => c.class === "log")!.arms.find((a) => a.level === 9)!.pulls).toBe(0)
  })

  it("what was learned outlives a restart of the daemon", async () => {
    await stop()
    await start()
    expect((await table()).classes.map((c) => [c.class, c.outcomes])).toEqual([["log", 1]])
  }, 60_000)

  it("reset-tuning: a reader and an operator are refused; root plans, then forgets, and the ledger says who", async () => {
    for (const user of [READER, OPERATOR]) {
      const refused = await ask(user, "NEURAL", { type: "reset-tuning", confirm: true })
      expect(refused.code, refused.stderr).toBe(4)
      expect(refused.stderr).toContain(`uid ${idOf("-u", user)} may not send NEURAL 'reset-tuning': it needs admin access`)
    }
    expect((await table()).outcomes).toBe(1)
    const plan = JSON.parse((await asRoot("NEURAL", { type: "reset-tuning" })).stdout) as { confirmed: boolean; classes: Array<string>; plan: string }
    expect([plan.confirmed, plan.classes]).toEqual([false, ["log"]])
    expect(plan.plan).toContain("send confirm: true")
    expect((await table()).outcomes).toBe(1)
    const done = JSON.parse((await asRoot("NEURAL", { type: "reset-tuning", confirm: true })).stdout) as { confirmed: boolean }
    expect(done.confirmed).toBe(true)
    expect((await table()).classes).toEqual([])
    const tail = execFileSync(binary(), ["audit", "tail", "--state-dir", join(dir, "state"), "-n", "200", "--json"], { encoding: "utf8" })
    const entries = tail.trim().split("\n").map((line) => JSON.parse(line) as { actor: string; action: string; detail: Record<string, unknown> })
    expect(entries).toContainEqual(expect.objectContaining({
      actor: "uid:0",
      action: "request.admitted",
      detail: expect.objectContaining({ agent: "NEURAL", message: expect.objectContaining({ type: "reset-tuning", confirm: true }) })
    }))
    expect(entries).toContainEqual(expect.objectContaining({ actor: `uid:${idOf("-u", OPERATOR)}`, action: "access.denied" }))
  })
})
