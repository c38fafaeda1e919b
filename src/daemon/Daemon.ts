/**
 * `sigmavault run`: starts the supervision tree in the foreground, runs until
 * SIGINT/SIGTERM (graceful shutdown with a deadline) or until an escalation
 * passes the root (exit code 1, so systemd's Restart=on-failure starts afresh).
 */
import { Deferred, Effect, Exit } from "effect"
import * as ActorSystem from "../runtime/ActorSystem.ts"
import { rosterTree, type RosterServices } from "../actors/roster.ts"

export interface DaemonOptions {
  readonly stateDir: string
  readonly shutdownDeadlineMs: number
}

export const ExitCode = { ok: 0, failed: 1 } as const

/** Resolves on the first SIGINT or SIGTERM; a second one is left to the default handler (immediate exit). */
const awaitSignal = Effect.callback<NodeJS.Signals>((resume) => {
  const onSignal = (signal: NodeJS.Signals) => {
    process.off("SIGINT", onSignal)
    process.off("SIGTERM", onSignal)
    resume(Effect.succeed(signal))
  }
  process.once("SIGINT", onSignal)
  process.once("SIGTERM", onSignal)
  return Effect.sync(() => {
    process.off("SIGINT", onSignal)
    process.off("SIGTERM", onSignal)
  })
})

export const run = (options: DaemonOptions): Effect.Effect<number, never, RosterServices> =>
  Effect.scoped(Effect.gen(function*() {
    const system = yield* ActorSystem.make({ root: rosterTree() })
    const started = system.summary()
    yield* Effect.logInfo(
      `sigmavault started: ${started.running}/${started.agents} agents running, state in ${options.stateDir}`
    )
    const stop = yield* Deferred.make<{ readonly reason: string }>()
    yield* Effect.forkScoped(Effect.flatMap(awaitSignal, (signal) => Deferred.succeed(stop, { reason: signal })))
    yield* Effect.forkScoped(
      Effect.flatMap(system.awaitExit, (exit) =>
        exit._tag === "Failed" ? Deferred.succeed(stop, { reason: `escalation: ${exit.reason}` }) : Effect.void)
    )
    const { reason } = yield* Deferred.await(stop)
    if (reason.startsWith("escalation")) {
      yield* Effect.logError(`sigmavault stopping: ${reason}`)
      return ExitCode.failed
    }
    yield* Effect.logInfo(`sigmavault stopping on ${reason}: draining mailboxes for up to ${options.shutdownDeadlineMs} ms`)
    const report = yield* system.shutdown({ deadlineMs: options.shutdownDeadlineMs })
    const leftover = Object.entries(report.leftover).map(([agent, n]) => `${agent}=${n}`).join(" ")
    yield* Effect.logInfo(
      `sigmavault stopped in ${report.durationMs} ms` +
        (leftover === "" ? "; every mailbox drained" : `; left over: ${leftover}`) +
        (report.killed.length === 0 ? "" : `; interrupted after their shutdown timeout: ${report.killed.join(", ")}`)
    )
    return ExitCode.ok
  }))

export const exitCodeOf = (exit: Exit.Exit<number, unknown>) => Exit.isSuccess(exit) ? exit.value : ExitCode.failed
