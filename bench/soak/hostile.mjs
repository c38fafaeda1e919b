// One hostile client behaviour, looped until killed: `node hostile.mjs KIND SOCKET`.
// Plain JavaScript so the soak can run it as its own process (its load must not
// share an event loop with the legitimate client being measured). Prints one
// JSON line of counters every second: connections made, refusals received by code.
import net from "node:net"
import { pack } from "msgpackr"

const [kind, socketPath] = process.argv.slice(2)
const counts = { connections: 0, refused: {}, errors: 0 }
setInterval(() => process.stdout.write(`${JSON.stringify(counts)}\n`), 1_000).unref()

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const frame = (value) => {
  const body = pack(value)
  const out = Buffer.alloc(4 + body.length)
  out.writeUInt32BE(body.length, 0)
  body.copy(out, 4)
  return out
}
const raw = (bytes) => {
  const out = Buffer.alloc(4 + bytes.length)
  out.writeUInt32BE(bytes.length, 0)
  Buffer.from(bytes).copy(out, 4)
  return out
}

/** Connects; counts the refusals (error codes) the daemon sends. */
const open = () =>
  new Promise((resolve) => {
    const socket = net.createConnection(socketPath)
    socket.on("error", () => {
      counts.errors++
      resolve(undefined)
    })
    socket.on("connect", () => {
      counts.connections++
      resolve(socket)
    })
    socket.on("data", (chunk) => {
      for (const code of ["IncompleteFrame", "FrameBudgetExceeded", "IdleTimeout", "TooManyConnections", "TooManySubscriptions", "BadFrame"]) {
        if (chunk.includes(code)) counts.refused[code] = (counts.refused[code] ?? 0) + 1
      }
    })
  })

const behaviours = {
  // Ten thousand requests in one write, never read.
  async burst() {
    const burst = Buffer.concat(Array.from({ length: 10_000 }, (_, id) => frame({ id, op: "agents" })))
    while (true) {
      const socket = await open()
      if (socket === undefined) {
        await sleep(500)
        continue
      }
      socket.pause()
      socket.write(burst)
      await sleep(5_000)
      socket.destroy()
    }
  },
  // Forty subscriptions on one connection, never read.
  async subscribe() {
    while (true) {
      const socket = await open()
      if (socket === undefined) {
        await sleep(500)
        continue
      }
      socket.write(Buffer.concat(Array.from({ length: 40 }, (_, id) => frame({ id, op: "subscribe" }))))
      await sleep(200)
      socket.pause()
      await sleep(10_000)
      socket.destroy()
    }
  },
  // Fifty connections, each a frame header then a byte a second.
  async trickle() {
    while (true) {
      const sockets = (await Promise.all(Array.from({ length: 50 }, open))).filter(Boolean)
      const header = Buffer.alloc(4)
      header.writeUInt32BE(1_000, 0)
      sockets.forEach((s) => s.write(header))
      for (let i = 0; i < 15; i++) {
        await sleep(1_000)
        sockets.forEach((s) => s.writable && s.write(Buffer.from([0x01])))
      }
      sockets.forEach((s) => s.destroy())
    }
  },
  // Fifty connections, each half of a 1 MiB frame.
  async partial() {
    const half = Buffer.alloc(4 + 512 * 1024)
    half.writeUInt32BE(1024 * 1024 - 16, 0)
    while (true) {
      const sockets = (await Promise.all(Array.from({ length: 50 }, open))).filter(Boolean)
      sockets.forEach((s) => s.write(half))
      await sleep(12_000)
      sockets.forEach((s) => s.destroy())
    }
  },
  // msgpack no request should be: extensions, integer and repeated keys, 0xc1, random bytes.
  async garbage() {
    const str = (t) => [0xa0 | t.length, ...Buffer.from(t)]
    const bad = [
      raw([0x82, ...str("id"), 0x01, ...str("op"), 0xd6, 0xff, 0, 0, 0, 1]),
      raw([0x82, 0x01, 0x01, ...str("op"), ...str("agents")]),
      raw([0x83, ...str("id"), 0x01, ...str("id"), 0x02, ...str("op"), ...str("agents")]),
      raw([0xc1])
    ]
    while (true) {
      const socket = await open()
      if (socket === undefined) {
        await sleep(500)
        continue
      }
      for (let i = 0; i < 200 && !socket.destroyed; i++) {
        socket.write(i % 5 === 4 ? raw([...Buffer.from(Array.from({ length: 20 }, () => Math.floor(Math.random() * 256)))]) : bad[i % 4])
        await sleep(5)
      }
      socket.destroy()
    }
  },
  // Five hundred connections held a few seconds, then dropped.
  async connections() {
    while (true) {
      const sockets = (await Promise.all(Array.from({ length: 500 }, open))).filter(Boolean)
      await sleep(3_000)
      sockets.forEach((s) => s.destroy())
      await sleep(500)
    }
  }
}

const behaviour = behaviours[kind]
if (behaviour === undefined) {
  process.stderr.write(`unknown behaviour '${kind}'; one of ${Object.keys(behaviours).join(", ")}\n`)
  process.exit(2)
}
await behaviour()
