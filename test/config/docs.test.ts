/**
 * The shipped example and the format documentation cannot drift from the code:
 * the example parses to exactly the defaults, its commented-out samples are
 * valid, and both documents mention every key.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { defaults, encodeSetting, FIELDS, KEYS, type LineValue } from "../../src/config/Config.ts"
import { parseConfig } from "../../src/config/parse.ts"
import { resolveSettings } from "../../src/config/resolve.ts"
import { scheduleProblem } from "../../src/daemon/AgentConfigs.ts"

const docs = join(import.meta.dirname, "../../docs")
const EXAMPLE = join(docs, "sigmavault.conf.example")
const example = readFileSync(EXAMPLE, "utf8")
const guide = readFileSync(join(docs, "configuration.md"), "utf8")

/** A key as a pattern: `schedule.NAME` stands for any schedule's key. */
const keyPattern = (key: string) => key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace("NAME", "[A-Za-z0-9_.-]+")

describe("docs/sigmavault.conf.example", () => {
  it("parses, and sets every key that has a default to exactly that default", () => {
    const parsed = parseConfig(example, EXAMPLE)
    if (Result.isFailure(parsed)) assert.fail(parsed.failure.message)
    const withDefault = Object.fromEntries(FIELDS.filter((field) => defaults[field] !== undefined).map((field) => [field, defaults[field]]))
    assert.deepStrictEqual(parsed.success, withDefault)
    assert.deepStrictEqual({ ...defaults, ...parsed.success }, defaults)
  })

  it("shows every key, the unset ones as a commented-out sample that parses", () => {
    for (const field of FIELDS) {
      const { key } = KEYS[field]
      const active = new RegExp(`^${keyPattern(key)} = `, "m").test(example)
      const sample = new RegExp(`^# ${keyPattern(key)} = .*$`, "m").exec(example)?.[0]
      assert.isTrue(active || sample !== undefined, `${key} is missing from the example`)
      if (!active) {
        const uncommented = parseConfig(sample!.slice(2), EXAMPLE)
        assert.isTrue(Result.isSuccess(uncommented), `the sample '${sample}' does not parse`)
      }
    }
  })
})

describe("docs/configuration.md", () => {
  it("documents every key with its default", () => {
    for (const field of FIELDS) {
      const { key } = KEYS[field]
      const value = defaults[field]
      const row = new RegExp(`^\\| \`${key.replaceAll(".", "\\.")}\` \\| ([^|]+) \\|`, "m").exec(guide)
      assert.isNotNull(row, `${key} has no row in the keys table`)
      const documented = row![1]!.trim()
      if (value === undefined) assert.match(documented, /^not set/)
      else assert.strictEqual(documented, `\`${encodeSetting(field, value as LineValue<typeof field>)}\``)
    }
  })

  it("its sample files parse", () => {
    const samples = [...guide.matchAll(/```conf\n([\s\S]*?)```/g)].map((match) => match[1]!)
    const parsed = samples.map((sample) => {
      // As the daemon reads a file: the sample schedules must be ones their agents accept.
      const result = parseConfig(sample, "configuration.md", { checkSchedule: scheduleProblem })
      return Result.isFailure(result) ? assert.fail(result.failure.message) : result.success
    })
    assert.deepStrictEqual(parsed[0]?.stateDir, "/srv/sigma vault/state")
    assert.deepStrictEqual(parsed[1]?.schedules?.map((schedule) => schedule.message), [
      { type: "assess" },
      { type: "scrub", pool: "backup", action: "start" }
    ])
  })

  it("quotes error messages the code really produces", () => {
    const conf = "/etc/sigmavault/sigmavault.conf"
    /** A file with these lines at these line numbers, blank elsewhere. */
    const fileWith = (lines: Record<number, string>) =>
      Array.from({ length: Math.max(...Object.keys(lines).map(Number)) }, (_, i) => lines[i + 1] ?? "").join("\n")
    const cases: ReadonlyArray<string> = [
      fileWith({ 12: "socket_mod = 0660" }),
      fileWith({ 14: "socket_mode = 0666" }),
      fileWith({ 20: "shutdown_deadline_ms = 5s" }),
      fileWith({ 9: "log_level = info", 31: "log_level = debug" }),
      fileWith({ 3: `socket = "/run/x` }),
      fileWith({ 40: "pool_capacity_percent = 80,95,90" }),
      fileWith({ 41: `schedule.weekly-smart = "0 4 * * sun ORACLE asses"` })
    ]
    for (const text of cases) {
      const parsed = parseConfig(text, conf, { checkSchedule: scheduleProblem })
      if (Result.isSuccess(parsed)) assert.fail(`expected an error for ${JSON.stringify(text)}`)
      assert.include(guide, `\n${parsed.failure.message}\n`)
    }
    const fromEnv = resolveSettings({ env: { STATE_DIRECTORY: "var/lib/sv" } })
    if (Result.isSuccess(fromEnv)) assert.fail("a relative STATE_DIRECTORY was accepted")
    assert.include(guide, `\n${fromEnv.failure.message}\n`)
  })
})
