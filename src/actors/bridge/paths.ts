/**
 * Where a share may point. A share's path must exist, be a directory, and —
 * judged by its real path, every symbolic link resolved — lie inside an
 * allowed root (share_roots, or /srv and the mounted ZFS datasets), and never
 * inside a system tree or the daemon's own directories.
 */
import { Effect } from "effect"
import { FileError, type FilesShape } from "../../adapters/fs/Files.ts"

/** Never shared, whatever the roots say (`/` itself is refused too, not what is below it). */
export const SYSTEM_TREES: ReadonlyArray<string> = ["/etc", "/usr", "/var", "/root", "/boot", "/proc", "/sys", "/dev", "/run", "/bin", "/sbin", "/lib", "/lib64"]

export const DEFAULT_SHARE_ROOTS: ReadonlyArray<string> = ["/srv"]

export const isWithin = (path: string, dir: string): boolean =>
  dir === "/" ? true : path === dir || path.startsWith(`${dir}/`)

/** "/a//b/./c/../d/" → "/a/b/d". */
export const normalise = (path: string): string => {
  const out: Array<string> = []
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue
    if (part === "..") out.pop()
    else out.push(part)
  }
  return `/${out.join("/")}`
}

/** Why `real` may not be shared, or undefined. Roots and forbidden paths are real paths too. */
export const pathProblem = (real: string, roots: ReadonlyArray<string>, forbidden: ReadonlyArray<string>): string | undefined => {
  if (real === "/") return "it is the root of the filesystem"
  const system = [...SYSTEM_TREES, ...forbidden].find((tree) => isWithin(real, tree))
  if (system !== undefined) return `it is inside ${system}, which is never shared`
  if (roots.length === 0) return "no share roots are known (set share_roots, or mount a ZFS dataset)"
  if (!roots.some((root) => root !== "/" && isWithin(real, root))) return `it is outside the share roots (${roots.join(", ")})`
  return undefined
}

const MAX_LINKS = 40

/**
 * The real path of `path` through the Files port (lstat and readlink, one
 * component at a time), or the FileError of the first component that is
 * missing; too many links is reason SymbolicLink.
 */
export const realPath = (files: FilesShape, path: string): Effect.Effect<string, FileError> =>
  Effect.gen(function*() {
    let pending = normalise(path).split("/").filter((p) => p !== "")
    let resolved = ""
    let links = 0
    while (pending.length > 0) {
      const part = pending.shift()!
      if (part === "..") {
        resolved = resolved.slice(0, resolved.lastIndexOf("/"))
        continue
      }
      const next = `${resolved}/${part}`
      const info = yield* files.stat(next)
      if (info.type !== "symlink") {
        resolved = next
        continue
      }
      if (++links > MAX_LINKS) return yield* new FileError({ reason: "SymbolicLink", operation: "resolve", path, detail: "too many levels of symbolic links" })
      const target = yield* files.readLink(next)
      pending = [...target.split("/").filter((p) => p !== "" && p !== "."), ...pending]
      if (target.startsWith("/")) resolved = ""
    }
    return resolved === "" ? "/" : resolved
  })
