/**
 * The control socket's `watch` op (STREAM's topics): events stream as frames
 * with their topic; a client that does not read loses exactly what overflowed
 * its buffer, and is told how many, when, and between which events.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { streamAgent } from "../../../src/actors/stream/index.ts"
import * as ControlServer from "../../../src/adapters/socket/ControlServer.ts"
import { decodeBody, encodeFrame, FrameDecoder } from "../../../src/protocol/Frame.ts"
import { make } from "../../../src/runtime/ActorSystem.ts"
import * as Gate from "../../../src/runtime/Gate.ts"
import { ROOT, tree } from "../../support/agents.ts"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sigmavault-watch-${process.pid}-`))
process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }))

const serve = (name: string) =>
  Effect.gen(function*() {
    const system = yield* make({ root: tree("T", "one_for_one", [streamAgent]) })
    const socketPath = path.join(dir, `${name}.sock`)
    yield* ControlServer.start(system, {
      socketPath,
      mode: 0o600,
      gid: undefined,
      maxFrameBytes: 1024 * 1024,
      maxConnections: 16,
      clientBufferEvents: 256,
      defaultAskTimeoutMs: 5_000,
      daemonInfo: () => ({ version: "test", pid: process.pid, uptimeSeconds: 0, socket: socketPath, connections: 0, rssBytes: 0, eventLoopLagMs: 0 }),
      peers: { of: () => Result.succeed(ROOT) },
      gate: Gate.open
    })
    return { system, socketPath }
  })

/** A raw client: frames in, decoded values out, reading paused until asked. */
const rawClient = (socketPath: string) =>
  Effect.acquireRelease(
    Effect.callback<{ socket: net.Socket; frames: Array<Record<string, unknown>> }>((resume) => {
      const socket = net.createConnection(socketPath)
      const frames: Array<Record<string, unknown>> = []
      const decoder = new FrameDecoder(16 * 1024 * 1024)
      socket.on("data", (chunk: Buffer) => {
        for (const event of decoder.push(chunk)) {
          if (event._tag !== "Frame") continue
          const body = decodeBody(event.body)
          if (body.ok) frames.push(body.value as Record<string, unknown>)
        }
      })
      socket.once("connect", () => resume(Effect.succeed({ socket, frames })))
    }),
    ({ socket }) => Effect.sync(() => socket.destroy())
  )

const until = (what: string, done: () => boolean, ms = 20_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + ms
    while (!done()) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for ${what}`))
      yield* Effect.sleep(5)
    }
  })

const alert = (i: number) => ({ _tag: "Alert" as const, agent: "T", severity: "warning" as const, subject: "s", text: `alert ${i}` })

describe("the control socket's watch op", () => {
  it.live("streams the topics' events with their topic, and nothing else", () =>
    Effect.gen(function*() {
      const { system, socketPath } = yield* serve("topics")
      const client = yield* rawClient(socketPath)
      client.socket.write(encodeFrame({ id: 1, op: "watch", topics: ["alerts", "incidents"], buffer: 8 }))
      yield* until("the watch reply", () => client.frames.some((f) => f.id === 1))
      assert.deepStrictEqual(client.frames[0], {
        id: 1,
        ok: true,
        result: { subscription: 1, topics: ["alerts", "incidents"], tags: ["Alert", "Incident"], buffer: 8 }
      })
      yield* system.inspection.publish({ _tag: "Progress", agent: "T", job: "j", done: 1, unit: "bytes" })
      yield* system.inspection.publish(alert(1))
      yield* system.inspection.publish({
        _tag: "Incident",
        agent: "NEXUS",
        id: "i1",
        state: "opened",
        severity: "critical",
        subject: "pool tank",
        title: "pool tank degraded",
        alerts: 2
      })
      yield* until("two events", () => client.frames.length >= 3)
      yield* Effect.sleep(50)
      const pushed = client.frames.slice(1).map((f) => [f.topic, (f.event as { _tag: string })._tag])
      assert.deepStrictEqual(pushed, [["alerts", "Alert"], ["incidents", "Incident"]])
      // It is listed by STREAM, as the socket's, with its buffer.
      const listed = system.subscriptions()
      assert.deepInclude(listed[0]!, { transport: "socket", topics: ["alerts", "incidents"], capacity: 8, delivered: 2, lost: 0 })
      client.socket.write(encodeFrame({ id: 2, op: "unsubscribe", subscription: 1 }))
      yield* until("the unsubscribe reply", () => client.frames.some((f) => f.id === 2))
      assert.strictEqual(system.subscriptions().length, 0)
      client.socket.write(encodeFrame({ id: 3, op: "watch", topics: ["gossip"] }))
      yield* until("the refusal", () => client.frames.some((f) => f.id === 3))
      const refusal = client.frames.find((f) => f.id === 3) as { ok: boolean; error: { code: string; message: string } }
      assert.isFalse(refusal.ok)
      assert.strictEqual(refusal.error.code, "BadRequest")
      assert.match(refusal.error.message, /topics/)
    }).pipe(Effect.scoped))

  it.live("a reader that does not read loses exactly the overflow, and is told how many, when and between which events", () =>
    Effect.gen(function*() {
      const { system, socketPath } = yield* serve("slow")
      const client = yield* rawClient(socketPath)
      client.socket.write(encodeFrame({ id: 1, op: "watch", topics: ["alerts"], buffer: 16 }))
      yield* until("the watch reply", () => client.frames.some((f) => f.id === 1))
      client.socket.pause()
      // Far more than the kernel's socket buffers hold, published in batches so the pump runs in between.
      const total = 40_000
      const before = Date.now()
      for (let i = 1; i <= total; i++) {
        yield* system.inspection.publish(alert(i))
        if (i % 200 === 0) yield* Effect.sleep(1)
      }
      client.socket.resume()
      const events = () => client.frames.filter((f) => "event" in f)
      const losses = () => client.frames.filter((f) => "lost" in f) as Array<{ lost: number; total: number; at: number; afterSeq: number; beforeSeq: number }>
      const accounted = () => events().length + losses().reduce((sum, f) => sum + f.lost, 0)
      yield* until("every event delivered or counted lost", () => accounted() >= total)
      yield* Effect.sleep(100)
      assert.strictEqual(accounted(), total)
      assert.isAbove(losses().length, 0, "the slow reader lost events and was told")
      assert.isAbove(events().length, 16, "what the kernel and the buffer held was delivered")
      // Each loss frame: exactly the events missing between the last delivered and the next.
      let lastSeq = 0
      let running = 0
      let expectedNext: number | undefined
      for (const frame of client.frames.slice(1)) {
        if ("lost" in frame) {
          const loss = frame as unknown as { lost: number; total: number; at: number; afterSeq: number; beforeSeq: number }
          running += loss.lost
          assert.strictEqual(loss.total, running)
          assert.strictEqual(loss.afterSeq, lastSeq)
          // Alerts only were published, so their numbers are consecutive: the gap is exactly the loss.
          assert.strictEqual(loss.beforeSeq - loss.afterSeq - 1, loss.lost)
          assert.isAtLeast(loss.at, before)
          expectedNext = loss.beforeSeq
          continue
        }
        const seq = (frame.event as { seq: number }).seq
        if (lastSeq !== 0) assert.strictEqual(seq, expectedNext ?? lastSeq + 1, "no gap goes untold")
        lastSeq = seq
        expectedNext = undefined
      }
      const listed = system.subscriptions()[0]!
      assert.strictEqual(listed.lost, running)
      assert.strictEqual(listed.delivered, events().length)
    }).pipe(Effect.scoped), { timeout: 60_000 })

  it.live("a reader that keeps up loses nothing", () =>
    Effect.gen(function*() {
      const { system, socketPath } = yield* serve("fast")
      const client = yield* rawClient(socketPath)
      client.socket.write(encodeFrame({ id: 1, op: "watch", topics: ["alerts"], buffer: 64 }))
      yield* until("the watch reply", () => client.frames.some((f) => f.id === 1))
      for (let i = 1; i <= 2_000; i++) {
        yield* system.inspection.publish(alert(i))
        if (i % 32 === 0) yield* Effect.sleep(1)
      }
      yield* until("every event", () => client.frames.filter((f) => "event" in f).length >= 2_000)
      assert.strictEqual(client.frames.filter((f) => "lost" in f).length, 0)
    }).pipe(Effect.scoped), { timeout: 60_000 })
})
