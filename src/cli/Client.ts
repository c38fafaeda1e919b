/**
 * A control-socket client for the CLI: one connection, pipelined requests
 * matched to replies by id, and pushed events handed to a callback.
 */
import * as net from "node:net"
import { decodeBody, encodeFrame, FrameDecoder } from "../protocol/Frame.ts"
import type { ErrorBody } from "../protocol/Requests.ts"

export class RequestFailed extends Error {
  constructor(readonly body: ErrorBody) {
    super(body.message)
  }
}

export class NotRunning extends Error {}

export interface Client {
  readonly request: (op: string, fields?: Record<string, unknown>) => Promise<unknown>
  readonly onPush: (listener: (push: Record<string, unknown>) => void) => void
  readonly closed: Promise<void>
  readonly close: () => void
}

export const connect = (socketPath: string): Promise<Client> =>
  new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath)
    const decoder = new FrameDecoder(64 * 1024 * 1024)
    const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
    const listeners: Array<(push: Record<string, unknown>) => void> = []
    let nextId = 1
    let connected = false
    let resolveClosed: () => void = () => {}
    const closed = new Promise<void>((r) => (resolveClosed = r))

    socket.once("connect", () => {
      connected = true
      resolve({
        request: (op, fields = {}) =>
          new Promise((res, rej) => {
            const id = nextId++
            pending.set(id, { resolve: res, reject: rej })
            socket.write(encodeFrame({ ...fields, id, op }))
          }),
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
          for (const listener of listeners) listener(value)
          continue
        }
        const id = value.id as number | null
        const waiter = id === null ? undefined : pending.get(id)
        if (waiter === undefined) {
          // A reply without an id is a connection-level error: fail everything in flight with it.
          if (value.ok === false) {
            for (const { reject: rej } of pending.values()) rej(new RequestFailed(value.error as ErrorBody))
            pending.clear()
          }
          continue
        }
        pending.delete(id!)
        if (value.ok === true) waiter.resolve(value.result)
        else waiter.reject(new RequestFailed(value.error as ErrorBody))
      }
    })
  })
