/**
 * GENESIS: first-run setup. `discover` reads lsblk (the Disks port), the
 * imported pools (`zpool status -j`, the Zfs port) and the by-id links (the
 * Files port), and asks ORACLE for each free disk's health; `setup-plan`
 * asks ARCHITECT for a layout of the healthy free disks and answers one APEX
 * plan, each task checked against its agent's protocol, as a dry run;
 * `setup` with confirm hands it to APEX `run` as the caller's own request
 * (APEX checks the caller's rights for every task). Nothing here changes the
 * system: only APEX, running the confirmed plan, does.
 */
import { Cause, Effect, Exit, type Schema } from "effect"
import { Disks } from "../../adapters/disks/Disks.ts"
import { Files, listIfPresent } from "../../adapters/fs/Files.ts"
import { Zfs } from "../../adapters/zfs/Zfs.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import type { Caller } from "../../runtime/Caller.ts"
import { Architect } from "../architect/messages.ts"
import { Oracle } from "../oracle/messages.ts"
import { DependencyFailed } from "../shared/rejections.ts"
import { serviceMachine } from "../shared/serve.ts"
import { GenesisConfig } from "./config.ts"
import { type Assessed, type ByIdLink, failing, freeDisk, healthOf, unpooled } from "./discover.ts"
import { buildSetupPlan } from "./plan.ts"
import { type Discovery, Genesis, InvalidSetupPlan, NoUnpooledDisks, type SetupPlan } from "./messages.ts"

export const genesisCapabilities: ReadonlyArray<Capability> = [
  {
    name: "disk-discovery",
    available: true,
    detail: "unpooled disks: `lsblk -J -b -O` minus the leaves of `zpool status -j` (resolved through /dev/disk/by-id; a pooled partition marks its disk), " +
      "minus mounted, root, swap, formatted and partitioned disks; each with by-id name, size, model, serial, rotational and ORACLE's health"
  },
  {
    name: "setup-plan",
    available: true,
    detail: "ARCHITECT's layout for the healthy free disks as one APEX plan (pool, datasets, SMB shares, daily snapshots kept 14 days, monthly scrub), " +
      "every task checked against its agent's protocol; a dry run with a summary; `setup` with confirm hands it to APEX"
  }
]

const BY_ID = "/dev/disk/by-id"

export const genesisMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const disks = yield* Disks
  const zfs = yield* Zfs
  const files = yield* Files
  const config = yield* GenesisConfig

  /** The by-id links (or none, with a note, when the directory is absent or unreadable). */
  const byIdLinks = Effect.gen(function*() {
    const names = yield* listIfPresent(files, config.byIdDir)
    const links: Array<ByIdLink> = []
    for (const name of names) {
      // The pool names a disk as zpool will find it: /dev/disk/by-id/<name> (the directory read is a seam for tests).
      const target = yield* Effect.option(files.readLink(`${config.byIdDir}/${name}`))
      if (target._tag === "Some") links.push({ link: `${BY_ID}/${name}`, target: target.value })
    }
    return { links, note: names.length === 0 ? `${config.byIdDir} lists no disks (is udev running?): pools would name disks by kernel names` : undefined }
  }).pipe(Effect.catch((error) => Effect.succeed({ links: [] as Array<ByIdLink>, note: `cannot read ${config.byIdDir}: ${error.message}` as string | undefined })))

  const pools = zfs.status().pipe(
    Effect.map((pools) => ({ pools, note: undefined as string | undefined })),
    Effect.catch((error) =>
      Effect.succeed({
        pools: [],
        note: error._tag === "ZfsNotInstalled"
          ? `${error.message}: no pool can be created until zfsutils-linux is installed`
          : `cannot read the pools (${error.message}): disks in pools may be listed as free`
      })
    )
  )

  const assess = env.system.call(Oracle, { type: "assess" }, { timeoutMs: 120_000 }).pipe(
    Effect.map((reply): Assessed | string => reply),
    Effect.catch((error) => Effect.succeed(error.message))
  )

  const discover = Effect.gen(function*() {
    const [devices, zfsState, ids] = yield* Effect.all([disks.list, pools, byIdLinks])
    const found = unpooled(devices, zfsState.pools, ids.links)
    const notes = [zfsState.note, ids.note].filter((n): n is string => n !== undefined)
    if (found.unresolved.length > 0) notes.push(`ZFS leaves no block device matches: ${found.unresolved.join(", ")}`)
    const assessed = found.free.length === 0 ? { disks: [], unreadable: [] } : yield* assess
    if (typeof assessed === "string") notes.push(`ORACLE could not assess the disks: ${assessed}`)
    const discovery: { -readonly [K in keyof Discovery]: Array<Discovery[K][number]> } = { disks: [], refused: [], used: [...found.used], notes }
    for (const entry of found.free) {
      const disk = freeDisk(entry, healthOf(assessed, entry.device))
      if (failing(disk.health)) discovery.refused.push({ ...disk, reason: `ORACLE says it is failing (${disk.health.level}): ${disk.health.detail}` })
      else discovery.disks.push(disk)
    }
    return discovery as Discovery
  })

  const setupPlan = (goal: SetupPlan["goal"]) =>
    Effect.gen(function*() {
      const discovery = yield* discover
      if (discovery.disks.length === 0) {
        return yield* new NoUnpooledDisks({ used: discovery.used, refused: discovery.refused.map((r) => ({ device: r.device, reason: r.reason })) })
      }
      const [first, ...rest] = discovery.disks.map((d) => d.device)
      const recommendation = yield* env.system.call(Architect, { type: "recommend", goal, disks: [first!, ...rest], pool: config.pool }).pipe(
        Effect.mapError((error) => new DependencyFailed({ agent: "ARCHITECT", reason: error.message }))
      )
      const plan = buildSetupPlan({ goal, discovery, recommendation, config })
      if (plan === undefined) return yield* new DependencyFailed({ agent: "ARCHITECT", reason: "it offered no layout for the free disks" })
      for (const task of plan.plan.tasks) {
        const checked = env.system.validate(task.agent, task.message)
        if (Exit.isFailure(checked)) {
          const error = Cause.squash(checked.cause) as { readonly message?: string }
          return yield* new InvalidSetupPlan({ task: task.id, reason: error.message ?? String(error) })
        }
      }
      return plan
    })

  const handOver = (caller: Caller, plan: SetupPlan) =>
    env.system.askAs(caller, "APEX", { type: "run", ...plan.plan, confirm: true }).pipe(
      Effect.mapError((error) => new DependencyFailed({ agent: "APEX", reason: error.message }))
    )

  return yield* serviceMachine(Genesis, {
    handlers: {
      discover: () => discover,
      "setup-plan": (message) => setupPlan(message.goal ?? "balanced"),
      setup: (message, { caller }) =>
        Effect.gen(function*() {
          const plan = yield* setupPlan(message.goal ?? "balanced")
          if (message.confirm !== true) return { ...plan, executed: false }
          const apex = yield* handOver(caller, plan)
          return { ...plan, executed: true, apex: apex as typeof Schema.Json.Type }
        })
    }
  })
})
