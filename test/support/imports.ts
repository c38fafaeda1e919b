/**
 * The source tree's import graph, for the architecture test: which modules a
 * file loads, directly and transitively, and by which chain of imports. It
 * reads `import … from`, `export … from`, bare `import "…"` and `import("…")`,
 * type-only imports included (a layer should not even name what it must not
 * reach).
 */
import { existsSync, readFileSync } from "node:fs"
import { dirname, join, relative, sep } from "node:path"

const STATIC = /^\s*(?:import|export)(?:[^"'`;]*?\bfrom)?\s*["']([^"']+)["']/gm
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g

/** The specifiers `file` imports, in order. */
export const importsOf = (file: string): ReadonlyArray<string> => {
  const text = readFileSync(file, "utf8")
  return [...text.matchAll(STATIC), ...text.matchAll(DYNAMIC)].map((match) => match[1]!)
}

/** A relative specifier as a path from `root` ("src/adapters/fs/Files.ts"); anything else as written ("node:fs", "effect"). */
export const resolveImport = (root: string, file: string, spec: string): string =>
  spec.startsWith(".") ? relative(root, join(dirname(file), spec)).split(sep).join("/") : spec

/**
 * Every module `start` (a path from `root`) loads, directly or not, each with
 * the module that first imported it (breadth first, so the chain back is a
 * shortest one). Packages and node: modules are leaves.
 */
export const closureOf = (root: string, start: string): ReadonlyMap<string, string | undefined> => {
  const importedBy = new Map<string, string | undefined>([[start, undefined]])
  const queue = [start]
  while (queue.length > 0) {
    const module = queue.shift()!
    const file = join(root, module)
    if (!module.startsWith("src/") || !existsSync(file)) continue
    for (const spec of importsOf(file)) {
      const target = resolveImport(root, file, spec)
      if (importedBy.has(target)) continue
      importedBy.set(target, module)
      queue.push(target)
    }
  }
  return importedBy
}

/** "a -> b -> c": how `closure`'s start reaches `target`. */
export const chainTo = (closure: ReadonlyMap<string, string | undefined>, target: string): string => {
  const chain = [target]
  for (let at = closure.get(target); at !== undefined; at = closure.get(at)) chain.unshift(at)
  return chain.join(" -> ")
}
