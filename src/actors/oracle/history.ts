/**
 * ORACLE's memory of each disk: one observation a day, kept in the state
 * directory under a key derived from the disk's model and serial, so the
 * history follows the disk when its device name changes (sdb today, sdc after
 * a reboot). A disk without a serial is known by its device path.
 */
import type { SmartReport } from "../../adapters/smart/Smart.ts"

export const DAY_MS = 24 * 60 * 60 * 1000

export interface Dated {
  readonly at: number
}

export interface DiskHistory<O extends Dated> {
  readonly identity: string
  readonly device: string
  readonly model?: string | undefined
  readonly serial?: string | undefined
  /** Oldest first, at most one per day. */
  readonly observations: ReadonlyArray<O>
}

export const identityOf = (report: Pick<SmartReport, "device" | "model" | "serial">): string =>
  report.serial === undefined || report.serial.trim() === ""
    ? `device:${report.device}`
    : `disk:${(report.model ?? "").trim()}:${report.serial.trim()}`

/** FNV-1a, 32 bits: keeps keys distinct after the slug folds characters together. */
const fnv1a = (text: string): string => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash.toString(16).padStart(8, "0")
}

/** A StateStore key (lowercase letters, digits, '-'). */
export const historyKey = (identity: string): string => {
  const slug = identity.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60)
  return `oracle-${slug === "" ? "disk" : slug}-${fnv1a(identity)}`
}

/** The history with `observation` added: a second one the same (UTC) day replaces the first; older than `keepDays` is dropped. */
export const record = <O extends Dated>(
  history: DiskHistory<O>,
  observation: O,
  keepDays: number
): DiskHistory<O> => {
  const day = Math.floor(observation.at / DAY_MS)
  const kept = history.observations.filter((o) => Math.floor(o.at / DAY_MS) !== day && o.at > observation.at - keepDays * DAY_MS)
  const observations = [...kept, observation].sort((a, b) => a.at - b.at)
  return { ...history, observations }
}

/** A stored document read back: anything not shaped like a history is no history (the caller logs it). */
export const asHistory = <O extends Dated>(value: unknown, identity: string): DiskHistory<O> | undefined => {
  if (typeof value !== "object" || value === null) return undefined
  const v = value as Record<string, unknown>
  if (v.identity !== identity || typeof v.device !== "string" || !Array.isArray(v.observations)) return undefined
  const observations = v.observations.filter((o): o is O =>
    typeof o === "object" && o !== null && typeof (o as Dated).at === "number" && Number.isFinite((o as Dated).at)
  )
  return {
    identity,
    device: v.device,
    model: typeof v.model === "string" ? v.model : undefined,
    serial: typeof v.serial === "string" ? v.serial : undefined,
    observations: observations.sort((a, b) => a.at - b.at)
  }
}
