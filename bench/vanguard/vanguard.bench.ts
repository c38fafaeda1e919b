/**
 * VANGUARD: reading `apt-get -s -V dist-upgrade` for 2,000 upgradable
 * packages (every fifth a security update, listed in two suites), against
 * two anchors in the same run:
 * - a naive reader: one regex over the Inst lines, no validation, no
 *   kept-back block, no counts checked (what a quick script would do);
 * - apt-get's own simulate on the hermetic sandbox (test/support/aptSandbox.ts,
 *   9 installed packages): the floor of one real call, which any check pays.
 * The goal: our parse is a small fraction of one apt call, and within a few
 * times the naive regex.
 */
import { spawnSync } from "node:child_process"
import { Result } from "effect"
import { parseSimulation } from "../../src/adapters/apt/simulate.ts"
import { makeAptSandbox } from "../../test/support/aptSandbox.ts"
import { largeSimulation, renderSimulation } from "../../test/support/aptTranscript.ts"
import { now, round, summarise } from "../support.ts"

const PACKAGES = 2_000
const RUNS = 50

const NAIVE = /^Inst (\S+) \[([^\]]+)\] \((\S+) (.+) \[/
const naive = (text: string) => {
  const out: Array<{ name: string; from: string; to: string; security: boolean }> = []
  for (const line of text.split("\n")) {
    const m = NAIVE.exec(line)
    if (m !== null) out.push({ name: m[1]!, from: m[2]!, to: m[3]!, security: m[4]!.includes("-security") })
  }
  return out
}

export const vanguard = async () => {
  const text = renderSimulation(largeSimulation(PACKAGES))
  const ours: Array<number> = []
  const anchor: Array<number> = []
  let securityOurs = 0
  let securityNaive = 0
  for (let i = 0; i < RUNS + 5; i++) {
    let t0 = now()
    const parsed = parseSimulation(text)
    const oursUs = (now() - t0) * 1000
    t0 = now()
    const n = naive(text)
    const naiveUs = (now() - t0) * 1000
    if (Result.isFailure(parsed)) throw new Error(parsed.failure.message)
    if (i < 5) continue // warm-up
    ours.push(oursUs)
    anchor.push(naiveUs)
    securityOurs = parsed.success.upgrades.filter((p) => p.security).length
    securityNaive = n.filter((p) => p.security).length
  }
  // apt-get's own simulate on the sandbox: the cost of the call the parse follows.
  const sandbox = makeAptSandbox()
  const aptUs: Array<number> = []
  try {
    const env = { ...process.env, APT_CONFIG: sandbox.aptConfig, LC_ALL: "C" }
    if (spawnSync("apt-get", ["update", "-qq"], { env }).status !== 0) throw new Error("apt-get update failed on the sandbox (is apt installed?)")
    for (let i = 0; i < 10; i++) {
      const t0 = now()
      const run = spawnSync("apt-get", ["-s", "-V", "dist-upgrade"], { env, encoding: "utf8" })
      aptUs.push((now() - t0) * 1000)
      if (run.status !== 0) throw new Error(`apt-get -s failed: ${run.stderr}`)
    }
  } finally {
    sandbox.close()
  }
  const o = summarise(ours)
  const a = summarise(anchor)
  const apt = summarise(aptUs)
  return {
    packages: PACKAGES,
    transcriptBytes: text.length,
    ours: o,
    naiveRegex: a,
    aptGetSimulateSandbox: apt,
    ratioVsNaive: round(o.p50Us / a.p50Us),
    ratioVsAptCall: round(o.p50Us / apt.p50Us, 3),
    securityFound: { ours: securityOurs, naive: securityNaive, expected: PACKAGES / 5 }
  }
}
