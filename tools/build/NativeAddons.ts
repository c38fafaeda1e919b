/**
 * Native addons in a compiled binary. `bun build --compile` embeds a `.node`
 * file only when src/ imports it by a literal path
 * (`node_modules/<package>/<file>`; a `bindings()` lookup fails inside the
 * binary), and it embeds whatever bytes lie at that path at compile time. So
 * a binary for another architecture needs the addon built for that
 * architecture and put at that path while it compiles:
 *
 * - AsInstalled: the file npm ci built on this host (only for the host's own architecture);
 * - NodeGypCross: node-gyp rebuilds a copy of the package with the target's cross compiler
 *   (`CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ node-gyp rebuild --arch=arm64`), the
 *   result is checked to be an ELF for the target, and it stands in for the installed file
 *   while that target compiles; the installed file is backed up and put back afterwards
 *   (and at the start of the next build, should a build be interrupted in between).
 *
 * And the guard: every addon in node_modules must be in the table, so that a
 * new native dependency cannot slip into the arm64 binary built for x64.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, realpathSync, rmSync, statSync } from "node:fs"
import { dirname, join, relative, sep } from "node:path"
import type { Arch } from "./Targets.ts"

export type Recipe =
  | { readonly _tag: "AsInstalled" }
  | { readonly _tag: "NodeGypCross"; readonly cc: string; readonly cxx: string; readonly arch: string }

export interface NativeAddon {
  /** the npm package that ships it */
  readonly package: string
  /** the addon inside the package, e.g. build/Release/addon.node; src/ imports node_modules/<package>/<file> */
  readonly file: string
  readonly build: Readonly<Record<Arch, Recipe>>
}

export interface FoundAddon {
  readonly package: string
  /** relative to the project root, "/"-separated */
  readonly path: string
}

/** Where the scan looks: compiled addons (`build/Release`) and shipped prebuilt ones (`prebuilds`). */
export const isAddonPath = (segments: ReadonlyArray<string>): boolean =>
  (segments.at(-1) ?? "").endsWith(".node") &&
  segments.some((segment, i) => segment === "prebuilds" || (segment === "build" && segments[i + 1] === "Release"))

/** The package a path under node_modules belongs to: the innermost `node_modules/<name>` or `node_modules/@scope/name`. */
export const packageOf = (segments: ReadonlyArray<string>): string | undefined => {
  const i = segments.lastIndexOf("node_modules")
  const first = i < 0 ? undefined : segments[i + 1]
  if (first === undefined) return undefined
  if (!first.startsWith("@")) return first
  const second = segments[i + 2]
  return second === undefined ? undefined : `${first}/${second}`
}

const isUnder = (path: string, dir: string) => path === dir || path.startsWith(dir + sep)

/**
 * Every addon file under `<root>/node_modules`. Symlinked packages (npm's
 * `file:` dependencies) are followed, except into `skip` (absolute paths:
 * tools/stubs holds a stand-in, not an addon); dot entries of a
 * node_modules folder (.bin, .cache) are not packages.
 */
export const findAddons = (root: string, skip: ReadonlyArray<string> = []): ReadonlyArray<FoundAddon> => {
  const skipped = skip.map((dir) => (existsSync(dir) ? realpathSync(dir) : dir))
  const found: Array<FoundAddon> = []
  const visited = new Set<string>()
  const walk = (dir: string, segments: ReadonlyArray<string>): void => {
    const real = realpathSync(dir)
    if (visited.has(real) || skipped.some((s) => isUnder(real, s))) return
    visited.add(real)
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (segments.at(-1) === "node_modules" && entry.name.startsWith(".")) continue
      const path = join(dir, entry.name)
      const pathSegments = [...segments, entry.name]
      const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && existsSync(path) && statSync(path).isDirectory())
      if (isDirectory) walk(path, pathSegments)
      else if (isAddonPath(pathSegments)) {
        const name = packageOf(pathSegments)
        if (name !== undefined) found.push({ package: name, path: pathSegments.join("/") })
      }
    }
  }
  if (existsSync(join(root, "node_modules"))) walk(join(root, "node_modules"), ["node_modules"])
  return found.sort((a, b) => a.path.localeCompare(b.path))
}

export const unlisted = (found: ReadonlyArray<FoundAddon>, table: ReadonlyArray<NativeAddon>): ReadonlyArray<FoundAddon> =>
  found.filter((addon) => !table.some((entry) => entry.package === addon.package))

export const installedPath = (root: string, addon: NativeAddon): string => join(root, "node_modules", addon.package, addon.file)

const CACHE = ["node_modules", ".cache", "sigmavault-native"] as const
const backupRoot = (root: string) => join(root, ...CACHE, "installed")
export const crossBuildDir = (root: string, arch: Arch, addon: NativeAddon): string =>
  join(root, ...CACHE, arch, addon.package)

/** The node-gyp invocation: npm's own copy when npm runs us (it exports npm_config_node_gyp), else node-gyp on PATH. */
export const nodeGypCommand = (
  recipe: Extract<Recipe, { _tag: "NodeGypCross" }>,
  env: Readonly<Record<string, string | undefined>>
): { readonly file: string; readonly args: ReadonlyArray<string>; readonly env: Readonly<Record<string, string>> } => {
  const gypArgs = ["rebuild", `--arch=${recipe.arch}`]
  const nodeGyp = env["npm_config_node_gyp"]
  return {
    file: nodeGyp === undefined ? "node-gyp" : (env["npm_node_execpath"] ?? "node"),
    args: nodeGyp === undefined ? gypArgs : [nodeGyp, ...gypArgs],
    env: { CC: recipe.cc, CXX: recipe.cxx }
  }
}

/** A fresh copy of the package, without its host build, for node-gyp to rebuild for another architecture. */
export const copyPackageForCrossBuild = (root: string, arch: Arch, addon: NativeAddon): string => {
  const source = join(root, "node_modules", addon.package)
  const target = crossBuildDir(root, arch, addon)
  rmSync(target, { recursive: true, force: true })
  mkdirSync(dirname(target), { recursive: true })
  cpSync(source, target, {
    recursive: true,
    dereference: true,
    filter: (path) => !isUnder(path, join(source, "build"))
  })
  return target
}

export interface Placement {
  /** node_modules/<package>/<file>: the path src/ imports */
  readonly installed: string
  /** the addon built for the target */
  readonly built: string
}

/** Puts each built addon at its installed path, keeping the installed file in the backup. */
export const putInPlace = (root: string, placements: ReadonlyArray<Placement>): void => {
  for (const { built, installed } of placements) {
    const backup = join(backupRoot(root), relative(join(root, "node_modules"), installed))
    mkdirSync(dirname(backup), { recursive: true })
    if (!existsSync(backup)) copyFileSync(installed, backup)
    copyFileSync(built, installed)
  }
}

/** Puts every backed-up installed addon back; returns the paths restored. */
export const restoreInstalled = (root: string): ReadonlyArray<string> => {
  const backups = backupRoot(root)
  const restored: Array<string> = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else {
        const installed = join(root, "node_modules", relative(backups, path))
        copyFileSync(path, installed)
        rmSync(path)
        restored.push(relative(root, installed).split(sep).join("/"))
      }
    }
  }
  if (existsSync(backups)) walk(backups)
  rmSync(backups, { recursive: true, force: true })
  return restored
}
