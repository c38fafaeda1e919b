/**
 * A real smbd for tests (PLATFORM.md "Real daemons in tests"): foreground,
 * its own config in a temp dir, a high port derived from the pid, 127.0.0.1
 * only, every state/lock/cache/pid/private dir in the temp dir, registry
 * shares included. Nothing of the host's Samba is touched. `stop` kills it by
 * pid and removes the dir; call it in afterAll (also on failure).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process"
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { missingTools } from "./tools.ts"

export const SAMBA_TOOLS = ["smbd", "smbclient", "net", "smbcontrol", "smbstatus", "testparm"] as const


export { missingTools }

export interface Samba {
  readonly dir: string
  readonly conf: string
  readonly port: number
  readonly pid: number
  /** Where shares may be made (mode 0777, under a 0755 dir, so the guest account can use them). */
  readonly data: string
  /** `smbclient -L`: the disk shares listed, by name. */
  readonly list: () => ReadonlyArray<string>
  /** Runs smbclient commands against a share as guest; stdout and stderr together, and the exit code. */
  readonly client: (share: string, commands: string) => { readonly output: string; readonly status: number }
  /** Whether the smbd we started is still the same living process. */
  readonly alive: () => boolean
  readonly stop: () => Promise<void>
}

export const startSamba = async (label: string, offset = 0): Promise<Samba> => {
  const missing = missingTools(SAMBA_TOOLS)
  if (missing.length > 0) throw new Error(`this test needs ${missing.join(", ")} (Debian packages samba, smbclient): not installed`)
  const dir = mkdtempSync(join(tmpdir(), `sigmavault-${label}-${process.pid}-`))
  chmodSync(dir, 0o755)
  for (const sub of ["lock", "state", "cache", "pid", "private", "ncalrpc", "data"]) mkdirSync(join(dir, sub))
  const data = join(dir, "data")
  chmodSync(data, 0o777)
  const port = 20_000 + ((process.pid * 7 + offset) % 40_000)
  const conf = join(dir, "smb.conf")
  writeFileSync(conf, [
    "[global]",
    `smb ports = ${port}`,
    "interfaces = 127.0.0.1",
    "bind interfaces only = yes",
    "disable netbios = yes",
    `lock directory = ${dir}/lock`,
    `state directory = ${dir}/state`,
    `cache directory = ${dir}/cache`,
    `pid directory = ${dir}/pid`,
    `private dir = ${dir}/private`,
    `ncalrpc dir = ${dir}/ncalrpc`,
    `passdb backend = tdbsam:${dir}/private/passdb.tdb`,
    `log file = ${dir}/log.%m`,
    "map to guest = Bad User",
    "include = registry",
    ""
  ].join("\n"))
  // A session (and process group) of its own: smbd stopping signals its whole group, which must not be the test's.
  const child: ChildProcess = spawn("smbd", ["--foreground", "--no-process-group", "--debug-stdout", "-s", conf], { stdio: "ignore", detached: true })
  const pid = child.pid!
  let exited = false
  child.on("exit", () => void (exited = true))
  /** SIGTERM (smbd stops its own children), then SIGKILL if it is still there after 3 s; then the dir goes. */
  const stop = async () => {
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(pid, s)
      } catch { /* gone */ }
    }
    if (!exited) {
      signal("SIGTERM")
      const deadline = Date.now() + 3_000
      while (!exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      if (!exited) signal("SIGKILL")
    }
    rmSync(dir, { recursive: true, force: true })
  }
  const clientArgs = ["-N", "-p", String(port), "-s", "/dev/null"]
  const list = () => {
    const out = spawnSync("smbclient", ["-g", "-L", "//127.0.0.1", ...clientArgs], { encoding: "utf8", timeout: 10_000 })
    return out.stdout.split("\n").filter((l) => l.startsWith("Disk|")).map((l) => l.split("|")[1]!)
  }
  const deadline = Date.now() + 15_000
  for (;;) {
    const probe = spawnSync("smbclient", ["-g", "-L", "//127.0.0.1", ...clientArgs], { encoding: "utf8", timeout: 5_000 })
    if (probe.stdout.includes("IPC|")) break
    if (exited || Date.now() > deadline) {
      await stop()
      throw new Error(`smbd did not start on port ${port}: ${probe.stdout}${probe.stderr}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    dir,
    conf,
    port,
    pid,
    data,
    list,
    client: (share, commands) => {
      const out = spawnSync("smbclient", [`//127.0.0.1/${share}`, ...clientArgs, "-c", commands], { encoding: "utf8", timeout: 10_000 })
      return { output: `${out.stdout}${out.stderr}`, status: out.status ?? -1 }
    },
    alive: () => !exited && execFileSync("ps", ["-o", "pid=", "-p", String(pid)], { encoding: "utf8" }).trim() === String(pid),
    stop
  }
}

/** An smbclient kept open on a share: commands written to its stdin, output read back. */
export const openSession = (samba: Samba, share: string) => {
  // Unbuffered: smbclient writes to a pipe in blocks otherwise, and the answers would only come at exit.
  const child = spawn("stdbuf", ["-o0", "-e0", "smbclient", `//127.0.0.1/${share}`, "-N", "-p", String(samba.port), "-s", "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] })
  let output = ""
  child.stdout.on("data", (d: Buffer) => void (output += d.toString()))
  child.stderr.on("data", (d: Buffer) => void (output += d.toString()))
  const run = async (command: string, until: RegExp, timeoutMs = 10_000): Promise<string> => {
    const start = output.length
    child.stdin.write(`${command}\n`)
    const deadline = Date.now() + timeoutMs
    while (!until.test(output.slice(start))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`smbclient session: no ${until} after '${command}': ${output.slice(start)}`)
      await new Promise((r) => setTimeout(r, 20))
    }
    return output.slice(start)
  }
  return {
    pid: child.pid!,
    run,
    close: () => {
      if (child.exitCode === null) child.kill("SIGKILL")
    }
  }
}
