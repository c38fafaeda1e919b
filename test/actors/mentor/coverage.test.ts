/**
 * MENTOR's coverage: every code any agent lists in its `src/actors/<x>/codes.ts`
 * (found by reading the directory, so a new agent's codes are held to it at
 * once) has a catalogue entry from the same source, and every catalogue entry
 * is a code some agent lists, except the tools' own catalogues (zpool's
 * ZFS-8000 ids, SMART). Every `sigmavault ask` step is a message its agent
 * accepts, and no code or alias names two entries.
 */
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { Result, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { CATALOGUE, TOOL_SOURCES } from "../../../src/actors/mentor/catalogue.ts"
import { keyOf } from "../../../src/actors/mentor/lookup.ts"
import { PROTOCOLS } from "../../../src/actors/protocols.ts"
import { type FindingCode, FindingCodeText } from "../../../src/actors/shared/findings.ts"
import * as Protocol from "../../../src/runtime/Protocol.ts"

const ACTORS = join(import.meta.dirname, "../../../src/actors")
const agentsWithCodes = readdirSync(ACTORS, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(ACTORS, d.name, "codes.ts")))
  .map((d) => d.name)
  .sort()

const listed = async (): Promise<ReadonlyArray<FindingCode & { readonly agent: string }>> => {
  const all: Array<FindingCode & { readonly agent: string }> = []
  for (const agent of agentsWithCodes) {
    const module = await import(join(ACTORS, agent, "codes.ts")) as { readonly codes?: ReadonlyArray<FindingCode> }
    expect(module.codes, `src/actors/${agent}/codes.ts exports codes: ReadonlyArray<FindingCode>`).toBeDefined()
    for (const code of module.codes!) all.push({ ...code, agent })
  }
  return all
}

/** Values for every placeholder the catalogue uses, to check ask lines as they would be sent. */
const SAMPLE: Readonly<Record<string, string>> = {
  pool: "tank", device: "/dev/sdb", dataset: "tank/photos", interface: "eth0", migration: "m-1", path: "/srv/public",
  share: "public", unit: "telnet.socket", owner: "alice", group: "family", "new-device": "/dev/sdz", rule: "night-scrub", plan: "p-1", report: "health-20261207T070000Z"
}

describe("MENTOR's catalogue covers every finding code", () => {
  it("the agents that raise alerts each list their codes (LATTICE, ORACLE, SENTRY, PHOTON, HELIX, AXIOM, MORPH, FORTRESS at least)", () => {
    expect(agentsWithCodes).toEqual(expect.arrayContaining(["axiom", "fortress", "helix", "lattice", "morph", "oracle", "photon", "sentry"]))
  })

  it("every listed code is a finding code with a catalogue entry from the same source", async () => {
    const codes = await listed()
    expect(codes.length).toBeGreaterThan(100)
    const entries = new Map(CATALOGUE.map((e) => [e.code, e]))
    const missing = codes.filter((c) => !entries.has(c.code)).map((c) => `${c.code} (src/actors/${c.agent}/codes.ts)`)
    expect(missing, "codes without a MENTOR entry").toEqual([])
    const wrongSource = codes.filter((c) => entries.get(c.code)!.source !== c.source).map((c) => `${c.code}: ${c.source} vs ${entries.get(c.code)!.source}`)
    expect(wrongSource).toEqual([])
    const malformed = codes.filter((c) => !Schema.is(FindingCodeText)(c.code)).map((c) => c.code)
    expect(malformed).toEqual([])
  })

  it("no orphan entries: each is a code some agent lists, except the tools' own catalogues (zfs, smart)", async () => {
    const codes = new Set((await listed()).map((c) => c.code))
    const orphans = CATALOGUE.filter((e) => !TOOL_SOURCES.has(e.source) && !codes.has(e.code)).map((e) => e.code)
    expect(orphans).toEqual([])
  })

  it("codes and aliases are unique keys; every code is in the shared form; every entry says something and has steps", () => {
    const keys = new Map<string, string>()
    for (const entry of CATALOGUE) {
      expect(Schema.is(FindingCodeText)(entry.code), entry.code).toBe(true)
      for (const name of [entry.code, ...(entry.aliases ?? [])]) {
        const key = keyOf(name)
        expect(keys.get(key) ?? entry.code, `${name} names both ${keys.get(key)} and ${entry.code}`).toBe(entry.code)
        keys.set(key, entry.code)
      }
      expect(entry.meaning.length, entry.code).toBeGreaterThan(20)
      expect(entry.steps.length, entry.code).toBeGreaterThan(0)
    }
  })

  it("every `sigmavault ask` step is a message its agent accepts, with the placeholders filled; every placeholder is one MENTOR knows", () => {
    const problems: Array<string> = []
    for (const entry of CATALOGUE) {
      for (const step of entry.steps) {
        for (const arg of step.command ?? []) {
          for (const [, name] of arg.matchAll(/\{([a-z][a-z-]*)\}/g)) if (SAMPLE[name!] === undefined) problems.push(`${entry.code}: unknown placeholder {${name}}`)
        }
        if (step.command?.[0] !== "sigmavault") continue
        const [, verb, agent, json] = step.command
        expect(verb).toBe("ask")
        const protocol = PROTOCOLS.get(agent!)
        if (protocol === undefined) {
          problems.push(`${entry.code}: no agent ${agent}`)
          continue
        }
        const filled = json!.replace(/\{([a-z][a-z-]*)\}/g, (_, name: string) => SAMPLE[name] ?? name)
        const checked = Protocol.checkRequest(protocol, JSON.parse(filled))
        if (Result.isFailure(checked)) problems.push(`${entry.code}: ${agent} ${filled}: ${checked.failure}`)
        // A plan-then-confirm message changes the system: never a safe step (FORTRESS's admin-only audit only reads).
        const message = protocol.get(JSON.parse(filled).type)
        const confirmable = message !== undefined && "confirm" in message.request.fields
        if (confirmable && step.class === "safe") problems.push(`${entry.code}: ${agent} ${filled} changes the system but is marked safe`)
      }
    }
    expect(problems).toEqual([])
  })
})
