import * as os from "node:os"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import { parseCpuInfo, parseOsRelease, unknownOsRelease } from "../../../src/adapters/system/parse.ts"
import { SystemFacts, SystemFactsError } from "../../../src/adapters/system/SystemFacts.ts"
import * as SystemFactsLive from "../../../src/adapters/system/SystemFactsLive.ts"

const fixtures = join(import.meta.dirname, "../../fixtures")
const fixture = (...path: ReadonlyArray<string>) => readFileSync(join(fixtures, ...path), "utf8")

describe("os-release", () => {
  it("reads id, name, version and pretty name", () => {
    assert.deepStrictEqual(parseOsRelease(fixture("etc", "os-release")), {
      id: "debian",
      name: "Debian GNU/Linux",
      version: "12",
      prettyName: "Debian GNU/Linux 12 (bookworm)"
    })
  })

  it("unquotes single and double quotes with escapes, skips comments, falls back to VERSION", () => {
    const text = [
      "# a comment",
      "NAME='Arch Linux'",
      "ID=arch",
      "VERSION=\"rolling \\\"edge\\\" \\$HOME\"",
      "PRETTY_NAME=",
      "not an assignment"
    ].join("\n")
    assert.deepStrictEqual(parseOsRelease(text), {
      id: "arch",
      name: "Arch Linux",
      version: "rolling \"edge\" $HOME",
      prettyName: "unknown"
    })
  })

  it("reads nothing from an empty file as unknown", () => {
    assert.deepStrictEqual(parseOsRelease(""), unknownOsRelease)
  })
})

describe("cpuinfo", () => {
  it("reads the model and counts processors", () => {
    assert.deepStrictEqual(parseCpuInfo(fixture("proc", "cpuinfo")), { model: "AMD EPYC", count: 2 })
  })

  it("finds the model where ARM boards put it", () => {
    const pi = "processor\t: 0\nBogoMIPS\t: 108.00\n\nprocessor\t: 1\n\nHardware\t: BCM2835\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n"
    assert.deepStrictEqual(parseCpuInfo(pi), { model: "Raspberry Pi 4 Model B Rev 1.4", count: 2 })
    assert.deepStrictEqual(parseCpuInfo("processor\t: 0\nCPU implementer\t: 0x41\n"), { model: undefined, count: 1 })
  })

  it("parsers never throw on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const release = parseOsRelease(text)
        assert.isTrue(Object.values(release).every((value) => typeof value === "string" && value !== ""))
        assert.isAtLeast(parseCpuInfo(text).count, 0)
      }),
      { numRuns: 500 }
    )
  })
})

describe("SystemFactsLive", () => {
  const facts = SystemFacts.use((system) => system.facts)

  it.effect("describes a machine without os-release as unknown, the rest from /proc and node:os", () =>
    Effect.gen(function*() {
      const result = yield* facts.pipe(
        Effect.provide(SystemFactsLive.layerAt({ osRelease: ["/nonexistent/os-release"], proc: join(fixtures, "proc") }))
      )
      assert.deepStrictEqual(result.os, unknownOsRelease)
      assert.deepStrictEqual(result.memory, { totalBytes: 24684084 * 1024, availableBytes: 24277856 * 1024 })
      assert.deepStrictEqual(result.cpu, { model: "AMD EPYC", count: 2 })
      assert.strictEqual(result.hostname, os.hostname())
    }))

  it.effect("tries os-release locations in order", () =>
    Effect.gen(function*() {
      const result = yield* facts.pipe(
        Effect.provide(SystemFactsLive.layerAt({
          osRelease: ["/nonexistent/os-release", join(fixtures, "etc", "os-release")],
          proc: join(fixtures, "proc")
        }))
      )
      assert.strictEqual(result.os.id, "debian")
    }))

  it.effect("fails with a SystemFactsError when /proc/meminfo cannot be read", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        facts.pipe(Effect.provide(SystemFactsLive.layerAt({ osRelease: [], proc: "/nonexistent/proc" })))
      )
      assert.instanceOf(error, SystemFactsError)
      assert.include(error.message, "/nonexistent/proc/meminfo: cannot read:")
    }))
})

describe("machine names", () => {
  it("are uname -m names whatever the runtime calls them", () => {
    const names = ["arm64", "x64", "x86_64", "riscv64"].map(SystemFactsLive.unameMachine)
    assert.deepStrictEqual(names, ["aarch64", "x86_64", "x86_64", "riscv64"])
  })
})
