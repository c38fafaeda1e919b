/**
 * The reader of `apt-get -s -V dist-upgrade`: real transcripts (from a
 * hermetic apt and from a real Debian host, verbatim), generated transcripts
 * that round-trip, and garbage that never throws but says what is wrong.
 */
import { Result } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { isSecurityOrigin, parseHolds, parseSimulation, type PackageChange, type Simulation, suiteOf } from "../../../src/adapters/apt/simulate.ts"
import { renderSimulation } from "../../support/aptTranscript.ts"

/** `LC_ALL=C apt-get -s -V dist-upgrade` on the sandbox of test/support/aptSandbox.ts, verbatim. */
export const SANDBOX_TRANSCRIPT = `Reading package lists...
Building dependency tree...
Calculating upgrade...
The following packages will be REMOVED:
   sv-legacy (1.0-1)
The following NEW packages will be installed:
   sv-newdep (1.0-1)
The following packages have been kept back:
   sv-held (1.0-1 => 1.1-1)
   sv-tool (1.0-1 => 2.0-1)
The following packages will be upgraded:
   sv-app (1.0-1 => 2.0-1)
   sv-core (1.0-1 => 2.0-1)
   sv-docs (1.0-1 => 1.1-1)
   sv-kernel (6.1.85-1 => 6.1.90-1)
   sv-libfoo (1.0-1 => 1.0-2)
   sv-openssl (3.0.11-1~deb12u1 => 3.0.11-1~deb12u2)
6 upgraded, 1 newly installed, 1 to remove and 2 not upgraded.
Remv sv-legacy [1.0-1]
Inst sv-newdep (1.0-1 Debian:12.4/stable [amd64])
Inst sv-app [1.0-1] (2.0-1 Debian:12.4/stable [amd64])
Inst sv-core [1.0-1] (2.0-1 Debian:12.4/stable [amd64])
Inst sv-docs [1.0-1] (1.1-1 Debian:12.4/stable [all])
Inst sv-kernel [6.1.85-1] (6.1.90-1 Debian-Security:12/stable-security [amd64])
Inst sv-libfoo [1.0-1] (1.0-2 Debian:12.4/stable, Debian-Security:12/stable-security [amd64])
Inst sv-openssl [3.0.11-1~deb12u1] (3.0.11-1~deb12u2 Debian-Security:12/stable-security [amd64])
Conf sv-newdep (1.0-1 Debian:12.4/stable [amd64])
Conf sv-app (2.0-1 Debian:12.4/stable [amd64])
Conf sv-core (2.0-1 Debian:12.4/stable [amd64])
Conf sv-docs (1.1-1 Debian:12.4/stable [all])
Conf sv-kernel (6.1.90-1 Debian-Security:12/stable-security [amd64])
Conf sv-libfoo (1.0-2 Debian:12.4/stable, Debian-Security:12/stable-security [amd64])
Conf sv-openssl (3.0.11-1~deb12u2 Debian-Security:12/stable-security [amd64])
`

/** Lines from a real bookworm host (oldstable by now), with apt's trailing ordering notes. */
const REAL_DEBIAN = `Reading package lists...
Building dependency tree...
Calculating upgrade...
The following packages will be upgraded:
   base-files (12.4+deb12u11 => 12.4+deb12u15)
   libpam-modules-bin (1.5.2-6+deb12u1 => 1.5.2-6+deb12u3)
   libssl3 (3.0.19-1~deb12u2 => 3.0.22-1~deb12u2)
   libgnutls30 (3.7.9-2+deb12u6 => 3.7.9-2+deb12u7)
   tzdata (2025b-0+deb12u2 => 2026f-0+deb12u1)
5 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.
Inst base-files [12.4+deb12u11] (12.4+deb12u15 Debian:12.15/oldstable [amd64])
Conf base-files (12.4+deb12u15 Debian:12.15/oldstable [amd64])
Inst libpam-modules-bin [1.5.2-6+deb12u1] (1.5.2-6+deb12u3 Debian-Security:12/oldstable-security [amd64]) [libpam-modules:amd64 on libpam-modules-bin:amd64] [libpam-modules:amd64 ]
Inst libssl3 [3.0.19-1~deb12u2] (3.0.22-1~deb12u2 Debian-Security:12/oldstable-security [amd64]) []
Inst libgnutls30 [3.7.9-2+deb12u6] (3.7.9-2+deb12u7 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64])
Inst tzdata [2025b-0+deb12u2] (2026f-0+deb12u1 Debian-Security:12/oldstable-security [all])
Conf libssl3 (3.0.22-1~deb12u2 Debian-Security:12/oldstable-security [amd64])
`

const ok = (text: string): Simulation => {
  const parsed = parseSimulation(text)
  if (Result.isFailure(parsed)) throw new Error(parsed.failure.message)
  return parsed.success
}

describe("parseSimulation on real transcripts", () => {
  it("the hermetic sandbox: upgrades, a new package, a removal, kept-back packages; security by label or -security suite", () => {
    const simulation = ok(SANDBOX_TRANSCRIPT)
    expect(simulation.summary).toEqual({ upgraded: 6, newlyInstalled: 1, removed: 1, notUpgraded: 2 })
    expect(simulation.upgrades.map((p) => [p.name, p.from, p.to, p.security])).toEqual([
      ["sv-app", "1.0-1", "2.0-1", false],
      ["sv-core", "1.0-1", "2.0-1", false],
      ["sv-docs", "1.0-1", "1.1-1", false],
      ["sv-kernel", "6.1.85-1", "6.1.90-1", true],
      ["sv-libfoo", "1.0-1", "1.0-2", true],
      ["sv-openssl", "3.0.11-1~deb12u1", "3.0.11-1~deb12u2", true]
    ])
    expect(simulation.upgrades.find((p) => p.name === "sv-libfoo")).toMatchObject({
      origins: ["Debian:12.4/stable", "Debian-Security:12/stable-security"],
      suites: ["stable", "stable-security"],
      arch: "amd64"
    })
    expect(simulation.upgrades.find((p) => p.name === "sv-docs")?.arch).toBe("all")
    expect(simulation.installs).toMatchObject([{ name: "sv-newdep", from: null, to: "1.0-1", security: false }])
    expect(simulation.removals).toEqual([{ name: "sv-legacy", version: "1.0-1" }])
    expect(simulation.keptBack).toEqual([{ name: "sv-held", from: "1.0-1", to: "1.1-1" }, { name: "sv-tool", from: "1.0-1", to: "2.0-1" }])
  })

  it("a real Debian host: oldstable-security counts, trailing ordering notes are ignored", () => {
    const simulation = ok(REAL_DEBIAN)
    expect(simulation.upgrades.map((p) => [p.name, p.security])).toEqual([
      ["base-files", false],
      ["libpam-modules-bin", true],
      ["libssl3", true],
      ["libgnutls30", true],
      ["tzdata", true]
    ])
    expect(simulation.upgrades[4]!.arch).toBe("all")
  })

  it("nothing to do, and the non-root banner", () => {
    expect(ok("Reading package lists...\nBuilding dependency tree...\nCalculating upgrade...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n").upgrades).toEqual([])
    expect(ok(renderSimulation(ok(SANDBOX_TRANSCRIPT), { banner: true })).upgrades).toHaveLength(6)
  })

  it("release strings: label with spaces, no version, no Release file", () => {
    expect(suiteOf("Debian Backports:12/bookworm-backports")).toBe("bookworm-backports")
    expect(suiteOf("Debian:stable")).toBe("stable")
    expect(suiteOf("localhost")).toBe("localhost")
    expect(isSecurityOrigin("Debian-Security:12/oldstable-security")).toBe(true)
    expect(isSecurityOrigin("Ubuntu:22.04/jammy-security")).toBe(true)
    expect(isSecurityOrigin("Debian:12.4/stable")).toBe(false)
    expect(isSecurityOrigin("security.example.org")).toBe(false)
    const line = "Inst sv-plain [1.0] (2.0 Debian Backports:12/plain [amd64])"
    expect(ok(`${line}\n1 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n`).upgrades[0]).toMatchObject({ origins: ["Debian Backports:12/plain"], suites: ["plain"] })
  })

  it("apt-mark showhold", () => {
    expect(parseHolds("sv-held\nlinux-image-amd64\n\n")).toEqual(["sv-held", "linux-image-amd64"])
    expect(parseHolds("")).toEqual([])
  })
})

describe("parseSimulation refuses what it cannot read, naming the line", () => {
  const reason = (text: string) => {
    const parsed = parseSimulation(text)
    return Result.isFailure(parsed) ? parsed.failure.message : "parsed"
  }
  it("no summary: not apt's output, or a translated one", () => {
    expect(reason("")).toMatch(/^cannot read apt-get -s -V output: no summary line/)
    expect(reason("Paketlisten werden gelesen…\n6 aktualisiert, 1 neu installiert, 1 zu entfernen und 2 nicht aktualisiert.\n")).toMatch(/no summary line .*C locale/)
  })
  it("a broken Inst line, a count that does not match, kept-back without -V", () => {
    expect(reason("Inst sv-app [1.0-1] 2.0-1\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n")).toMatch(/at line 1: unreadable Inst line/)
    expect(reason("Inst sv-app [1.0-1] (2.0-1 Debian:12/stable [amd64])\n2 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n")).toMatch(/says 2 upgraded but 1/)
    expect(reason("The following packages have been kept back:\n  sv-held sv-tool\n0 upgraded, 0 newly installed, 0 to remove and 2 not upgraded.\n")).toMatch(/at line 2: kept-back packages listed without versions .*-V/)
  })
})

// ---- generated transcripts ----------------------------------------------------

const name = fc.stringMatching(/^[a-z0-9][a-z0-9+.-]{1,24}$/)
const version = fc.stringMatching(/^[0-9][A-Za-z0-9.+~-]{0,14}$/)
const arch = fc.constantFrom("amd64", "all", "arm64", "i386")
const suite = fc.stringMatching(/^[a-z][a-z0-9-]{1,20}$/)
const label = fc.stringMatching(/^[A-Z][A-Za-z0-9-]{0,10}( [A-Z][a-z]{1,8})?$/)
const origin = fc.oneof(
  fc.tuple(label, fc.stringMatching(/^[0-9]{1,2}(\.[0-9]{1,2})?$/), suite).map(([l, v, s]) => `${l}:${v}/${s}`),
  fc.tuple(label, suite).map(([l, s]) => `${l}:${s}`),
  suite,
  fc.constant("Debian-Security:12/bookworm-security"),
  fc.constant("localhost")
)
const expectedSecurity = (o: string) => o.startsWith("Debian-Security:") || /-security$/.test(o.split(/[/:]/).pop()!)
const change = (installed: boolean): fc.Arbitrary<PackageChange> =>
  fc.record({ name, from: installed ? version : fc.constant(null), to: version, arch, origins: fc.array(origin, { minLength: 1, maxLength: 3 }) }).map((p) => ({
    ...p,
    suites: p.origins.map((o) => o.split(/[/:]/).pop()!),
    security: p.origins.some(expectedSecurity)
  }))
const simulation: fc.Arbitrary<Simulation> = fc.record({
  upgrades: fc.array(change(true), { maxLength: 30 }),
  installs: fc.array(change(false), { maxLength: 5 }),
  removals: fc.array(fc.record({ name, version }), { maxLength: 5 }),
  keptBack: fc.array(fc.record({ name, from: version, to: version }), { maxLength: 5 })
}).map((s) => ({ ...s, summary: { upgraded: s.upgrades.length, newlyInstalled: s.installs.length, removed: s.removals.length, notUpgraded: s.keptBack.length } }))

describe("parseSimulation: properties", () => {
  it("generated transcripts round-trip (with or without the banner and trailing notes)", () => {
    fc.assert(fc.property(simulation, fc.boolean(), fc.boolean(), (s, banner, trailing) => {
      expect(ok(renderSimulation(s, { banner, trailing }))).toEqual(s)
    }), { numRuns: 300 })
  })

  it("garbage never throws: a Simulation or a DecodeError that says what is wrong", () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (text) => {
      const parsed = parseSimulation(text)
      if (Result.isFailure(parsed)) expect(parsed.failure.message).toMatch(/^cannot read apt-get -s -V output: .+/)
    }), { numRuns: 500 })
  })

  it("a real transcript with lines cut, swapped or replaced never throws, and a changed count is caught", () => {
    const lines = SANDBOX_TRANSCRIPT.split("\n")
    fc.assert(fc.property(fc.nat(lines.length - 1), fc.nat(lines.length - 1), fc.string({ maxLength: 60 }), fc.constantFrom("cut", "swap", "replace", "truncate"), (i, j, text, how) => {
      const copy = [...lines]
      if (how === "cut") copy.splice(i, 1)
      else if (how === "swap") [copy[i], copy[j]] = [copy[j]!, copy[i]!]
      else if (how === "replace") copy[i] = text
      else copy[i] = copy[i]!.slice(0, j % Math.max(1, copy[i]!.length))
      const parsed = parseSimulation(copy.join("\n"))
      if (Result.isFailure(parsed)) expect(parsed.failure.message).toMatch(/^cannot read apt-get -s -V output: .+/)
      else if (how === "cut" && /^(Inst|Remv) /.test(lines[i]!)) expect.fail(`a cut ${lines[i]} went unnoticed`)
    }), { numRuns: 500 })
  })
})
