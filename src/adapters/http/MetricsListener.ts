/**
 * The opt-in HTTP endpoint Prometheus scrapes (`metrics_listen`): GET and
 * HEAD of /metrics only (404 elsewhere, 405 for any other method), answered
 * with the exposition the daemon asks PRISM for through the actor system —
 * this module never renders metrics itself, it is a transport like the
 * control socket.
 *
 * A minimal HTTP/1.1 server on node:net rather than node:http, so that its
 * limits hold the same under Node and Bun: a request head larger than
 * `maxHeaderBytes` gets 431, a head not complete within `requestTimeoutMs`
 * of its first byte (slowloris) gets 408, a connection idle that long between
 * requests is closed, connections beyond `maxConnections` get 503 at once, a
 * request with a body gets 400; each of those closes the connection.
 * Scrapes that arrive while one is being answered share its answer.
 *
 * Unauthenticated by design (docs/security.md): the daemon refuses a
 * non-loopback address unless the configuration says so explicitly.
 */
import * as net from "node:net"
import { Effect, Schema, type Scope } from "effect"

export interface Exposition {
  readonly contentType: string
  readonly text: string
}

export interface MetricsListenerOptions {
  readonly host: string
  readonly port: number
  /** Connections open at once; more are answered 503 and closed. Default 16. */
  readonly maxConnections?: number
  /** Largest request line plus headers. Default 8192. */
  readonly maxHeaderBytes?: number
  /** A request head must arrive within this time of its first byte; an idle keep-alive connection lasts this long. Default 10000. */
  readonly requestTimeoutMs?: number
  /** The exposition, from PRISM: a reason (as text) when it cannot be had. */
  readonly scrape: (done: (result: Exposition | { readonly failed: string }) => void) => void
}

export interface MetricsListener {
  /** "127.0.0.1:9187" as bound (the port resolved when 0 was asked). */
  readonly address: string
  readonly port: number
  readonly connections: () => number
}

export class MetricsListenError extends Schema.TaggedError<MetricsListenError>()("MetricsListenError", {
  address: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot serve metrics on ${this.address}: ${this.reason}`
  }
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
  503: "Service Unavailable"
}

const HEAD_END = "\r\n\r\n"

/** "[::1]:9187" for IPv6, "127.0.0.1:9187" otherwise. */
export const formatAddress = (host: string, port: number) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`)

export const start = (options: MetricsListenerOptions): Effect.Effect<MetricsListener, MetricsListenError, Scope.Scope> =>
  Effect.gen(function*() {
    const maxConnections = options.maxConnections ?? 16
    const maxHeaderBytes = options.maxHeaderBytes ?? 8192
    const requestTimeoutMs = options.requestTimeoutMs ?? 10_000
    const sockets = new Set<net.Socket>()

    /** Scrapes waiting for the one PRISM is answering. */
    let waiting: Array<(result: Exposition | { readonly failed: string }) => void> | undefined
    const scrape = (done: (result: Exposition | { readonly failed: string }) => void) => {
      if (waiting !== undefined) {
        waiting.push(done)
        return
      }
      const mine = [done]
      waiting = mine
      options.scrape((result) => {
        waiting = undefined
        for (const d of mine) d(result)
      })
    }

    const respond = (socket: net.Socket, status: number, headers: Record<string, string>, body: string, head: boolean, close: boolean) => {
      if (socket.destroyed) return
      const bytes = Buffer.from(body, "utf8")
      const lines = [
        `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? ""}`,
        ...Object.entries({ ...headers, "Content-Length": String(bytes.length), Connection: close ? "close" : "keep-alive" }).map(([k, v]) => `${k}: ${v}`)
      ]
      const headBytes = Buffer.from(`${lines.join("\r\n")}${HEAD_END}`, "latin1")
      // One write: the head and the body leave in the same segments.
      socket.write(head || bytes.length === 0 ? headBytes : Buffer.concat([headBytes, bytes]))
      if (close) {
        socket.end()
        // A client that neither reads nor closes does not keep its slot.
        setTimeout(() => socket.destroy(), requestTimeoutMs).unref()
      }
    }
    const refuse = (socket: net.Socket, status: number, text: string, extra: Record<string, string> = {}) =>
      respond(socket, status, { "Content-Type": "text/plain; charset=utf-8", ...extra }, `${text}\n`, false, true)

    const serve = (socket: net.Socket) => {
      if (sockets.size >= maxConnections) {
        socket.on("error", () => {})
        refuse(socket, 503, `too many connections (at most ${maxConnections})`)
        socket.destroySoon()
        return
      }
      sockets.add(socket)
      socket.setNoDelay(true)
      let buffer = ""
      let busy = false
      let timer: ReturnType<typeof setTimeout> | undefined
      const arm = (status: 408 | undefined) => {
        if (timer !== undefined) clearTimeout(timer)
        timer = setTimeout(() => {
          if (status === undefined) socket.destroy()
          else refuse(socket, 408, `the request did not arrive within ${requestTimeoutMs} ms`)
          setTimeout(() => socket.destroy(), 1000).unref()
        }, requestTimeoutMs)
        timer.unref()
      }
      // Idle until the first byte; then the head must complete in time.
      arm(undefined)
      socket.on("close", () => {
        sockets.delete(socket)
        if (timer !== undefined) clearTimeout(timer)
      })
      socket.on("error", () => socket.destroy())

      const next = () => {
        if (busy || socket.destroyed || socket.writableEnded) return
        const end = buffer.indexOf(HEAD_END)
        if (end === -1) {
          if (buffer.length > maxHeaderBytes) {
            buffer = ""
            refuse(socket, 431, `the request head is longer than ${maxHeaderBytes} bytes`)
          }
          return
        }
        if (end + HEAD_END.length > maxHeaderBytes) {
          buffer = ""
          refuse(socket, 431, `the request head is longer than ${maxHeaderBytes} bytes`)
          return
        }
        const head = buffer.slice(0, end)
        buffer = buffer.slice(end + HEAD_END.length)
        const [requestLine = "", ...headerLines] = head.split("\r\n")
        const request = /^([A-Z]+) (\S+) HTTP\/1\.([01])$/.exec(requestLine)
        if (request === null) return refuse(socket, 400, "not an HTTP/1.x request line")
        const [, method, target, minor] = request as unknown as [string, string, string, string]
        const headers = new Map<string, string>()
        for (const line of headerLines) {
          const colon = line.indexOf(":")
          if (colon <= 0) return refuse(socket, 400, "a malformed header line")
          headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
        }
        if (method !== "GET" && method !== "HEAD") return refuse(socket, 405, `${method} is not allowed here; use GET`, { Allow: "GET, HEAD" })
        if (headers.has("transfer-encoding") || (headers.get("content-length") ?? "0") !== "0") {
          return refuse(socket, 400, "a request to this endpoint has no body")
        }
        const path = target.split("?")[0]
        if (path !== "/metrics") return refuse(socket, 404, "not found: the metrics are at /metrics")
        const connection = (headers.get("connection") ?? "").toLowerCase()
        const close = minor === "0" ? connection !== "keep-alive" : connection === "close"
        busy = true
        if (timer !== undefined) clearTimeout(timer)
        scrape((result) => {
          busy = false
          if ("failed" in result) {
            refuse(socket, 503, `the metrics cannot be had: ${result.failed}`)
            return
          }
          respond(socket, 200, { "Content-Type": result.contentType }, result.text, method === "HEAD", close)
          if (close) return
          arm(buffer.length > 0 ? 408 : undefined)
          next()
        })
      }

      socket.on("data", (chunk: Buffer) => {
        if (buffer.length === 0 && !busy) arm(408)
        // latin1: one character per byte, so lengths are byte counts; only the head is read.
        buffer += chunk.toString("latin1")
        // Requests sent ahead while one is answered are kept up to a bound, not without end.
        if (busy && buffer.length > 4 * maxHeaderBytes) {
          socket.destroy()
          return
        }
        if (buffer.length > maxHeaderBytes + HEAD_END.length && buffer.indexOf(HEAD_END) === -1) {
          buffer = ""
          refuse(socket, 431, `the request head is longer than ${maxHeaderBytes} bytes`)
          return
        }
        next()
      })
    }

    const server = net.createServer({ allowHalfOpen: false }, serve)
    const wanted = formatAddress(options.host, options.port)
    const port = yield* Effect.callback<number, MetricsListenError>((resume) => {
      const onError = (error: NodeJS.ErrnoException) =>
        resume(Effect.fail(new MetricsListenError({ address: wanted, reason: error.code === "EADDRINUSE" ? "the address is in use" : error.message })))
      server.once("error", onError)
      server.listen({ host: options.host, port: options.port }, () => {
        server.off("error", onError)
        const address = server.address()
        resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : options.port))
      })
    })
    yield* Effect.addFinalizer(() =>
      Effect.callback<void>((resume) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resume(Effect.void))
      })
    )
    server.on("error", () => {})
    return { address: formatAddress(options.host, port), port, connections: () => sockets.size }
  })
