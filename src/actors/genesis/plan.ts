/**
 * The first-run plan: ARCHITECT's best layout for the free disks made into
 * one APEX plan — the pool (LATTICE create-pool, by-id names), datasets
 * (LATTICE create-dataset), an SMB share per dataset (BRIDGE add-share), a
 * snapshot policy and its schedule (HELIX policy, schedule), and a scrub
 * schedule (LATTICE schedule-scrub, which registers it with ORBIT) — each
 * task after what it needs, each state-changing message with confirm (APEX
 * runs it only when the administrator confirms the plan). Pure.
 */
import type { Candidate, Recommendation } from "../architect/messages.ts"
import type { Plan, PlanTask } from "../shared/plan.ts"
import type { GenesisConfigShape } from "./config.ts"
import type { Discovery, FreeDisk, LeftOut, SetupPlan } from "./messages.ts"

const TB = 1e12
const size = (bytes: number) => (bytes >= TB ? `${(bytes / TB).toFixed(1)} TB` : `${(bytes / 1e9).toFixed(0)} GB`)

/** `-o name=value` pairs before the pool name in ARCHITECT's `zpool create` line. */
export const poolProperties = (command: ReadonlyArray<string>): Record<string, string> => {
  const properties: Record<string, string> = {}
  for (let i = 2; i < command.length - 1; i++) {
    if (command[i] !== "-o") continue
    const [name, ...value] = command[i + 1]!.split("=")
    if (name !== undefined && value.length > 0) properties[name] = value.join("=")
    i++
  }
  return properties
}

/** The name a disk goes into the pool with: its by-id link when udev made one, so the pool survives renumbering. */
const stableName = (disks: ReadonlyArray<FreeDisk>, path: string) => disks.find((d) => d.device === path)?.byId ?? path

export interface PlanInput {
  readonly goal: SetupPlan["goal"]
  readonly discovery: Discovery
  readonly recommendation: Pick<Recommendation, "candidates" | "leftOut" | "warnings">
  readonly config: GenesisConfigShape
}

export const buildSetupPlan = (input: PlanInput): SetupPlan | undefined => {
  const { config, discovery, goal } = input
  const best: Candidate | undefined = input.recommendation.candidates[0]
  if (best === undefined) return undefined
  const pool = config.pool
  const vdevs = best.vdevs.map((v) => ({ kind: v.kind, disks: v.disks.map((d) => stableName(discovery.disks, d)) }))
  const members = vdevs.flatMap((v) => v.disks)
  const properties = poolProperties(best.command)
  const tasks: Array<PlanTask> = []
  const summary: Array<string> = []

  tasks.push({
    id: "pool",
    agent: "LATTICE",
    message: { type: "create-pool", pool, vdevs, ...(Object.keys(properties).length === 0 ? {} : { properties }), confirm: true }
  })
  summary.push(
    `create pool ${pool} (${best.name}, ${members.length} disk${members.length === 1 ? "" : "s"}): ` +
      `${size(best.usableBytes)} usable, survives ${best.faultTolerance} disk failure${best.faultTolerance === 1 ? "" : "s"} ` +
      `(zpool create${Object.entries(properties).map(([k, v]) => ` -o ${k}=${v}`).join("")} ${pool} ` +
      `${vdevs.map((v) => `${v.kind === "stripe" ? "" : `${v.kind} `}${v.disks.join(" ")}`).join(" ")})`
  )
  for (const dataset of config.datasets) {
    const name = `${pool}/${dataset.name}`
    tasks.push({
      id: `dataset-${dataset.name}`,
      agent: "LATTICE",
      message: { type: "create-dataset", dataset: name, ...(Object.keys(dataset.properties).length === 0 ? {} : { properties: dataset.properties }), confirm: true },
      after: ["pool"]
    })
    summary.push(`create dataset ${name}${Object.entries(dataset.properties).map(([k, v]) => ` ${k}=${v}`).join("")}, mounted at /${name}`)
  }
  for (const dataset of config.datasets) {
    tasks.push({
      id: `share-${dataset.name}`,
      agent: "BRIDGE",
      message: { type: "add-share", protocol: "smb", name: dataset.name, path: `/${pool}/${dataset.name}`, comment: dataset.comment, confirm: true },
      after: [`dataset-${dataset.name}`]
    })
    summary.push(`share /${pool}/${dataset.name} over SMB as \\\\nas\\${dataset.name} (any authenticated user; BRIDGE checks it with testparm first)`)
  }
  const settings = { frequently: 0, hourly: 0, daily: config.dailySnapshots, weekly: 0, monthly: 0, yearly: 0, autosnap: true, autoprune: true }
  tasks.push({
    id: "snapshot-policy",
    agent: "HELIX",
    message: { type: "policy", dataset: pool, policy: { recursive: true, settings }, confirm: true },
    after: config.datasets.map((d) => `dataset-${d.name}`).concat(config.datasets.length === 0 ? ["pool"] : [])
  })
  summary.push(`snapshot ${pool} and every dataset under it daily, keeping ${config.dailySnapshots} days (HELIX policy, pruned automatically)`)
  if (config.scheduleSnapshots) {
    tasks.push({ id: "snapshot-schedule", agent: "HELIX", message: { type: "schedule" }, after: ["snapshot-policy"] })
    summary.push("register HELIX's scheduled snapshot run with ORBIT")
  }
  if (config.scrubCron !== undefined) {
    tasks.push({ id: "scrub-schedule", agent: "LATTICE", message: { type: "schedule-scrub", pool, cron: config.scrubCron }, after: ["pool"] })
    summary.push(`scrub ${pool} ${config.scrubCron === "0 3 1 * *" ? "monthly " : ""}(cron ${config.scrubCron}, through ORBIT)`)
  }

  const leftOut: Array<LeftOut> = input.recommendation.leftOut.map((l) => ({ device: l.disk, reason: l.reason }))
  const warnings: Array<string> = [...best.warnings, ...input.recommendation.warnings]
  const spares = best.spares.map((d) => stableName(discovery.disks, d))
  if (spares.length > 0) {
    warnings.push(
      `ARCHITECT keeps ${spares.join(", ")} as a hot spare; LATTICE's create-pool takes no spare vdev, so it stays out of the pool: ` +
        `add it afterwards with \`zpool add ${pool} spare ${spares.join(" ")}\``
    )
  }
  if (discovery.disks.length === 1) {
    warnings.push(
      "only one unpooled disk: too few for redundancy. The pool works, but one disk failure loses every file; " +
        "add a second disk of the same size later and attach it (zpool attach) to make a mirror"
    )
  } else if (best.faultTolerance === 0) {
    warnings.push("this layout has no redundancy: one disk failure loses the pool")
  }
  warnings.push(...discovery.notes)
  if (!config.scheduleSnapshots) warnings.push("snapshot_schedule = none: the policy is saved, but no snapshots are taken until HELIX's run is scheduled")
  if (config.scrubCron === undefined) warnings.push("scrub_schedule = none: no scrub is scheduled; scrub the pool by hand now and then")
  for (const refused of discovery.refused) warnings.push(`${refused.device} is left out: ${refused.reason}`)
  for (const disk of discovery.disks.filter((d) => members.includes(d.byId ?? d.device))) {
    if (disk.health.level === "unknown") warnings.push(`${disk.device}: health unknown (${disk.health.detail})`)
    if (disk.health.level === "watch") warnings.push(`${disk.device}: ORACLE is watching it (${disk.health.detail})`)
    if (disk.byId === undefined) warnings.push(`${disk.device} has no /dev/disk/by-id name: the pool names it by its kernel name`)
  }
  const plan: Plan = {
    goal: `first-run setup: pool ${pool} (${best.name}), ${config.datasets.length} datasets with SMB shares, daily snapshots` +
      (config.scrubCron === undefined ? "" : ", scheduled scrubs"),
    tasks: tasks as unknown as Plan["tasks"]
  }
  return {
    goal,
    plan,
    layout: { name: best.name, display: best.display, usableBytes: best.usableBytes, faultTolerance: best.faultTolerance, disks: members, spares },
    summary,
    warnings,
    discovery,
    leftOut
  }
}
