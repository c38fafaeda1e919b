/**
 * FORGE as an agent, over the test ConfigCheck: replies decode with its
 * protocol, a refused spec never reaches a tool, and validate's verdicts map
 * to Validated, ConfigRejected (with the line) and ValidatorUnavailable.
 * WireGuard's part is tested in test/actors/forge/wireguard.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { CheckUnavailable } from "../../src/adapters/configcheck/ConfigCheck.ts"
import * as ConfigCheckTest from "../../src/adapters/configcheck/ConfigCheckTest.ts"
import * as WireGuardTest from "../../src/adapters/wireguard/WireGuardTest.ts"
import { forgeAgent } from "../../src/actors/forge/index.ts"
import { make } from "../../src/runtime/ActorSystem.ts"
import { ROOT, tree } from "../support/agents.ts"

const start = (script: ConfigCheckTest.Script = {}) => {
  const check = ConfigCheckTest.make(script)
  const system = make({ root: tree("FORGE-TEST", "one_for_one", [forgeAgent]) }).pipe(
    Effect.provide(check.layer),
    Effect.provide(WireGuardTest.make().layer)
  )
  return { check, system }
}

const rejection = (exit: Exit.Exit<unknown, unknown>) => {
  assert.isTrue(Exit.isFailure(exit), `expected a rejection, got ${JSON.stringify(exit)}`)
  // The runtime wraps an agent's rejection, in its wire form, in Rejected.
  const error = Exit.isFailure(exit) ? (exit.cause.reasons[0] as { error?: { _tag: string; rejection?: unknown } } | undefined)?.error : undefined
  assert.strictEqual(error?._tag, "Rejected")
  return error!.rejection as { _tag: string; field?: string; kind?: string; tool?: string; reason?: string; line?: number }
}

describe("FORGE, the agent", () => {
  it.effect("renders a share; a hostile one is refused naming the field, and no tool ran", () => {
    const { check, system: started } = start()
    return Effect.gen(function*() {
      const system = yield* started
      const reply = (yield* system.injectAsk(ROOT, "FORGE", {
        type: "render-share",
        protocol: "nfs",
        name: "photos",
        path: "/srv/photos",
        hosts: ["192.168.1.0/24"]
      })) as { kind: string; files: Array<{ target: string }> }
      assert.strictEqual(reply.files[0]!.target, "/etc/exports.d/sigmavault-photos.exports")
      const refused = rejection(
        yield* Effect.exit(system.injectAsk(ROOT, "FORGE", { type: "render-share", protocol: "smb", name: "photos", path: "/srv/%U\nx" }))
      )
      assert.deepInclude(refused, { _tag: "InvalidSpec", kind: "smb", field: "path" })
      assert.deepStrictEqual(check.calls, [])
    })
  })

  it.effect("render-timer asks systemd's calendar parser and writes its normalized form; a bad calendar is InvalidSpec", () => {
    const { check, system: started } = start({
      calendar: (e) =>
        e === "daily"
          ? { accepted: true, tool: "systemd-analyze calendar", warnings: [], reading: "*-*-* 00:00:00" }
          : { accepted: false, tool: "systemd-analyze calendar", reason: `Failed to parse calendar specification '${e}'`, reading: "" }
    })
    return Effect.gen(function*() {
      const system = yield* started
      const reply = (yield* system.injectAsk(ROOT, "FORGE", {
        type: "render-timer",
        name: "nightly",
        onCalendar: "daily",
        agent: "ECLIPSE",
        message: { type: "check" }
      })) as { files: Array<{ target: string; text: string }> }
      assert.include(reply.files[0]!.text, "OnCalendar=*-*-* 00:00:00\n")
      assert.include(reply.files[1]!.text, `ExecStart=/usr/bin/sigmavault tell ECLIPSE "{\\"type\\":\\"check\\"}"\n`)
      const bad = rejection(
        yield* Effect.exit(system.injectAsk(ROOT, "FORGE", { type: "render-timer", name: "n", onCalendar: "nope", agent: "ECLIPSE", message: { type: "check" } }))
      )
      assert.deepInclude(bad, { _tag: "InvalidSpec", field: "onCalendar" })
      const hostile = rejection(
        yield* Effect.exit(system.injectAsk(ROOT, "FORGE", { type: "render-timer", name: "n", onCalendar: "daily\nUser=root", agent: "ECLIPSE", message: { type: "check" } }))
      )
      assert.deepInclude(hostile, { _tag: "InvalidSpec", field: "onCalendar" })
      assert.deepStrictEqual(check.calls.map((c) => c.input), ["daily", "nope"])
    })
  })

  it.effect("validate: the tool's verdict as Validated or ConfigRejected with the line; a missing tool as ValidatorUnavailable", () => {
    const { system: started } = start({
      smb: (text) =>
        text.includes("bogus")
          ? { accepted: false, tool: "testparm -s --suppress-prompt", reason: "Unknown parameter encountered: \"bogus\"", line: 2, reading: "" }
          : { accepted: true, tool: "testparm -s --suppress-prompt", warnings: ["a warning"], reading: "" },
      nfs: () => new CheckUnavailable({ tool: "exportfs", reason: "exportfs is not installed (nfs-kernel-server)" })
    })
    return Effect.gen(function*() {
      const system = yield* started
      assert.deepStrictEqual(yield* system.injectAsk(ROOT, "FORGE", { type: "validate", kind: "smb", text: "[a]\n\tpath = /a\n" }), {
        kind: "smb",
        tool: "testparm -s --suppress-prompt",
        warnings: ["a warning"]
      })
      assert.deepInclude(rejection(yield* Effect.exit(system.injectAsk(ROOT, "FORGE", { type: "validate", kind: "smb", text: "[a]\n\tbogus = 1\n" }))), {
        _tag: "ConfigRejected",
        line: 2
      })
      assert.deepInclude(rejection(yield* Effect.exit(system.injectAsk(ROOT, "FORGE", { type: "validate", kind: "nfs", text: "/a *(ro)\n" }))), {
        _tag: "ValidatorUnavailable",
        kind: "nfs",
        tool: "exportfs"
      })
    })
  })
})
