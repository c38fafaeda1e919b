/**
 * Drift: what the system holds against what BRIDGE's database says. Pure, so
 * it is tested on its own; the machine feeds it the live readings.
 */
import { parameterKey } from "../../adapters/shares/commands.ts"
import { exportFileOf, EXPORT_FILE, type NfsLive, type SmbLive } from "../../adapters/shares/Shares.ts"
import type { Drift, ShareView, StoredShare } from "./messages.ts"

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase()

const smbDrift = (share: StoredShare, live: SmbLive): Drift | undefined => {
  const found = live.shares.find((s) => same(s.name, share.spec.name))
  const name = share.spec.name
  if (found === undefined) return { protocol: "smb", name, problem: "missing", detail: "no registry share by this name (net conf listshares)" }
  const liveValue = (key: string) => found.parameters.find(([k]) => parameterKey(k) === parameterKey(key))?.[1]
  const differences: Array<string> = []
  const path = liveValue("path")
  if (path === undefined || path !== share.spec.path) differences.push(`path is ${path ?? "unset"}, not ${share.spec.path}`)
  for (const [key, value] of share.parameters ?? []) {
    if (parameterKey(key) === "path") continue
    const now = liveValue(key)
    if (now === undefined || !same(now, value)) differences.push(`${key} is ${now === undefined ? "unset" : `'${now}'`}, not '${value}'`)
  }
  return differences.length === 0 ? undefined : { protocol: "smb", name, problem: "differs", detail: differences.join("; ") }
}

const nfsDrift = (share: StoredShare, live: NfsLive): Drift | undefined => {
  const name = share.spec.name
  const file = live.files.find((f) => f.file === exportFileOf(name))
  if (file === undefined) return { protocol: "nfs", name, problem: "missing", detail: `${exportFileOf(name)} is not in the exports directory` }
  if (share.text !== undefined && file.text !== share.text) return { protocol: "nfs", name, problem: "differs", detail: `${exportFileOf(name)} was changed by hand` }
  if (live.available && !live.exports.some((e) => e.path === share.spec.path)) {
    return { protocol: "nfs", name, problem: "not-exported", detail: `exportfs -v does not list ${share.spec.path}: run reload, or see why exportfs refuses it` }
  }
  return undefined
}

export const driftOf = (stored: ReadonlyArray<StoredShare>, smb: SmbLive, nfs: NfsLive): { readonly views: ReadonlyArray<ShareView>; readonly drift: ReadonlyArray<Drift> } => {
  const drift: Array<Drift> = []
  const views = stored.map((share): ShareView => {
    const problem = share.spec.protocol === "smb" ? (smb.available ? smbDrift(share, smb) : undefined) : nfsDrift(share, nfs)
    if (problem !== undefined) drift.push(problem)
    const connections = share.spec.protocol === "smb" && smb.connections !== undefined
      ? Object.entries(smb.connections).filter(([s]) => same(s, share.spec.name)).reduce((n, [, c]) => n + c, 0)
      : undefined
    return {
      ...share,
      live: problem === undefined ? "in-sync" : problem.problem === "missing" ? "missing" : "drifted",
      ...(connections === undefined ? {} : { connections })
    }
  })
  for (const share of smb.shares) {
    if (!stored.some((s) => s.spec.protocol === "smb" && same(s.spec.name, share.name))) {
      drift.push({ protocol: "smb", name: share.name, problem: "unmanaged", detail: "a registry share BRIDGE did not make" })
    }
  }
  for (const file of nfs.files) {
    if (!EXPORT_FILE.test(file.file)) continue
    if (!stored.some((s) => s.spec.protocol === "nfs" && exportFileOf(s.spec.name) === file.file)) {
      drift.push({ protocol: "nfs", name: file.file, problem: "unmanaged", detail: "an export file BRIDGE's database does not know" })
    }
  }
  return { views, drift }
}
