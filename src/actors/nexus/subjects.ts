/**
 * What an alert is about, in the storage graph's terms. Agents write subjects
 * their own way ("pool tank", "/dev/sdb", "snapshots of tank/data", "link
 * eth0"); NEXUS maps each to a node of VERTEX's topology (disk → partition →
 * vdev → pool → dataset → mountpoint → share) so a cascade can be told apart
 * from coincidence, and gives each alert a kind, so the same problem raised
 * twice is one alert and a recovery clears what it recovers from.
 */
import type { AlertSeverity } from "./messages.ts"

/** The storage graph, as VERTEX's `topology` gives it: edges point from what depends to what it depends on. */
export interface Graph {
  readonly nodes: ReadonlyMap<string, { readonly kind: string; readonly label: string }>
  /** node → the nodes it depends on */
  readonly deps: ReadonlyMap<string, ReadonlyArray<string>>
}

export const emptyGraph: Graph = { nodes: new Map(), deps: new Map() }

export const graphOf = (topology: {
  readonly nodes: ReadonlyArray<{ readonly id: string; readonly kind: string; readonly label: string }>
  readonly edges: ReadonlyArray<{ readonly from: string; readonly to: string }>
}): Graph => {
  const nodes = new Map(topology.nodes.map((n) => [n.id, { kind: n.kind, label: n.label }]))
  const deps = new Map<string, Array<string>>()
  for (const { from, to } of topology.edges) {
    const list = deps.get(from)
    if (list === undefined) deps.set(from, [to])
    else list.push(to)
  }
  return { nodes, deps }
}

const deviceName = (name: string) => name.startsWith("/dev/") ? name : `/dev/${name}`

/**
 * The graph node a subject is about. Without the graph (VERTEX unavailable)
 * the ids are still the ones VERTEX would use, so names alone relate
 * datasets to their pool.
 */
export const entityOf = (graph: Graph, agent: string, subject: string, text: string): string => {
  const s = subject.trim()
  let m: RegExpExecArray | null
  // ORACLE: "/dev/sdb"; SENTRY's busy disk: "disk:sdb"; reports: "disk sdb".
  if ((m = /^(?:disk )?(\/dev\/\S+)$/.exec(s)) !== null || (m = /^disk[ :](\S+)$/.exec(s)) !== null) {
    const path = deviceName(m[1]!)
    return graph.nodes.has(`part:${path}`) ? `part:${path}` : `disk:${path}`
  }
  if ((m = /^pool (\S+)$/.exec(s)) !== null) {
    const pool = m[1]!
    // LATTICE names the device in the text of a device problem: "tank: mirror-0/sdb is FAULTED".
    const device = agent === "LATTICE" ? new RegExp(`^${escape(pool)}: (\\S+) (?:is |read |write |checksum )`).exec(text) : null
    return device === null ? `pool:${pool}` : vdevEntity(graph, pool, device[1]!)
  }
  if ((m = /^vdev (\S+?)\/(\S+)$/.exec(s)) !== null) return vdevEntity(graph, m[1]!, m[2]!)
  if ((m = /^(?:dataset|snapshots of) (\S+)$/.exec(s)) !== null) return `dataset:${m[1]!}`
  if ((m = /^mountpoint (\/\S*)$/.exec(s)) !== null) return `mount:${m[1]!}`
  if ((m = /^share (?:(smb|nfs)\/)?(\S+)$/.exec(s)) !== null) {
    if (m[1] !== undefined) return `share:${m[1]}/${m[2]!}`
    const found = [...graph.nodes.keys()].find((id) => id === `share:smb/${m![2]}` || id === `share:nfs/${m![2]}`)
    return found ?? `share:smb/${m[2]!}`
  }
  return `subject:${s}`
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** A vdev by its path in the pool ("mirror-0/sdb", "mirror-0") or its name ("sdb"), as VERTEX names the node. */
const vdevEntity = (graph: Graph, pool: string, path: string): string => {
  const exact = `vdev:${pool}/${path}`
  if (graph.nodes.has(exact)) return exact
  const last = path.slice(path.lastIndexOf("/") + 1)
  for (const [id, node] of graph.nodes) {
    if (node.kind === "vdev" && id.startsWith(`vdev:${pool}/`) && (id.endsWith(`/${path}`) || node.label === last)) return id
  }
  return exact
}

/** "disk:/dev/sdb" → "disk /dev/sdb": how an incident names its root. */
export const entityText = (entity: string): string => {
  const colon = entity.indexOf(":")
  const kind = entity.slice(0, colon)
  const rest = entity.slice(colon + 1)
  return kind === "subject" ? rest : kind === "part" ? `partition ${rest}` : kind === "mount" ? `mountpoint ${rest}` : `${kind} ${rest}`
}

/**
 * Whether `a` depends on `b` (b's failure reaches a): along the graph's
 * edges, and by name where the graph does not know a node (a dataset
 * depends on its parent and its pool, a pool on its vdevs, a vdev on its
 * children).
 */
export const dependsOn = (graph: Graph, a: string, b: string): boolean => {
  if (a === b) return false
  let cache = dependsCache.get(graph)
  if (cache === undefined) dependsCache.set(graph, cache = new Map())
  const key = `${a}\u0000${b}`
  const hit = cache.get(key)
  if (hit !== undefined) return hit
  const answer = search(graph, a, b)
  // Bounded: a graph is replaced when VERTEX is read again, and its answers go with it.
  if (cache.size < 1_000_000) cache.set(key, answer)
  return answer
}

const dependsCache = new WeakMap<Graph, Map<string, boolean>>()

const search = (graph: Graph, a: string, b: string): boolean => {
  const seen = new Set<string>([a])
  const queue = [a]
  while (queue.length > 0) {
    const n = queue.shift()!
    if (byName(n, b)) return true
    for (const next of [...(graph.deps.get(n) ?? []), ...parentsByName(n)]) {
      if (next === b) return true
      if (!seen.has(next)) {
        seen.add(next)
        queue.push(next)
      }
    }
  }
  return false
}

const parentsByName = (n: string): ReadonlyArray<string> => {
  if (!n.startsWith("dataset:")) return []
  const name = n.slice("dataset:".length)
  const slash = name.lastIndexOf("/")
  return slash < 0 ? [`pool:${name}`] : [`dataset:${name.slice(0, slash)}`]
}

const byName = (n: string, b: string): boolean => {
  if (n.startsWith("pool:") && b.startsWith("vdev:")) return b.startsWith(`vdev:${n.slice(5)}/`)
  if (n.startsWith("vdev:") && b.startsWith("vdev:")) return b.startsWith(`${n}/`)
  return false
}

/** An alert's kind, and whether it says the kind is over (a recovery) rather than raising it. */
export interface Kind {
  readonly kind: string
  readonly recovery: boolean
  /**
   * True when the agent announces the end of this kind of alert itself:
   * such an alert clears only when it says so. Others clear after the
   * resolve timeout, or with their cause.
   */
  readonly announcesRecovery: boolean
}

/** Agents that raise an info alert when a problem of theirs is over (one kind per subject unless listed below). */
const RECOVERING = new Set(["ORACLE", "SENTRY", "PHOTON", "LATTICE"])

const PHOTON_KINDS: Readonly<Record<string, string>> = { "PHOTON-LINK-FLAPPING": "flapping", "PHOTON-LINK-ERRORS": "errors", "PHOTON-LINK-DOWN": "link" }

/**
 * What kind of problem an alert is, so its repeats fold together. A code on
 * the alert names the kind where the text had to be read before (PHOTON, and
 * the agents whose text is the kind: FORTRESS, HELIX, AXIOM, MORPH).
 */
export const kindOf = (agent: string, subject: string, severity: AlertSeverity, text: string, code?: string): Kind => {
  const info = severity === "info"
  if (agent === "LATTICE") {
    if (/% full/.test(text)) return { kind: "capacity", recovery: info && /\(ok\)$/.test(text), announcesRecovery: true }
    if (/^(scrub|resilver|\S+) of \S+ finished with/.test(text)) return { kind: "scan", recovery: info, announcesRecovery: false }
    const device = /^\S+: (\S+) (is (\S+)|read |write |checksum )/.exec(text)
    if (device !== null) {
      const online = device[3] === "ONLINE"
      return { kind: `device ${device[1]}`, recovery: online || info, announcesRecovery: device[3] !== undefined }
    }
    if (/^pool \S+ is /.test(text)) return { kind: "state", recovery: info, announcesRecovery: true }
    return { kind: normalise(text, subject), recovery: false, announcesRecovery: false }
  }
  if (agent === "PHOTON") {
    const kind = (code === undefined ? undefined : PHOTON_KINDS[code]) ?? (/flapping/.test(text) ? "flapping" : /errors/.test(text) ? "errors" : "link")
    return { kind, recovery: info, announcesRecovery: true }
  }
  if (RECOVERING.has(agent)) return { kind: "*", recovery: info, announcesRecovery: true }
  // Others (FORTRESS findings, HELIX, MORPH, reports): the text, with numbers and the subject taken out, is the kind; an info clears the subject.
  return { kind: info ? "*" : code ?? normalise(text, subject), recovery: info, announcesRecovery: false }
}

/** Text without the subject, numbers and what changes between raises of the same problem. */
export const normalise = (text: string, subject: string): string =>
  text
    .split(subject).join("<s>")
    .replace(/\(was [^)]*\)/g, "")
    .replace(/\d+(\.\d+)?/g, "#")
    .replace(/\s+/g, " ")
    .trim()
    .toLowerCase()
    .slice(0, 120)

/** Whether a silence's subject pattern (`*` for any characters) matches. */
export const patternMatches = (pattern: string, subject: string): boolean => {
  if (!pattern.includes("*")) return pattern === subject
  const re = new RegExp(`^${pattern.split("*").map(escape).join(".*")}$`, "s")
  return re.test(subject)
}

const poolCache = new WeakMap<Graph, Map<string, ReadonlySet<string>>>()
const reverseCache = new WeakMap<Graph, Map<string, Array<string>>>()

const reverse = (graph: Graph) => {
  let r = reverseCache.get(graph)
  if (r === undefined) {
    r = new Map()
    for (const [from, tos] of graph.deps) {
      for (const to of tos) {
        const list = r.get(to)
        if (list === undefined) r.set(to, [from])
        else list.push(from)
      }
    }
    reverseCache.set(graph, r)
  }
  return r
}

const poolOfName = (n: string): string | undefined => {
  if (n.startsWith("pool:")) return n.slice(5)
  if (n.startsWith("vdev:") || n.startsWith("dataset:")) {
    const rest = n.slice(n.indexOf(":") + 1)
    return rest.split("/")[0]
  }
  return undefined
}

/** The pools a node belongs to: those it depends on and those that depend on it (a disk's pools). */
export const poolsOf = (graph: Graph, entity: string): ReadonlySet<string> => {
  let cache = poolCache.get(graph)
  if (cache === undefined) poolCache.set(graph, cache = new Map())
  const hit = cache.get(entity)
  if (hit !== undefined) return hit
  const pools = new Set<string>()
  const walk = (step: (n: string) => ReadonlyArray<string>) => {
    const seen = new Set([entity])
    const queue = [entity]
    while (queue.length > 0) {
      const n = queue.shift()!
      const pool = poolOfName(n)
      if (pool !== undefined) {
        pools.add(pool)
        continue
      }
      for (const next of step(n)) {
        if (!seen.has(next)) {
          seen.add(next)
          queue.push(next)
        }
      }
    }
  }
  const rdeps = reverse(graph)
  walk((n) => graph.deps.get(n) ?? [])
  walk((n) => rdeps.get(n) ?? [])
  cache.set(entity, pools)
  return pools
}
