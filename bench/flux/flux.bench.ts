/**
 * FLUX's cost per event: 100 rules (alert and incident triggers with
 * conditions in FLUX's expression language: comparisons, `in` lists, and/or/
 * not, a bounded `matches`) matched against a stream of recorded-style events,
 * trigger first, then condition, as the engine does. The anchor, in the same
 * run on the same events, is the same 100 checks hand-written as JavaScript
 * predicates (what a closure a programmer wrote per rule would cost). The ratio
 * is FLUX / anchor: the price of the safe language over hand-written code.
 */
import { DateTime, Exit } from "effect"
import { compileRule, type CompiledRule } from "../../src/actors/flux/rules.ts"
import type { FluxEvent, RuleSpec } from "../../src/actors/flux/messages.ts"
import { DEFAULT_LIMITS } from "../../src/actors/flux/expr.ts"
import { now, round } from "../support.ts"

const AGENTS = ["ORACLE", "LATTICE", "HELIX", "PHOTON", "SENTRY", "FORTRESS", "BRIDGE", "AXIOM"]
const SEVERITIES = ["info", "warning", "critical"] as const

/** A seeded generator, so both sides see the same stream in every run. */
const lcg = (seed: number) => () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31

interface Hand {
  readonly trigger: (e: FluxEvent) => boolean
  readonly condition: (e: FluxEvent) => boolean
}

/** Rule i as FLUX data and as the hand-written predicates a programmer would write for the same checks. */
const ruleAt = (i: number): { spec: RuleSpec; hand: Hand } => {
  const agent = AGENTS[i % AGENTS.length]!
  const other = AGENTS[(i + 3) % AGENTS.length]!
  const threshold = i % 5
  const do_ = { agent: "CORE", message: { type: "facts" } }
  switch (i % 4) {
    case 0:
      return {
        spec: { name: `r${i}`, when: { kind: "alert", severity: "critical" }, if: `event.agent in ["${agent}", "${other}"] and not (event.subject == "pool scratch")`, do: do_ },
        hand: {
          trigger: (e) => e.kind === "alert" && e.severity === "critical",
          condition: (e) => e.kind === "alert" && (e.agent === agent || e.agent === other) && !(e.subject === "pool scratch")
        }
      }
    case 1:
      return {
        spec: { name: `r${i}`, when: { kind: "alert", agent }, if: `event.severity != "info" and event.subject matches "^/dev/sd[a-f]$"`, do: do_ },
        hand: {
          trigger: (e) => e.kind === "alert" && e.agent === agent,
          condition: (e) => e.kind === "alert" && e.severity !== "info" && /^\/dev\/sd[a-f]$/.test(e.subject)
        }
      }
    case 2:
      return {
        spec: { name: `r${i}`, when: { kind: "incident", state: "opened" }, if: `event.alerts > ${threshold} or event.severity == "critical"`, do: do_ },
        hand: {
          trigger: (e) => e.kind === "incident" && e.state === "opened",
          condition: (e) => e.kind === "incident" && (e.alerts > threshold || e.severity === "critical")
        }
      }
    default:
      return {
        spec: { name: `r${i}`, when: { kind: "alert" }, if: `event.code == "SMART-${190 + threshold}" and "sd" in event.subject`, do: do_ },
        hand: {
          trigger: (e) => e.kind === "alert",
          condition: (e) => e.kind === "alert" && e.code === `SMART-${190 + threshold}` && e.subject.includes("sd")
        }
      }
  }
}

const streamOf = (count: number): Array<FluxEvent> => {
  const random = lcg(42)
  const pick = <T>(xs: ReadonlyArray<T>) => xs[Math.floor(random() * xs.length)]!
  return Array.from({ length: count }, (_, i): FluxEvent =>
    random() < 0.8
      ? { kind: "alert", at: i, agent: pick(AGENTS), severity: pick(SEVERITIES), subject: pick(["/dev/sda", "/dev/sdb", "/dev/sdz", "pool tank", "pool scratch", "link eth0"]), text: "something happened", ...(random() < 0.5 ? { code: `SMART-${190 + Math.floor(random() * 6)}` } : {}) }
      : { kind: "incident", at: i, agent: "NEXUS", id: `inc-${i}`, state: pick(["opened", "updated", "resolved"] as const), severity: pick(SEVERITIES), subject: "disk /dev/sdb", title: "t", alerts: Math.floor(random() * 8) })
}

export const flux = async () => {
  const RULES = 100
  const EVENTS = Number(process.env.FLUX_BENCH_EVENTS ?? 20_000)
  const system = { validate: (_: string, m: unknown) => Exit.succeed(m as never), permits: () => undefined }
  const context = { zone: DateTime.zoneMakeNamedUnsafe("UTC"), limits: DEFAULT_LIMITS, system }
  const made = Array.from({ length: RULES }, (_, i) => ruleAt(i))
  const rules: Array<CompiledRule> = made.map(({ spec }) => {
    const compiled = compileRule(spec, undefined, context)
    if (compiled._tag === "Failure") throw new Error(compiled.failure.message)
    return compiled.success
  })
  const hands = made.map((m) => m.hand)
  const events = streamOf(EVENTS)

  const viaFlux = () => {
    let fired = 0
    for (const e of events) {
      for (const r of rules) if (r.matches(e) && (r.condition === undefined || r.condition(e))) fired++
    }
    return fired
  }
  const viaHand = () => {
    let fired = 0
    for (const e of events) {
      for (const h of hands) if (h.trigger(e) && h.condition(e)) fired++
    }
    return fired
  }
  // Warm both, and check they agree: the anchor does the same checks.
  const a = viaFlux()
  const b = viaHand()
  if (a !== b) throw new Error(`FLUX fired ${a} times, the hand-written predicates ${b}: they must agree`)
  const time = (run: () => number) => {
    const samples: Array<number> = []
    for (let k = 0; k < 5; k++) {
      const start = now()
      run()
      samples.push(now() - start)
    }
    samples.sort((x, y) => x - y)
    return samples[2]! // median of 5
  }
  // Interleaved, so both see the same machine state.
  const fluxMs = time(viaFlux)
  const handMs = time(viaHand)
  const perEventFlux = (fluxMs * 1e6) / EVENTS
  const perEventHand = (handMs * 1e6) / EVENTS
  return {
    what: `${RULES} rules (alert/incident triggers, conditions with comparisons, in-lists, and/or/not, matches) against ${EVENTS} seeded events: ` +
      "FLUX's compiled triggers and expressions vs the same checks as hand-written JavaScript predicates (the anchor), same run, median of 5",
    firings: a,
    fluxNsPerEvent: round(perEventFlux, 0),
    anchorNsPerEvent: round(perEventHand, 0),
    ratio: round(perEventFlux / perEventHand, 2),
    ratioMeaning: "FLUX time / hand-written predicates time per event (lower is better; 1 = as fast as hand-written code)"
  }
}
