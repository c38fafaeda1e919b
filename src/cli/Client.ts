/**
 * A control-socket client for the CLI and the inspector: one connection,
 * pipelined requests matched to replies by id, every result decoded with its
 * schema (see Answers.ts), and pushed events handed to a callback.
 *
 * Start-up: the schemas (Answers.ts, with effect) are imported once the
 * connection is up and the command has written its first request, so the
 * daemon answers while they are evaluated. The socket is read only once they
 * are loaded, so every frame is decoded exactly as before; only the waiting
 * overlaps.
 */
import * as net from "node:net"
import { decodeBody, encodeFrame, FrameDecoder } from "../protocol/Frame.ts"
import type { ErrorBody, Op, OpResult, Push } from "../protocol/Requests.ts"
import type * as AnswersModule from "./Answers.ts"

let answers: typeof AnswersModule | undefined
let loadingAnswers: Promise<typeof AnswersModule> | undefined
const loadAnswers = () => (loadingAnswers ??= import("./Answers.ts").then((module) => (answers = module)))

export class RequestFailed extends Error {
  constructor(readonly body: ErrorBody) {
    super(body.message)
  }
  /** For a `Rejected` error to an ask: the agent's typed rejection, decoded into its class. */
  get rejection(): { readonly _tag: string; readonly message: string } | undefined {
    return answers?.decodeRejection(this.body)
  }
}

const malformed = (what: string): ErrorBody => ({ code: "BadReply", message: `the daemon sent a malformed error for ${what}` })

export class NotRunning extends Error {}

export interface Client {
  /** Sends one request; its result as it arrived. */
  readonly request: (op: string, fields?: Record<string, unknown>) => Promise<unknown>
  /** An op and its result decoded with the op's schema. */
  readonly call: <O extends Exclude<Op, "ask">>(op: O, fields?: Record<string, unknown>) => Promise<(typeof OpResult)[O]["Type"]>
  /** An ask, its reply decoded with the agent's protocol (passed through when this client does not know the message). */
  readonly ask: (agent: string, message: { readonly type: string }, timeoutMs?: number) => Promise<unknown>
  /** Pushed events, decoded; a push that does not decode is dropped (and counted as lost by the next one that does not say so). */
  readonly onPush: (listener: (push: Push) => void) => void
  readonly closed: Promise<void>
  readonly close: () => void
}

export const connect = (socketPath: string): Promise<Client> =>
  new Promise((resolve, reject) => {
    // Loading the decoders blocks this thread while their modules are evaluated: it starts once the
    // connection is up and the command has written its first request (a turn after 'connect'), so
    // that the daemon answers while this process evaluates.
    let startDecoding: () => void = () => {}
    const decoding = new Promise<void>((ready) => (startDecoding = ready)).then(loadAnswers)
    const socket = net.createConnection(socketPath)
    // Nothing is read until the decoders are loaded (see the module's comment); bytes wait in the socket.
    socket.pause()
    const decoder = new FrameDecoder(64 * 1024 * 1024)
    const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
    const listeners: Array<(push: Push) => void> = []
    let nextId = 1
    let connected = false
    let resolveClosed: () => void = () => {}
    const closed = new Promise<void>((r) => (resolveClosed = r))

    const request = (op: string, fields: Record<string, unknown> = {}) =>
      new Promise<unknown>((res, rej) => {
        const id = nextId++
        pending.set(id, { resolve: res, reject: rej })
        socket.write(encodeFrame({ ...fields, id, op }))
      })
    const decoded = <A>(result: { readonly _tag: "Success"; readonly success: A } | { readonly _tag: "Failure"; readonly failure: Error }): Promise<A> =>
      result._tag === "Success" ? Promise.resolve(result.success) : Promise.reject(result.failure)

    socket.once("connect", () => {
      connected = true
      setImmediate(startDecoding)
      decoding.then(
        () => socket.resume(),
        (error: unknown) => socket.destroy(error instanceof Error ? error : new Error(String(error)))
      )
      resolve({
        request,
        call: (op, fields) => request(op, fields).then((wire) => decoded(answers!.decodeOpResult(op, wire))),
        ask: (agent, message, timeoutMs) => {
          // The protocols load while the request is in flight; the reply (or rejection) waits for both.
          const protocols = decoding.then((module) => module.loadProtocols())
          return request("ask", { agent, message, ...(timeoutMs === undefined ? {} : { timeoutMs }) }).then(
            (wire) => protocols.then(() => decoded(answers!.decodeReply(agent, message.type, wire))).then((reply) => reply.value),
            (error: unknown) => protocols.then(() => Promise.reject(error))
          )
        },
        onPush: (listener) => void listeners.push(listener),
        closed,
        close: () => socket.end()
      })
    })
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (!connected) {
        reject(
          error.code === "ENOENT" || error.code === "ECONNREFUSED"
            ? new NotRunning(`no sigmavault daemon answers on ${socketPath} (${error.code}); start it with 'sigmavault run' or pass --socket`)
            : error.code === "EACCES"
            ? new NotRunning(`permission denied on ${socketPath}: the socket is for root and its group (see socket_group)`)
            : error
        )
      }
    })
    socket.on("close", () => {
      for (const { reject: rej } of pending.values()) rej(new Error("the daemon closed the connection"))
      pending.clear()
      resolveClosed()
    })
    socket.on("data", (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame._tag === "TooLarge") {
          socket.destroy()
          return
        }
        const decoded = decodeBody(frame.body)
        if (!decoded.ok) continue
        const value = decoded.value as Record<string, unknown>
        if ("subscription" in value && !("ok" in value)) {
          const push = answers!.decodePush(value)
          if (push._tag === "Some") for (const listener of listeners) listener(push.value)
          continue
        }
        const id = value.id as number | null
        const waiter = id === null ? undefined : pending.get(id)
        if (waiter === undefined) {
          // A reply without an id is a connection-level error: fail everything in flight with it.
          if (value.ok === false) {
            const body = answers!.isErrorBody(value.error) ? value.error : malformed("the connection")
            for (const { reject: rej } of pending.values()) rej(new RequestFailed(body))
            pending.clear()
          }
          continue
        }
        pending.delete(id!)
        if (value.ok === true) waiter.resolve(value.result)
        else waiter.reject(new RequestFailed(answers!.isErrorBody(value.error) ? value.error : malformed(`request ${id}`)))
      }
    })
  })
