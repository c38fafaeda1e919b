/**
 * The layering of STYLE.md and docs/architecture.md, enforced on the import
 * graph of src/ (type-only imports count: they tie modules together as much):
 * no import cycles anywhere; agents never import each other except for their
 * protocols (messages.ts), and reach the OS only through adapter ports (never
 * a live adapter or a node: I/O module, neither directly nor through a library
 * they import); a protocol loads no machine, no OS module and no native code;
 * the runtime knows nothing of agents or adapters; nothing spawns through a shell.
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, normalize, relative, sep } from "node:path"
import { describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "..")
const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith(".ts") ? [path] : []
  })
const rel = (file: string) => relative(root, file).split(sep).join("/")

interface Edge {
  readonly module: string
  /** `import type` / `export type`: ties the modules together, loads nothing at run time. */
  readonly typeOnly: boolean
}

/** Every module a file (src-relative) names: static imports, re-exports and dynamic `import("…")`. */
const importsOf = (file: string): ReadonlyArray<Edge> => {
  const text = readFileSync(join(root, file), "utf8")
  const resolve = (spec: string) => (spec.startsWith(".") ? normalize(join(dirname(file), spec)).split(sep).join("/") : spec)
  return [
    ...[...text.matchAll(/^\s*(import|export)\b([^"'`;]*?)\bfrom\s+["']([^"']+)["']/gm)].map((m) => ({
      module: resolve(m[3]!),
      typeOnly: /^\s*type\b/.test(m[2]!)
    })),
    ...[...text.matchAll(/^\s*import\s+["']([^"']+)["']/gm)].map((m) => ({ module: resolve(m[1]!), typeOnly: false })),
    ...[...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => ({ module: resolve(m[1]!), typeOnly: false }))
  ]
}

const srcFiles = filesUnder(join(root, "src")).map(rel)
/** src-relative module → what it imports: src files as paths from the root, packages and node: modules as named. */
const edges = new Map<string, ReadonlyArray<Edge>>(srcFiles.map((file) => [file, importsOf(file)]))
const graph = new Map<string, ReadonlyArray<string>>([...edges].map(([file, es]) => [file, es.map((e) => e.module)]))
const isSource = (module: string) => graph.has(module)

/** Every module loaded at run time when `file` is, with one import path to each (for a readable failure). */
const closure = (file: string): ReadonlyMap<string, ReadonlyArray<string>> => {
  const paths = new Map<string, ReadonlyArray<string>>([[file, [file]]])
  const queue = [file]
  while (queue.length > 0) {
    const at = queue.shift()!
    for (const next of (edges.get(at) ?? []).filter((e) => !e.typeOnly).map((e) => e.module)) {
      if (paths.has(next)) continue
      paths.set(next, [...paths.get(at)!, next])
      if (isSource(next)) queue.push(next)
    }
  }
  return paths
}

/** Strongly connected components with more than one module, or a module importing itself (Tarjan). */
const cycles = (): ReadonlyArray<ReadonlyArray<string>> => {
  let index = 0
  const indices = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: Array<string> = []
  const onStack = new Set<string>()
  const found: Array<Array<string>> = []
  const visit = (v: string) => {
    indices.set(v, index)
    low.set(v, index)
    index++
    stack.push(v)
    onStack.add(v)
    for (const w of (graph.get(v) ?? []).filter(isSource)) {
      if (!indices.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!))
    }
    if (low.get(v) === indices.get(v)) {
      const component: Array<string> = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort())
    }
  }
  for (const v of graph.keys()) if (!indices.has(v)) visit(v)
  return found
}

/**
 * The layers of docs/architecture.md, top first: a module imports only its own
 * layer or those below. (Within a layer, folders may use each other.)
 */
const LAYERS: ReadonlyArray<readonly [string, RegExp]> = [
  ["entry", /^src\/index\.ts$/],
  ["composition", /^src\/(daemon|config)\//],
  ["clients", /^src\/(cli|inspect)\//],
  ["agents", /^src\/actors\//],
  ["transports", /^src\/(protocol\/|adapters\/dbus\/|adapters\/socket\/ControlServer\.ts$)/],
  ["libraries", /^src\/(access|memory|vault|keys|ledger|compress|chunkstore|fileio|integrity|history)\//],
  ["adapters", /^src\/adapters\//],
  ["runtime", /^src\/runtime\//],
  ["leaves", /^src\/(version|ExitCode)\.ts$/]
]
const layerOf = (module: string): number => LAYERS.findIndex(([, pattern]) => pattern.test(module))

const OS_MODULES = /^node:(fs|fs\/promises|child_process|net|dgram|os|http|https|worker_threads)$/
const agentOf = (module: string) => /^src\/actors\/([^/]+)\//.exec(module)?.[1]

describe("architecture", () => {
  it("the import graph of src/ has no cycles", () => {
    expect(cycles()).toEqual([])
  })

  it("every module of src/ belongs to a layer, and imports only its own layer or those below", () => {
    expect(srcFiles.filter((file) => layerOf(file) === -1)).toEqual([])
    const offenders = [...graph].flatMap(([file, imports]) =>
      imports
        .filter((m) => isSource(m) && layerOf(m) < layerOf(file))
        .map((m) => `${file} (${LAYERS[layerOf(file)]![0]}) -> ${m} (${LAYERS[layerOf(m)]![0]})`)
    )
    expect(offenders).toEqual([])
  })

  it("the checks see the real graph: every relative import resolves to a file of src/", () => {
    const dangling = [...graph].flatMap(([file, imports]) =>
      imports.filter((m) => m.startsWith("src/") && !isSource(m)).map((m) => `${file} -> ${m}`)
    )
    expect(dangling).toEqual([])
    expect(graph.size).toBeGreaterThan(200)
  })

  it("an agent imports no other agent, except its protocol (messages.ts)", () => {
    const offenders = [...graph].flatMap(([file, imports]) => {
      const own = agentOf(file)
      if (own === undefined || own === "shared") return []
      return imports
        .filter((m) => {
          const other = agentOf(m)
          return other !== undefined && other !== own && other !== "shared" && !m.endsWith("/messages.ts")
        })
        .map((m) => `${file} -> ${m}`)
    })
    expect(offenders).toEqual([])
  })

  it("a protocol (an agent's messages.ts, and the registry of them all) loads no machine, no OS module, no native code", () => {
    const protocols = [...srcFiles.filter((f) => /^src\/actors\/[^/]+\/messages\.ts$/.test(f)), "src/actors/protocols.ts"]
    expect(protocols.length).toBe(41)
    const offenders = protocols.flatMap((file) =>
      [...closure(file)].filter(([m]) =>
        OS_MODULES.test(m) ||
        m === "xstate" ||
        m.startsWith("hnswlib-node") ||
        m === "dbus-next" ||
        /Live\.ts$/.test(m) ||
        /\/(machine|index)\.ts$/.test(m) && agentOf(m) !== undefined
      ).map(([, path]) => path.join(" -> "))
    )
    expect(offenders).toEqual([])
  })

  it("nothing an agent loads, however indirectly, is a live adapter or a node: I/O module", () => {
    const offenders = srcFiles.filter((f) => agentOf(f) !== undefined || f === "src/actors/roster.ts").flatMap((file) =>
      [...closure(file)].filter(([m]) => OS_MODULES.test(m) || /Live\.ts$/.test(m)).map(([, path]) => path.join(" -> "))
    )
    expect([...new Set(offenders)].sort()).toEqual([])
  })

  it("the transitive check sees through libraries: a chain to node:fs is found and named", () => {
    expect(closure("src/adapters/fs/FilesLive.ts").get("node:fs")).toEqual(["src/adapters/fs/FilesLive.ts", "node:fs"])
    expect(closure("src/adapters/fs/StdioLive.ts").get("node:fs/promises")).toEqual([
      "src/adapters/fs/StdioLive.ts",
      "src/adapters/fs/FilesLive.ts",
      "node:fs/promises"
    ])
  })

  it("agents never import a live adapter", () => {
    const offenders = [...graph].flatMap(([file, imports]) =>
      agentOf(file) === undefined ? [] : imports.filter((m) => /Live\.ts$/.test(m)).map((m) => `${file} -> ${m}`)
    )
    expect(offenders).toEqual([])
  })

  it("the runtime imports neither agents nor adapters, not even through another module", () => {
    const offenders = srcFiles.filter((f) => f.startsWith("src/runtime/")).flatMap((file) =>
      [...closure(file)].filter(([m]) => m.startsWith("src/actors/") || m.startsWith("src/adapters/")).map(([, path]) => path.join(" -> "))
    )
    expect(offenders).toEqual([])
  })

  it("nothing runs commands through a shell", () => {
    const offenders = srcFiles.filter((file) =>
      /\bexecSync\b|\{[^}]*\bexec\b[^}]*\}\s*from\s*["']node:child_process|shell:\s*true|spawn(?:Sync)?\(\s*["'`](?:\/bin\/)?(?:sh|bash)["'`]/
        .test(readFileSync(join(root, file), "utf8"))
    )
    expect(offenders).toEqual([])
  })
})
