/**
 * Fuzzing the control socket of the real binary: random byte streams and
 * random well-framed junk for a bounded time, many connections, then the
 * daemon must still answer and its memory must have stayed bounded.
 */
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { encodeFrame } from "../../src/protocol/Frame.ts"
import { cli, connectRaw, type Daemon, startDaemon } from "./harness.ts"

const FUZZ_MS = Number(process.env.SIGMAVAULT_FUZZ_MS ?? 6_000)

const frameOf = (body: Uint8Array) => {
  const header = Buffer.alloc(4)
  header.writeUInt32BE(body.length)
  return Buffer.concat([header, body])
}

const junk = fc.oneof(
  // raw bytes: random lengths, random content
  fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)),
  // well-framed random bytes
  fc.uint8Array({ maxLength: 2048 }).map(frameOf),
  // well-framed msgpack of random values (mostly not requests)
  fc.anything().map((v) => encodeFrame(v)),
  // near-requests: right keys, random values
  fc.record({
    id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
    op: fc.constantFrom("tell", "ask", "agents", "status", "subscribe", "unsubscribe", "watch", "nope"),
    agent: fc.oneof(fc.constantFrom("CORE", "ORBIT", "NOPE", "../etc", ""), fc.string()),
    topics: fc.oneof(fc.array(fc.constantFrom("alerts", "metrics", "lifecycle", "gossip", "")), fc.anything()),
    buffer: fc.oneof(fc.integer(), fc.double(), fc.string()),
    message: fc.oneof(fc.jsonValue(), fc.record({ type: fc.constantFrom("ping", "facts", "add", "check") }, { requiredKeys: [] }))
  }, { requiredKeys: [] }).map((v) => encodeFrame(v)),
  // lying length prefixes
  fc.nat().map((n) => frameOf(Buffer.alloc(0)).fill(0).map((_, i) => (i < 4 ? (n >>> (24 - 8 * i)) & 0xff : 0)))
)

describe("fuzzing the control socket", () => {
  let daemon: Daemon
  beforeAll(async () => {
    daemon = await startDaemon({ args: ["--log-level", "error"] })
  })
  afterAll(async () => {
    daemon.process.kill("SIGTERM")
    await daemon.exited
  })

  it(`random streams for ${FUZZ_MS} ms leave the daemon answering with bounded memory`, async () => {
    const rssBefore = daemon.rssKb()
    const until = Date.now() + FUZZ_MS
    let streams = 0
    await fc.assert(
      fc.asyncProperty(fc.array(junk, { minLength: 1, maxLength: 20 }), async (chunks) => {
        if (Date.now() > until) return
        streams++
        const socket = await connectRaw(daemon.socket)
        socket.on("error", () => {})
        socket.on("data", () => {})
        for (const chunk of chunks) socket.write(chunk)
        await new Promise((r) => setTimeout(r, 2))
        socket.destroy()
      }),
      { numRuns: 1_000_000, interruptAfterTimeLimit: FUZZ_MS, markInterruptAsFailure: false }
    )
    expect(streams).toBeGreaterThan(50)
    const answer = await cli(["ask", "CORE", '{"type":"ping"}', "--json", "--socket", daemon.socket])
    expect(answer.code).toBe(0)
    expect(JSON.parse(answer.stdout)).toMatchObject({ type: "pong", agent: "CORE" })
    const status = JSON.parse((await cli(["status", "--json", "--socket", daemon.socket])).stdout)
    expect(status.summary.running).toBe(40)
    expect(daemon.rssKb() - rssBefore).toBeLessThan(64 * 1024)
  })
})
