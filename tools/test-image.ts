/**
 * `npm run test:image`: boots the ISO `npm run image` made, twice, and asks
 * the booted system whether SigmaVault runs. Not part of `npm test` (minutes).
 *
 * 1. nspawn (fast path): the ISO's live/filesystem.squashfs extracted with
 *    xorriso, loop-mounted read-only, booted with
 *    `systemd-nspawn -b --register=no --keep-unit --volatile=overlay`; the
 *    checks run inside through nsenter into the container's PID 1.
 * 2. qemu TCG (`-accel tcg,thread=multi -cpu max`: the Bun x64 runtime needs
 *    AVX2, which `-cpu max` has), serial console, a scripted login as the
 *    live user (user/live) with this file as the expect driver.
 *
 * Checks, both times: `systemctl is-active sigmavault` says active and
 * `sigmavault agents` lists 40 agents running; under qemu also
 * `busctl call org.sigmavault.Runtime /org/sigmavault/Runtime
 * org.sigmavault.Runtime1 ListAgents` on the system bus answers 40 rows.
 * Never greps the console for "Started …" (the serial getty takes the console
 * and those lines stop): it logs in and asks systemd.
 *
 * Everything it starts (nspawn, qemu) it stops by pid; mounts and the temp
 * directory (named with our pid) go in `finally`, also on failure.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { StringDecoder } from "node:string_decoder"
import { join, resolve } from "node:path"

const ROOT = join(import.meta.dirname, "..")
const AGENTS = 40

const HELP = `Usage: npm run test:image [-- options]      (bun tools/test-image.ts [options])

Boots dist/sigmavault-<version>-amd64.iso (npm run image) under systemd-nspawn and
under qemu (TCG) and checks sigmavault.service is active with ${AGENTS} agents running
(and, under qemu, ListAgents on the system bus). As root.

Options:
  --iso PATH       the ISO (default dist/sigmavault-<version>-amd64.iso)
  --no-nspawn      skip the nspawn boot
  --no-qemu        skip the qemu boot
  --uefi           boot qemu with OVMF (UEFI) instead of the BIOS
  --timeout S      qemu: seconds to wait for the login prompt (default 600)
  -h, --help       show this help

Needs: apt-get install -y systemd-container xorriso qemu-system-x86 (ovmf for --uefi)
`

const say = (m: string) => process.stdout.write(`test:image: ${m}\n`)
class Failure extends Error {}
const fail = (m: string): never => {
  throw new Failure(m)
}

interface Options {
  readonly iso: string
  readonly nspawn: boolean
  readonly qemu: boolean
  readonly uefi: boolean
  readonly timeoutS: number
  readonly help: boolean
}

const parse = (argv: ReadonlyArray<string>): Options => {
  const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version
  let o: Options = { iso: join(ROOT, "dist", `sigmavault-${version}-amd64.iso`), nspawn: true, qemu: true, uefi: false, timeoutS: 600, help: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const value = () => argv[++i] ?? fail(`${arg} needs a value`)
    switch (arg) {
      case "--iso": o = { ...o, iso: resolve(value()) }; break
      case "--no-nspawn": o = { ...o, nspawn: false }; break
      case "--no-qemu": o = { ...o, qemu: false }; break
      case "--uefi": o = { ...o, uefi: true }; break
      case "--timeout": o = { ...o, timeoutS: Number(value()) }; break
      case "-h": case "--help": o = { ...o, help: true }; break
      default: fail(`unknown option ${arg} (see --help)`)
    }
  }
  return o
}

const runOk = (cmd: string, args: ReadonlyArray<string>): string => {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
  if (r.error !== undefined) fail(`${cmd}: ${r.error.message}`)
  if (r.status !== 0) fail(`${cmd} ${args.join(" ")} exited with ${r.status ?? r.signal}: ${r.stderr.trim()}`)
  return r.stdout
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms))
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/** Agent rows of `sigmavault agents` (they have a tier) whose lifecycle is running. */
export const runningAgents = (text: string): ReadonlyArray<string> =>
  text.split(/\r?\n/).flatMap((line) => {
    const m = /^[^A-Za-z0-9]*([A-Z][A-Z0-9_-]*)\s+([1-9](?:-[0-9]+)?)\s+(?:[a-z]+\s+)?running\s/.exec(line)
    return m === null ? [] : [m[1]!]
  })

/** The row count busctl prints for ListAgents: `a(sssssuuuts) 40 "…`. */
export const listAgentsRows = (text: string): number | undefined => {
  const m = /a\(sssssuuuts\) (\d+)/.exec(text)
  return m === null ? undefined : Number(m[1])
}

const checkAgents = (where: string, text: string) => {
  const running = runningAgents(text)
  if (running.length !== AGENTS) fail(`${where}: sigmavault agents shows ${running.length} agents running, not ${AGENTS}:\n${text}`)
  say(`${where}: sigmavault agents: ${running.length}/${AGENTS} running`)
}

// ---------------------------------------------------------------- nspawn

const childrenOf = (pid: number): ReadonlyArray<number> => {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) =>
      readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").trim().split(/\s+/).filter((s) => s !== "").map(Number))
  } catch {
    return []
  }
}

const nspawnBoot = async (iso: string, tmp: string, cleanups: Array<() => void>) => {
  const squashfs = join(tmp, "filesystem.squashfs")
  const root = join(tmp, "root")
  mkdirSync(root)
  runOk("xorriso", ["-osirrox", "on", "-indev", iso, "-extract", "/live/filesystem.squashfs", squashfs])
  runOk("mount", ["-o", "loop,ro", "-t", "squashfs", squashfs, root])
  cleanups.push(() => void spawnSync("umount", [root]))
  const log = join(ROOT, "dist", "test-image-nspawn.log")
  const started = Date.now()
  const machine = `sv-image-${process.pid}`
  const child = spawn("systemd-nspawn", ["-b", "--register=no", "--keep-unit", "--volatile=overlay", `--machine=${machine}`, "-D", root], {
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  child.stdout.on("data", (d: Buffer) => (out += d.toString()))
  child.stderr.on("data", (d: Buffer) => (out += d.toString()))
  let exited = false
  child.on("exit", () => (exited = true))
  const stop = async () => {
    const init = childrenOf(child.pid!)[0]
    if (!exited && init !== undefined) spawnSync("kill", ["-s", "RTMIN+4", String(init)]) // systemd: poweroff
    for (let i = 0; i < 100 && !exited; i++) await sleep(100)
    if (!exited) child.kill("SIGKILL")
    writeFileSync(log, out)
  }
  try {
    let init: number | undefined
    for (let i = 0; i < 100 && init === undefined && !exited; i++) {
      await sleep(100)
      init = childrenOf(child.pid!)[0]
    }
    if (init === undefined) fail(`systemd-nspawn did not start a container:\n${out}`)
    const inside = (args: ReadonlyArray<string>) =>
      spawnSync("nsenter", ["-t", String(init), "-m", "-u", "-i", "-n", "-p", "--", ...args], { encoding: "utf8" })
    let state = ""
    for (let i = 0; i < 900; i++) {
      state = inside(["systemctl", "is-active", "sigmavault"]).stdout.trim()
      if (state === "active" || state === "failed" || exited) break
      await sleep(100)
    }
    if (state !== "active") {
      fail(`nspawn: sigmavault is ${state || "unknown"}:\n${inside(["systemctl", "status", "--no-pager", "sigmavault"]).stdout}\n${inside(["journalctl", "--no-pager", "-n", "40", "-u", "sigmavault"]).stdout}`)
    }
    say(`nspawn: systemctl is-active sigmavault: active after ${secs(Date.now() - started)}`)
    const agents = inside(["sigmavault", "agents"])
    checkAgents("nspawn", agents.stdout + agents.stderr)
  } finally {
    await stop()
  }
}

// ---------------------------------------------------------------- qemu

/** A minimal expect: the serial console's output as it comes, waits on patterns, sends lines. */
class Console {
  text = ""
  private from = 0
  constructor(readonly child: ChildProcess, transcript: string) {
    const utf8 = new StringDecoder("utf8")
    writeFileSync(transcript, "")
    child.stdout!.on("data", (d: Buffer) => {
      this.text += utf8.write(d)
      appendFileSync(transcript, d) // live, for a human watching with tail -f
    })
  }
  async expect(pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const m = pattern.exec(this.text.slice(this.from))
      if (m !== null) {
        this.from += m.index + m[0].length
        return m
      }
      if (Date.now() > deadline) fail(`qemu: no ${what} within ${secs(timeoutMs)}; the console's last lines:\n${this.tail(30)}`)
      if (this.child.exitCode !== null) fail(`qemu exited (${this.child.exitCode}) before ${what}; the console's last lines:\n${this.tail(30)}`)
      await sleep(200)
    }
  }
  send(line: string) {
    this.child.stdin!.write(`${line}\r`)
  }
  private n = 0
  /** Runs a shell command at the prompt; its output and exit status (markers the echo of the typed line cannot match). */
  async run(command: string, timeoutMs = 120_000): Promise<{ output: string; status: number }> {
    const n = ++this.n
    this.send(`echo "SV""BEGIN-${n}"; ${command}; echo "SV""END-${n}-$?"`)
    await this.expect(new RegExp(`SVBEGIN-${n}\\r?\\n`), timeoutMs, `start of output of '${command}'`)
    const start = this.from
    const m = await this.expect(new RegExp(`SVEND-${n}-(\\d+)`), timeoutMs, `end of '${command}'`)
    const output = this.text.slice(start, this.from - m[0].length)
    return { output, status: Number(m[1]) }
  }
  tail(lines: number): string {
    // eslint-disable-next-line no-control-regex
    return this.text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").split(/\r?\n/).slice(-lines).join("\n")
  }
}

const qemuBoot = async (iso: string, tmp: string, options: Options) => {
  const args = [
    "-accel", "tcg,thread=multi", "-cpu", "max", "-smp", "2", "-m", "2048",
    "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
    "-cdrom", iso, "-boot", "d",
    "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"
  ]
  if (options.uefi) {
    const code = "/usr/share/OVMF/OVMF_CODE.fd"
    if (!existsSync(code)) fail(`--uefi needs ${code} (apt-get install -y ovmf)`)
    args.push("-drive", `if=pflash,format=raw,readonly=on,file=${code}`)
  }
  const started = Date.now()
  const child = spawn("qemu-system-x86_64", args, { stdio: ["pipe", "pipe", "pipe"] })
  let stderr = ""
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()))
  const transcript = join(ROOT, "dist", "test-image-qemu-serial.log")
  const con = new Console(child, transcript)
  try {
    await con.expect(/login: $/m, options.timeoutS * 1000, "login prompt").catch((e) => {
      if (stderr !== "") say(`qemu stderr: ${stderr.trim()}`)
      throw e
    })
    const loginMs = Date.now() - started
    say(`qemu: login prompt after ${secs(loginMs)}`)
    con.send("user")
    await con.expect(/Password: ?$/m, 60_000, "password prompt")
    con.send("live")
    await con.expect(/\$ $/m, 120_000, "shell prompt")
    await con.run("stty -echo cols 200")
    let active = ""
    for (let i = 0; i < 120; i++) {
      active = (await con.run("systemctl is-active sigmavault")).output.trim()
      if (active === "active" || active === "failed") break
      await sleep(2000)
    }
    if (active !== "active") {
      const status = await con.run("systemctl status --no-pager sigmavault; sudo journalctl --no-pager -n 30 -u sigmavault")
      fail(`qemu: sigmavault is ${active}:\n${status.output}`)
    }
    say(`qemu: systemctl is-active sigmavault: active after ${secs(Date.now() - started)} from power-on`)
    const agents = await con.run("sudo sigmavault agents")
    checkAgents("qemu", agents.output)
    const bus = await con.run("sudo busctl call org.sigmavault.Runtime /org/sigmavault/Runtime org.sigmavault.Runtime1 ListAgents")
    const rows = listAgentsRows(bus.output)
    if (bus.status !== 0 || rows !== AGENTS) fail(`qemu: busctl ListAgents (exit ${bus.status}) answered ${rows ?? "no"} rows, not ${AGENTS}:\n${bus.output.slice(0, 2000)}`)
    say(`qemu: busctl call org.sigmavault.Runtime … ListAgents: ${rows} rows`)
    await con.run("systemctl is-system-running; uptime")
    say(`qemu: boot to all checks ${secs(Date.now() - started)}`)
  } finally {
    child.kill("SIGKILL")
    say(`qemu: serial transcript ${transcript}; its last lines:\n${con.tail(12)}`)
  }
}

// ---------------------------------------------------------------- main

const main = async (): Promise<number> => {
  const options = parse(process.argv.slice(2))
  if (options.help) {
    process.stdout.write(HELP)
    return 0
  }
  if (process.getuid?.() !== 0) fail("npm run test:image must run as root (mount, systemd-nspawn)")
  const tools = [...(options.nspawn ? ["systemd-nspawn", "xorriso", "nsenter", "mount"] : []), ...(options.qemu ? ["qemu-system-x86_64"] : [])]
  const missing = tools.filter((t) => spawnSync("sh", ["-c", 'command -v "$1"', "sh", t]).status !== 0)
  if (missing.length > 0) fail(`missing tools: ${missing.join(", ")} (apt-get install -y systemd-container xorriso qemu-system-x86)`)
  if (!existsSync(options.iso)) fail(`no ISO at ${options.iso}: run npm run image first`)
  say(`ISO ${options.iso} (${(statSync(options.iso).size / 1e6).toFixed(1)} MB)`)
  const tmp = mkdtempSync(join(tmpdir(), `sigmavault-test-image-${process.pid}-`))
  const cleanups: Array<() => void> = []
  try {
    if (options.nspawn) await nspawnBoot(options.iso, tmp, cleanups)
    if (options.qemu) await qemuBoot(options.iso, tmp, options)
    say("ok")
    return 0
  } catch (e) {
    if (e instanceof Failure) {
      process.stderr.write(`test:image: FAILED: ${e.message}\n`)
      return 1
    }
    throw e
  } finally {
    for (const c of cleanups.reverse()) c()
    if (process.env.SIGMAVAULT_KEEP_TMP === undefined) rmSync(tmp, { recursive: true, force: true })
    else say(`kept ${tmp}`)
  }
}

main().then((code) => process.exit(code), (e) => {
  process.stderr.write(`test:image: ${e instanceof Error ? e.stack : String(e)}\n`)
  process.exit(1)
})
