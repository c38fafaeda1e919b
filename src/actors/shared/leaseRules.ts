/**
 * The rules of ARBITER's leases, pure so that ARBITER, OMNISCIENT's
 * `prioritise` and the tests read the same table: what a resource name is,
 * which resources overlap (containment), which jobs may run together on
 * overlapping resources (the conflict matrix, with the reason for each
 * refusal), and the order competing jobs should run in. docs/leases.md holds
 * the same tables for people.
 */
import { Result } from "effect"
import { validateDatasetName, validateDevice, validatePoolName } from "../../adapters/command/names.ts"

export const LEASE_JOBS = [
  "resilver",
  "scrub",
  "replication",
  "snapshot",
  "prune",
  "verify",
  "migration",
  "compression",
  "benchmark"
] as const
export type LeaseJob = typeof LEASE_JOBS[number]

// ---- resources ---------------------------------------------------------------

export type Resource =
  | { readonly kind: "pool"; readonly pool: string }
  | { readonly kind: "dataset"; readonly pool: string; readonly dataset: string }
  | { readonly kind: "disk"; readonly device: string }
  | { readonly kind: "path"; readonly path: string }
  | { readonly kind: "network" }

const MAX_PATH = 4096

/** Absolute, normalised: no empty, '.' or '..' segment, no trailing '/', no NUL. */
const checkPath = (path: string): string | undefined => {
  if (!path.startsWith("/")) return "a path must be absolute"
  if (path.length > MAX_PATH) return `a path has at most ${MAX_PATH} characters`
  if (path.includes("\u0000")) return "a path may not hold NUL"
  if (path === "/") return undefined
  if (path.endsWith("/")) return "a path may not end in '/'"
  for (const segment of path.slice(1).split("/")) {
    if (segment === "") return "a path may not hold '//'"
    if (segment === "." || segment === "..") return "a path may not hold '.' or '..' segments"
  }
  return undefined
}

/**
 * The lease resource of an absolute path as a message gave it: `.` and `..`
 * resolved lexically, repeated and trailing slashes dropped (`/srv//a/../b/`
 * is `path:/srv/b`), so two spellings of one path are one resource.
 */
export const pathResource = (path: string): string => {
  const segments: Array<string> = []
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue
    if (segment === "..") segments.pop()
    else segments.push(segment)
  }
  return `path:/${segments.join("/")}`
}

/** Reads `pool:tank`, `dataset:tank/photos`, `disk:sda`, `path:/srv/photos` or `network`; the failure says why not. */
export const parseResource = (input: string): Result.Result<Resource, string> => {
  if (input === "network") return Result.succeed({ kind: "network" })
  const colon = input.indexOf(":")
  if (colon < 0) return Result.fail("expected pool:<pool>, dataset:<pool/path>, disk:<device>, path:<absolute path> or network")
  const kind = input.slice(0, colon)
  const rest = input.slice(colon + 1)
  switch (kind) {
    case "pool":
      return Result.mapBoth(validatePoolName(rest), { onFailure: (e) => e.message, onSuccess: (pool) => ({ kind: "pool", pool }) })
    case "dataset":
      return Result.mapBoth(validateDatasetName(rest), {
        onFailure: (e) => e.message,
        onSuccess: (dataset) => ({ kind: "dataset", pool: dataset.split("/")[0]!, dataset })
      })
    case "disk":
      return Result.mapBoth(validateDevice(rest), { onFailure: (e) => e.message, onSuccess: (device) => ({ kind: "disk", device }) })
    case "path": {
      const problem = checkPath(rest)
      return problem === undefined ? Result.succeed({ kind: "path", path: rest }) : Result.fail(problem)
    }
    default:
      return Result.fail(`unknown kind of resource '${kind}': expected pool, dataset, disk, path or network`)
  }
}

const under = (child: string, parent: string, separator: string) =>
  child === parent || child.startsWith(parent.endsWith(separator) ? parent : parent + separator)

/**
 * Whether two resources share anything. A pool holds its datasets; a dataset
 * its descendants; a path its descendants (segment-wise: /srv/a holds
 * /srv/a/b, not /srv/ab). A disk is only itself (which pool a disk is in is
 * not known here), and so is the network. Kinds do not mix otherwise: a
 * path is not matched to the dataset mounted there.
 */
export const overlaps = (a: Resource, b: Resource): boolean => {
  switch (a.kind) {
    case "network":
      return b.kind === "network"
    case "disk":
      return b.kind === "disk" && a.device === b.device
    case "path":
      return b.kind === "path" && (under(a.path, b.path, "/") || under(b.path, a.path, "/"))
    case "pool":
      return (b.kind === "pool" || b.kind === "dataset") && a.pool === b.pool
    case "dataset":
      return b.kind === "pool"
        ? a.pool === b.pool
        : b.kind === "dataset" && (under(a.dataset, b.dataset, "/") || under(b.dataset, a.dataset, "/"))
  }
}

export const overlapsByName = (a: string, b: string): boolean => {
  const ra = parseResource(a)
  const rb = parseResource(b)
  return Result.isSuccess(ra) && Result.isSuccess(rb) && overlaps(ra.success, rb.success)
}

// ---- the conflict matrix -------------------------------------------------------

/**
 * Pairs of jobs that may not run at once on overlapping resources, with why.
 * Symmetric; a pair not listed may share. docs/leases.md prints this table.
 */
export const CONFLICTS: ReadonlyArray<readonly [LeaseJob, LeaseJob, string]> = [
  ["resilver", "resilver", "a pool rebuilds one device at a time; a second rebuild restarts the first"],
  ["resilver", "scrub", "ZFS does not scrub while it resilvers, and a scrub slows the rebuild of a degraded pool"],
  ["resilver", "benchmark", "a benchmark slows the rebuild of a degraded pool, and its figures would be meaningless"],
  ["resilver", "replication", "bulk reads prolong the time the pool runs without redundancy"],
  ["resilver", "migration", "bulk copies prolong the time the pool runs without redundancy"],
  ["resilver", "compression", "bulk rewrites prolong the time the pool runs without redundancy"],
  ["resilver", "verify", "a full read prolongs the time the pool runs without redundancy"],
  ["scrub", "scrub", "a pool runs one scrub at a time"],
  ["scrub", "benchmark", "a scrub distorts a benchmark's figures and the benchmark slows the scrub"],
  ["scrub", "replication", "both read the whole dataset tree: together they take longer than one after the other"],
  ["scrub", "migration", "bulk copies during a scrub slow both"],
  ["benchmark", "benchmark", "two benchmarks measure each other"],
  ["benchmark", "replication", "replication traffic distorts a benchmark's figures"],
  ["benchmark", "migration", "copies distort a benchmark's figures"],
  ["benchmark", "compression", "compression's reads and writes distort a benchmark's figures"],
  ["benchmark", "verify", "a verification's reads distort a benchmark's figures"],
  ["replication", "replication", "two sends or receives of the same datasets race on the receive token and the common snapshot"],
  ["replication", "snapshot", "a snapshot taken during a send changes which snapshot is the newest common one"],
  ["replication", "prune", "a prune could destroy the snapshot an incremental send starts from"],
  ["replication", "migration", "data moving under a send or receive"],
  ["snapshot", "snapshot", "two snapshot runs of the same datasets race on names and on the policy's counts"],
  ["snapshot", "prune", "a prune decides from the list of snapshots, which a snapshot run changes"],
  ["snapshot", "migration", "a snapshot taken mid-migration holds half-moved files"],
  ["prune", "prune", "two prunes decide from the same list and destroy twice"],
  ["prune", "verify", "a prune could destroy the snapshot being verified"],
  ["migration", "migration", "two moves of the same tree"],
  ["migration", "compression", "both write the same tree"],
  ["migration", "verify", "files move under the verification, which then reports false differences"],
  ["compression", "compression", "two writers of the same files"],
  ["compression", "verify", "files change under the verification, which then reports false differences"]
]

const conflictIndex = new Map<string, string>()
for (const [a, b, reason] of CONFLICTS) {
  conflictIndex.set(`${a} ${b}`, reason)
  conflictIndex.set(`${b} ${a}`, reason)
}

/** Why `a` and `b` may not run on overlapping resources, or undefined when they may share. */
export const conflictBetween = (a: LeaseJob, b: LeaseJob): string | undefined => conflictIndex.get(`${a} ${b}`)

/** Why two jobs on these resources may not run at once, or undefined when they may. */
export const clash = (
  a: { readonly resource: string; readonly job: LeaseJob },
  b: { readonly resource: string; readonly job: LeaseJob }
): string | undefined => (overlapsByName(a.resource, b.resource) ? conflictBetween(a.job, b.job) : undefined)

// ---- priorities ------------------------------------------------------------------

/** The order competing jobs run in, most urgent first (LEASE_JOBS's order), with why. */
export const PRIORITY: Readonly<Record<LeaseJob, { readonly rank: number; readonly why: string }>> = {
  resilver: { rank: 0, why: "a pool without redundancy is at risk until it is rebuilt" },
  scrub: { rank: 1, why: "finds and repairs silent corruption while the redundancy to repair it exists" },
  replication: { rank: 2, why: "a second copy elsewhere protects against losing the pool" },
  snapshot: { rank: 3, why: "a snapshot is cheap and is what replication and restores start from" },
  prune: { rank: 4, why: "frees space; it can wait until the snapshots and sends are done" },
  verify: { rank: 5, why: "checks what exists; it changes nothing" },
  migration: { rank: 6, why: "moves data on request; nothing is at risk while it waits" },
  compression: { rank: 7, why: "saves space; nothing is at risk while it waits" },
  benchmark: { rank: 8, why: "measures; it runs last so the other jobs neither distort nor are slowed by it" }
}
