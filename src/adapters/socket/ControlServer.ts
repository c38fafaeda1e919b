/**
 * The control socket: a Unix stream socket speaking length-prefixed msgpack
 * frames (docs/protocol.md). Each connection decodes frames incrementally,
 * answers requests as they complete (pipelined, out of order), and streams
 * inspection events to its subscriptions through a bounded outbound budget:
 * a client that does not read loses events (and is told how many) instead of
 * growing the daemon's memory or slowing the agents.
 *
 * Bad input never reaches past its connection: framing errors (an oversized
 * or never-completed frame) get an error reply and the connection is closed;
 * a body that is not msgpack, a request of the wrong shape, an unknown op or
 * agent, or a message its agent refuses gets an error reply and the
 * connection stays open.
 */
import * as fs from "node:fs/promises"
import * as net from "node:net"
import * as path from "node:path"
import { Cause, Effect, Exit, Result, Schema, Scope } from "effect"
import type { ActorSystem } from "../../runtime/ActorSystem.ts"
import { type Caller, describeCaller } from "../../runtime/Caller.ts"
import type { Gate } from "../../runtime/Gate.ts"
import type { InspectionEvent } from "../../runtime/Inspection.ts"
import { DEFAULT_TOPIC_BUFFER, topicOf, TOPICS } from "../../runtime/Topics.ts"
import { decodeBody, encodeFrame, FrameBatch, FrameDecoder } from "../../protocol/Frame.ts"
import { type DaemonStatus, type ErrorBody, OP_ACCESS, parseRequest, type Reply, type Request } from "../../protocol/Requests.ts"
import type { PeerCredentialsShape } from "./PeerCredentials.ts"

/** What the daemon says of itself in `status`, besides the summary and the agents. */
export type DaemonInfo = Omit<DaemonStatus, "summary" | "agents">

export interface ControlServerOptions {
  readonly socketPath: string
  /** File mode of the socket, e.g. 0o660. */
  readonly mode: number
  /** Group id that may use the socket; undefined keeps the daemon's group. */
  readonly gid: number | undefined
  readonly maxFrameBytes: number
  /** Connections open at once; the last `reservedAdminConnections` of them only for admin callers. */
  readonly maxConnections: number
  /** Slots of `maxConnections` kept for admin callers (root): an operator can always get in. Default 8 (at most an eighth). */
  readonly reservedAdminConnections?: number
  /** Events a connection may have unread, over all its subscriptions, before it loses the newest ones. */
  readonly clientBufferEvents: number
  readonly defaultAskTimeoutMs: number
  /** A frame must complete within this time of its first byte. Default 10000. */
  readonly frameTimeoutMs?: number
  /** A connection with nothing in flight, no subscription and no traffic for this long is closed. Default 300000. */
  readonly idleTimeoutMs?: number
  /** The daemon's own fields of the `status` op (version, pid, uptime…). */
  readonly daemonInfo: () => DaemonInfo
  /** Who is connected: the kernel's word for it (PeerCredentialsLive), or a test's. */
  readonly peers: PeerCredentialsShape
  /** Who may use which op; the agents' messages are checked by the actor system behind the same gate. */
  readonly gate: Gate
}

export class ControlSocketError extends Schema.TaggedError<ControlSocketError>()("ControlSocketError", {
  socketPath: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `control socket ${this.socketPath}: ${this.reason}`
  }
}

export interface ControlServer {
  readonly connections: () => number
}

/** Replies a client leaves unread beyond this are a client that does not read: it is disconnected. */
export const MAX_UNREAD_REPLY_BYTES = 16 * 1024 * 1024
/** Past this many reply bytes unread, the connection's requests wait (reading pauses) until the client reads. */
export const READ_PAUSE_BYTES = 1024 * 1024
/** Requests of one connection being served at once; more wait, unread, in the socket. */
export const MAX_IN_FLIGHT = 1024
/** Frames of one `watch` written to the socket and not yet taken by the kernel; past this its events wait in its buffer. */
export const WATCH_WINDOW = 64
/** Subscriptions one connection may hold. */
export const MAX_SUBSCRIPTIONS = 32
/** Bytes of unfinished frames the daemon holds over all connections: the larger of this and 4 frames. */
const PARTIAL_FRAME_BUDGET = 16 * 1024 * 1024
/** How long a refused connection's further bytes are read and dropped before it is closed. */
const LINGER_MS = 1_000
/** At most this much of a refused connection's further bytes is read and dropped. */
const LINGER_BYTES = 256 * 1024
/** How often connections are checked for idleness. */
const SWEEP_EVERY_MS = 1_000

/** A tagged error as the wire carries it: its tag, its text, and its fields (a Rejected's typed rejection among them). */
export const errorBody = (error: unknown): ErrorBody => {
  if (error !== null && typeof error === "object" && "_tag" in error && "message" in error) {
    const detail: Record<string, unknown> = {}
    for (const key of Object.keys(error)) {
      if (key !== "_tag" && key !== "stack") detail[key] = (error as Record<string, unknown>)[key]
    }
    return { code: String(error._tag), message: String(error.message), ...(Object.keys(detail).length === 0 ? {} : { detail }) }
  }
  return { code: "InternalError", message: error instanceof Error ? error.message : String(error) }
}

const failure = (id: number, cause: Cause.Cause<unknown>): Reply => ({ id, ok: false, error: errorBody(Cause.squash(cause)) })

const errnoOf = (error: unknown): string | undefined =>
  error !== null && typeof error === "object" && "code" in error ? String(error.code) : undefined

/** Is a daemon answering on this path? A refused connection means a stale socket file. */
const probe = (socketPath: string) =>
  Effect.callback<"live" | "stale" | "absent", ControlSocketError>((resume) => {
    const client = net.createConnection(socketPath)
    client.once("connect", () => {
      client.destroy()
      resume(Effect.succeed("live"))
    })
    client.once("error", (error) => {
      const code = errnoOf(error)
      if (code === "ECONNREFUSED") resume(Effect.succeed("stale"))
      else if (code === "ENOENT") resume(Effect.succeed("absent"))
      else resume(Effect.fail(new ControlSocketError({ socketPath, reason: `cannot check it: ${error.message}` })))
    })
  })

const io = <A>(socketPath: string, what: string, run: () => Promise<A>) =>
  Effect.tryPromise({
    try: run,
    catch: (error) =>
      new ControlSocketError({ socketPath, reason: `${what}: ${error instanceof Error ? error.message : String(error)}` })
  })

export const start = (
  system: ActorSystem,
  options: ControlServerOptions
): Effect.Effect<ControlServer, ControlSocketError, Scope.Scope> =>
  Effect.gen(function*() {
    const socketPath = options.socketPath
    const context = yield* Effect.context<never>()
    const runFork = Effect.runForkWith(context)

    const state = yield* probe(socketPath)
    if (state === "live") {
      return yield* Effect.fail(
        new ControlSocketError({
          socketPath,
          reason: "another sigmavault daemon is already listening here; stop it first or pass another --socket"
        })
      )
    }
    if (state === "stale") {
      yield* Effect.logWarning(`removing stale control socket ${socketPath} left by a daemon that did not stop cleanly`)
      yield* io(socketPath, "remove stale socket", () => fs.rm(socketPath, { force: true }))
    }
    yield* io(socketPath, "create its directory", () => fs.mkdir(path.dirname(socketPath), { recursive: true }))

    const sockets = new Set<net.Socket>()
    const server = net.createServer({ allowHalfOpen: false })
    server.maxConnections = options.maxConnections
    const reserved = Math.min(options.reservedAdminConnections ?? 8, Math.floor(options.maxConnections / 8))
    const frameTimeoutMs = options.frameTimeoutMs ?? 10_000
    const idleTimeoutMs = options.idleTimeoutMs ?? 300_000
    const partialBudget = Math.max(PARTIAL_FRAME_BUDGET, 4 * options.maxFrameBytes)
    /** Bytes of unfinished frames held over all connections. */
    let partialBytes = 0
    /** Each open connection's idleness check; the timer runs only while there is one, so a daemon nobody is connected to does not wake for it. */
    const sweeps = new Set<(now: number) => void>()
    let sweeper: ReturnType<typeof setInterval> | undefined
    const addSweep = (sweep: (now: number) => void) => {
      sweeps.add(sweep)
      if (sweeper !== undefined) return
      sweeper = setInterval(() => {
        const now = Date.now()
        for (const sweep of sweeps) sweep(now)
      }, Math.min(SWEEP_EVERY_MS, idleTimeoutMs))
      sweeper.unref()
    }
    const removeSweep = (sweep: (now: number) => void) => {
      sweeps.delete(sweep)
      if (sweeps.size > 0 || sweeper === undefined) return
      clearInterval(sweeper)
      sweeper = undefined
    }
    yield* Effect.addFinalizer(() => Effect.sync(() => clearInterval(sweeper)))

    /**
     * Frames read in one turn of the event loop, over all connections, are served together
     * once the reads are done: an agent takes them as one batch, and the replies it makes at
     * once go out right after, one write per connection. Serving each connection's frames as
     * they were read woke the agent, and wrote, once per request under many clients.
     */
    const toServe = new Set<() => void>()
    const toFlush = new Set<() => void>()
    let servePassScheduled = false
    let flushPassScheduled = false
    const flushPass = () => {
      flushPassScheduled = false
      const flushes = [...toFlush]
      toFlush.clear()
      for (const flush of flushes) flush()
    }
    const servePass = () => {
      servePassScheduled = false
      const serves = [...toServe]
      toServe.clear()
      for (const serve of serves) serve()
      // The agents answer in the microtasks their mailboxes queued while serving: this one comes after them.
      queueMicrotask(flushPass)
    }
    const serveSoon = (serve: () => void) => {
      toServe.add(serve)
      if (servePassScheduled) return
      servePassScheduled = true
      setImmediate(servePass)
    }
    const flushSoon = (flush: () => void) => {
      toFlush.add(flush)
      if (flushPassScheduled) return
      flushPassScheduled = true
      setImmediate(flushPass)
    }

    const serveConnection = (socket: net.Socket, caller: Caller) => {
      const decoder = new FrameDecoder(options.maxFrameBytes)
      /** Asks in flight: given up when the connection closes, so the agents stop the work started for them. */
      const pendingAsks = new Set<() => void>()
      const subscriptions = new Map<number, Scope.Closeable>()
      let nextSubscription = 1
      let frameTimer: NodeJS.Timeout | undefined
      /** Frames completed when the frame timer started: it runs from the first byte of the frame it is for. */
      let timedFrame = -1
      /** Requests being served, and complete frames read but not yet served (reading pauses while any wait). */
      let inFlight = 0
      const waiting: Array<Uint8Array> = []
      /** Events sent to this connection and not yet written out, over all its subscriptions. */
      let unreadEvents = 0
      let lastHeard = Date.now()
      let lastDrained = Date.now()

      // Frames produced in one turn of the event loop go out in one write: a syscall per
      // reply was most of the daemon's cost under many concurrent clients.
      const outgoing = new FrameBatch()
      let outgoingEvents: Array<() => void> = []
      const flush = () => {
        const written = outgoingEvents
        outgoingEvents = []
        if (outgoing.bytes === 0) return
        const bytes = outgoing.take()
        if (socket.destroyed || socket.writableEnded) return
        socket.write(bytes, written.length === 0 ? noteDrained : () => {
          noteDrained()
          for (const done of written) done()
        })
      }
      // Written out: the client is reading (a write completes once the kernel has taken it).
      const noteDrained = () => {
        lastDrained = Date.now()
      }
      const scheduleFlush = () => flushSoon(flush)
      /** Reply bytes the client has not read yet: queued here, and in the socket's buffer. */
      const unreadBytes = () => outgoing.bytes + socket.writableLength
      const enqueueFrame = (frame: Buffer, onWritten?: () => void) => {
        scheduleFlush()
        outgoing.addFrame(frame)
        if (onWritten !== undefined) outgoingEvents.push(onWritten)
      }
      const send = (value: unknown) => {
        if (socket.destroyed) return
        const size = outgoing.add(value)
        // However the requests arrived (one per write or ten thousand in one), the replies waiting for the client are bounded.
        if (unreadBytes() > MAX_UNREAD_REPLY_BYTES) {
          outgoing.removeLast(size)
          socket.destroy()
          return
        }
        scheduleFlush()
      }
      /** A request's answer: one fewer in flight, and the next waiting frame may be served. */
      const reply = (value: Reply) => {
        inFlight--
        send(value)
        serveWaiting()
      }
      socket.on("drain", () => {
        lastDrained = Date.now()
        serveWaiting()
      })

      /**
       * A framing error: say why, then close — the stream is out of step.
       * What the client still sends is read and dropped for a moment, so
       * the refusal is not lost to a reset while it is writing.
       */
      let closing = false
      let lingered = 0
      const refuse = (code: string, message: string) => {
        if (socket.destroyed || closing) return
        closing = true
        if (outgoing.bytes > 0) flush() // replies to the frames before the bad one go first
        partialBytes -= decoder.pending
        decoder.clear()
        waiting.length = 0
        if (frameTimer !== undefined) clearTimeout(frameTimer)
        socket.end(encodeFrame({ id: null, ok: false, error: { code, message } } satisfies Reply))
        socket.resume()
        setTimeout(() => socket.destroy(), LINGER_MS).unref()
      }

      const closeSubscriptions = () => {
        for (const scope of subscriptions.values()) runFork(Scope.close(scope, Exit.void))
        subscriptions.clear()
      }
      const sweep = (now: number) => {
        // Not reading its replies: replies wait in the socket and none was taken for the idle time.
        if (socket.writableLength > 0 && now - lastDrained > idleTimeoutMs) return socket.destroy()
        if (subscriptions.size === 0 && inFlight === 0 && decoder.pending === 0 && now - lastHeard > idleTimeoutMs) {
          refuse("IdleTimeout", `nothing was asked for ${Math.round(idleTimeoutMs / 1000)} s; closing the connection`)
        }
      }
      addSweep(sweep)
      socket.once("close", () => {
        removeSweep(sweep)
        toServe.delete(serveWaiting)
        toFlush.delete(flush)
        if (frameTimer !== undefined) clearTimeout(frameTimer)
        partialBytes -= decoder.pending
        closeSubscriptions()
        for (const abandon of pendingAsks) abandon()
        pendingAsks.clear()
        waiting.length = 0
      })

      const subscribe = (request: Extract<Request, { op: "subscribe" }>) =>
        Effect.gen(function*() {
          if (subscriptions.size >= MAX_SUBSCRIPTIONS) {
            return yield* Effect.fail({
              _tag: "TooManySubscriptions",
              message: `this connection already has ${MAX_SUBSCRIPTIONS} subscriptions, the most one may hold; unsubscribe one, or filter one by agents and types`
            })
          }
          const id = nextSubscription++
          const scope = yield* Scope.make()
          subscriptions.set(id, scope)
          const agents = request.agents === undefined ? undefined : new Set(request.agents)
          const types = request.types === undefined ? undefined : new Set(request.types.map((t) => t.toLowerCase()))
          const messageEvents = types === undefined || types.has("messagehandled")
          const transitionEvents = types === undefined || types.has("transition")
          const subscriber = yield* Scope.provide(system.inspection.subscribeWith({ messageEvents, transitionEvents }), scope)
          const wanted = (event: InspectionEvent) =>
            (agents === undefined || ("agent" in event && agents.has(event.agent)) ||
              ("supervisor" in event && agents.has(event.supervisor))) &&
            (types === undefined || types.has(event._tag.toLowerCase()))
          let lost = 0
          let lostBySubscriber = 0
          const pump = Effect.forever(Effect.map(subscriber.take, (event) => {
            if (socket.destroyed || !wanted(event)) return
            // Events the bus slid out before this subscriber read them count as lost too.
            const slid = subscriber.lost() - lostBySubscriber
            lostBySubscriber += slid
            lost += slid
            // One budget for the connection, whatever the number of its subscriptions.
            if (unreadEvents >= options.clientBufferEvents || unreadBytes() > MAX_UNREAD_REPLY_BYTES / 2) {
              lost++
              return
            }
            if (lost > 0) {
              enqueueFrame(encodeFrame({ subscription: id, lost }))
              lost = 0
            }
            unreadEvents++
            enqueueFrame(encodeFrame({ subscription: id, event }), () => unreadEvents--)
          }))
          yield* Effect.forkIn(pump, scope)
          return { subscription: id }
        })

      /**
       * A `watch`: one filtered subscription of the inspection bus with its own
       * buffer. The pump takes an event only while fewer than WATCH_WINDOW of
       * this subscription's frames wait to be written out; a client that does
       * not read leaves the events in the bus's buffer, whose overflow (the
       * oldest go) the bus counts exactly. Before the next event it is handed,
       * the client gets a frame saying how many it lost, when, and between
       * which sequence numbers.
       */
      const watch = (request: Extract<Request, { op: "watch" }>) =>
        Effect.gen(function*() {
          if (subscriptions.size >= MAX_SUBSCRIPTIONS) {
            return yield* Effect.fail({
              _tag: "TooManySubscriptions",
              message: `this connection already has ${MAX_SUBSCRIPTIONS} subscriptions, the most one may hold; unsubscribe one`
            })
          }
          const id = nextSubscription++
          const scope = yield* Scope.make()
          subscriptions.set(id, scope)
          const topics = [...new Set(request.topics)]
          const tags = [...new Set(topics.flatMap((topic) => TOPICS[topic]))]
          const buffer = request.buffer ?? DEFAULT_TOPIC_BUFFER
          const subscriber = yield* Scope.provide(
            system.inspection.subscribeTo({ tags, buffer, label: { transport: "socket", who: describeCaller(caller), topics } }),
            scope
          )
          let unwritten = 0
          let room: (() => void) | undefined
          let reported = 0
          let lastSeq = 0
          const waitForRoom = Effect.callback<void>((resume) => {
            room = () => {
              room = undefined
              resume(Effect.void)
            }
            return Effect.sync(() => {
              room = undefined
            })
          })
          const written = () => {
            unwritten--
            room?.()
          }
          const pump = Effect.gen(function*() {
            while (!socket.destroyed) {
              // Read the loss count as the event is taken: every loss it adds lay before this event.
              const { event, lost } = yield* subscriber.next
              if (lost > reported) {
                enqueueFrame(encodeFrame({
                  subscription: id,
                  lost: lost - reported,
                  at: Date.now(),
                  total: lost,
                  afterSeq: lastSeq,
                  beforeSeq: event.seq
                }))
                reported = lost
              }
              while (unwritten >= WATCH_WINDOW && !socket.destroyed) yield* waitForRoom
              if (socket.destroyed) return
              lastSeq = event.seq
              unwritten++
              enqueueFrame(encodeFrame({ subscription: id, topic: topicOf(event._tag), event }), written)
            }
          })
          yield* Effect.forkIn(pump, scope)
          return { subscription: id, topics, tags, buffer }
        })

      /** The rare ops, as effects; tell and ask are served without a fiber in onBody. */
      const handle = (request: Exclude<Request, { op: "tell" | "ask" }>): Effect.Effect<unknown, unknown> => {
        const access = OP_ACCESS[request.op]
        // restart, stop and start are checked (and recorded) by the runtime itself, as every operator action is.
        const denied = access === "message" || request.op === "restart" || request.op === "stop" || request.op === "start"
          ? undefined
          : options.gate.check(caller, `the '${request.op}' op`, access)
        if (denied !== undefined) {
          options.gate.refused(denied)
          return Effect.fail(denied)
        }
        switch (request.op) {
          case "agents":
            return Effect.sync(() => system.tree())
          case "status":
            return Effect.sync((): DaemonStatus => ({ ...options.daemonInfo(), summary: system.summary(), agents: system.agents() }))
          case "subscribe":
            return subscribe(request)
          case "watch":
            return watch(request)
          case "restart":
          case "stop":
          case "start": {
            const { agent, op } = request
            return Effect.map(system.operate(caller, agent, op), () => ({ agent, op, status: system.status(agent) ?? null }))
          }
          case "unsubscribe": {
            const scope = subscriptions.get(request.subscription)
            if (scope === undefined) {
              return Effect.fail({ _tag: "UnknownSubscription", message: `no subscription ${request.subscription} on this connection` })
            }
            subscriptions.delete(request.subscription)
            return Effect.as(Scope.close(scope, Exit.void), { unsubscribed: request.subscription })
          }
        }
      }

      /** Serves the frames read and waiting, while fewer than MAX_IN_FLIGHT are served and the client keeps up. */
      let serving = false
      const serveWaiting = () => {
        // A request answered at once calls back in here: the loop already running serves the next one.
        if (serving) return
        serving = true
        try {
          while (waiting.length > 0 && inFlight < MAX_IN_FLIGHT && unreadBytes() <= READ_PAUSE_BYTES && !socket.destroyed) {
            inFlight++
            onBody(waiting.shift()!)
          }
        } finally {
          serving = false
        }
        if (socket.destroyed || closing) return
        // Reading resumes once every frame read is served and the client has read its replies down.
        if (waiting.length > 0 || unreadBytes() > READ_PAUSE_BYTES) socket.pause()
        else if (socket.isPaused()) socket.resume()
      }

      const onBody = (body: Uint8Array) => {
        const decoded = decodeBody(body)
        if (!decoded.ok) return reply({ id: null, ok: false, error: { code: "BadFrame", message: decoded.reason } })
        const parsed = parseRequest(decoded.value)
        if (!parsed.ok) return reply({ id: parsed.id, ok: false, error: parsed.error })
        const request = parsed.request
        const id = request.id
        // tell and ask, nearly all traffic, run without a fiber; the other ops are rare.
        if (request.op === "tell") {
          return system.injectTellCallback(caller, request.agent, request.message, (told) =>
            reply(Exit.isSuccess(told) ? { id, ok: true, result: { accepted: true } } : failure(id, told.cause)))
        }
        if (request.op === "ask") {
          // The answer may come before injectAskCallback returns (a refusal): then there is nothing to abandon.
          let answered = false
          let abandon: (() => void) | undefined
          abandon = system.injectAskCallback(
            caller,
            request.agent,
            request.message,
            request.timeoutMs ?? options.defaultAskTimeoutMs,
            (exit) => {
              answered = true
              if (abandon !== undefined) pendingAsks.delete(abandon)
              reply(Exit.isSuccess(exit) ? { id, ok: true, result: exit.value ?? null } : failure(id, exit.cause))
            }
          )
          if (!answered) pendingAsks.add(abandon)
          return
        }
        runFork(
          Effect.matchCause(handle(request), {
            onSuccess: (result) => reply({ id, ok: true, result: result ?? null }),
            onFailure: (cause) => reply(failure(id, cause))
          })
        )
      }

      socket.on("data", (chunk: Buffer) => {
        if (closing) {
          // Enough is read and dropped to let the refusal through; then reading stops, so a flood costs nothing.
          lingered += chunk.length
          if (lingered > LINGER_BYTES) socket.pause()
          return
        }
        lastHeard = Date.now()
        const pendingBefore = decoder.pending
        const events = decoder.push(chunk)
        partialBytes += decoder.pending - pendingBefore
        for (const event of events) {
          if (event._tag === "TooLarge") {
            return refuse(
              "FrameTooLarge",
              `frame of ${event.length} bytes exceeds the maximum of ${event.max} bytes; closing the connection`
            )
          }
          waiting.push(event.body)
        }
        if (waiting.length > 0) {
          serveSoon(serveWaiting)
          // What one read brings before the pass is bounded: past the in-flight limit, reading waits for the pass.
          if (inFlight + waiting.length >= MAX_IN_FLIGHT) socket.pause()
        }
        if (decoder.pending === 0) {
          if (frameTimer !== undefined) clearTimeout(frameTimer)
          frameTimer = undefined
          return
        }
        if (partialBytes > partialBudget) {
          return refuse(
            "FrameBudgetExceeded",
            `the daemon holds ${partialBytes} bytes of unfinished frames, more than its ${partialBudget}; closing this connection, whose frame is unfinished`
          )
        }
        // The timer runs from the first byte of the unfinished frame: trickling bytes do not extend it.
        if (frameTimer === undefined || timedFrame !== decoder.completed) {
          if (frameTimer !== undefined) clearTimeout(frameTimer)
          timedFrame = decoder.completed
          frameTimer = setTimeout(
            () => refuse("IncompleteFrame", `a frame was started but not completed within ${frameTimeoutMs} ms; closing the connection`),
            frameTimeoutMs
          )
        }
      })
    }

    // Served from the first accepted connection on: a client may connect the moment the socket exists.
    server.on("connection", (socket) => {
      sockets.add(socket)
      socket.once("close", () => sockets.delete(socket))
      socket.on("error", () => socket.destroy())
      // Who is connected is settled once, from the kernel, before anything is read.
      const peer = options.peers.of(socket)
      const turnAway = (code: string, message: string) => {
        socket.end(encodeFrame({ id: null, ok: false, error: { code, message } } satisfies Reply))
        socket.destroySoon()
      }
      if (Result.isFailure(peer)) return turnAway("PeerUnknown", peer.failure.message)
      // The last few slots are kept for admin callers, so an operator can always get in to see and act.
      if (sockets.size > options.maxConnections - reserved && options.gate.check(peer.success, "a reserved connection", "admin") !== undefined) {
        return turnAway(
          "TooManyConnections",
          `${sockets.size - 1} connections are open, the most the daemon serves (its last ${reserved} are kept for administrators); try again later`
        )
      }
      serveConnection(socket, peer.success)
    })

    // The socket is created with its final mode (through the umask), so no client ever sees
    // another; the chmod after is belt and braces. The group follows right after.
    // The umask is process-wide: it is narrowed only around the synchronous bind inside listen(),
    // so no other file the daemon creates meanwhile (agents' state) is affected.
    yield* Effect.callback<void, ControlSocketError>((resume) => {
      server.once("error", (error) => resume(Effect.fail(new ControlSocketError({ socketPath, reason: `cannot listen: ${error.message}` }))))
      const previousUmask = process.umask(0o777 & ~options.mode)
      try {
        server.listen(socketPath, () => resume(Effect.void))
      } finally {
        process.umask(previousUmask)
      }
    })
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        for (const socket of sockets) socket.destroy()
        yield* Effect.callback<void>((resume) => {
          server.close(() => resume(Effect.void))
        })
        yield* Effect.ignore(io(socketPath, "remove socket", () => fs.rm(socketPath, { force: true })))
      })
    )
    yield* io(socketPath, "set its mode", () => fs.chmod(socketPath, options.mode))
    if (options.gid !== undefined) {
      const gid = options.gid
      yield* io(socketPath, `give it to group ${gid}`, () => fs.chown(socketPath, -1, gid))
    }

    return { connections: () => sockets.size }
  })
