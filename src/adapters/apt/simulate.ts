/**
 * Reads `LC_ALL=C apt-get -s -V dist-upgrade` (or `install --only-upgrade …`):
 * the `Inst`/`Remv`/`Conf` lines, which apt never translates nor wraps, the
 * `-V` block of kept-back packages, and the summary line. Pure: no I/O, and
 * it never throws — text that is not such a transcript is a DecodeError
 * naming the line. docs/updates.md shows the format.
 *
 *   Inst sv-openssl [3.0.11-1~deb12u1] (3.0.11-1~deb12u2 Debian-Security:12/stable-security [amd64])
 *   Inst sv-newdep (1.0-1 Debian:12.4/stable [amd64])
 *   Remv sv-legacy [1.0-1]
 *   6 upgraded, 1 newly installed, 1 to remove and 2 not upgraded.
 *
 * A release string is `[Label:][Version/]Suite` (or the host name, or
 * `localhost`, for a repository without a Release file); several are joined
 * by ", ", and a Label may hold spaces. A package is a security update when
 * one of them has the label Debian-Security or a suite ending in -security
 * (stable-security, oldstable-security, bookworm-security, …).
 */
import { Result } from "effect"
import { DecodeError } from "../command/DecodeError.ts"

export interface PackageChange {
  readonly name: string
  /** The installed version; null for a package newly installed. */
  readonly from: string | null
  readonly to: string
  readonly arch: string
  /** The release strings apt printed, one per package file offering the version. */
  readonly origins: ReadonlyArray<string>
  /** The suite of each origin ("stable-security"), or the origin itself when it names a host. */
  readonly suites: ReadonlyArray<string>
  readonly security: boolean
}

export interface Removal {
  readonly name: string
  readonly version: string
}

export interface KeptBack {
  readonly name: string
  readonly from: string
  readonly to: string
}

export interface Summary {
  readonly upgraded: number
  readonly newlyInstalled: number
  readonly removed: number
  readonly notUpgraded: number
}

export interface Simulation {
  /** Installed packages that move to a new version (Inst with an installed version), in apt's order. */
  readonly upgrades: ReadonlyArray<PackageChange>
  /** Packages the upgrade installs anew (Inst without an installed version). */
  readonly installs: ReadonlyArray<PackageChange>
  readonly removals: ReadonlyArray<Removal>
  readonly keptBack: ReadonlyArray<KeptBack>
  readonly summary: Summary
}

export const SIMULATE_SOURCE = "apt-get -s -V"

/** Anything after the first "])" (apt's ordering notes, "[a:amd64 on b:amd64]", "[]") is ignored. */
const INST = /^Inst (\S+) (?:\[([^\]]+)\] )?\((\S+) (.+?) \[([^\]]+)\]\)(?: |$)/
const REMV = /^Remv (\S+) \[([^\]]+)\](?: |$)/
const CONF = /^Conf \S+ \(\S+ .+? \[[^\]]+\]\)(?: |$)/
const SUMMARY = /^(\d+) upgraded, (\d+) newly installed, (\d+) to remove and (\d+) not upgraded\.$/
const KEPT_HEADER = "The following packages have been kept back:"
const KEPT_LINE = /^ {2,3}(\S+) \((\S+) => (\S+)\)$/

/** The suite of a release string: what follows the Label's ':' and the Version's '/'. */
export const suiteOf = (origin: string): string => {
  const slash = origin.lastIndexOf("/")
  if (slash >= 0) return origin.slice(slash + 1)
  const colon = origin.lastIndexOf(":")
  return colon >= 0 ? origin.slice(colon + 1) : origin
}

export const isSecurityOrigin = (origin: string): boolean =>
  origin.startsWith("Debian-Security:") || suiteOf(origin).endsWith("-security")

const splitOrigins = (text: string): ReadonlyArray<string> => {
  const parts = text.split(", ")
  return parts.every((part) => part !== "" && part.trim() === part) ? parts : parts.map((part) => part.trim()).filter((part) => part !== "")
}

const fail = (line: number, reason: string) =>
  Result.fail(new DecodeError({ source: SIMULATE_SOURCE, path: line === 0 ? "" : `line ${line}`, reason }))

const shown = (text: string) => JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text)

export const parseSimulation = (text: string): Result.Result<Simulation, DecodeError> => {
  if (typeof text !== "string") return fail(0, "not text")
  const upgrades: Array<PackageChange> = []
  const installs: Array<PackageChange> = []
  const removals: Array<Removal> = []
  const keptBack: Array<KeptBack> = []
  let summary: Summary | undefined
  let inKept = false
  const lines = text.split("\n")
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw
    const number = index + 1
    if (inKept) {
      const kept = KEPT_LINE.exec(line)
      if (kept !== null) {
        keptBack.push({ name: kept[1]!, from: kept[2]!, to: kept[3]! })
        continue
      }
      if (/^ {2}\S/.test(line) && !line.includes("=>")) {
        return fail(number, `kept-back packages listed without versions (${shown(line.trim())}): run apt-get with -V`)
      }
      inKept = false
    }
    if (line === KEPT_HEADER) {
      inKept = true
      continue
    }
    if (line.startsWith("Inst ")) {
      const inst = INST.exec(line)
      if (inst === null) return fail(number, `unreadable Inst line ${shown(line)}`)
      const origins = splitOrigins(inst[4]!)
      if (origins.length === 0) return fail(number, `Inst line without a release ${shown(line)}`)
      const suites = origins.map(suiteOf)
      const change: PackageChange = {
        name: inst[1]!,
        from: inst[2] ?? null,
        to: inst[3]!,
        arch: inst[5]!,
        origins,
        suites,
        security: origins.some((origin, i) => origin.startsWith("Debian-Security:") || suites[i]!.endsWith("-security"))
      }
      ;(change.from === null ? installs : upgrades).push(change)
      continue
    }
    if (line.startsWith("Remv ")) {
      const remv = REMV.exec(line)
      if (remv === null) return fail(number, `unreadable Remv line ${shown(line)}`)
      removals.push({ name: remv[1]!, version: remv[2]! })
      continue
    }
    if (line.startsWith("Conf ")) {
      if (!CONF.test(line)) return fail(number, `unreadable Conf line ${shown(line)}`)
      continue
    }
    const counts = SUMMARY.exec(line)
    if (counts !== null) {
      if (summary !== undefined) return fail(number, "a second summary line")
      summary = { upgraded: Number(counts[1]), newlyInstalled: Number(counts[2]), removed: Number(counts[3]), notUpgraded: Number(counts[4]) }
      continue
    }
    // Anything else ("Reading package lists...", other block headers and their lists, the non-root NOTE banner) says nothing the lines above do not.
  }
  if (summary === undefined) {
    return fail(0, "no summary line (\"N upgraded, N newly installed, N to remove and N not upgraded.\"): not the output of apt-get -s in the C locale")
  }
  if (summary.upgraded !== upgrades.length) return fail(0, `the summary says ${summary.upgraded} upgraded but ${upgrades.length} Inst line(s) upgrade an installed package`)
  if (summary.newlyInstalled !== installs.length) return fail(0, `the summary says ${summary.newlyInstalled} newly installed but ${installs.length} Inst line(s) install a new package`)
  if (summary.removed !== removals.length) return fail(0, `the summary says ${summary.removed} to remove but there are ${removals.length} Remv line(s)`)
  return Result.succeed({ upgrades, installs, removals, keptBack, summary })
}

/** `apt-mark showhold`: one package per line. */
export const parseHolds = (text: string): ReadonlyArray<string> =>
  text.split("\n").map((line) => line.trim()).filter((line) => line !== "")
