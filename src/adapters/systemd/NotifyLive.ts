/**
 * sd_notify through the `systemd-notify` tool. Node has no Unix datagram
 * sockets, so the notification goes out through the helper, spawned with an
 * argument array (never a shell). The helper is a separate process, which is
 * why the unit needs NotifyAccess=all. It waits (up to 5 s) until systemd has
 * processed the message (its BARRIER=1), so systemd still sees the helper's
 * cgroup when it attributes the message to this service.
 */
import { execFile } from "node:child_process"
import { Effect, Layer } from "effect"
import { Notify, type NotifyFields, NotifyError, notificationLines } from "./Notify.ts"

export interface NotifySettings {
  /** $NOTIFY_SOCKET; undefined makes every notification a no-op. */
  readonly socket: string | undefined
  /** Sent as MAINPID with every notification (`--pid`): the daemon, not the helper. */
  readonly pid: number
  readonly command?: string
  readonly timeoutMs?: number
}

const describe = (cause: unknown): string => cause instanceof Error ? cause.message : String(cause)

export const make = (settings: NotifySettings): Notify["Service"] => {
  const command = settings.command ?? "systemd-notify"
  const timeout = settings.timeoutMs ?? 10_000
  const send = (socket: string, fields: NotifyFields) =>
    Effect.gen(function*() {
      const lines = yield* Effect.fromResult(notificationLines(fields))
      yield* Effect.tryPromise({
        try: (signal) =>
          new Promise<void>((resolve, reject) => {
            execFile(
              command,
              [`--pid=${settings.pid}`, ...lines],
              { env: { ...process.env, NOTIFY_SOCKET: socket }, timeout, signal, killSignal: "SIGKILL" },
              (error, _stdout, stderr) =>
                error === null ? resolve() : reject(new Error(`${command}: ${stderr.trim() || error.message}`))
            )
          }),
        catch: (cause) => new NotifyError({ reason: describe(cause) })
      })
    })
  return Notify.of({
    notify: (fields) => settings.socket === undefined || settings.socket === "" ? Effect.void : send(settings.socket, fields)
  })
}

export const layer = (settings: NotifySettings): Layer.Layer<Notify> => Layer.succeed(Notify, make(settings))

/** From the daemon's environment: $NOTIFY_SOCKET, and this process as the main PID. */
export const layerFromEnv = (env: NodeJS.ProcessEnv, pid: number = process.pid): Layer.Layer<Notify> =>
  layer({ socket: env.NOTIFY_SOCKET, pid })
