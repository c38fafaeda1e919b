/**
 * The layering of STYLE.md, enforced: agents never import each other and reach
 * the OS only through adapter ports (never a live adapter, never node: I/O
 * modules, neither directly nor through a library they import); the runtime
 * knows nothing of agents or adapters; nothing spawns through a shell.
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative, sep } from "node:path"
import { describe, expect, it } from "vitest"
import { chainTo, closureOf } from "./support/imports.ts"

const root = join(import.meta.dirname, "..")
const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith(".ts") ? [path] : []
  })
const importsOf = (file: string) =>
  [...readFileSync(file, "utf8").matchAll(/^\s*(?:import|export)[^"']*from\s+["']([^"']+)["']/gm)].map((m) => m[1]!)
const resolveFrom = (file: string, spec: string) =>
  spec.startsWith(".") ? relative(root, join(file, "..", spec)).split(sep).join("/") : spec

const OS_MODULES = /^node:(fs|fs\/promises|child_process|net|dgram|os|http|https)$/

describe("architecture", () => {
  const actorFiles = filesUnder(join(root, "src/actors"))

  it("an agent imports no other agent (only runtime, adapter ports and actors/shared)", () => {
    const offenders: Array<string> = []
    for (const file of actorFiles) {
      const own = relative(join(root, "src/actors"), file).split(sep)[0]!
      if (own === "roster.ts" || own === "shared") continue
      for (const spec of importsOf(file)) {
        const target = resolveFrom(file, spec)
        const other = /^src\/actors\/([^/]+)\//.exec(target)?.[1]
        if (other !== undefined && other !== own && other !== "shared") offenders.push(`${relative(root, file)} -> ${spec}`)
      }
    }
    expect(offenders).toEqual([])
  })

  it("agents reach the OS only through adapter ports, never live adapters or node: I/O", () => {
    const offenders = actorFiles.flatMap((file) =>
      importsOf(file)
        .filter((spec) => OS_MODULES.test(spec) || /Live\.ts$/.test(spec))
        .map((spec) => `${relative(root, file)} -> ${spec}`)
    )
    expect(offenders).toEqual([])
  })

  it("nothing an agent loads, however indirectly, is a live adapter or a node: I/O module", () => {
    const offenders = new Set<string>()
    for (const file of actorFiles) {
      const closure = closureOf(root, relative(root, file).split(sep).join("/"))
      for (const module of closure.keys()) {
        if (OS_MODULES.test(module) || /Live\.ts$/.test(module)) offenders.add(chainTo(closure, module))
      }
    }
    expect([...offenders].sort()).toEqual([])
  })

  it("the transitive check sees through libraries: a chain to node:fs is found and named", () => {
    const closure = closureOf(root, "src/adapters/fs/FilesLive.ts")
    expect(chainTo(closure, "node:fs")).toBe("src/adapters/fs/FilesLive.ts -> node:fs")
    expect(chainTo(closureOf(root, "src/adapters/fs/StdioLive.ts"), "node:fs/promises")).toBe(
      "src/adapters/fs/StdioLive.ts -> src/adapters/fs/FilesLive.ts -> node:fs/promises"
    )
  })

  it("the runtime imports neither agents nor adapters", () => {
    const offenders = filesUnder(join(root, "src/runtime")).flatMap((file) =>
      importsOf(file)
        .map((spec) => resolveFrom(file, spec))
        .filter((target) => target.startsWith("src/actors") || target.startsWith("src/adapters"))
        .map((target) => `${relative(root, file)} -> ${target}`)
    )
    expect(offenders).toEqual([])
  })

  it("nothing runs commands through a shell", () => {
    const offenders = filesUnder(join(root, "src")).filter((file) =>
      /\bexecSync\b|\{[^}]*\bexec\b[^}]*\}\s*from\s*["']node:child_process|shell:\s*true|spawn(?:Sync)?\(\s*["'`](?:\/bin\/)?(?:sh|bash)["'`]/
        .test(readFileSync(file, "utf8"))
    )
    expect(offenders.map((file) => relative(root, file))).toEqual([])
  })
})
