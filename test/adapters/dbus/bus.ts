/**
 * A private D-Bus daemon for tests, and the stock clients (`busctl`, `gdbus`)
 * run against it. Everything is spawned with an argument array; every wait on
 * an external process is bounded.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface PrivateBus {
  readonly address: string
  readonly stop: () => void
}

/**
 * A bus any local user may connect to and call anything on, as a system bus
 * whose policy would not stand between a caller and the daemon: then only
 * the daemon's own access control does.
 */
const openBusConfig = (socket: string) => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>custom</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`

/**
 * Starts `dbus-daemon --session` on a socket in a fresh directory; resolves
 * with its address. `anyUser`: a bus every local user may use (see above).
 */
export const startPrivateBus = (timeoutMs = 5_000, options: { readonly anyUser?: boolean } = {}): Promise<PrivateBus> =>
  new Promise((resolve, reject) => {
    const dir = mkdtempSync(join(tmpdir(), "sv-dbus-"))
    const socket = join(dir, "bus")
    let args = ["--session", `--address=unix:path=${socket}`, "--nofork", "--print-address=1"]
    if (options.anyUser === true) {
      chmodSync(dir, 0o755)
      writeFileSync(join(dir, "bus.conf"), openBusConfig(socket))
      args = [`--config-file=${join(dir, "bus.conf")}`, "--nofork", "--print-address=1"]
    }
    const child: ChildProcess = spawn("dbus-daemon", args, { stdio: ["ignore", "pipe", "pipe"] })
    const stop = () => {
      child.kill("SIGTERM")
      rmSync(dir, { recursive: true, force: true })
    }
    const timer = setTimeout(() => {
      stop()
      reject(new Error(`dbus-daemon printed no address within ${timeoutMs} ms`))
    }, timeoutMs)
    let out = ""
    child.stdout!.on("data", (chunk) => {
      out += chunk
      const line = out.split("\n")[0]
      if (out.includes("\n") && line !== undefined && line.startsWith("unix:")) {
        clearTimeout(timer)
        resolve({ address: line.trim(), stop })
      }
    })
    child.once("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })

export interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export const run = (file: string, args: ReadonlyArray<string>, timeoutMs = 10_000): Promise<Run> =>
  new Promise((resolve) => {
    execFile(file, [...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1
      resolve({ code, stdout: String(stdout), stderr: String(stderr) })
    })
  })

const DEST = "org.sigmavault.Runtime"
const RUNTIME = "/org/sigmavault/Runtime"
const IFACE = "org.sigmavault.Runtime1"

/** `busctl call` with JSON output: the reply's arguments. Rejects with busctl's stderr on an error reply. */
export const busctlCall = async (
  address: string,
  method: string,
  signature: string,
  ...args: ReadonlyArray<string>
): Promise<ReadonlyArray<unknown>> => {
  const result = await run("busctl", [
    `--address=${address}`,
    "--json=short",
    "call",
    DEST,
    RUNTIME,
    IFACE,
    method,
    ...(signature === "" ? [] : [signature, ...args])
  ])
  if (result.code !== 0) throw new Error(`busctl ${method} failed: ${result.stderr.trim()}`)
  if (result.stdout.trim() === "") return []
  return (JSON.parse(result.stdout) as { data: ReadonlyArray<unknown> }).data
}

/** `gdbus call`, which prints the D-Bus error name of a failed call: "GDBus.Error:<name>: <text>". */
export const gdbusCall = (
  address: string,
  objectPath: string,
  method: string,
  ...args: ReadonlyArray<string>
): Promise<Run> =>
  run("gdbus", ["call", "--address", address, "--dest", DEST, "--object-path", objectPath, "--method", method, ...args])

/** The D-Bus error name and text in gdbus's stderr, if the call failed. */
export const gdbusError = (result: Run): { readonly name: string; readonly text: string } | undefined => {
  const match = /GDBus\.Error:([A-Za-z0-9_.]+): (.*)/s.exec(result.stderr)
  return match === null ? undefined : { name: match[1]!, text: match[2]!.trim() }
}
