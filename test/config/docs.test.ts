/**
 * The shipped example and the format documentation cannot drift from the code:
 * the example parses to exactly the defaults, its commented-out samples are
 * valid, and both documents mention every key.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { defaults, encodeSetting, FIELDS, KEYS } from "../../src/config/Config.ts"
import { parseConfig } from "../../src/config/parse.ts"
import { resolveSettings } from "../../src/config/resolve.ts"

const docs = join(import.meta.dirname, "../../docs")
const EXAMPLE = join(docs, "sigmavault.conf.example")
const example = readFileSync(EXAMPLE, "utf8")
const guide = readFileSync(join(docs, "configuration.md"), "utf8")

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
      const active = new RegExp(`^${key} = `, "m").test(example)
      const sample = new RegExp(`^# ${key} = .*$`, "m").exec(example)?.[0]
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
      const row = new RegExp(`^\\| \`${key}\` \\| ([^|]+) \\|`, "m").exec(guide)
      assert.isNotNull(row, `${key} has no row in the keys table`)
      const documented = row![1]!.trim()
      if (value === undefined) assert.match(documented, /^not set/)
      else assert.strictEqual(documented, `\`${encodeSetting(field, value)}\``)
    }
  })

  it("its sample file parses", () => {
    const sample = /```conf\n([\s\S]*?)```/.exec(guide)?.[1]
    assert.isDefined(sample)
    const parsed = parseConfig(sample!, "configuration.md")
    if (Result.isFailure(parsed)) assert.fail(parsed.failure.message)
    assert.deepStrictEqual(parsed.success.stateDir, "/srv/sigma vault/state")
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
      fileWith({ 3: `socket = "/run/x` })
    ]
    for (const text of cases) {
      const parsed = parseConfig(text, conf)
      if (Result.isSuccess(parsed)) assert.fail(`expected an error for ${JSON.stringify(text)}`)
      assert.include(guide, `\n${parsed.failure.message}\n`)
    }
    const fromEnv = resolveSettings({ env: { STATE_DIRECTORY: "var/lib/sv" } })
    if (Result.isSuccess(fromEnv)) assert.fail("a relative STATE_DIRECTORY was accepted")
    assert.include(guide, `\n${fromEnv.failure.message}\n`)
  })
})
