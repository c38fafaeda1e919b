/**
 * The processes the socket benchmarks start: the compiled SigmaVault host
 * binary and redis-server (the anchor). Every process is spawned with an
 * argument array, never through a shell, and stopped by its own pid.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { decodeBody, encodeFrame, FrameDecoder } from "../../src/protocol/Frame.ts"
import { now } from "../support.ts"

const root = join(import.meta.dirname, "..", "..")

export interface Binary {
  readonly path: string
  /** How the binary came to be: built now, given by SIGMAVAULT_BINARY, or reused after a failed build. */
  readonly origin: string
}

let built: Binary | undefined

/**
 * Builds `dist/sigmavault-bench` from the current sources once per run
 * (about half a second). SIGMAVAULT_BINARY names a binary to use instead. If
 * the build fails and an earlier bench binary exists, that one is used and
 * the JSON says so.
 */
export const benchBinary = (): Binary => {
  if (built !== undefined) return built
  const given = process.env.SIGMAVAULT_BINARY
  if (given !== undefined && given !== "") {
    if (!existsSync(given)) throw new Error(`SIGMAVAULT_BINARY=${given}: no such file`)
    return (built = { path: given, origin: "SIGMAVAULT_BINARY" })
  }
  // The release build for this machine (tools/build.ts knows the flags, e.g. --external x11).
  const path = join(root, "dist", `sigmavault-linux-${process.arch === "arm64" ? "arm64" : "x64"}`)
  const t0 = now()
  const build = spawnSync(
    join(root, "node_modules", ".bin", "bun"),
    ["tools/build.ts", "--host-only", "--no-smoke"],
    { cwd: root, encoding: "utf8" }
  )
  if (build.status === 0) return (built = { path, origin: `built from src/ in ${Math.round(now() - t0)} ms` })
  const why = `${build.error?.message ?? ""}${build.stdout ?? ""}${build.stderr ?? ""}`.trim().split("\n").slice(-3).join(" | ")
  throw new Error(`building the benchmark binary failed: ${why}`)
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix))
export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true })

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export interface Server {
  readonly process: ChildProcess
  readonly pid: number
  readonly socket: string
  /** performance.now() just before the exec. */
  readonly startedAt: number
  readonly log: () => string
  readonly exited: Promise<number | null>
  readonly hasExited: () => boolean
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the ms from SIGTERM to exit. */
  readonly stop: (graceMs?: number) => Promise<number>
}

const spawnServer = (command: string, args: ReadonlyArray<string>, socket: string): Server => {
  const startedAt = now()
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] })
  let log = ""
  const keep = (d: Buffer) => {
    if (log.length < 64 * 1024) log += d.toString()
  }
  child.stdout!.on("data", keep)
  child.stderr!.on("data", keep)
  let done = false
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code, signal) => {
      done = true
      resolve(code ?? (signal === null ? null : -1))
    })
    child.once("error", (error) => {
      done = true
      log += `spawn ${command}: ${error.message}\n`
      resolve(null)
    })
  })
  const stop = async (graceMs = 5_000) => {
    const t0 = now()
    if (done) return 0
    child.kill("SIGTERM")
    const killer = setTimeout(() => child.kill("SIGKILL"), graceMs)
    await exited
    clearTimeout(killer)
    return now() - t0
  }
  return {
    process: child,
    pid: child.pid ?? -1,
    socket,
    startedAt,
    log: () => log,
    exited,
    hasExited: () => done,
    stop
  }
}

/** `sigmavault run` in `dir`, its socket at `dir/control.sock`. Does not wait. */
export const spawnSigmavault = (binary: string, dir: string, extraArgs: ReadonlyArray<string> = []): Server => {
  const socket = join(dir, "control.sock")
  return spawnServer(binary, [
    "run",
    "--socket", socket,
    "--state-dir", join(dir, "state"),
    "--runtime-dir", join(dir, "run"),
    "--log-level", "error",
    ...extraArgs
  ], socket)
}

/** redis-server on a Unix socket in `dir`, no TCP port, no persistence. Does not wait. */
export const spawnRedis = (dir: string): Server => {
  const socket = join(dir, "redis.sock")
  return spawnServer("redis-server", [
    "--port", "0",
    "--unixsocket", socket,
    "--save", "",
    "--appendonly", "no",
    "--daemonize", "no",
    "--dir", dir
  ], socket)
}

/** Whether redis-server and redis-benchmark can be run; the reason when not. */
export const redisTools = (): { readonly ok: true; readonly version: string } | { readonly ok: false; readonly reason: string } => {
  const server = spawnSync("redis-server", ["--version"], { encoding: "utf8" })
  if (server.error !== undefined || server.status !== 0) {
    return { ok: false, reason: `redis-server is not runnable (${server.error?.message ?? server.stderr}); install it with: apt-get install -y redis-server` }
  }
  const bench = spawnSync("redis-benchmark", ["--version"], { encoding: "utf8" })
  if (bench.error !== undefined) {
    return { ok: false, reason: `redis-benchmark is not runnable (${bench.error.message}); it comes with: apt-get install -y redis-tools` }
  }
  return { ok: true, version: server.stdout.trim() }
}

export const connect = (path: string) =>
  new Promise<net.Socket>((resolve, reject) => {
    const socket = net.createConnection(path)
    socket.once("connect", () => {
      socket.removeListener("error", reject)
      resolve(socket)
    })
    socket.once("error", reject)
  })

/** Polls until the server's socket accepts a connection; returns it connected. Throws if the server exits or time runs out. */
export const waitForSocket = async (server: Server, timeoutMs = 15_000, pollMs = 1): Promise<net.Socket> => {
  const deadline = now() + timeoutMs
  while (now() < deadline) {
    if (server.hasExited()) throw new Error(`the server exited before accepting connections; its log:\n${server.log()}`)
    const socket = await connect(server.socket).catch(() => undefined)
    if (socket !== undefined) return socket
    await sleep(pollMs)
  }
  throw new Error(`the socket ${server.socket} did not accept connections within ${timeoutMs} ms; log:\n${server.log()}`)
}

/** One request/reply on a raw SigmaVault connection. */
export const sigmavaultRequest = (socket: net.Socket, request: { id: number; op: string; [k: string]: unknown }, timeoutMs = 10_000) =>
  new Promise<any>((resolve, reject) => {
    const decoder = new FrameDecoder(64 * 1024 * 1024)
    const timer = setTimeout(() => done(new Error(`no reply to ${request.op} within ${timeoutMs} ms`)), timeoutMs)
    const onData = (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame._tag !== "Frame") return done(new Error("reply frame too large"))
        const body = decodeBody(frame.body)
        if (body.ok && (body.value as { id?: unknown }).id === request.id) return done(undefined, body.value)
      }
    }
    const onClose = () => done(new Error(`the connection closed before the reply to ${request.op}`))
    const done = (error: Error | undefined, value?: unknown) => {
      clearTimeout(timer)
      socket.removeListener("data", onData)
      socket.removeListener("close", onClose)
      if (error !== undefined) reject(error)
      else resolve(value)
    }
    socket.on("data", onData)
    socket.once("close", onClose)
    socket.write(encodeFrame(request))
  })

/** Agents (leaves) of an `agents` reply, with their lifecycle. */
export const agentLifecycles = (tree: any): Array<{ name: string; lifecycle: string }> =>
  tree?.kind === "agent"
    ? [{ name: String(tree.status?.name), lifecycle: String(tree.status?.lifecycle) }]
    : Array.isArray(tree?.children)
    ? tree.children.flatMap(agentLifecycles)
    : []

/** RESP PING on a raw connection; resolves on `+PONG`. */
export const redisPing = (socket: net.Socket, timeoutMs = 10_000) =>
  new Promise<void>((resolve, reject) => {
    let received = ""
    const timer = setTimeout(() => done(new Error(`no PONG within ${timeoutMs} ms (got ${JSON.stringify(received)})`)), timeoutMs)
    const onData = (chunk: Buffer) => {
      received += chunk.toString("latin1")
      if (received.includes("\r\n")) done(received.startsWith("+PONG") ? undefined : new Error(`redis answered ${JSON.stringify(received)}`))
    }
    const done = (error: Error | undefined) => {
      clearTimeout(timer)
      socket.removeListener("data", onData)
      if (error !== undefined) reject(error)
      else resolve()
    }
    socket.on("data", onData)
    socket.write("*1\r\n$4\r\nPING\r\n")
  })

/** Resident set size of a live process, in kB (VmRSS from /proc/<pid>/status). */
export const rssKb = (pid: number): number | undefined => {
  try {
    const kb = /VmRSS:\s+(\d+)\s*kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]
    return kb === undefined ? undefined : Number(kb)
  } catch {
    return undefined
  }
}
