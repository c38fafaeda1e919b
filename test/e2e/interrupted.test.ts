/**
 * File jobs cut short, through the compiled binary: a local command signalled
 * (SIGTERM, SIGHUP, SIGINT) or killed, a daemon job whose asker gives up,
 * whose helper is killed, whose daemon is stopped, or whose daemon and helper
 * are killed together (as SIGKILL to a service's cgroup does). Nothing
 * partial may stay: no temporary file, no plaintext fragment; what a kill
 * leaves is swept by the next run (the same command, or the daemon's start).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process"
import { randomBytes } from "node:crypto"
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { partsOfTemporary, targetOfTemporary } from "../../src/adapters/fs/Files.ts"
import { binary, cli, type Daemon, startDaemon } from "./harness.ts"

const PASS = { SIGMAVAULT_PASSPHRASE: "correct horse battery staple" }
const GiB = 1024 ** 3
const SIGNAL_NUMBER = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15, SIGKILL: 9 } as const

const temporaries = (dir: string) => readdirSync(dir).filter((name) => targetOfTemporary(name) !== undefined)

/** Polls `check` until it holds; the deadline only bounds a failing test. */
const until = async <A>(what: string, check: () => A | undefined, timeoutMs = 30_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** The temporary file in `dir` once it has bytes in it: the job is mid-write. */
const writing = (dir: string) =>
  until(`a temporary file with bytes in ${dir}`, () => temporaries(dir).find((name) => (statSync(join(dir, name), { throwIfNoEntry: false })?.size ?? 0) > 0))

interface Ended {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stderr: string
}

const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const child = spawn(binary(), args, { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] })
  let stderr = ""
  child.stderr!.on("data", (d) => (stderr += d))
  child.stdout!.resume()
  child.stdin!.on("error", () => {})
  const ended = new Promise<Ended>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stderr })))
  return { child, ended }
}

/** Ended by `signal` as a shell sees it: killed by it, or exit status 128 + N. */
const endedBy = (ended: Ended, signal: keyof typeof SIGNAL_NUMBER) =>
  ended.signal === signal || ended.code === 128 + SIGNAL_NUMBER[signal]

describe("local file commands cut short", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "sigmavault-e2e-interrupted-")))
  const key = join(dir, "me.key")
  const text = Buffer.from("2026-11-22T08:00:00Z INFO pool tank: scrub ok; plaintext marker PLAINTEXT-42\n".repeat(200_000))
  let publicKey = ""
  let vault: Buffer
  let compressed: Buffer

  beforeAll(async () => {
    const made = await cli(["keygen", "-o", key, "--no-passphrase"])
    expect(made.code, made.stderr).toBe(0)
    publicKey = made.stdout.trim()
    writeFileSync(join(dir, "plain.txt"), text)
    expect((await cli(["encrypt", "-r", publicKey, "-o", join(dir, "plain.txt.sv"), join(dir, "plain.txt")])).code).toBe(0)
    expect((await cli(["compress", join(dir, "plain.txt"), "-o", join(dir, "plain.txt.svz")])).code).toBe(0)
    vault = readFileSync(join(dir, "plain.txt.sv"))
    compressed = readFileSync(join(dir, "plain.txt.svz"))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  // Each command reads from a pipe that gets only part of its input and stays open: it is mid-write for as long as the test likes.
  const commands = () => [
    { name: "compress", args: ["compress", "-", "-o"], input: text },
    { name: "decompress", args: ["decompress", "-", "-o"], input: compressed.subarray(0, Math.floor(compressed.length / 2)) },
    { name: "encrypt", args: ["encrypt", "-r", publicKey, "-", "-o"], input: text },
    { name: "decrypt", args: ["decrypt", "-i", key, "-", "-o"], input: vault.subarray(0, Math.floor(vault.length / 2)) }
  ] as const

  for (const signal of ["SIGTERM", "SIGHUP", "SIGINT"] as const) {
    it(`${signal} during compress, decompress, encrypt and decrypt removes the temporary output, then ends the command by ${signal}`, async () => {
      for (const command of commands()) {
        const where = mkdtempSync(join(dir, `${command.name}-${signal}-`))
        const output = join(where, "out")
        const { child, ended } = run([...command.args, output], PASS)
        child.stdin!.write(command.input)
        await writing(where)
        child.kill(signal)
        const end = await ended
        expect(endedBy(end, signal), `${command.name}: ${JSON.stringify(end)}`).toBe(true)
        expect(readdirSync(where), command.name).toEqual([])
      }
    })
  }

  it("SIGTERM while compressing a 2 GiB file (the command busy, not waiting for input) leaves nothing", async () => {
    const where = mkdtempSync(join(dir, "busy-"))
    const big = join(dir, "big.img")
    writeFileSync(big, "")
    truncateSync(big, 2 * GiB)
    const { child, ended } = run(["compress", big, "-o", join(where, "big.img.svz")])
    await writing(where)
    child.kill("SIGTERM")
    expect(endedBy(await ended, "SIGTERM")).toBe(true)
    expect(readdirSync(where)).toEqual([])
    rmSync(big)
  })

  it("a decrypt killed with SIGKILL leaves its partial plaintext, which the next run of the same output removes", async () => {
    const where = mkdtempSync(join(dir, "killed-"))
    const output = join(where, "plain.txt")
    const { child, ended } = run(["decrypt", "-i", key, "-", "-o", output])
    child.stdin!.write(vault.subarray(0, Math.floor(vault.length / 2)))
    const left = await writing(where)
    child.kill("SIGKILL")
    expect((await ended).signal).toBe("SIGKILL")
    // What SIGKILL leaves: nothing can catch it.
    expect(temporaries(where)).toEqual([left])
    expect(readFileSync(join(where, left), "utf8")).toContain("PLAINTEXT-42")
    const again = await cli(["decrypt", "-i", key, "-o", output, join(dir, "plain.txt.sv")])
    expect(again.code, again.stderr).toBe(0)
    expect(readdirSync(where)).toEqual(["plain.txt"])
    expect(readFileSync(output).equals(text)).toBe(true)
  })
})

/** Kills the daemon and its file helper at once, as SIGKILL to a service's cgroup does: neither can clean up. */
const killTogether = async (daemon: Daemon, temporary: string) => {
  const helper = partsOfTemporary(temporary)!.pid
  process.kill(daemon.process.pid!, "SIGSTOP")
  process.kill(helper, "SIGKILL")
  process.kill(daemon.process.pid!, "SIGKILL")
  await daemon.exited
}

const sparse = (file: string, size: number) => {
  writeFileSync(file, "")
  truncateSync(file, size)
}

describe("daemon file jobs cut short", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "sigmavault-e2e-interrupted-jobs-")))
  const data = join(dir, "data")
  const big = join(data, "big.img")
  let daemon: Daemon
  // A short shutdown deadline: a job still running at SIGTERM is cut short, not waited for.
  const begin = () => startDaemon({ dir, args: ["--shutdown-deadline", "200"] })
  const ask = (agent: string, message: unknown) =>
    run(["ask", agent, JSON.stringify(message), "--json", "--timeout", "600000", "--socket", daemon.socket])

  beforeAll(async () => {
    mkdirSync(data)
    sparse(big, 2 * GiB)
    daemon = await begin()
  })
  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    rmSync(dir, { recursive: true, force: true })
  })

  const compressInto = (where: string) => ask("TENSOR", { type: "compress", input: big, output: join(where, "big.img.svz") })

  it("an asker that gives up (the client killed) cancels the job, and the temporary output goes", async () => {
    const where = mkdtempSync(join(data, "abandoned-"))
    const job = compressInto(where)
    await writing(where)
    job.child.kill("SIGTERM")
    await job.ended
    await until("the temporary output removed", () => (temporaries(where).length === 0 ? true : undefined))
    expect(readdirSync(where)).toEqual([])
  })

  it("a file helper killed mid-job fails the job, and the daemon removes the temporary output at once", async () => {
    const where = mkdtempSync(join(data, "helper-killed-"))
    const job = compressInto(where)
    const temporary = await writing(where)
    process.kill(partsOfTemporary(temporary)!.pid, "SIGKILL")
    const end = await job.ended
    expect(end.code).toBe(4)
    expect(end.stderr).toMatch(/file helper stopped \(SIGKILL\)/)
    expect(readdirSync(where)).toEqual([])
  })

  it("SIGTERM to the daemon mid-job: it stops, and no temporary output stays", async () => {
    const where = mkdtempSync(join(data, "daemon-stopped-"))
    const job = compressInto(where)
    await writing(where)
    daemon.process.kill("SIGTERM")
    expect(await daemon.exited).toBe(0)
    expect((await job.ended).code).not.toBe(0)
    expect(readdirSync(where)).toEqual([])
    daemon = await begin()
  })

  it("daemon and helper killed together mid-compress: the next start sweeps the temporary output", async () => {
    const where = mkdtempSync(join(data, "killed-compress-"))
    compressInto(where)
    const temporary = await writing(where)
    await killTogether(daemon, temporary)
    expect(temporaries(where)).toEqual([temporary])
    daemon = await begin()
    expect(readdirSync(where)).toEqual([])
    expect(daemon.log()).toContain(`removed 1 temporary file(s) that interrupted file jobs left: ${join(where, temporary)}`)
  })

  it("daemon and helper killed together mid-decrypt (CIPHER): no plaintext fragment survives the next start", async () => {
    const plain = join(data, "secret.img")
    const marker = Buffer.from("PLAINTEXT-FRAGMENT ".repeat(1000))
    sparse(plain, GiB)
    writeFileSync(plain, marker, { flag: "r+" })
    const sealed = ask("CIPHER", { type: "encrypt", input: plain, output: `${plain}.sv` })
    const sealedEnd = await sealed.ended
    expect(sealedEnd.code, sealedEnd.stderr).toBe(0)
    rmSync(plain)
    const where = mkdtempSync(join(data, "killed-decrypt-"))
    ask("CIPHER", { type: "decrypt", input: `${plain}.sv`, output: join(where, "secret.img") })
    const temporary = await writing(where)
    expect(readFileSync(join(where, temporary)).subarray(0, marker.length).equals(marker)).toBe(true)
    await killTogether(daemon, temporary)
    daemon = await begin()
    expect(readdirSync(where)).toEqual([])
    rmSync(`${plain}.sv`)
  })
})

const isRoot = process.getuid?.() === 0

describe.skipIf(!isRoot)("a caller's job killed with the daemon", () => {
  const suffix = randomBytes(3).toString("hex")
  const GROUP = `svtmp${suffix}`
  const USER = `svtmpu${suffix}`
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "sigmavault-e2e-interrupted-caller-")))
  const srv = join(dir, "srv")
  const home = join(srv, "home")
  const config = join(dir, "sigmavault.conf")
  let daemon: Daemon
  const idOf = (flag: "-u" | "-g") => Number(execFileSync("id", [flag, USER], { encoding: "utf8" }).trim())
  const start = async () => {
    daemon = await startDaemon({ dir, args: ["--config", config] })
    chmodSync(join(dir, "run"), 0o755)
  }

  beforeAll(async () => {
    execFileSync("groupadd", [GROUP])
    execFileSync("useradd", ["-M", "-N", "-g", GROUP, "-s", "/usr/sbin/nologin", USER])
    chmodSync(dir, 0o755)
    mkdirSync(home, { recursive: true, mode: 0o755 })
    chmodSync(srv, 0o755)
    chownSync(home, idOf("-u"), idOf("-g"))
    sparse(join(home, "big.img"), 2 * GiB)
    chownSync(join(home, "big.img"), idOf("-u"), idOf("-g"))
    writeFileSync(config, [`socket_group = ${GROUP}`, "socket_mode = 0660", `role_read = ${GROUP}`, `role_operate = ${GROUP}`, `file_roots = ${srv}`, ""].join("\n"))
    await start()
  })
  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    execFileSync("userdel", [USER])
    execFileSync("groupdel", [GROUP])
    rmSync(dir, { recursive: true, force: true })
  })

  it("the temporary output, the caller's own file, is swept at the next start", async () => {
    const message = JSON.stringify({ type: "compress", input: join(home, "big.img"), output: join(home, "big.img.svz") })
    const job: ChildProcess = spawn("setpriv", [`--reuid=${USER}`, `--regid=${idOf("-g")}`, "--init-groups", "--", binary(), "ask", "TENSOR", message, "--timeout", "600000", "--socket", daemon.socket], {
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/" },
      cwd: "/",
      stdio: "ignore"
    })
    const temporary = await writing(home)
    expect(statSync(join(home, temporary)).uid).toBe(idOf("-u"))
    await killTogether(daemon, temporary)
    job.kill("SIGKILL")
    expect(existsSync(join(home, temporary))).toBe(true)
    await start()
    expect(readdirSync(home)).toEqual(["big.img"])
    expect(daemon.log()).toContain(`removed 1 temporary file(s) that interrupted file jobs left: ${join(home, temporary)}`)
  })
})
