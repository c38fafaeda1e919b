/**
 * The texts a host audit reads, parsed: `ss -H -tulnp` lines, `sshd -T`
 * output, Samba's ini dialect and NFS exports. Pure functions, each tolerant
 * of what the tool or the administrator may write (a missing process column,
 * continuation lines, comments) and keeping where each value came from.
 */
import type { Listener, NfsExport, SmbSection, SshdSettings } from "./HostProbe.ts"

// ---- ss -H -tulnp ---------------------------------------------------------------

const PROCESS = /\("((?:[^"\\]|\\.)*)",pid=(\d+)[,)]/

/**
 * Netid State Recv-Q Send-Q Local:Port Peer:Port [Process]. The process column
 * is absent when ss cannot see the owner (another namespace, a socket of a
 * process it may not inspect) and can be cut short; both are fine.
 */
export const parseSs = (text: string): ReadonlyArray<Listener> =>
  text.split("\n").flatMap((raw): ReadonlyArray<Listener> => {
    const line = raw.trim()
    if (line === "") return []
    const columns = line.split(/\s+/)
    const netid = columns[0]
    if (netid !== "tcp" && netid !== "udp") return []
    const local = columns[4]
    if (local === undefined) return []
    const colon = local.lastIndexOf(":")
    if (colon <= 0) return []
    const port = Number(local.slice(colon + 1))
    if (!Number.isInteger(port) || port < 0 || port > 65535) return []
    const processText = columns.slice(6).join(" ")
    const found = PROCESS.exec(processText)
    return [{
      protocol: netid,
      address: local.slice(0, colon),
      port,
      ...(found === null ? {} : { process: found[1]!, pid: Number(found[2]) }),
      line
    }]
  })

// ---- sshd -T ----------------------------------------------------------------------

/**
 * `keyword value…` per line, keywords lowercase; repeated keywords keep every
 * value. The table has no prototype, so a line such as `__proto__ x` is a
 * keyword like any other.
 */
export const parseSshdT = (text: string): SshdSettings => {
  const settings: Record<string, Array<string>> = Object.create(null)
  for (const raw of text.split("\n")) {
    const line = raw.trim()
    if (line === "") continue
    const space = line.indexOf(" ")
    const key = (space < 0 ? line : line.slice(0, space)).toLowerCase()
    const value = space < 0 ? "" : line.slice(space + 1).trim()
    ;(settings[key] ??= []).push(value)
  }
  return settings
}

// ---- Samba's ini dialect ----------------------------------------------------------

export type SmbLine =
  | { readonly kind: "section"; readonly name: string }
  | { readonly kind: "parameter"; readonly key: string; readonly value: string; readonly where: string }

/** Lines joined across trailing backslashes, with their first line number. */
const logicalLines = (text: string): ReadonlyArray<{ readonly text: string; readonly line: number }> => {
  const out: Array<{ text: string; line: number }> = []
  let pending: { text: string; line: number } | undefined
  text.split("\n").forEach((raw, index) => {
    const part = raw.replace(/\r$/, "")
    const continued = part.endsWith("\\")
    const body = continued ? part.slice(0, -1) : part
    pending = pending === undefined ? { text: body, line: index + 1 } : { text: pending.text + body, line: pending.line }
    if (!continued) {
      out.push(pending)
      pending = undefined
    }
  })
  if (pending !== undefined) out.push(pending)
  return out
}

/** smb.conf's keys: case and spaces do not matter ("Guest OK", "guest  ok"). */
export const smbKey = (key: string) => key.trim().toLowerCase().replace(/\s+/g, " ")

/** Sections and parameters in order; `where` is `<source>:<line>`. Comments start with # or ;. */
export const parseSmbText = (text: string, source: string): ReadonlyArray<SmbLine> =>
  logicalLines(text).flatMap(({ line, text: raw }): ReadonlyArray<SmbLine> => {
    const trimmed = raw.trim()
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) return []
    const section = /^\[([^\]]*)\]/.exec(trimmed)
    if (section !== null) return [{ kind: "section", name: section[1]!.trim() }]
    const equals = trimmed.indexOf("=")
    if (equals <= 0) return []
    return [{ kind: "parameter", key: smbKey(trimmed.slice(0, equals)), value: trimmed.slice(equals + 1).trim(), where: `${source}:${line}` }]
  })

/** Folds lines into sections; parameters before any section belong to [global], as in Samba. */
export const smbSections = (lines: ReadonlyArray<SmbLine>): ReadonlyArray<SmbSection> => {
  const sections: Array<{ name: string; parameters: Array<SmbSection["parameters"][number]> }> = []
  const named = (name: string) => {
    const existing = sections.find((s) => s.name.toLowerCase() === name.toLowerCase())
    if (existing !== undefined) return existing
    const created = { name, parameters: [] }
    sections.push(created)
    return created
  }
  let current = named("global")
  for (const line of lines) {
    if (line.kind === "section") current = named(line.name)
    else current.parameters.push({ key: line.key, value: line.value, where: line.where })
  }
  return sections.filter((s) => s.name !== "global" || s.parameters.length > 0)
}

// ---- NFS exports ------------------------------------------------------------------

/** An exports(5) path: quoted, or with \040-style octal escapes. */
const unescapeOctal = (text: string) => text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)))

/** Whitespace-separated words, a double-quoted word kept whole. */
const words = (text: string): Array<string> => {
  const out: Array<string> = []
  const pattern = /"([^"]*)"(\S*)|(\S+)/g
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    out.push(match[3] ?? `${match[1]}${match[2] ?? ""}`)
  }
  return out
}

/**
 * exports(5): `path [-default,options] [client[(options)]]…`. A client
 * without options takes the defaults; a line naming no client exports to
 * everyone (client ""), which exportfs warns about.
 */
export const parseExports = (text: string, source: string): ReadonlyArray<NfsExport> =>
  logicalLines(text).flatMap(({ line: lineNumber, text: raw }): ReadonlyArray<NfsExport> => {
    const hash = raw.indexOf("#")
    const body = (hash < 0 ? raw : raw.slice(0, hash)).trim()
    if (body === "") return []
    const [first, ...rest] = words(body)
    if (first === undefined) return []
    const path = unescapeOctal(first)
    let defaults: Array<string> = []
    const clients: Array<{ client: string; options: Array<string> }> = []
    for (const word of rest) {
      if (word.startsWith("-") && clients.length === 0) {
        defaults = word.slice(1).split(",").filter((o) => o !== "")
        continue
      }
      const open = word.indexOf("(")
      if (open < 0) clients.push({ client: word, options: defaults })
      else {
        const options = word.slice(open + 1).replace(/\)$/, "").split(",").map((o) => o.trim()).filter((o) => o !== "")
        clients.push({ client: word.slice(0, open), options })
      }
    }
    if (clients.length === 0) clients.push({ client: "", options: defaults })
    return clients.map(({ client, options }) => ({ path, client, options, where: `${source}:${lineNumber}`, line: body }))
  })

// ---- accounts -------------------------------------------------------------------

/** The third field of each passwd or group line: the uids or gids that name an account. */
export const idsIn = (text: string): ReadonlySet<number> =>
  new Set(text.split("\n").flatMap((line) => {
    const id = line.split(":")[2]
    return id !== undefined && /^\d+$/.test(id) ? [Number(id)] : []
  }))
