/**
 * The commit a binary is built from: `git rev-parse --short HEAD`, plus
 * `-dirty` when the work tree has uncommitted changes (untracked files count:
 * they are compiled in just the same), or "unknown" outside a git checkout.
 * Read-only: `--no-optional-locks` keeps `git status` from rewriting the index.
 */
import { spawnSync } from "node:child_process"
import { realpathSync } from "node:fs"

export const UNKNOWN = "unknown"

export const formatCommit = (shortHash: string | undefined, porcelainStatus: string | undefined): string => {
  const hash = shortHash?.trim() ?? ""
  if (!/^[0-9a-f]{4,40}$/.test(hash)) return UNKNOWN
  // A status we could not read cannot prove the tree clean.
  return porcelainStatus === undefined || porcelainStatus.trim() !== "" ? `${hash}-dirty` : hash
}

const git = (root: string, args: ReadonlyArray<string>): string | undefined => {
  const result = spawnSync("git", ["-C", root, "--no-optional-locks", ...args], { encoding: "utf8" })
  return result.status === 0 ? result.stdout : undefined
}

export const currentCommit = (root: string): string => {
  const lines = git(root, ["rev-parse", "--show-toplevel", "--short", "HEAD"])?.trim().split("\n")
  // Only this project's own checkout counts, not a repository that happens to contain it.
  if (lines?.length !== 2 || realpathSync(lines[0]!) !== realpathSync(root)) return UNKNOWN
  return formatCommit(lines[1], git(root, ["status", "--porcelain"]))
}
