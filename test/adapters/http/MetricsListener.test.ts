/**
 * The metrics listener over real TCP on loopback: GET and HEAD of /metrics
 * answered with what the scrape callback gives, keep-alive honoured, and
 * every hostile request refused with the right status and the connection
 * closed — a bad method (405), another path (404), a body (400), a head too
 * long (431), a head that never completes (408), one connection too many
 * (503) — while the listener keeps serving.
 */
import * as net from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import * as MetricsListener from "../../../src/adapters/http/MetricsListener.ts"

const EXPOSITION = "# HELP x An example.\n# TYPE x gauge\nx 1\n"

/** Sends `data` (pieces written in turn) and collects everything until the server closes, or until `untilBytes` arrived. */
const exchange = (port: number, data: ReadonlyArray<string>, options: { readonly untilBytes?: number; readonly keepOpen?: boolean } = {}) =>
  Effect.callback<string>((resume) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    let got = ""
    const finish = () => {
      socket.destroy()
      resume(Effect.succeed(got))
    }
    socket.on("connect", () => {
      for (const piece of data) socket.write(piece)
    })
    socket.on("data", (chunk) => {
      got += chunk.toString("utf8")
      if (options.untilBytes !== undefined && got.length >= options.untilBytes) finish()
    })
    socket.on("close", finish)
    socket.on("error", finish)
    return Effect.sync(() => socket.destroy())
  })

const listen = (overrides: Partial<MetricsListener.MetricsListenerOptions> = {}) => {
  const calls = { n: 0 }
  return Effect.map(
    MetricsListener.start({
      host: "127.0.0.1",
      port: 0,
      requestTimeoutMs: 300,
      scrape: (done) => {
        calls.n++
        setTimeout(() => done({ contentType: "text/plain; version=0.0.4; charset=utf-8", text: EXPOSITION }), 20)
      },
      ...overrides
    }),
    (listener) => ({ listener, calls })
  )
}

const GET = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

describe("the metrics listener", () => {
  it.live("GET /metrics: 200 with the exposition; HEAD: the same head, no body; keep-alive serves two requests on one connection", () =>
    Effect.scoped(Effect.gen(function*() {
      const { listener } = yield* listen()
      const get = yield* exchange(listener.port, [GET])
      assert.match(get, /^HTTP\/1\.1 200 OK\r\n/)
      assert.include(get, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n")
      assert.include(get, `Content-Length: ${EXPOSITION.length}\r\n`)
      assert.isTrue(get.endsWith(`\r\n\r\n${EXPOSITION}`))
      const head = yield* exchange(listener.port, ["HEAD /metrics?x=1 HTTP/1.1\r\nConnection: close\r\n\r\n"])
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/)
      assert.include(head, `Content-Length: ${EXPOSITION.length}\r\n`)
      assert.isTrue(head.endsWith("\r\n\r\n"))
      const twice = yield* exchange(listener.port, ["GET /metrics HTTP/1.1\r\n\r\nGET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n"])
      assert.strictEqual(twice.match(/HTTP\/1\.1 200 OK/g)?.length, 2)
    })))

  it.live("refuses a bad method (405, Allow), another path (404), a body (400), garbage (400)", () =>
    Effect.scoped(Effect.gen(function*() {
      const { calls, listener } = yield* listen()
      const post = yield* exchange(listener.port, ["POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n"])
      assert.match(post, /^HTTP\/1\.1 405 Method Not Allowed\r\n/)
      assert.include(post, "Allow: GET, HEAD\r\n")
      assert.match(yield* exchange(listener.port, ["GET / HTTP/1.1\r\n\r\n"]), /^HTTP\/1\.1 404 /)
      assert.match(yield* exchange(listener.port, ["GET /metrics/../etc HTTP/1.1\r\n\r\n"]), /^HTTP\/1\.1 404 /)
      assert.match(yield* exchange(listener.port, ["GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"]), /^HTTP\/1\.1 400 /)
      assert.match(yield* exchange(listener.port, ["\x16\x03\x01 hello\r\n\r\n"]), /^HTTP\/1\.1 400 /)
      assert.strictEqual(calls.n, 0, "nothing was scraped for a refused request")
      assert.match(yield* exchange(listener.port, [GET]), /^HTTP\/1\.1 200 /)
    })))

  it.live("a head too long gets 431; a head that never completes gets 408; both close, and the listener still serves", () =>
    Effect.scoped(Effect.gen(function*() {
      const { listener } = yield* listen({ maxHeaderBytes: 1024 })
      const long = yield* exchange(listener.port, [`GET /metrics HTTP/1.1\r\nX-Long: ${"a".repeat(4096)}\r\n\r\n`])
      assert.match(long, /^HTTP\/1\.1 431 /)
      const endless = yield* exchange(listener.port, [`GET /metrics HTTP/1.1\r\n${"X-A: b\r\n".repeat(500)}`])
      assert.match(endless, /^HTTP\/1\.1 431 /)
      // Slowloris: a head begun and never finished.
      const slow = yield* exchange(listener.port, ["GET /metrics HTTP/1.1\r\nHost: x\r\n"])
      assert.match(slow, /^HTTP\/1\.1 408 /)
      for (let i = 0; i < 100 && listener.connections() > 0; i++) yield* Effect.sleep(10)
      assert.strictEqual(listener.connections(), 0, "every refused connection was closed")
      assert.match(yield* exchange(listener.port, [GET]), /^HTTP\/1\.1 200 /)
    })))

  it.live("connections beyond the limit get 503 at once; concurrent scrapes share one answer", () =>
    Effect.scoped(Effect.gen(function*() {
      const { calls, listener } = yield* listen({ maxConnections: 2, requestTimeoutMs: 2000 })
      const held = yield* Effect.forEach([1, 2], () =>
        Effect.callback<net.Socket>((resume) => {
          const socket = net.connect({ host: "127.0.0.1", port: listener.port }, () => resume(Effect.succeed(socket)))
        }))
      yield* Effect.addFinalizer(() => Effect.sync(() => held.forEach((s) => s.destroy())))
      for (let i = 0; i < 50 && listener.connections() < 2; i++) yield* Effect.sleep(10)
      assert.match(yield* exchange(listener.port, [GET]), /^HTTP\/1\.1 503 /)
      held.forEach((s) => s.destroy())
      for (let i = 0; i < 50 && listener.connections() > 0; i++) yield* Effect.sleep(10)
      const answers = yield* Effect.all([exchange(listener.port, [GET]), exchange(listener.port, [GET])], { concurrency: "unbounded" })
      for (const a of answers) assert.match(a, /^HTTP\/1\.1 200 /)
      assert.strictEqual(calls.n, 1)
    })))

  it.live("property: any bytes get a refusal or an answer, never a crash, and the listener keeps serving", () =>
    Effect.scoped(Effect.gen(function*() {
      const { listener } = yield* listen({ requestTimeoutMs: 200, maxHeaderBytes: 512 })
      const line = fc.oneof(
        fc.constantFrom("GET /metrics HTTP/1.1", "HEAD /metrics HTTP/1.0", "POST / HTTP/1.1", "GET /metrics HTTP/2.0", "GET  /metrics HTTP/1.1", "get /metrics http/1.1"),
        fc.string({ unit: "binary", maxLength: 80 })
      )
      const header = fc.oneof(
        fc.constantFrom("Host: x", "Connection: close", "Content-Length: 3", "Content-Length: -1", "Transfer-Encoding: chunked", ": empty", "NoColon"),
        fc.string({ unit: "binary", maxLength: 120 })
      )
      const request = fc.tuple(line, fc.array(header, { maxLength: 8 }), fc.boolean(), fc.string({ unit: "binary", maxLength: 600 }))
        .map(([l, hs, finished, tail]) => `${l}\r\n${hs.join("\r\n")}${finished ? "\r\n\r\n" : ""}${tail}`)
      const inputs = fc.sample(request, { numRuns: 60, seed: 19 })
      const answers = yield* Effect.forEach(inputs, (input) => exchange(listener.port, [input]), { concurrency: 4 })
      // An answer with a status line, or (a connection that sent nothing, or too much ahead) none: closed.
      for (const answer of answers) assert.match(answer, /^(HTTP\/1\.1 (200|400|404|405|408|431) [^\r]*\r\n|$)/)
      assert.isTrue(answers.some((a) => a.startsWith("HTTP/1.1 200")) && answers.some((a) => a.startsWith("HTTP/1.1 400")))
      for (let i = 0; i < 100 && listener.connections() > 0; i++) yield* Effect.sleep(10)
      assert.strictEqual(listener.connections(), 0)
      assert.match(yield* exchange(listener.port, [GET]), /^HTTP\/1\.1 200 /)
    })))

  it.live("a scrape that fails is a 503 naming why", () =>
    Effect.scoped(Effect.gen(function*() {
      const { listener } = yield* listen({ scrape: (done) => done({ failed: "PRISM is restarting" }) })
      const answer = yield* exchange(listener.port, [GET])
      assert.match(answer, /^HTTP\/1\.1 503 /)
      assert.include(answer, "PRISM is restarting")
    })))

  it.live("an address in use is a clear error", () =>
    Effect.scoped(Effect.gen(function*() {
      const { listener } = yield* listen()
      const error = yield* Effect.flip(MetricsListener.start({ host: "127.0.0.1", port: listener.port, scrape: () => {} }))
      assert.strictEqual(error.message, `cannot serve metrics on 127.0.0.1:${listener.port}: the address is in use`)
    })))
})
