/**
 * ECLIPSE's machine. A `check` pings every other agent at once, each with the
 * same deadline, and sorts them by what the runtime says of them afterwards
 * and whether they answered. ECLIPSE does not ping itself: it is busy with the
 * check, so it could not answer. ORBIT sends `check` every five minutes; a
 * check that finds trouble is logged, since nobody may be asking.
 */
import { Clock, Effect } from "effect"
import { type AnyStateMachine, assign, emit, setup } from "xstate"
import { AgentEnv, type AgentEmitted, rejectWith, replyWith } from "../../runtime/Agent.ts"
import type * as Protocol from "../../runtime/Protocol.ts"
import type { AgentStatus } from "../../runtime/Status.ts"
import { DEFAULT_DEADLINE_MS, type Eclipse, type HealthReport, NoCheckYet, type Troubled } from "./messages.ts"

interface Probe {
  readonly name: string
  readonly answered: boolean
}

const troubled = (status: AgentStatus): Troubled => ({
  name: status.name,
  restarts: status.restarts,
  lastError: status.lastError
})

/** Sorts the probed agents: what the runtime says of an agent now comes first, then whether it answered. */
export const classify = (
  probes: ReadonlyArray<Probe>,
  statusOf: (name: string) => AgentStatus | undefined
): Pick<HealthReport, "ok" | "responsive" | "unresponsive" | "failed" | "restarting" | "stopped"> => {
  let responsive = 0
  const unresponsive: Array<string> = []
  const failed: Array<Troubled> = []
  const restarting: Array<Troubled> = []
  const stopped: Array<string> = []
  for (const probe of probes) {
    const status = statusOf(probe.name)
    if (status === undefined) continue
    switch (status.lifecycle) {
      case "failed":
        failed.push(troubled(status))
        break
      case "restarting":
        restarting.push(troubled(status))
        break
      case "stopped":
        stopped.push(probe.name)
        break
      default:
        if (probe.answered) responsive++
        else unresponsive.push(probe.name)
    }
  }
  const ok = unresponsive.length === 0 && failed.length === 0 && restarting.length === 0
  return { ok, responsive, unresponsive, failed, restarting, stopped }
}

const summarize = (report: HealthReport): string =>
  [
    report.unresponsive.length > 0 ? `unresponsive: ${report.unresponsive.join(", ")}` : undefined,
    report.failed.length > 0 ? `failed: ${report.failed.map((t) => t.name).join(", ")}` : undefined,
    report.restarting.length > 0 ? `restarting: ${report.restarting.map((t) => t.name).join(", ")}` : undefined
  ].filter((part) => part !== undefined).join("; ")

export const makeMachine: Effect.Effect<AnyStateMachine, never, AgentEnv> = Effect.gen(function*() {
  const env = yield* AgentEnv
  const { system } = env

  const runCheck = (deadlineMs: number) =>
    Effect.gen(function*() {
      const started = yield* Clock.currentTimeMillis
      const others = system.agentNames().filter((name) => name !== env.self)
      const probes = yield* Effect.forEach(
        others,
        (name): Effect.Effect<Probe> => {
          const lifecycle = system.status(name)?.lifecycle
          // Their mailbox is closed: a ping would only be refused.
          if (lifecycle === "stopped" || lifecycle === "failed") return Effect.succeed({ name, answered: false })
          return system.ask(name, { type: "ping" }, { timeoutMs: deadlineMs }).pipe(
            Effect.as({ name, answered: true }),
            Effect.catch(() => Effect.succeed({ name, answered: false }))
          )
        },
        { concurrency: "unbounded" }
      )
      const finished = yield* Clock.currentTimeMillis
      const report: HealthReport = {
        checkedAt: new Date(started).toISOString(),
        deadlineMs,
        durationMs: finished - started,
        ...classify(probes, system.status)
      }
      if (!report.ok) yield* Effect.logWarning(`self-check found trouble: ${summarize(report)}`)
      return report
    }).pipe(Effect.annotateLogs({ agent: env.self }))

  return setup({
    types: {
      context: {} as { readonly last: HealthReport | undefined },
      events: {} as Protocol.RequestOf<typeof Eclipse>,
      emitted: {} as AgentEmitted
    },
    actors: { check: env.fromEffect(runCheck) }
  }).createMachine({
    id: env.self,
    context: { last: undefined },
    initial: "idle",
    states: {
      idle: {
        on: {
          check: "checking",
          report: {
            actions: emit(({ context }) =>
              context.last === undefined
                ? rejectWith(new NoCheckYet())
                : replyWith(context.last)
            )
          }
        }
      },
      checking: {
        invoke: {
          src: "check",
          input: ({ event }) => (event.type === "check" ? event.deadlineMs ?? DEFAULT_DEADLINE_MS : DEFAULT_DEADLINE_MS),
          onDone: {
            target: "idle",
            actions: [assign({ last: ({ event }) => event.output }), emit(({ event }) => replyWith(event.output))]
          }
        }
      }
    }
  })
})
