/**
 * MORPH through the compiled binary, as an administrator uses it: a move of
 * a tree planned then confirmed, the daemon killed with SIGKILL in the
 * middle, started again, and the move finished honestly from the journal;
 * then reverted to a hash-identical tree. And, with real users: someone
 * without the admin role is refused; an admin-role user moves what they may
 * read and remove, and cannot move what they cannot read.
 */
import { execFileSync } from "node:child_process"
import { createHash, randomBytes } from "node:crypto"
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { binary, cli, type Daemon, startDaemon, cliAs, idOf } from "./harness.ts"

const MiB = 1024 * 1024
const isRoot = process.getuid?.() === 0

/** Every file under `root`: relative path → SHA-256, mode and mtime (ms). */
const tree = (root: string): Record<string, string> => {
  const out: Record<string, string> = {}
  const visit = (rel: string) => {
    const full = rel === "" ? root : join(root, rel)
    const st = lstatSync(full)
    if (st.isDirectory()) {
      out[`${rel}/`] = `${(st.mode & 0o7777).toString(8)}`
      for (const name of readdirSync(full).sort()) visit(rel === "" ? name : `${rel}/${name}`)
    } else out[rel] = `${createHash("sha256").update(readFileSync(full)).digest("hex")} ${(st.mode & 0o7777).toString(8)} ${Math.floor(st.mtimeMs)}`
  }
  visit("")
  return out
}

const until = async <A>(what: string, check: () => Promise<A | undefined>, timeoutMs = 60_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const ask = async (socket: string, message: unknown) => {
  const out = await cli(["ask", "MORPH", JSON.stringify(message), "--socket", socket, "--json", "--timeout", "60000"])
  return out
}

describe("MORPH through the binary", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `sigmavault-e2e-morph-${process.pid}-`)))
  const src = join(dir, "photos")
  const dst = join(dir, "archive")
  let daemon: Daemon | undefined

  beforeAll(() => {
    mkdirSync(src)
    // Enough bytes that a move takes several of the agent's 2-second slices.
    for (let i = 0; i < 40; i++) {
      const sub = join(src, `album${i % 4}`)
      mkdirSync(sub, { recursive: true })
      writeFileSync(join(sub, `p${i}.jpg`), randomBytes(i % 5 === 0 ? 24 * MiB : 256 * 1024), { mode: 0o640 })
    }
    execFileSync("setfattr", ["-n", "user.camera", "-v", "x100", join(src, "album1", "p1.jpg")])
  })

  afterAll(async () => {
    daemon?.process.kill("SIGKILL")
    await daemon?.exited
    rmSync(dir, { recursive: true, force: true })
  })

  it("a move survives kill -9 of the daemon, finishes after the restart, and reverts to the same tree", async () => {
    const before = tree(src)
    daemon = await startDaemon({ dir })
    const plan = await ask(daemon.socket, { type: "migrate", source: src, destination: dst, mode: "move" })
    expect(plan.code, plan.stderr).toBe(0)
    const planned = JSON.parse(plan.stdout) as { confirmed: boolean; files: number; checks: Array<{ check: string; ok: boolean }> }
    expect(planned.confirmed).toBe(false)
    expect(planned.files).toBe(40)
    expect(planned.checks.every((c) => c.ok)).toBe(true)
    expect(existsSync(dst)).toBe(false)

    const started = await ask(daemon.socket, { type: "migrate", source: src, destination: dst, mode: "move", id: "photos", confirm: true })
    expect(started.code, started.stderr).toBe(0)
    // Mid-move: some sources gone, some still there.
    await until("some sources moved", async () => {
      const left = readdirSync(join(src, "album0")).length + readdirSync(join(src, "album1")).length
      return existsSync(dst) && left < 20 ? true : undefined
    })
    daemon.process.kill("SIGKILL")
    await daemon.exited
    // Nothing lost at the moment of the kill: every file is complete in the source or the destination.
    const now = { ...Object.fromEntries(Object.entries(existsSync(dst) ? tree(dst) : {})) }
    const still = tree(src)
    for (const [rel, what] of Object.entries(before)) {
      if (rel.endsWith("/")) continue
      const sum = what.split(" ")[0]
      expect(still[rel]?.startsWith(sum!) === true || now[rel]?.startsWith(sum!) === true, rel).toBe(true)
    }

    // The next start resumes from the journal.
    daemon = await startDaemon({ dir })
    const finished = await until("the move finished", async () => {
      const list = JSON.parse((await ask(daemon!.socket, { type: "migrations" })).stdout) as Array<{ id: string; state: string; counts: { removed: number } }>
      const m = list.find((x) => x.id === "photos")
      return m !== undefined && m.state !== "running" ? m : undefined
    })
    expect(finished.state).toBe("finished")
    expect(existsSync(src)).toBe(false)
    expect(tree(dst)).toEqual(before)
    expect(execFileSync("getfattr", ["-n", "user.camera", "--only-values", join(dst, "album1", "p1.jpg")], { encoding: "utf8" })).toBe("x100")

    const revert = await ask(daemon.socket, { type: "revert", id: "photos", confirm: true })
    expect(revert.code, revert.stderr).toBe(0)
    await until("the revert finished", async () => {
      const list = JSON.parse((await ask(daemon!.socket, { type: "migrations" })).stdout) as Array<{ id: string; state: string }>
      return list.find((x) => x.id === "photos")?.state === "reverted" ? true : undefined
    })
    expect(existsSync(dst)).toBe(false)
    expect(tree(src)).toEqual(before)
  }, 240_000)

  it("refuses to overwrite, and names the field", async () => {
    mkdirSync(join(dir, "taken"), { recursive: true })
    const out = await ask(daemon!.socket, { type: "migrate", source: src, destination: join(dir, "taken"), mode: "copy" })
    expect(out.code).not.toBe(0)
    expect(out.stderr).toMatch(/never overwrites/)
  })
})

const suffix = randomBytes(3).toString("hex")
const SOCKET = `svms${suffix}`
const ADMINS = `svma${suffix}`
const OPERATORS = `svmo${suffix}`
const ADMIN = `svmadm${suffix}`
const OPERATOR = `svmop${suffix}`

const as = cliAs

describe.skipIf(!isRoot)("MORPH and callers who are not root", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `sigmavault-e2e-morph-users-${process.pid}-`)))
  const srv = join(dir, "srv")
  let daemon: Daemon

  beforeAll(async () => {
    execFileSync("groupadd", [SOCKET])
    execFileSync("groupadd", [ADMINS])
    execFileSync("groupadd", [OPERATORS])
    execFileSync("useradd", ["-M", "-N", "-g", ADMINS, "-G", SOCKET, "-s", "/usr/sbin/nologin", ADMIN])
    execFileSync("useradd", ["-M", "-N", "-g", OPERATORS, "-G", SOCKET, "-s", "/usr/sbin/nologin", OPERATOR])
    chmodSync(dir, 0o755)
    mkdirSync(join(srv, "admin", "mine"), { recursive: true })
    chmodSync(srv, 0o755)
    writeFileSync(join(srv, "admin", "mine", "notes.txt"), "mine\n".repeat(1000), { mode: 0o640 })
    mkdirSync(join(srv, "admin", "mixed"))
    writeFileSync(join(srv, "admin", "mixed", "readable.txt"), "ok\n", { mode: 0o644 })
    writeFileSync(join(srv, "admin", "mixed", "secret.txt"), "salaries\n", { mode: 0o600 })
    mkdirSync(join(srv, "admin", "sealed"))
    writeFileSync(join(srv, "admin", "sealed", "open.txt"), "ok\n", { mode: 0o644 })
    writeFileSync(join(srv, "admin", "sealed", "locked.txt"), "theirs but unreadable\n", { mode: 0o000 })
    for (const p of ["admin", "admin/mine", "admin/mine/notes.txt", "admin/mixed", "admin/mixed/readable.txt", "admin/sealed", "admin/sealed/open.txt", "admin/sealed/locked.txt"]) chownSync(join(srv, p), idOf("-u", ADMIN), idOf("-g", ADMIN))
    writeFileSync(join(dir, "sigmavault.conf"), [
      `socket_group = ${SOCKET}`,
      "socket_mode = 0660",
      `role_read = ${OPERATORS}`,
      `role_operate = ${OPERATORS}`,
      `role_admin = ${ADMINS}`,
      `file_roots = ${srv}`,
      ""
    ].join("\n"))
    daemon = await startDaemon({ dir, args: ["--config", join(dir, "sigmavault.conf")] })
    chmodSync(join(dir, "run"), 0o755)
  }, 30_000)

  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    for (const user of [ADMIN, OPERATOR]) execFileSync("userdel", [user])
    for (const group of [ADMINS, OPERATORS, SOCKET]) execFileSync("groupdel", [group])
    rmSync(dir, { recursive: true, force: true })
  })

  const askAs = (user: string, message: unknown) => as(user, ["ask", "MORPH", JSON.stringify(message), "--socket", daemon.socket, "--json", "--timeout", "30000"])

  it("an operator is refused migrate and revert: they need admin", async () => {
    const out = await askAs(OPERATOR, { type: "migrate", source: join(srv, "admin", "mine"), destination: join(srv, "admin", "moved"), mode: "move", confirm: true })
    expect(out.code).not.toBe(0)
    expect(out.stderr).toMatch(/needs admin access/)
    const revert = await askAs(OPERATOR, { type: "revert", id: "anything", confirm: true })
    expect(revert.stderr).toMatch(/needs admin access/)
    expect(existsSync(join(srv, "admin", "moved"))).toBe(false)
  })

  it("an admin-role user cannot move files they cannot read; what they own moves, as them", async () => {
    // Someone else's file: a move would lose its owner (the kernel would not let them chown it back): refused whole.
    const refused = await askAs(ADMIN, { type: "migrate", source: join(srv, "admin", "mixed"), destination: join(srv, "admin", "mixed-moved"), mode: "move", confirm: true })
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/not yours/)
    expect(existsSync(join(srv, "admin", "mixed", "secret.txt"))).toBe(true)
    expect(existsSync(join(srv, "admin", "mixed-moved"))).toBe(false)

    // Their own file they cannot read (mode 000): the kernel refuses the helper, the file stays where it is.
    const sealed = await askAs(ADMIN, { type: "migrate", source: join(srv, "admin", "sealed"), destination: join(srv, "admin", "sealed-moved"), mode: "move", id: "sealed", confirm: true })
    expect(sealed.code, sealed.stderr).toBe(0)
    const outcome = await until("the sealed move settled", async () => {
      if (process.env["MORPH_E2E_DEBUG"] === "1") console.log((await askAs(ADMIN, { type: "migrations" })), daemon.log().slice(-3000))
      const list = JSON.parse((await askAs(ADMIN, { type: "migrations" })).stdout) as Array<{ id: string; state: string; problems: Array<{ path: string; why: string }> }>
      const m = list.find((x) => x.id === "sealed")
      return m !== undefined && m.state !== "running" ? m : undefined
    }, 20_000)
    expect(outcome.state).toBe("incomplete")
    expect(outcome.problems.find((p) => p.path.endsWith("locked.txt"))?.why).toMatch(/permission denied/i)
    expect(readFileSync(join(srv, "admin", "sealed", "locked.txt"), "utf8")).toBe("theirs but unreadable\n")
    expect(existsSync(join(srv, "admin", "sealed-moved", "locked.txt"))).toBe(false)
    expect(existsSync(join(srv, "admin", "sealed", "open.txt"))).toBe(false)
    expect(readFileSync(join(srv, "admin", "sealed-moved", "open.txt"), "utf8")).toBe("ok\n")

    const moved = await askAs(ADMIN, { type: "migrate", source: join(srv, "admin", "mine"), destination: join(srv, "admin", "moved"), mode: "move", id: "mine", confirm: true })
    expect(moved.code, moved.stderr).toBe(0)
    await until("the admin's move finished", async () => {
      const list = JSON.parse((await askAs(ADMIN, { type: "migrations" })).stdout) as Array<{ id: string; state: string }>
      const state = list.find((x) => x.id === "mine")?.state
      return state !== undefined && state !== "running" ? state : undefined
    }).then((state) => expect(state).toBe("finished"))
    expect(existsSync(join(srv, "admin", "mine"))).toBe(false)
    expect(lstatSync(join(srv, "admin", "moved", "notes.txt")).uid).toBe(idOf("-u", ADMIN))
  }, 60_000)
})
