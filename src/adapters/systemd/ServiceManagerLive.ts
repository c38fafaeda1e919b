/**
 * `systemctl is-active -- <unit>`, spawned with an argument array after the
 * name is validated. It exits non-zero for every state but active, so the
 * state is read from stdout and only a missing answer is an error.
 */
import { execFile } from "node:child_process"
import { Effect, Layer } from "effect"
import { parseUnitState, ServiceManager, ServiceManagerError, validateUnitName } from "./ServiceManager.ts"

export interface ServiceManagerSettings {
  readonly command?: string
  readonly timeoutMs?: number
}

const describe = (cause: unknown): string => cause instanceof Error ? cause.message : String(cause)

export const make = (settings: ServiceManagerSettings = {}): ServiceManager["Service"] => {
  const command = settings.command ?? "systemctl"
  const timeout = settings.timeoutMs ?? 10_000
  return ServiceManager.of({
    isActive: (input) =>
      Effect.gen(function*() {
        const unit = yield* Effect.fromResult(validateUnitName(input))
        const stdout = yield* Effect.tryPromise({
          try: (signal) =>
            new Promise<string>((resolve, reject) => {
              execFile(
                command,
                ["is-active", "--", unit],
                { timeout, signal, killSignal: "SIGKILL", env: { ...process.env, SYSTEMD_COLORS: "0" } },
                (error, out, stderr) => {
                  // A non-zero exit with a state on stdout is the answer ("inactive", "failed", …).
                  if (out.trim() !== "") resolve(out)
                  else reject(new Error(stderr.trim() || (error === null ? "no output" : error.message)))
                }
              )
            }),
          catch: (cause) => new ServiceManagerError({ unit, reason: `${command}: ${describe(cause)}` })
        })
        return parseUnitState(stdout)
      })
  })
}

export const layer = (settings: ServiceManagerSettings = {}): Layer.Layer<ServiceManager> =>
  Layer.succeed(ServiceManager, make(settings))
