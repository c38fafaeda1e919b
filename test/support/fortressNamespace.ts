/**
 * A real host for FORTRESS to audit, without touching this one: a network
 * namespace (`fortress-<pid>-<n>`) held by a process whose private mount
 * namespace has an overlay on /etc (its upper layer in a temp dir, so
 * /etc/ssh/sshd_config, /etc/samba/smb.conf and /etc/exports there are the
 * seeded ones, and nothing is written to the host's /etc) and a tmpfs on
 * /run (with /run/sshd). Inside it run a real sshd (port 22) and, when
 * seeded, socat listeners on 4444 and 23. The share directories, the
 * daemon's state dir, key, config file and a real control socket are laid
 * out in the temp dir with the baseline's or the seeded modes.
 *
 * `inside(argv)` is how a command runs in there (`nsenter -t HOLDER -m -n`);
 * `runner` is a CommandRunner that runs ss, sshd and net in there. Every
 * process is killed by pid, the namespace deleted and the temp dir removed
 * by `close`, also when setting up fails half-way.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer, type Server } from "node:net"
import { join } from "node:path"
import { Effect } from "effect"
import { CommandRunner } from "../../src/adapters/command/Command.ts"
import * as CommandRunnerLive from "../../src/adapters/command/CommandRunnerLive.ts"
import type { FortressConfigShape } from "../../src/actors/fortress/config.ts"
import { defaultFortressConfig } from "../../src/actors/fortress/config.ts"
import { hardened, type HostTexts, seeded } from "./fortressHost.ts"
import { missingTools as missingOf } from "./tools.ts"

export const NEEDED_TOOLS = ["ip", "nsenter", "unshare", "mount", "socat", "ss", "ssh-keygen", "/usr/sbin/sshd"] as const


/** The tools these tests need that are not installed: a test fails naming them. */
export const missingTools = (tools: ReadonlyArray<string> = NEEDED_TOOLS): ReadonlyArray<string> => missingOf(tools)

export interface AuditedNamespace {
  readonly kind: "hardened" | "seeded"
  readonly root: string
  readonly netns: string
  readonly holderPid: number
  readonly texts: HostTexts
  readonly config: FortressConfigShape
  readonly inside: (argv: ReadonlyArray<string>) => ReadonlyArray<string>
  readonly runner: CommandRunner["Service"]
  readonly close: () => Promise<void>
}

let serial = 0

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const spawnQuiet = (argv: ReadonlyArray<string>): ChildProcess => {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] })
  child.stderr?.setEncoding("utf8")
  return child
}

const waitFor = async (what: string, check: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (check()) return
    await sleep(50)
  }
  throw new Error(`timed out waiting for ${what}`)
}

const killPid = async (child: ChildProcess) => {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once("exit", resolve))
  child.kill("SIGTERM")
  await Promise.race([exited, sleep(2_000)])
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
}

export const makeNamespace = async (kind: "hardened" | "seeded"): Promise<AuditedNamespace> => {
  const missing = missingTools()
  if (missing.length > 0) throw new Error(`FORTRESS's real-tool tests need ${missing.join(", ")} (install iproute2, util-linux, socat, openssh-server)`)
  const root = mkdtempSync(`/tmp/fortress-${process.pid}-`)
  const netns = `fortress-${process.pid}-${serial++}`
  const children: Array<ChildProcess> = []
  let socketServer: Server | undefined
  let netnsMade = false
  const close = async () => {
    for (const child of [...children].reverse()) await killPid(child)
    await new Promise<void>((resolve) => socketServer === undefined ? resolve() : socketServer.close(() => resolve()))
    if (netnsMade) {
      try {
        execFileSync("ip", ["netns", "del", netns], { stdio: "ignore" })
      } catch {
        // already gone
      }
    }
    rmSync(root, { recursive: true, force: true })
  }
  try {
    const texts = kind === "seeded" ? seeded(root) : hardened(root)
    const upper = join(root, "etc-upper")
    const ssh = join(upper, "ssh")
    mkdirSync(ssh, { recursive: true })
    mkdirSync(join(upper, "samba"), { recursive: true })
    mkdirSync(join(upper, "exports.d"), { recursive: true })
    mkdirSync(join(root, "etc-work"))
    const hostKey = join(ssh, "ssh_host_ed25519_key")
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey], { stdio: "ignore" })
    writeFileSync(join(ssh, "sshd_config"), `HostKey ${hostKey}\nPidFile none\n${texts.sshdConfig}`)
    writeFileSync(join(upper, "samba", "smb.conf"), texts.smbConf)
    writeFileSync(join(upper, "exports"), texts.exports)
    for (const [path, mode] of Object.entries(texts.modes.shares)) {
      mkdirSync(join(root, path), { recursive: true })
      chmodSync(join(root, path), mode)
    }
    mkdirSync(join(root, "state", "keys"), { recursive: true })
    chmodSync(join(root, "state"), texts.modes.stateDir)
    chmodSync(join(root, "state", "keys"), texts.modes.keysDir)
    writeFileSync(join(root, "state", "keys", "daemon.key"), "not a real key\n", { mode: texts.modes.keyFile })
    chmodSync(join(root, "state", "keys", "daemon.key"), texts.modes.keyFile)
    mkdirSync(join(root, "run"))
    chmodSync(join(root, "run"), texts.modes.runtimeDir)
    mkdirSync(join(root, "conf"))
    writeFileSync(join(root, "conf", "sigmavault.conf"), "log_level = info\n")
    chmodSync(join(root, "conf", "sigmavault.conf"), texts.modes.configFile)
    const socket = join(root, "run", "control.sock")
    socketServer = createServer()
    await new Promise<void>((resolve, reject) => socketServer!.once("error", reject).listen(socket, () => resolve()))
    chmodSync(socket, texts.modes.socket)

    execFileSync("ip", ["netns", "add", netns])
    netnsMade = true
    execFileSync("ip", ["netns", "exec", netns, "ip", "link", "set", "lo", "up"])
    // The holder: in the network namespace, a private mount namespace with the overlay on /etc and a tmpfs on /run.
    const setup = [
      `mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/etc-upper,workdir=$1/etc-work" /etc`,
      "mount -t tmpfs -o mode=0755 tmpfs /run",
      "mkdir -p /run/sshd",
      "touch /run/ready",
      "exec sleep 2147483"
    ].join(" && ")
    const holder = spawnQuiet(["ip", "netns", "exec", netns, "unshare", "-m", "--propagation", "private", "--", "sh", "-c", setup, "sh", root])
    children.push(holder)
    const holderPid = holder.pid!
    const inside = (argv: ReadonlyArray<string>) => ["nsenter", "-t", String(holderPid), "-m", "-n", "--", ...argv]
    await waitFor("the namespace holder", () => {
      try {
        execFileSync(inside(["test", "-e", "/run/ready"])[0]!, inside(["test", "-e", "/run/ready"]).slice(1), { stdio: "ignore" })
        return true
      } catch {
        if (holder.exitCode !== null) throw new Error(`the namespace holder exited ${holder.exitCode}`)
        return false
      }
    })
    const sshd = spawnQuiet(inside(["/usr/sbin/sshd", "-D", "-e", "-f", "/etc/ssh/sshd_config"]))
    children.push(sshd)
    const ports = [22]
    if (kind === "seeded") {
      for (const port of [4444, 23]) {
        children.push(spawnQuiet(inside(["socat", `TCP-LISTEN:${port},reuseaddr,fork`, "OPEN:/dev/null"])))
        ports.push(port)
      }
    }
    await waitFor(`listeners on ${ports.join(", ")}`, () => {
      const out = execFileSync(inside(["ss", "-H", "-tln"])[0]!, inside(["ss", "-H", "-tln"]).slice(1), { encoding: "utf8" })
      return ports.every((port) => new RegExp(`:${port}\\s`).test(out))
    })
    const live = CommandRunnerLive.make()
    const runner = CommandRunner.of({
      run: (tool, args, options) => {
        if (tool === "ss" || tool === "sshd" || tool === "net") {
          const argv = inside([tool === "sshd" ? "/usr/sbin/sshd" : tool, ...args])
          return live.run(argv[0]!, argv.slice(1), options).pipe(Effect.map((output) => ({ ...output, tool, args })))
        }
        return live.run(tool, args, options)
      }
    })
    const config: FortressConfigShape = {
      ...defaultFortressConfig,
      intervalMs: 0,
      sshdConfig: join(ssh, "sshd_config"),
      smbConfig: join(upper, "samba", "smb.conf"),
      nfsExports: join(upper, "exports"),
      nfsExportsDir: join(upper, "exports.d"),
      daemon: {
        stateDir: join(root, "state"),
        runtimeDir: join(root, "run"),
        socket,
        configFile: join(root, "conf", "sigmavault.conf"),
        uid: process.getuid?.() ?? 0
      }
    }
    return { kind, root, netns, holderPid, texts, config, inside, runner, close }
  } catch (error) {
    await close()
    throw error
  }
}
