/**
 * A small closed-loop load generator for Unix stream sockets. It opens
 * `clients` connections and keeps `depth` requests in flight on each one for
 * a fixed time: every reply immediately releases the next request (replies
 * read in one chunk are answered by one write). Latency is per request, send
 * to reply, with performance.now(). Replies after the warm-up and before the
 * end count towards throughput; latencies count for requests both sent and
 * answered inside that window.
 *
 * The wire format is a `Codec`, so the same generator drives the SigmaVault
 * control socket (length-prefixed msgpack) and redis (RESP): the client side
 * of both measurements is the same code on the same runtime.
 */
import { readFileSync } from "node:fs"
import * as net from "node:net"
import { Unpackr } from "msgpackr"
import { encodeFrame, FrameDecoder } from "../../src/protocol/Frame.ts"
import { now, round } from "../support.ts"

/** Ids on one connection are 0, 1, 2, ... in send order. */
export interface Codec {
  readonly name: string
  readonly encode: (id: number) => Buffer
  /** A parser for one connection: feed it what the socket read; it reports each complete reply. */
  readonly parser: (reply: (id: number, error: string | undefined) => void) => (chunk: Buffer) => void
}

/** RESP `PING` → `+PONG`. Replies come in order, so the n-th reply answers request n. */
export const respPing: Codec = (() => {
  const ping = Buffer.from("*1\r\n$4\r\nPING\r\n")
  return {
    name: "RESP PING",
    encode: () => ping,
    parser: (reply) => {
      let next = 0
      let atLineStart = true
      let first = 0
      return (chunk) => {
        for (let i = 0; i < chunk.length; i++) {
          const byte = chunk[i]!
          if (atLineStart) {
            first = byte
            atLineStart = false
          }
          if (byte === 0x0a) {
            // Each PING reply is one simple-string line: "+PONG" or an error line "-ERR ...".
            reply(next++, first === 0x2b ? undefined : `redis replied with a '${String.fromCharCode(first)}' line`)
            atLineStart = true
          }
        }
      }
    }
  }
})()

/** SigmaVault `ask` of `message` to `agent`; replies may come out of order and are matched by id. */
export const sigmavaultAsk = (agent: string, message: unknown): Codec => {
  const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true })
  return {
    name: `SigmaVault ask ${agent} ${JSON.stringify(message)}`,
    encode: (id) => encodeFrame({ id, op: "ask", agent, message }),
    parser: (reply) => {
      const decoder = new FrameDecoder(16 * 1024 * 1024)
      return (chunk) => {
        for (const frame of decoder.push(chunk)) {
          if (frame._tag !== "Frame") throw new Error(`reply frame of ${frame.length} bytes exceeds ${frame.max}`)
          const value = unpackr.unpack(frame.body) as {
            id?: number | null
            ok?: boolean
            error?: { code?: string; message?: string }
          }
          if (typeof value.id !== "number") continue // pushed event or unreadable request: not a reply
          reply(value.id, value.ok === true ? undefined : `${value.error?.code ?? "?"}: ${value.error?.message ?? ""}`)
        }
      }
    }
  }
}

export interface LoadOptions {
  readonly socketPath: string
  readonly codec: Codec
  readonly clients: number
  readonly depth: number
  readonly warmupMs: number
  readonly durationMs: number
  /** When given, the server's CPU time (utime + stime from /proc) over the window is reported per request. */
  readonly serverPid?: number | undefined
  /** How long to wait for outstanding replies after the end before giving up on them. */
  readonly drainMs?: number
}

export interface LoadResult {
  readonly clients: number
  readonly depth: number
  readonly rps: number
  readonly p50Us: number
  readonly p99Us: number
  readonly replies: number
  readonly latencySamples: number
  readonly errors: number
  /** Up to five distinct error messages, with counts. */
  readonly errorSamples: Record<string, number>
  /** Requests still unanswered `drainMs` after the end. */
  readonly unanswered: number
  readonly connectionErrors: Array<string>
  readonly serverCpuUsPerReq: number | undefined
  readonly clientCpuUsPerReq: number
}

const CLK_TCK = 100 // Linux USER_HZ; `getconf CLK_TCK` is 100 on every mainstream kernel config

/** utime + stime of a process, in microseconds (10 ms resolution). */
export const processCpuUs = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    // After "pid (comm) ", field 3 (state) is index 0, so utime (14) and stime (15) are indexes 11 and 12.
    return (Number(fields[11]) + Number(fields[12])) * (1_000_000 / CLK_TCK)
  } catch {
    return undefined
  }
}

const MAX_SAMPLES = 4_000_000

const connect = (socketPath: string) =>
  new Promise<net.Socket>((resolve, reject) => {
    const socket = net.createConnection(socketPath)
    socket.once("connect", () => {
      socket.removeListener("error", reject)
      resolve(socket)
    })
    socket.once("error", reject)
  })

export const runLoad = async (options: LoadOptions): Promise<LoadResult> => {
  const { codec, clients, depth, warmupMs, durationMs } = options
  const drainMs = options.drainMs ?? 5_000
  const sockets = await Promise.all(Array.from({ length: clients }, () => connect(options.socketPath)))

  const samples = new Float64Array(MAX_SAMPLES)
  let sampleCount = 0
  let replies = 0
  let errors = 0
  let outstanding = 0
  const errorSamples: Record<string, number> = {}
  const connectionErrors: Array<string> = []

  const t0 = now()
  const windowStart = t0 + warmupMs
  const windowEnd = windowStart + durationMs
  let sending = true

  let drained: () => void = () => {}
  const allDrained = new Promise<void>((resolve) => (drained = resolve))

  for (const socket of sockets) {
    const sentAt = new Map<number, number>()
    let nextId = 0
    let releasable = 0
    const send = (count: number) => {
      if (count === 0) return
      const t = now()
      const parts: Array<Buffer> = []
      for (let i = 0; i < count; i++) {
        const id = nextId++
        sentAt.set(id, t)
        parts.push(codec.encode(id))
      }
      outstanding += count
      socket.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts))
    }
    const parse = codec.parser((id, error) => {
      const t = now()
      const sent = sentAt.get(id)
      if (sent === undefined) return
      sentAt.delete(id)
      outstanding--
      if (t >= windowStart && t <= windowEnd) {
        replies++
        if (sent >= windowStart && sampleCount < MAX_SAMPLES) samples[sampleCount++] = (t - sent) * 1000
      }
      if (error !== undefined) {
        errors++
        if (errorSamples[error] !== undefined || Object.keys(errorSamples).length < 5) {
          errorSamples[error] = (errorSamples[error] ?? 0) + 1
        }
      }
      releasable++
    })
    socket.on("data", (chunk: Buffer) => {
      releasable = 0
      parse(chunk)
      if (sending && now() < windowEnd) send(releasable)
      if (!sending && outstanding === 0) drained()
    })
    socket.on("error", (error) => connectionErrors.push(error.message))
    socket.on("close", () => {
      // Requests on a closed connection will never be answered.
      outstanding -= sentAt.size
      sentAt.clear()
      if (!sending && outstanding <= 0) drained()
    })
    send(depth)
  }

  await new Promise((r) => setTimeout(r, Math.max(0, windowStart - now())))
  const serverCpuStart = options.serverPid === undefined ? undefined : processCpuUs(options.serverPid)
  const clientCpuStart = process.cpuUsage()
  await new Promise((r) => setTimeout(r, Math.max(0, windowEnd - now())))
  const serverCpuEnd = options.serverPid === undefined ? undefined : processCpuUs(options.serverPid)
  const clientCpu = process.cpuUsage(clientCpuStart)
  sending = false
  if (outstanding > 0) await Promise.race([allDrained, new Promise((r) => setTimeout(r, drainMs))])
  const unanswered = Math.max(0, outstanding)
  for (const socket of sockets) socket.destroy()

  const sorted = samples.subarray(0, sampleCount).sort()
  const at = (q: number) => (sampleCount === 0 ? 0 : sorted[Math.min(sampleCount - 1, Math.floor(q * sampleCount))]!)
  const serverCpu = serverCpuStart !== undefined && serverCpuEnd !== undefined ? serverCpuEnd - serverCpuStart : undefined
  return {
    clients,
    depth,
    rps: Math.round(replies / (durationMs / 1000)),
    p50Us: round(at(0.5), 1),
    p99Us: round(at(0.99), 1),
    replies,
    latencySamples: sampleCount,
    errors,
    errorSamples,
    unanswered,
    connectionErrors: [...new Set(connectionErrors)].slice(0, 5),
    serverCpuUsPerReq: serverCpu === undefined || replies === 0 ? undefined : round(serverCpu / replies, 2),
    clientCpuUsPerReq: replies === 0 ? 0 : round((clientCpu.user + clientCpu.system) / replies, 2)
  }
}
