/**
 * FORGE renders configuration from typed specs and checks config text with
 * the tool that will read it. Renders are pure (share.ts, timer.ts); whatever
 * the real tool would refuse or misread is refused as InvalidSpec, naming the
 * field, before anything is written. `validate` runs the real tool on a
 * temporary copy through the ConfigCheck port.
 */
import { Effect } from "effect"
import { type CheckUnavailable, ConfigCheck, type Verdict } from "../../adapters/configcheck/ConfigCheck.ts"
import { WireGuard } from "../../adapters/wireguard/WireGuard.ts"
import type { Capability } from "../../runtime/Agent.ts"
import { serviceMachine } from "../shared/serve.ts"
import { type ConfigKind, ConfigRejected, Forge, InvalidSpec, type Validated, ValidatorUnavailable } from "./messages.ts"
import { renderShare } from "./share.ts"
import { calendarProblem, renderTimer, serviceUnit, timerUnit } from "./timer.ts"
import { renderWireguard, validateWireguard } from "./wireguard.ts"

export const forgeCapabilities: ReadonlyArray<Capability> = [
  {
    name: "share-rendering",
    available: true,
    detail: "renders an SMB share's smb.conf stanza (and its parameters for `net conf setparm`) or an NFS share's /etc/exports.d file; " +
      "refuses what testparm or exportfs would refuse or misread"
  },
  {
    name: "timer-rendering",
    available: true,
    detail: "renders a systemd .timer and .service that run `sigmavault tell AGENT JSON`, the calendar normalized by `systemd-analyze calendar`"
  },
  {
    name: "wireguard-rendering",
    available: true,
    detail: "renders WireGuard interface configs without their private key, refusing what wg would refuse or misread (render-wireguard)"
  },
  {
    name: "validation",
    available: true,
    detail: "checks smb.conf text with `testparm -s`, exports with `exportfs -ra` in a private mount namespace, units with " +
      "`systemd-analyze verify` and `calendar`, WireGuard configs with `wg-quick strip` and `wg setconf` on a scratch interface, on temporary copies"
  }
]

const unavailable = (kind: ConfigKind) => (error: CheckUnavailable) =>
  Effect.fail(new ValidatorUnavailable({ kind, tool: error.tool, reason: error.reason }))

const judged = (kind: ConfigKind, verdict: Verdict): Effect.Effect<Validated, ConfigRejected> =>
  verdict.accepted
    ? Effect.succeed({ kind, tool: verdict.tool, warnings: verdict.warnings })
    : Effect.fail(
      new ConfigRejected({ kind, tool: verdict.tool, reason: verdict.reason, ...(verdict.line === undefined ? {} : { line: verdict.line }) })
    )

/** The OnCalendar= values of a timer unit, with their line numbers. */
const calendarsOf = (text: string) =>
  text.split("\n").flatMap((line, i) => {
    const found = /^\s*OnCalendar\s*=\s*(.*?)\s*$/.exec(line)
    return found === null || found[1] === "" ? [] : [{ expression: found[1]!, line: i + 1 }]
  })

export const forgeMachine = Effect.gen(function*() {
  const check = yield* ConfigCheck
  const wireguard = yield* WireGuard

  const validateTimer = (text: string, name: string, service: string | undefined) =>
    Effect.gen(function*() {
      for (const { expression, line } of calendarsOf(text)) {
        const verdict = yield* check.calendar(expression)
        if (!verdict.accepted) {
          return yield* Effect.fail(new ConfigRejected({ kind: "systemd-timer", tool: verdict.tool, reason: verdict.reason, line }))
        }
      }
      const units = [{ name: timerUnit(name), text }, ...(service === undefined ? [] : [{ name: serviceUnit(name), text: service }])]
      return yield* judged("systemd-timer", yield* check.units(units))
    })

  return yield* serviceMachine(Forge, {
    handlers: {
      "render-share": ({ type: _, ...spec }) => Effect.fromResult(renderShare(spec)),
      "render-wireguard": (message) => renderWireguard(message),
      "render-timer": (spec) =>
        Effect.gen(function*() {
          const problem = calendarProblem(spec.onCalendar)
          if (problem !== undefined) return yield* Effect.fail(new InvalidSpec({ kind: "systemd-timer", field: "onCalendar", reason: problem }))
          const calendar = yield* check.calendar(spec.onCalendar).pipe(Effect.catch(unavailable("systemd-timer")))
          if (!calendar.accepted) {
            return yield* Effect.fail(new InvalidSpec({ kind: "systemd-timer", field: "onCalendar", reason: `${calendar.tool}: ${calendar.reason}` }))
          }
          return yield* Effect.fromResult(renderTimer(spec, calendar.reading))
        }),
      validate: (request) => {
        switch (request.kind) {
          case "smb":
            return Effect.flatMap(check.smb(request.text), (v) => judged("smb", v)).pipe(Effect.catchTag("CheckUnavailable", unavailable("smb")))
          case "nfs":
            return Effect.flatMap(check.nfs(request.text), (v) => judged("nfs", v)).pipe(Effect.catchTag("CheckUnavailable", unavailable("nfs")))
          case "systemd-timer":
            return validateTimer(request.text, request.name ?? "check", request.service).pipe(
              Effect.catchTag("CheckUnavailable", unavailable("systemd-timer"))
            )
          case "wireguard":
            return validateWireguard(request.text).pipe(Effect.provideService(WireGuard, wireguard))
        }
      }
    }
  })
})
