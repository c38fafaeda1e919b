/**
 * HELIX's retention engine against sanoid 2.1 itself on the same random case
 * (test/support/sanoidCases.ts: 400 datasets with their own policies plus
 * their recursive children, ~15,000 snapshots): the anchor is one sanoid run
 * `--prune-snapshots --readonly --verbose --force-prune` (perl, its config
 * parse included, as it runs every 15 minutes); HELIX is resolvePolicies +
 * retention over the same input, in process. Both must prune the same set.
 */
import { resolvePolicies, retention } from "../../src/actors/helix/policy.ts"
import { sanoidSandbox, sanoidTools } from "../../test/support/sanoid.ts"
import { generate } from "../../test/support/sanoidCases.ts"
import { now, round } from "../support.ts"

export const helixRetention = async () => {
  const sandbox = sanoidSandbox(sanoidTools())
  try {
    const c = generate(7, 0, 400)
    const sanoidMs: Array<number> = []
    let sanoidPruned = new Set<string>()
    for (let i = 0; i < 3; i++) {
      const t0 = now()
      const run = await sandbox.run({ ...c, args: ["--prune-snapshots", "--readonly", "--verbose", "--force-prune"] })
      sanoidMs.push(now() - t0)
      sanoidPruned = new Set(run.stdout.split("\n").flatMap((l) => /^INFO: pruning (\S+) \.\.\. $/.exec(l)?.slice(1, 2) ?? []))
    }
    const helixMs: Array<number> = []
    let helixPruned = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const t0 = now()
      const decisions = retention(resolvePolicies(c.policies, c.datasets), c.snapshots, c.now)
      helixMs.push(now() - t0)
      helixPruned = new Set(decisions.filter((d) => d.action === "prune").map((d) => d.snapshot))
    }
    const agree = sanoidPruned.size === helixPruned.size && [...sanoidPruned].every((s) => helixPruned.has(s))
    const best = (xs: ReadonlyArray<number>) => Math.min(...xs)
    return {
      what: `retention decisions for ${c.histories} datasets and ${c.snapshots.length} snapshots: HELIX in process vs one sanoid run (anchor)`,
      snapshots: c.snapshots.length,
      pruned: helixPruned.size,
      agreesWithSanoid: agree,
      helixMs: round(best(helixMs)),
      sanoidMs: round(best(sanoidMs)),
      ratio: round(best(sanoidMs) / best(helixMs), 1),
      ratioMeaning: "sanoid's time over HELIX's (higher: HELIX faster)"
    }
  } finally {
    sandbox.cleanup()
  }
}
