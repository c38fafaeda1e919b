/**
 * FORGE against the real tools, on random specs from arbitraries broader than
 * the schema (random strings, control characters, '%', '\', quotes, unknown
 * options in every field). For each spec there are two outcomes only:
 *
 * - FORGE accepts (the request decodes and the render succeeds), and the real
 *   tool accepts the render AND reads it as the spec means it (testparm's own
 *   printout of the share, the etab exportfs writes, systemd-analyze verify);
 * - FORGE refuses (the request schema, or InvalidSpec), and the real tool,
 *   given the naive render (the same text without FORGE's checks), refuses it
 *   or reads it differently from what the spec says.
 *
 * Anything else is a disagreement, reported with the spec. Two classes are
 * counted apart and named, never hidden: refusals by a documented rule that no
 * tool can show here (smb.conf substitutes '%U' at connection time; a share
 * called [homes] is Samba's home-directory service; names are restricted to
 * what is safe in file names and arguments) — "policy"; and host names the
 * sandbox cannot resolve (exportfs drops them) — "environment".
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Effect, Result } from "effect"
import * as fc from "fast-check"
import * as CommandRunnerLive from "../../src/adapters/command/CommandRunnerLive.ts"
import type { Verdict } from "../../src/adapters/configcheck/ConfigCheck.ts"
import * as ConfigCheckLive from "../../src/adapters/configcheck/ConfigCheckLive.ts"
import { Forge, type InvalidSpec } from "../../src/actors/forge/messages.ts"
import { escapeExportPath, renderShare } from "../../src/actors/forge/share.ts"
import { calendarProblem, quoteExecArgument, renderTimer, serviceUnit, SIGMAVAULT_BINARY, timerUnit } from "../../src/actors/forge/timer.ts"
import type { ShareSpec } from "../../src/actors/shared/fields.ts"
import * as Protocol from "../../src/runtime/Protocol.ts"

export type Outcome =
  | { readonly kind: "accepted" }
  | { readonly kind: "refused"; readonly by: "schema" | "forge"; readonly tool: "refused" | "misread"; readonly detail: string }
  | { readonly kind: "policy"; readonly rule: string; readonly detail: string }
  | { readonly kind: "environment"; readonly detail: string }
  | { readonly kind: "disagreement"; readonly detail: string }

// ---- arbitraries ------------------------------------------------------------------

const SPECIALS = [
  " ", "  ", "\t", "\n", "\r", "%", "%U", "%%", "\\", "\"", "'", "#", ";", "=", "[", "]", "$", "${HOME}", "é", "\u00a0", "\u2028",
  "/", "//", "/../", "/./", ",", "(", ")", "*", "?", "@", ":", "{", "}", "~", "\u007f", "\u0001", "\u000b", "\u000c", "\ufeff"
]
const word = fc.stringMatching(/^[A-Za-z0-9_.-]{1,8}$/)
/** A string that is often plausible and often hostile. */
const text = fc.array(fc.oneof({ weight: 4, arbitrary: word }, { weight: 3, arbitrary: fc.constantFrom(...SPECIALS) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }), {
  minLength: 1,
  maxLength: 5
}).map((parts) => parts.join(""))
const maybe = <A>(arb: fc.Arbitrary<A>) => fc.option(arb, { nil: undefined, freq: 2 })

const HOSTS = [
  "192.168.1.0/24", "10.0.0.1", "*", "*.lan", "2001:db8::/32", "fe80::1", "10.0.0.0/255.255.255.0", "10.0.0.0/33", "300.1.1.1",
  "EXCEPT", "ALL", "[fe80::1]", "a..b", "nas?.lan", "127.0.0.1", "::1", "1.2.3.4/8"
]
const NFS_OPTIONS = [
  "ro", "rw", "sync", "async", "no_subtree_check", "subtree_check", "root_squash", "no_root_squash", "all_squash", "insecure",
  "secure", "nohide", "crossmnt", "no_wdelay", "anonuid=1000", "anongid=100", "anonuid=-1", "anonuid=x", "fsid=0", "fsid=root",
  "fsid=123", "fsid=6f1b8ab2-0c4c-4b4e-8b8e-2d5f1c0e9a11", "fsid=abc", "sec=sys", "sec=krb5:krb5p", "sec=none", "mp", "mp=/srv",
  "mountpoint=/x y", "insecure_locks", "no_acl", "pnfs", "security_label", "nordirplus", "bogus", "rw,no_root_squash", "ro(x)", ""
]

export const shareInput = (root: string): fc.Arbitrary<Record<string, unknown>> =>
  fc.record(
    {
      protocol: fc.constantFrom("smb", "nfs"),
      name: fc.oneof({ weight: 4, arbitrary: word.filter((w) => /^[A-Za-z0-9]/.test(w)) }, { weight: 1, arbitrary: text }, {
        weight: 1,
        arbitrary: fc.constantFrom("global", "homes", "Printers", "GLOBAL")
      }),
      path: fc.oneof(
        { weight: 6, arbitrary: text.map((t) => `${root}/${t}`) },
        { weight: 1, arbitrary: text }
      ),
      readOnly: maybe(fc.boolean()),
      comment: maybe(text),
      hosts: maybe(fc.array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...HOSTS) }, { weight: 1, arbitrary: text }), { maxLength: 3 })),
      users: maybe(fc.array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom("alice", "@family", "bob$", "Alice") }, { weight: 1, arbitrary: text }), {
        maxLength: 2
      })),
      guest: maybe(fc.boolean()),
      nfsOptions: maybe(fc.array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...NFS_OPTIONS) }, { weight: 1, arbitrary: text }), { maxLength: 4 }))
    },
    { requiredKeys: ["protocol", "name", "path"] }
  ).map((spec) => Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)))

const CALENDARS = [
  "daily", "weekly", "hourly", "minutely", "monthly", "yearly", "quarterly", "semiannually", "Mon *-*-* 02:00", "Mon..Fri 22:30",
  "*-*-* 04:00:00", "Sat,Sun 10:00", "*:0/15", "2026-12-24 18:00", "03:00", "Sun 03:00", "*-*-1 00:00", "*-02-29", "tomorrow",
  "never", "25:00", "Mon..Fun", "-1", "*-*-* %H:00", "daily\nOnCalendar=hourly", "daily ", " weekly", "daily\\", "@1700000000",
  "Mon 02:00 UTC", "Mon 02:00 Europe/Paris", "Mon 02:00 Nowhere/City"
]
const jsonLeaf = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 8 }))

export const timerInput: fc.Arbitrary<Record<string, unknown>> = fc.record({
  name: fc.oneof({ weight: 4, arbitrary: word.filter((w) => /^[A-Za-z0-9]/.test(w)) }, { weight: 1, arbitrary: text }),
  onCalendar: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...CALENDARS) }, { weight: 2, arbitrary: text }),
  agent: fc.oneof({ weight: 5, arbitrary: fc.constantFrom("LATTICE", "ORBIT", "ECLIPSE") }, { weight: 1, arbitrary: text }),
  message: fc.record({ type: fc.oneof(fc.constantFrom("scrub", "check"), text) }).chain((head) =>
    fc.dictionary(fc.oneof(word, text), fc.oneof(jsonLeaf, fc.array(jsonLeaf, { maxLength: 3 })), { maxKeys: 3 }).map((rest) => ({ ...rest, ...head }))
  )
})

// ---- reading what a tool made of a text -------------------------------------------

/** testparm -s's printout: section name → its parameters, in the case testparm prints. */
export const testparmSections = (reading: string): Map<string, Map<string, string>> => {
  const sections = new Map<string, Map<string, string>>()
  let current: Map<string, string> | undefined
  for (const line of reading.split("\n")) {
    const section = /^\[([^\n]*)\]$/.exec(line)
    if (section !== null) {
      current = new Map()
      sections.set(section[1]!, current)
      continue
    }
    const parameter = /^\t([^=]+?) = ([^\n]*)$/.exec(line)
    if (parameter !== null && current !== undefined) current.set(parameter[1]!, parameter[2]!)
  }
  return sections
}

/** How the share reads in testparm's printout, against what the spec means; undefined when they agree. */
const smbMisread = (spec: Record<string, unknown>, reading: string): string | undefined => {
  const sections = testparmSections(reading)
  sections.delete("global")
  const name = String(spec.name)
  if (sections.size !== 1 || !sections.has(name)) return `testparm reads the sections ${JSON.stringify([...sections.keys()])}, not [${name}]`
  const got = sections.get(name)!
  const want = new Map<string, string>([["path", String(spec.path)]])
  if (spec.comment !== undefined && spec.comment !== "") want.set("comment", String(spec.comment))
  if (spec.readOnly !== true) want.set("read only", "No")
  if (spec.guest === true) want.set("guest ok", "Yes")
  const hosts = Array.isArray(spec.hosts) ? spec.hosts.map(String) : []
  if (hosts.length > 0) want.set("hosts allow", hosts.join(" "))
  const users = Array.isArray(spec.users) ? spec.users.map(String) : []
  if (users.length > 0) want.set("valid users", users.join(" "))
  for (const [key, value] of want) {
    if (got.get(key) !== value) return `testparm reads ${key} = ${JSON.stringify(got.get(key))}, the spec says ${JSON.stringify(value)}`
  }
  const extra = [...got.keys()].filter((k) => !want.has(k) && !["browseable", "create mask", "directory mask"].includes(k))
  return extra.length > 0 ? `testparm reads parameters the spec does not set: ${extra.join(", ")}` : undefined
}

/** etab's path: "\\ooo" is a byte; everything else is itself (UTF-8 as written). */
const unescapeEtab = (path: string) => {
  const bytes = Buffer.from(path, "utf8")
  const out: Array<number> = []
  for (let i = 0; i < bytes.length; i++) {
    const octal = bytes[i] === 0x5c ? /^[0-7]{3}/.exec(bytes.subarray(i + 1, i + 4).toString("latin1")) : null
    if (octal !== null) {
      out.push(parseInt(octal[0], 8))
      i += 3
    } else out.push(bytes[i]!)
  }
  return Buffer.from(out).toString("utf8")
}

/** etab: "path\tclient(options)" per client; undefined when it says what the spec means. */
const nfsMisread = (spec: Record<string, unknown>, reading: string): string | undefined => {
  const entries = reading.split("\n").filter((l) => l !== "").map((l) => {
    const found = /^([^\t]+)\t([^\n]*)\(([^()]*)\)$/.exec(l)
    return found === null ? { path: l, client: "?", options: [] as Array<string> } : { path: unescapeEtab(found[1]!), client: found[2]!, options: found[3]!.split(",") }
  })
  const hosts = Array.isArray(spec.hosts) ? spec.hosts.map(String) : []
  if (hosts.length === 0) {
    return entries.length > 0 ? `exportfs exports to ${JSON.stringify(entries.map((e) => e.client || "the world"))}; the spec names no host` : undefined
  }
  const clients = entries.map((e) => e.client).sort()
  if (JSON.stringify(clients) !== JSON.stringify([...new Set(hosts)].sort())) return `exportfs admits ${JSON.stringify(clients)}, the spec ${JSON.stringify(hosts)}`
  const access = spec.readOnly === true ? "ro" : "rw"
  const options = Array.isArray(spec.nfsOptions) ? spec.nfsOptions.map(String) : []
  for (const entry of entries) {
    if (entry.path !== spec.path) return `exportfs exports ${JSON.stringify(entry.path)}, the spec ${JSON.stringify(spec.path)}`
    // etab lists the access first, then the rest; exportfs keeps the last of two contradicting options.
    if (entry.options[0] !== access) return `exportfs gives ${entry.client} ${entry.options[0]}, the spec ${access}`
    const squash = entry.options.includes("no_root_squash") ? "no_root_squash" : "root_squash"
    const wantSquash = options.includes("no_root_squash") && !options.includes("root_squash") ? "no_root_squash" : "root_squash"
    if (squash !== wantSquash) return `exportfs gives ${entry.client} ${squash}, the spec ${wantSquash}`
  }
  return undefined
}

// ---- naive renders: the same text without FORGE's checks ----------------------------

const list = (value: unknown) => Array.isArray(value) ? value.map(String) : []

export const naiveShare = (spec: Record<string, unknown>): string => {
  if (spec.protocol === "smb") {
    const lines = [`[${String(spec.name)}]`, `\tpath = ${String(spec.path)}`]
    if (spec.comment !== undefined && spec.comment !== "") lines.push(`\tcomment = ${String(spec.comment)}`)
    lines.push(`\tread only = ${spec.readOnly === true ? "yes" : "no"}`, `\tguest ok = ${spec.guest === true ? "yes" : "no"}`)
    if (list(spec.hosts).length > 0) lines.push(`\thosts allow = ${list(spec.hosts).join(" ")}`)
    if (list(spec.users).length > 0) lines.push(`\tvalid users = ${list(spec.users).join(" ")}`)
    return lines.join("\n") + "\n"
  }
  const options = [spec.readOnly === true ? "ro" : "rw", "sync", "no_subtree_check", ...list(spec.nfsOptions)].join(",")
  const hosts = list(spec.hosts)
  return `${escapeExportPath(String(spec.path))} ${hosts.map((h) => `${h}(${options})`).join(" ")}\n`
}

const naiveTimer = (spec: Record<string, unknown>) => {
  const name = String(spec.name)
  return [
    { name: timerUnit(name), text: `[Unit]\nDescription=t\n\n[Timer]\nOnCalendar=${String(spec.onCalendar)}\nUnit=${serviceUnit(name)}\n` },
    {
      name: serviceUnit(name),
      text: `[Unit]\nDescription=t\n\n[Service]\nType=oneshot\nExecStart=${SIGMAVAULT_BINARY} tell ${String(spec.agent)} ${quoteExecArgument(JSON.stringify(spec.message))}\n`
    }
  ]
}

// ---- the differential -------------------------------------------------------------

/** Refusals by a rule no tool here can show, each documented in docs/shares.md. */
const policyRule = (error: InvalidSpec | undefined, schemaText: string | undefined): string | undefined => {
  if (error !== undefined) {
    if (/variable substitution/.test(error.reason)) return "smb.conf substitutes %U, %m… at connection time"
    if (/reserves/.test(error.reason)) return "[global], [homes] and [printers] are Samba's own sections"
    if (/keyword in smb.conf's hosts allow/.test(error.reason)) return "EXCEPT, ALL and LOCAL are hosts allow keywords"
    if (/contradict/.test(error.reason)) return "contradicting options"
    if (/not offered|do not apply|is an SMB setting|admits hosts, not users|cannot be combined/.test(error.reason)) return "a field that does not apply"
    if (/write the path plainly|without its final/.test(error.reason)) return "a path written plainly"
    if (/flavours exports\(5\) documents/.test(error.reason)) return "only the NFS security flavours exports(5) documents (not AUTH_NULL's 'none')"
    return undefined
  }
  if (schemaText !== undefined && /\["(name|agent|users|hosts|type|message|path|comment)"\]/.test(schemaText)) {
    return "names, agents, users and hosts are restricted to what is safe in file names and arguments"
  }
  return undefined
}

export interface Differential {
  readonly root: string
  readonly share: (input: Record<string, unknown>) => Promise<Outcome>
  readonly timer: (input: Record<string, unknown>) => Promise<Outcome>
  /** The tool alone on a text (the benchmark's anchor). */
  readonly smbTool: (text: string) => Promise<Verdict>
  readonly nfsTool: (text: string) => Promise<Verdict>
  readonly unitsTool: (files: ReadonlyArray<{ name: string; text: string }>) => Promise<Verdict>
  readonly calendarTool: (expression: string) => Promise<Verdict>
  readonly close: () => void
}

export const makeDifferential = (): Differential => {
  const root = mkdtempSync(join(tmpdir(), `sigmavault-forge-diff-${process.pid}-`))
  const check = ConfigCheckLive.make(CommandRunnerLive.make())
  const run = <A>(effect: Effect.Effect<A, unknown>) => Effect.runPromise(effect)

  /** NFS paths must exist for exportfs: create them, only inside the root. */
  const ensurePath = (path: unknown) => {
    if (typeof path !== "string" || path.includes("\u0000")) return
    const resolved = resolve(path)
    if (!resolved.startsWith(root + "/")) return
    try {
      mkdirSync(resolved, { recursive: true })
    } catch {
      // A name the filesystem refuses (too long): exportfs will say so.
    }
  }

  const toolOn = async (protocol: unknown, text: string) => protocol === "smb" ? run(check.smb(text)) : run(check.nfs(text))
  const misread = (spec: Record<string, unknown>, verdict: Verdict) =>
    spec.protocol === "smb" ? smbMisread(spec, verdict.reading) : nfsMisread(spec, verdict.reading)

  const share = async (input: Record<string, unknown>): Promise<Outcome> => {
    if (input.protocol === "nfs") ensurePath(input.path)
    const decoded = Protocol.checkRequest(Forge, { type: "render-share", ...input })
    const rendered = Result.isSuccess(decoded) ? renderShare(decoded.success as unknown as ShareSpec) : undefined
    if (rendered !== undefined && Result.isSuccess(rendered)) {
      const verdict = await toolOn(input.protocol, rendered.success.files[0]!.text)
      if (!verdict.accepted) {
        if (/Failed to resolve/.test(verdict.reason)) return { kind: "environment", detail: verdict.reason }
        return { kind: "disagreement", detail: `FORGE accepted, ${verdict.tool} refused: ${verdict.reason}` }
      }
      const wrong = misread(input, verdict)
      return wrong === undefined ? { kind: "accepted" } : { kind: "disagreement", detail: `FORGE accepted, but ${wrong}` }
    }
    const error = rendered !== undefined && Result.isFailure(rendered) ? rendered.failure : undefined
    const schemaText = Result.isFailure(decoded) ? decoded.failure : undefined
    const by = error === undefined ? "schema" as const : "forge" as const
    const why = error?.message ?? schemaText ?? ""
    const verdict = await toolOn(input.protocol, naiveShare(input))
    if (!verdict.accepted && /^(exportfs: Failed to resolve [^;]*(; |$))+$/.test(verdict.reason)) return { kind: "environment", detail: verdict.reason }
    if (!verdict.accepted) return { kind: "refused", by, tool: "refused", detail: why }
    const wrong = misread(input, verdict)
    if (wrong !== undefined) return { kind: "refused", by, tool: "misread", detail: `${why} — ${wrong}` }
    const rule = policyRule(error, schemaText)
    return rule !== undefined
      ? { kind: "policy", rule, detail: why }
      : { kind: "disagreement", detail: `FORGE refused (${why}), ${verdict.tool} accepts the naive render as meant` }
  }

  const timer = async (input: Record<string, unknown>): Promise<Outcome> => {
    const decoded = Protocol.checkRequest(Forge, { type: "render-timer", ...input })
    let why: string | undefined
    let by: "schema" | "forge" = "schema"
    if (Result.isFailure(decoded)) why = decoded.failure
    else {
      by = "forge"
      const spec = decoded.success as unknown as { name: string; onCalendar: string; agent: string; message: { type: string } }
      why = calendarProblem(spec.onCalendar)
      if (why === undefined) {
        // What FORGE's render-timer does: systemd's own calendar parser judges the expression.
        const calendar = await run(check.calendar(spec.onCalendar))
        if (!calendar.accepted) why = calendar.reason
        else {
          const rendered = renderTimer(spec, calendar.reading)
          if (Result.isFailure(rendered)) why = rendered.failure.message
          else {
            const verdict = await run(check.units(rendered.success.files.map((f) => ({ name: f.target, text: f.text }))))
            return verdict.accepted ? { kind: "accepted" } : { kind: "disagreement", detail: `FORGE accepted, ${verdict.tool} refused: ${verdict.reason}` }
          }
        }
      }
    }
    // Refused: systemd refuses the naive units, or its calendar parser refuses the expression as written.
    const name = String(input.name)
    const writable = !name.includes("/") && !name.includes("\u0000") && name !== "" && Buffer.byteLength(name) < 200
    if (!writable) return { kind: "refused", by, tool: "refused", detail: `${why} — not a file name` }
    const units = await run(check.units(naiveTimer(input)))
    if (!units.accepted) return { kind: "refused", by, tool: "refused", detail: `${why} — ${units.reason}` }
    const calendar = await run(check.calendar(String(input.onCalendar)))
    if (!calendar.accepted) return { kind: "refused", by, tool: "refused", detail: `${why} — ${calendar.reason}` }
    const rule = by === "schema" ? policyRule(undefined, why) : undefined
    return rule !== undefined
      ? { kind: "policy", rule, detail: why ?? "" }
      : { kind: "disagreement", detail: `FORGE refused (${why}), systemd-analyze accepts the naive units` }
  }

  return {
    root,
    share,
    timer,
    smbTool: (text) => run(check.smb(text)),
    nfsTool: (text) => run(check.nfs(text)),
    unitsTool: (files) => run(check.units(files)),
    calendarTool: (expression) => run(check.calendar(expression)),
    close: () => rmSync(root, { recursive: true, force: true })
  }
}

/** Counts of outcomes, and the agreement both ways. */
export const tally = (outcomes: ReadonlyArray<Outcome>) => {
  const count = (kind: Outcome["kind"]) => outcomes.filter((o) => o.kind === kind).length
  const accepted = count("accepted")
  const refused = count("refused")
  const policy = count("policy")
  const environment = count("environment")
  const disagreements = outcomes.filter((o) => o.kind === "disagreement")
  const acceptedDisagree = disagreements.filter((o) => o.detail.startsWith("FORGE accepted")).length
  const refusedDisagree = disagreements.length - acceptedDisagree
  const pct = (good: number, all: number) => all === 0 ? 100 : Math.round((good / all) * 10_000) / 100
  const policyRules: Record<string, number> = {}
  for (const o of outcomes) if (o.kind === "policy") policyRules[o.rule] = (policyRules[o.rule] ?? 0) + 1
  return {
    specs: outcomes.length,
    accepted,
    refusedAndToolRefusesOrMisreads: refused,
    refusedByToolRefusal: outcomes.filter((o) => o.kind === "refused" && o.tool === "refused").length,
    refusedByToolMisread: outcomes.filter((o) => o.kind === "refused" && o.tool === "misread").length,
    refusedByPolicy: policy,
    policyRules,
    environment,
    disagreements: disagreements.length,
    acceptedAgreementPct: pct(accepted, accepted + acceptedDisagree),
    refusedAgreementPct: pct(refused + policy, refused + policy + refusedDisagree),
    refusedToolConfirmedPct: pct(refused, refused + policy + refusedDisagree),
    examples: disagreements.slice(0, 5).map((o) => o.detail)
  }
}
