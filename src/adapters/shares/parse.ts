/** Readers of what net conf, smbstatus and exportfs print. */
import type { NfsExportLive, Parameter } from "./Shares.ts"

/** `net conf listshares`: one name a line. */
export const parseListShares = (text: string): ReadonlyArray<string> =>
  text.split("\n").map((line) => line.trim()).filter((line) => line !== "")

/** `net conf showshare NAME`: "[name]" then "\tkey = value" lines. */
export const parseShowShare = (text: string): ReadonlyArray<Parameter> =>
  text.split("\n").flatMap((line): ReadonlyArray<Parameter> => {
    const match = /^\s+([^=]+?)\s*=\s?(.*)$/.exec(line)
    return match === null ? [] : [[match[1]!, match[2]!.trimEnd()]]
  })

/** exportfs escapes spaces and other bytes in paths as \ooo. */
const unescape = (text: string) => text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)))

/**
 * `exportfs -v`: a path, then one or more "client(options)" — on the same
 * line when the path is short, on the next lines (indented) when it is long.
 */
export const parseExportfs = (text: string): ReadonlyArray<NfsExportLive> => {
  const out: Array<NfsExportLive> = []
  let path: string | undefined
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue
    const tokens = line.trim().split(/\s+/)
    if (!/^\s/.test(line)) path = unescape(tokens.shift()!)
    if (path === undefined) continue
    for (const token of tokens) {
      const match = /^([^()]*)\((.*)\)$/.exec(token)
      if (match === null) continue
      out.push({ path, client: match[1] === "" ? "<world>" : match[1]!, options: match[2]!.split(",").filter((o) => o !== "") })
    }
  }
  return out
}

export interface SmbStatus {
  readonly sessions: number
  readonly connections: Readonly<Record<string, number>>
  readonly openFiles: number
}

/** `smbstatus --json` (Samba ≥ 4.16): sessions, tcons (by service) and open files. */
export const parseSmbStatus = (text: string): SmbStatus | undefined => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof json !== "object" || json === null) return undefined
  const record = json as Record<string, unknown>
  const entries = (key: string) => Object.values((record[key] ?? {}) as Record<string, unknown>)
  const connections: Record<string, number> = Object.create(null)
  for (const tcon of entries("tcons")) {
    const service = (tcon as { service?: unknown }).service
    if (typeof service === "string") connections[service] = (connections[service] ?? 0) + 1
  }
  return { sessions: entries("sessions").length, connections, openFiles: entries("open_files").length }
}
