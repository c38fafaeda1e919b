/** Starting the real binary and talking to it the way users and scripts do. */
import { execFileSync, spawn, type ChildProcess } from "node:child_process"
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { inject } from "vitest"
import { decodeBody, encodeFrame, FrameDecoder } from "../../src/protocol/Frame.ts"

export const binary = () => inject("binary")

export interface Output {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the CLI to completion. */
export const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<Output> =>
  new Promise((resolve) => {
    const child = spawn(binary(), args, { env: { ...process.env, ...env } })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

/** A user's or a group's numeric id, from `id`. */
export const idOf = (flag: "-u" | "-g", user: string) => Number(execFileSync("id", [flag, user], { encoding: "utf8" }).trim())

/** The CLI as `user` (created by the test), with that user's groups from /etc/group: what a login shell would give them. */
export const cliAs = (user: string, args: ReadonlyArray<string>): Promise<Output> =>
  new Promise((resolve) => {
    const child = spawn("setpriv", [`--reuid=${user}`, `--regid=${idOf("-g", user)}`, "--init-groups", "--", binary(), ...args], {
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/" },
      cwd: "/"
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

/** Connects and resolves once connected, or rejects with the socket error. */
export const connectRaw = (socketPath: string): Promise<net.Socket> =>
  new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath)
    socket.once("connect", () => resolve(socket))
    socket.once("error", reject)
  })

/** Collects the decoded frames a raw socket receives. */
export const frames = (socket: net.Socket) => {
  const decoder = new FrameDecoder(64 * 1024 * 1024)
  const received: Array<any> = []
  const waiters: Array<() => void> = []
  socket.on("data", (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) {
      if (frame._tag !== "Frame") continue
      const body = decodeBody(frame.body)
      if (body.ok) received.push(body.value)
    }
    waiters.splice(0).forEach((w) => w())
  })
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()))
  /** Waits for a frame matching `pred`, up to `timeoutMs`. */
  const next = (pred: (frame: any) => boolean, timeoutMs = 5_000): Promise<any> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(received)}`)), timeoutMs)
      const check = () => {
        const found = received.find(pred)
        if (found !== undefined) {
          clearTimeout(timer)
          resolve(found)
        } else waiters.push(check)
      }
      check()
    })
  return { received, next, closed }
}

export const request = (socket: net.Socket, value: unknown) => socket.write(encodeFrame(value))

export interface Daemon {
  readonly process: ChildProcess
  readonly dir: string
  readonly socket: string
  readonly log: () => string
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>
  readonly rssKb: () => number
}

const waitFor = async (what: string, ready: () => Promise<boolean>, timeoutMs: number, log: () => string) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await ready()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`${what} within ${timeoutMs} ms; daemon log:\n${log()}`)
}

/** Starts `sigmavault run` in a temp dir and waits until its socket accepts connections. */
export const startDaemon = async (
  options: {
    readonly dir?: string
    readonly args?: ReadonlyArray<string>
    readonly env?: Record<string, string>
    /** A command that execs the daemon, such as `prlimit --nofile=1024:1024` (the pid stays the daemon's). */
    readonly wrap?: ReadonlyArray<string>
  } = {}
): Promise<Daemon> => {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "sigmavault-e2e-"))
  const socketPath = join(dir, "run", "control.sock")
  // Callers' file jobs may use the temporary directory, where the tests keep their files.
  const config = join(dir, "harness.conf")
  if (!(options.args ?? []).includes("--config")) writeFileSync(config, `file_roots = ${realpathSync(tmpdir())}\n`)
  const wrap = options.wrap ?? []
  const child = spawn(wrap[0] ?? binary(), [
    ...wrap.slice(1),
    ...(wrap.length > 0 ? [binary()] : []),
    "run",
    "--socket", socketPath,
    "--state-dir", join(dir, "state"),
    "--runtime-dir", join(dir, "run"),
    "--test-faults",
    ...((options.args ?? []).includes("--config") ? [] : ["--config", config]),
    ...(options.args ?? [])
  ], { env: { ...process.env, ...options.env } })
  let log = ""
  child.stdout!.on("data", (d) => (log += d))
  child.stderr!.on("data", (d) => (log += d))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  let done = false
  void exited.then(() => (done = true))
  await waitFor("the daemon did not accept connections", async () => {
    if (done) throw new Error(`the daemon exited before accepting connections:\n${log}`)
    return connectRaw(socketPath).then((s) => (s.destroy(), true), () => false)
  }, 15_000, () => log)
  return {
    process: child,
    dir,
    socket: socketPath,
    log: () => log,
    exited,
    rssKb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? NaN)
  }
}

export interface BinaryOutput {
  readonly code: number | null
  readonly stdout: Buffer
  readonly stderr: string
}

/** Runs the CLI with `input` on stdin (closed when given nothing), keeping stdout as bytes. */
export const cliBytes = (
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly input?: Uint8Array } = {}
): Promise<BinaryOutput> =>
  new Promise((resolve) => {
    const child = spawn(binary(), args, { env: { ...process.env, ...options.env } })
    const chunks: Array<Buffer> = []
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => chunks.push(d))
    child.stderr.on("data", (d) => (stderr += d))
    child.stdin.on("error", () => {}) // a command that exits before reading its input closes the pipe
    child.stdin.end(options.input ?? new Uint8Array(0))
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(chunks), stderr }))
  })
