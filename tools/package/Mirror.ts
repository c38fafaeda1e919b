/**
 * The Debian mirror this machine's apt uses for a suite, read from its
 * sources (one-line `sources.list` and deb822 `.sources` files): the chroot a
 * test builds fetches from the same place, and no host is hard-coded.
 */

export interface SourcesFile {
  readonly path: string
  readonly text: string
}

interface Source {
  readonly types: ReadonlyArray<string>
  readonly uris: ReadonlyArray<string>
  readonly suites: ReadonlyArray<string>
  readonly components: ReadonlyArray<string>
  readonly enabled: boolean
}

const oneLine = (text: string): ReadonlyArray<Source> =>
  text.split("\n").map((line) => line.replace(/#.*/, "").trim()).filter((line) => line !== "").flatMap((line) => {
    // deb [ option=value ... ] uri suite component...
    const match = /^(deb|deb-src)\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line)
    return match === null ? [] : [{ types: [match[1]!], uris: [match[2]!], suites: [match[3]!], components: match[4]!.split(/\s+/).filter((c) => c !== ""), enabled: true }]
  })

const deb822 = (text: string): ReadonlyArray<Source> =>
  text.split(/\n\s*\n/).flatMap((stanza) => {
    const fields = new Map<string, string>()
    let last: string | undefined
    for (const raw of stanza.split("\n")) {
      if (raw.startsWith("#")) continue
      if (/^\s/.test(raw) && last !== undefined) {
        fields.set(last, `${fields.get(last)} ${raw.trim()}`)
        continue
      }
      const at = raw.indexOf(":")
      if (at < 0) continue
      last = raw.slice(0, at).trim().toLowerCase()
      fields.set(last, raw.slice(at + 1).trim())
    }
    const list = (key: string) => (fields.get(key) ?? "").split(/\s+/).filter((v) => v !== "")
    if (!fields.has("uris")) return []
    return [{ types: list("types"), uris: list("uris"), suites: list("suites"), components: list("components"), enabled: (fields.get("enabled") ?? "yes").toLowerCase() !== "no" }]
  })

/** The first enabled binary source that carries `suite` itself (not -updates, not -security) with main: its URI. */
export const mirrorFrom = (files: ReadonlyArray<SourcesFile>, suite: string): string | undefined => {
  for (const file of files) {
    const sources = file.path.endsWith(".sources") ? deb822(file.text) : oneLine(file.text)
    const found = sources.find((s) => s.enabled && s.types.includes("deb") && s.suites.includes(suite) && s.components.includes("main") && /^(https?|file):/.test(s.uris[0] ?? ""))
    if (found !== undefined) return found.uris[0]
  }
  return undefined
}
