import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Result } from "effect"
import { existsSync, mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as fc from "fast-check"
import { requireSuccess } from "../../../src/adapters/command/Command.ts"
import { make } from "../../../src/adapters/command/CommandRunnerLive.ts"
import { validateDatasetName, validateDevice, validatePoolName, validatePropertyName } from "../../../src/adapters/command/names.ts"

const runner = make()

describe("the command runner", () => {
  it.effect("captures stdout, stderr and the exit code; a non-zero exit is an answer, not an error", () =>
    Effect.gen(function*() {
      const out = yield* runner.run("node", ["-e", "process.stdout.write('out'); process.stderr.write('err'); process.exit(3)"])
      assert.deepStrictEqual([out.stdout, out.stderr, out.exitCode], ["out", "err", 3])
      const failed = yield* Effect.flip(requireSuccess(out))
      assert.strictEqual(failed.message, "node -e process.stdout.write('out'); process.stderr.write('err'); process.exit(3) exited 3: err")
    }))

  it.effect("passes arguments verbatim: no shell ever sees them", () =>
    Effect.gen(function*() {
      const hostile = ["$(touch /tmp/sigmavault-pwned)", "a b", "x\ny", "; rm -rf /", "`id`", "*"]
      const out = yield* runner.run("printf", ["%s|", ...hostile])
      assert.strictEqual(out.stdout, hostile.map((h) => `${h}|`).join(""))
      assert.isFalse(existsSync("/tmp/sigmavault-pwned"))
    }))

  it.effect("stdin: the text reaches the tool's standard input (never its command line); a tool that ignores it is not an error", () =>
    Effect.gen(function*() {
      const secret = "PrivateKey = 8NwAoM1OC9w2Oznp2mIRTsRRcDGgQ6QzLiJ8hx0/t1A=\n".repeat(2_000)
      const out = yield* runner.run("cat", [], { stdin: secret })
      assert.strictEqual(out.stdout, secret)
      assert.notInclude(out.args.join(" "), "PrivateKey")
      const ignored = yield* runner.run("true", [], { stdin: "x".repeat(1 << 20) })
      assert.strictEqual(ignored.exitCode, 0)
      const none = yield* runner.run("cat", [])
      assert.strictEqual(none.stdout, "", "without stdin, the tool reads /dev/null")
    }))

  it.effect("env: variables added to the tool's environment (APT_CONFIG, DEBIAN_FRONTEND); LC_ALL=C unless given", () =>
    Effect.gen(function*() {
      const out = yield* runner.run("env", [], { env: { APT_CONFIG: "/srv/apt.conf", DEBIAN_FRONTEND: "noninteractive" } })
      const vars = out.stdout.split("\n")
      assert.includeMembers(vars, ["APT_CONFIG=/srv/apt.conf", "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C"])
      const plain = yield* runner.run("env", [])
      assert.notInclude(plain.stdout, "APT_CONFIG=")
    }))

  it.effect("a missing tool is ToolMissing", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(runner.run("sigmavault-no-such-tool", []))
      assert.strictEqual(error._tag, "ToolMissing")
      assert.strictEqual(error.message, "sigmavault-no-such-tool is not installed (not found on PATH)")
      const emptyPath = yield* Effect.flip(make({ path: mkdtempSync(join(tmpdir(), "sv-empty-path-")) }).run("ls", []))
      assert.strictEqual(emptyPath._tag, "ToolMissing")
    }))

  it.effect("a tool that hangs is killed at the timeout", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(runner.run("sleep", ["30"], { timeoutMs: 200 }))
      assert.strictEqual(error._tag, "CommandTimedOut")
      assert.match(error.message, /sleep 30 did not finish within 200 ms/)
    }))

  it.effect("a tool that floods its output is killed at the cap", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(runner.run("yes", [], { maxOutputBytes: 1 << 20 }))
      assert.strictEqual(error._tag, "OutputTooLarge")
    }))

  it.live("interrupting the request kills the tool", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "sv-interrupt-"))
      const marker = join(dir, "survived")
      const fiber = yield* Effect.forkChild(runner.run("node", ["-e", `setTimeout(() => require("fs").writeFileSync(${JSON.stringify(marker)}, "x"), 1500)`]))
      yield* Effect.sleep("300 millis")
      yield* Fiber.interrupt(fiber)
      yield* Effect.sleep("2 seconds")
      assert.isFalse(existsSync(marker))
    }), 10_000)
})

const HOSTILE = ["-o", "--help", "../etc", "tank/../x", "a b", "tank\nx", "tank;ls", "$(rm -rf /)", "`id`", "tank|x", "tank&", "", " ", "tank\u0000", "x>y", "tank/*"]

describe("names reaching a command line", () => {
  it("refuses hostile names with a reason", () => {
    for (const name of HOSTILE) {
      for (const validate of [validatePoolName, (n: string) => validateDatasetName(n), validateDevice, validatePropertyName]) {
        const result = validate(name)
        assert.isTrue(Result.isFailure(result), `${JSON.stringify(name)} was accepted`)
        if (Result.isFailure(result)) assert.match(result.failure.message, /^invalid \w+ name .*: \S/)
      }
    }
  })

  it("accepts what the tools accept", () => {
    for (const pool of ["tank", "Tank_2", "backup.pool", "a:b-c"]) assert.isTrue(Result.isSuccess(validatePoolName(pool)), pool)
    for (const dataset of ["tank", "tank/photos", "tank/a/b.c_d:e-f"]) assert.isTrue(Result.isSuccess(validateDatasetName(dataset)), dataset)
    assert.isTrue(Result.isSuccess(validateDatasetName("tank/photos@2026-11-22", { allowSnapshot: true })))
    assert.isTrue(Result.isFailure(validateDatasetName("tank/photos@2026-11-22")))
    for (const device of ["sda", "nvme0n1", "/dev/sda", "/dev/disk/by-id/ata-WDC_WD40EFRX-68N32N0_WD-WCC7K1ABCDEF", "/dev/mapper/vg-data"]) {
      assert.isTrue(Result.isSuccess(validateDevice(device)), device)
    }
    for (const reserved of ["mirror", "raidz2", "log", "c0t0d0"]) assert.isTrue(Result.isFailure(validatePoolName(reserved)), reserved)
    assert.isTrue(Result.isFailure(validateDevice("/etc/passwd")))
    assert.isTrue(Result.isSuccess(validatePropertyName("com.sigmavault:backup")))
  })

  it("never accepts a name that starts with '-' or holds whitespace, quotes or shell metacharacters", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), (name) => {
      for (const validate of [validatePoolName, (n: string) => validateDatasetName(n, { allowSnapshot: true }), validateDevice, validatePropertyName]) {
        const result = validate(name)
        if (Result.isSuccess(result)) {
          assert.isFalse(name.startsWith("-"))
          assert.notMatch(name, /[\s;|&$`<>()*?!{}[\]'"\\~^\u0000-\u001f]/)
          assert.notInclude(`/${name}/`, "/../")
        }
      }
    }), { numRuns: 2000 })
  })
})
