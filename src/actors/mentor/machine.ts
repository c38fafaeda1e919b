/**
 * MENTOR: explains findings from its catalogue (catalogue.ts). A finding is a
 * code, another name for one, an alert's text, or a NEXUS incident id (its
 * alerts' codes, asked of NEXUS's read-only `incident`). Everything else is a
 * lookup in memory: no port, no periodic work, nothing when idle.
 */
import { Effect } from "effect"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { Nexus } from "../nexus/messages.ts"
import { failedDependency } from "../shared/rejections.ts"
import { serviceMachine } from "../shared/serve.ts"
import { CATALOGUE, type Entry } from "./catalogue.ts"
import { fill, find, type How, INDEX, nearMatches, valuesOf } from "./lookup.ts"
import { type Explanation, Mentor, UnknownFinding } from "./messages.ts"

export const mentorCapabilities: ReadonlyArray<Capability> = [
  {
    name: "explanations",
    available: true,
    detail: `a catalogue of ${CATALOGUE.length} finding codes (zpool's ZFS-8000 ids, SMART and NVMe health, every code an agent raises): meaning, urgency, ` +
      "steps; a code, an alert's text (its code or its words) or a NEXUS incident; near matches by edit distance for an unknown code"
  },
  {
    name: "remediation",
    available: true,
    detail: "the steps that resolve a finding, each an exact command (argument vector or `sigmavault ask` line) marked safe / confirm / destructive, " +
      "with {pool}, {device}, … filled from the finding's subject"
  }
]

const INCIDENT_ID = /^inc-\d+$/

interface Found {
  readonly entry: Entry
  readonly values: Readonly<Record<string, string>>
  readonly subject?: string | undefined
}

interface Resolved {
  readonly finding: string
  readonly matched: How | "incident"
  readonly incident?: string
  readonly found: ReadonlyArray<Found>
}

export const mentorMachine = Effect.gen(function*() {
  const env = yield* AgentEnv

  const fromIncident = (id: string, finding: string) =>
    env.system.call(Nexus, { type: "incident", id }).pipe(
      failedDependency("NEXUS"),
      Effect.flatMap((reply) => {
        const found: Array<Found> = []
        const seen = new Set<string>()
        for (const alert of reply.alerts) {
          const entry = (alert.code === undefined ? undefined : INDEX.byCode.get(alert.code)) ?? find(INDEX, alert.text, alert.agent)?.entry
          if (entry === undefined || seen.has(`${entry.code}\u0000${alert.subject}`)) continue
          seen.add(`${entry.code}\u0000${alert.subject}`)
          found.push({ entry, values: { ...valuesOf(alert.text), ...valuesOf(alert.subject) }, subject: alert.subject })
        }
        return found.length === 0
          ? Effect.fail(new UnknownFinding({ finding, near: [] }))
          : Effect.succeed<Resolved>({ finding, matched: "incident", incident: id, found })
      })
    )

  const resolve = (request: { readonly finding: string; readonly agent?: string; readonly subject?: string }) => {
    const finding = request.finding.trim()
    if (INCIDENT_ID.test(finding)) return fromIncident(finding, finding)
    const match = find(INDEX, finding, request.agent)
    if (match === undefined) return Effect.fail(new UnknownFinding({ finding, near: nearMatches(INDEX, finding) }))
    const values = {
      ...(match.how === "text" ? valuesOf(finding) : {}),
      ...(request.subject === undefined ? {} : valuesOf(request.subject))
    }
    return Effect.succeed<Resolved>({ finding, matched: match.how, found: [{ entry: match.entry, values, subject: request.subject }] })
  }

  const head = (resolved: Resolved) => ({
    finding: resolved.finding,
    matched: resolved.matched,
    ...(resolved.incident === undefined ? {} : { incident: resolved.incident })
  })

  const explanationOf = ({ entry, values, subject }: Found): Explanation => ({
    code: entry.code,
    source: entry.source,
    title: entry.title,
    meaning: entry.meaning,
    urgency: entry.urgency,
    actWithin: entry.actWithin,
    ...(entry.see === undefined ? {} : { see: entry.see }),
    ...(subject === undefined ? {} : { subject }),
    steps: fill(entry.steps, values)
  })

  return yield* serviceMachine(Mentor, {
    handlers: {
      explain: (request) =>
        Effect.map(resolve(request), (resolved) => ({ ...head(resolved), explanations: resolved.found.map(explanationOf) })),
      remediation: (request) =>
        Effect.map(resolve(request), (resolved) => ({
          ...head(resolved),
          remediations: resolved.found.map((found) => {
            const { code, title, urgency, actWithin, subject, steps } = explanationOf(found)
            return { code, title, urgency, actWithin, ...(subject === undefined ? {} : { subject }), steps }
          })
        })),
      codes: (request) =>
        Effect.succeed({
          codes: CATALOGUE.filter((e) => request.source === undefined || e.source === request.source)
            .map(({ code, source, title, urgency }) => ({ code, source, title, urgency }))
        })
    }
  })
})
