/**
 * Finding a catalogue entry for what the administrator has in hand: a code
 * ("ZFS-8000-9P"), another name for it ("pending-growth", "SSH_ROOT_LOGIN",
 * "SMART 197"), or the text of an alert (its code in it, as `sigmavault
 * events` prints "[ZFS-8000-2Q]", or an older alert's words). Lookups are by
 * hashed key (each word-like token of the text once), not by scanning the
 * catalogue; near matches for an unknown code come from edit distance.
 * Placeholders in the steps ({pool}, {device}) are filled from the subject.
 * Pure functions.
 */
import { CATALOGUE, type Entry, type Step } from "./catalogue.ts"

/** "smart 197", "SSH_ROOT_LOGIN", "zfs-8000-9p" → "SMART-197", "SSH-ROOT-LOGIN", "ZFS-8000-9P". */
export const keyOf = (text: string): string => text.trim().toUpperCase().replace(/[\s_]+/g, "-")

export interface Index {
  readonly byCode: ReadonlyMap<string, Entry>
  /** Codes and aliases by key. */
  readonly byKey: ReadonlyMap<string, Entry>
  readonly keys: ReadonlyArray<string>
}

export const makeIndex = (entries: ReadonlyArray<Entry>): Index => {
  const byCode = new Map<string, Entry>()
  const byKey = new Map<string, Entry>()
  for (const entry of entries) {
    byCode.set(entry.code, entry)
    byKey.set(keyOf(entry.code), entry)
  }
  // Aliases never shadow a code.
  for (const entry of entries) for (const alias of entry.aliases ?? []) if (!byKey.has(keyOf(alias))) byKey.set(keyOf(alias), entry)
  return { byCode, byKey, keys: [...byKey.keys()] }
}

export const INDEX = makeIndex(CATALOGUE)

export type How = "code" | "alias" | "text"

export interface Match {
  readonly entry: Entry
  readonly how: How
  /** What the subject's placeholders are filled from: given, or read from the text. */
  readonly values: Readonly<Record<string, string>>
}

// ------------------------------------------------------------------ subjects

/** Only values a tool could take as one argument (never an option: no leading '-') and a JSON string could hold unescaped. */
const SAFE_VALUE = /^[A-Za-z0-9\/][A-Za-z0-9_.:\/@+-]{0,254}$/

/**
 * What an alert's subject (or text) says about where the finding is:
 * "pool tank", "/dev/sdb", "link eth0", "snapshots of tank/a",
 * "migration m-1", "disk:sda", "smb share [public]", "/srv/public",
 * LATTICE's "tank: mirror-0/sdb is FAULTED".
 */
export const valuesOf = (subject: string): Record<string, string> => {
  const values: Record<string, string> = {}
  const put = (name: string, found: string | undefined) => {
    // "pool tank:" and "/dev/sdb." end a phrase, not the name.
    const value = found?.replace(/[.:]+$/, "")
    if (value !== undefined && values[name] === undefined && SAFE_VALUE.test(value)) values[name] = value
  }
  const s = subject.trim()
  const vdev = /^([A-Za-z][\w.:-]*): (\S+) (?:is |read |write |checksum )/.exec(s)
  if (vdev !== null) {
    put("pool", vdev[1])
    const leaf = vdev[2]!.split("/").pop()!
    put("device", /^(mirror|raidz\d?|draid\d?|replacing|spare)-\d+$/.test(leaf) ? undefined : leaf)
  }
  put("pool", /\bpool ([A-Za-z][\w.:-]*)/.exec(s)?.[1])
  const snapshots = /\bsnapshots of ([A-Za-z0-9][\w.:\/-]*)/.exec(s)?.[1]
  put("dataset", snapshots)
  put("pool", snapshots?.split("/")[0])
  put("device", /(\/dev\/[\w.:\/-]+)/.exec(s)?.[1])
  const disk = /^disk:([\w.-]+)$/.exec(s)?.[1]
  put("device", disk === undefined ? undefined : `/dev/${disk}`)
  put("interface", /\blink ([\w.:@-]{1,15})\b/.exec(s)?.[1])
  put("migration", /\bmigration ([A-Za-z0-9][\w.-]*)/.exec(s)?.[1])
  put("rule", /\brule ([A-Za-z0-9][\w.-]*)/.exec(s)?.[1])
  put("plan", /\bplan ([A-Za-z0-9][\w.-]*)/.exec(s)?.[1])
  put("report", /\breport ([A-Za-z0-9][\w.:-]*)/.exec(s)?.[1])
  put("share", /\bsmb share \[([^\]]+)\]/.exec(s)?.[1])
  if (values.device === undefined) put("path", /^(\/[\w.\/-]*)$/.exec(s)?.[1])
  return values
}

export interface FilledStep extends Step {
  /** Placeholders left for the administrator to fill ({new-device}, or what the subject did not say). */
  readonly unfilled?: ReadonlyArray<string>
}

const PLACEHOLDER = /\{([a-z][a-z-]*)\}/g

/** The steps with their placeholders filled where the values say. */
export const fill = (steps: ReadonlyArray<Step>, values: Readonly<Record<string, string>>): Array<FilledStep> =>
  steps.map((step) => {
    if (step.command === undefined) return step
    const unfilled = new Set<string>()
    const command = step.command.map((arg) =>
      arg.replace(PLACEHOLDER, (whole, name: string) => {
        const value = values[name]
        if (value === undefined) unfilled.add(name)
        return value ?? whole
      })
    )
    return unfilled.size === 0 ? { ...step, command } : { ...step, command, unfilled: [...unfilled] }
  })

// ------------------------------------------------------------------ free text

/** Older alerts and hand-copied lines without a code: the words each agent uses (texts as the agents write them). */
const TEXT_RULES: ReadonlyArray<readonly [agent: string, pattern: RegExp, code: (m: RegExpExecArray) => string | undefined]> = [
  ["LATTICE", /^[A-Za-z][\w.:-]*: \S+ (?:read|write|checksum) errors/, () => "LATTICE-VDEV-ERRORS"],
  ["LATTICE", /^[A-Za-z][\w.:-]*: \S+ is ([A-Z_]+)/, (m) => `LATTICE-VDEV-${m[1]}`],
  ["LATTICE", /\bpool \S+ is \d+(?:\.\d+)?% full, at or above \d+% \((warn|high|critical)\)/, (m) => `LATTICE-CAPACITY-${m[1]!.toUpperCase()}`],
  ["LATTICE", /\bpool \S+ is back to \d+(?:\.\d+)?% full/, () => "LATTICE-CAPACITY-OK"],
  ["LATTICE", /\b(scrub|resilver) of \S+ finished with (\d+) error/, (m) =>
    m[1] === "scrub" ? (m[2] === "0" ? "LATTICE-SCRUB-CLEAN" : "LATTICE-SCRUB-ERRORS") : (m[2] === "0" ? "LATTICE-RESILVER-DONE" : "LATTICE-RESILVER-ERRORS")],
  ["LATTICE", /\bpool \S+ is gone\b/, () => "LATTICE-POOL-GONE"],
  ["LATTICE", /\bpool \S+ is (ONLINE|DEGRADED|FAULTED|OFFLINE|UNAVAIL|REMOVED|SUSPENDED)\b/, (m) => `LATTICE-POOL-${m[1]}`],
  ["AXIOM", /\bpool \S+ is full \(/, () => "AXIOM-POOL-FULL"],
  ["AXIOM", /\bis forecast full in\b/, () => "AXIOM-FULL-SOON"],
  ["SENTRY", /\balert (?:raised|cleared): (cpu|memory|load|disk)\b/, (m) => `SENTRY-${m[1]!.toUpperCase()}`],
  ["PHOTON", /\bis flapping\b|\bstopped flapping\b/, () => "PHOTON-LINK-FLAPPING"],
  ["PHOTON", /\b\d+ errors in \d+/, () => "PHOTON-LINK-ERRORS"],
  ["PHOTON", /\bis down\b|\bwas set down\b|\bis gone: the device disappeared/, () => "PHOTON-LINK-DOWN"],
  ["HELIX", /\bhas no \w+ snapshots at all\b/, () => "HELIX-SNAPSHOTS-NONE"],
  ["HELIX", /\bnewest \w+ snapshot is .* old\b/, () => "HELIX-SNAPSHOTS-STALE"],
  ["MORPH", /\bmigration \S+ stopped\b/, () => "MORPH-MIGRATION-STOPPED"],
  ["ORACLE", /: back to ok$/, () => "ORACLE-OK"],
  ["ORACLE", /SMART health check says FAILED/, () => "SMART-FAILED"],
  ["ORACLE", /pre-fail attribute \S+ is at or below its threshold/, () => "SMART-PREFAIL"],
  ["ORACLE", /sectors pending reallocation \(SMART 197\) rose/, () => "SMART-197-RISING"],
  ["ORACLE", /reallocated sectors \(SMART 5\) rose/, () => "SMART-5-RISING"],
  ["ORACLE", /\(SMART (5|187|188|197|198)\)/, (m) => `SMART-${m[1]}`],
  ["ORACLE", /NVMe available spare/, () => "NVME-SPARE"],
  ["ORACLE", /interface CRC errors rose/, () => "SMART-199"]
]

/** Word-like tokens that could be a code or an alias: "ZFS-8000-2Q", "SSH_ROOT_LOGIN", "pending-growth". */
const TOKEN = /[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)+/g

/** The entry a code, an alias or a text names; undefined when nothing does. */
export const find = (index: Index, finding: string, agent?: string): { readonly entry: Entry; readonly how: How } | undefined => {
  const key = keyOf(finding)
  const direct = index.byKey.get(key)
  if (direct !== undefined) return { entry: direct, how: keyOf(direct.code) === key ? "code" : "alias" }
  // A code inside the text ("[ZFS-8000-2Q] pool tank is DEGRADED"): its first token that the catalogue knows.
  for (const token of finding.match(TOKEN) ?? []) {
    const entry = index.byKey.get(keyOf(token))
    if (entry !== undefined) return { entry, how: "text" }
  }
  for (const [source, pattern, code] of TEXT_RULES) {
    if (agent !== undefined && agent !== source) continue
    const m = pattern.exec(finding)
    if (m === null) continue
    const named = code(m)
    const entry = named === undefined ? undefined : index.byCode.get(named)
    if (entry !== undefined) return { entry, how: "text" }
  }
  return undefined
}

/** Levenshtein distance, with a cutoff: above `max` it answers max + 1. */
export const distance = (a: string, b: string, max: number): number => {
  if (Math.abs(a.length - b.length) > max) return max + 1
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    let best = i
    for (let j = 1; j <= b.length; j++) {
      const value = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
      row.push(value)
      best = Math.min(best, value)
    }
    if (best > max) return max + 1
    previous = row
  }
  return previous[b.length]!
}

/** The codes closest to an unknown one (at most `limit`, within a third of its length, at least 2 edits). */
export const nearMatches = (index: Index, finding: string, limit = 3): Array<string> => {
  const key = keyOf(finding).slice(0, 64)
  const max = Math.max(2, Math.floor(key.length / 3))
  const scored: Array<readonly [string, number]> = []
  const seen = new Set<string>()
  for (const k of index.keys) {
    const d = distance(key, k, max)
    if (d > max) continue
    const code = index.byKey.get(k)!.code
    if (seen.has(code)) continue
    seen.add(code)
    scored.push([code, d])
  }
  return scored.sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).slice(0, limit).map(([code]) => code)
}

/**
 * The bench's anchor: what a lookup would cost by walking the catalogue, each
 * entry's code and aliases searched for in the text.
 */
export const scanFind = (entries: ReadonlyArray<Entry>, finding: string): Entry | undefined => {
  const text = keyOf(finding)
  for (const entry of entries) {
    if (text.includes(keyOf(entry.code))) return entry
    for (const alias of entry.aliases ?? []) if (text.includes(keyOf(alias))) return entry
  }
  return undefined
}
