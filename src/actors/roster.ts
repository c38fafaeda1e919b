/**
 * The 40 agents and the supervision tree that runs them.
 *
 * OMNISCIENT is the root supervisor (tier 4 is OMNISCIENT itself: its agent is
 * the root's first child). Under it, one supervisor per tier, started in tier
 * order and stopped in reverse. Every tier uses one_for_one: agents share no
 * state, only messages, so one agent's restart never invalidates another's.
 *
 * Intensity is sized to the tier: tiers 2 and 5-8 hold many independent
 * services and tolerate more restarts per window before giving up; tiers 1 and
 * 3 hold few, heavier agents where repeated crashes mean something is wrong.
 * A tier that gives up is restarted by the root with fresh agents; the root
 * gives up after 3 tier restarts in a minute, and then the daemon exits
 * non-zero so that systemd (Restart=on-failure) starts it afresh.
 *
 * Backoff spreads a crash loop out until no window holds MaxR restarts (in
 * tiers 2 and 5-8 it never would), so each supervisor also bounds restarts of
 * one child in a row that never ran the stable minute. The bound is chosen so
 * that such a loop escalates within that minute: 8 restarts with the default
 * backoff wait at most 0.2+0.4+…+12.8 s, +20% = 30.5 s. A tier that escalates
 * that quickly is, to the root, an unstable child in turn: a loop that
 * survives 3 tier restarts in a row ends with the daemon's exit.
 */
import type { MigrationFiles } from "../adapters/migration/MigrationFiles.ts"
import type { ConfigCheck } from "../adapters/configcheck/ConfigCheck.ts"
import type { WireGuard } from "../adapters/wireguard/WireGuard.ts"
import type { AccessPolicy } from "../access/Policy.ts"
import type { SupervisorNode } from "../runtime/ActorSystem.ts"
import type { AgentDefinition } from "../runtime/Agent.ts"
import type { Backoff } from "../runtime/Supervisor.ts"
import type { CallerFiles } from "../adapters/fs/CallerFiles.ts"
import type { PathSnapshots } from "../adapters/pathsnap/PathSnapshots.ts"
import type { ZfsReplication } from "../adapters/zfs/Replication.ts"
import type { Files } from "../adapters/fs/Files.ts"
import type { NetLinks } from "../adapters/netlinks/NetLinks.ts"
import type { ProcStats } from "../adapters/procfs/ProcStats.ts"
import type { Memory } from "../memory/Memory.ts"
import type { Keyring } from "../keys/Keyring.ts"
import type { AuditLedger } from "../ledger/index.ts"
import type { Gateway } from "../adapters/socket/Gateway.ts"
import type { Notify } from "../adapters/systemd/Notify.ts"
import type { ServiceManager } from "../adapters/systemd/ServiceManager.ts"
import type { StateStore } from "../adapters/state/StateStore.ts"
import type { SystemFacts } from "../adapters/system/SystemFacts.ts"
import type { Disks } from "../adapters/disks/Disks.ts"
import type { Smart } from "../adapters/smart/Smart.ts"
import type { Zfs } from "../adapters/zfs/Zfs.ts"
import type { HostProbe } from "../adapters/hostprobe/HostProbe.ts"
import type { Apt } from "../adapters/apt/Apt.ts"
import type { MetricHistory } from "../history/History.ts"
import { aegisAgent } from "./aegis/index.ts"
import { apexAgent } from "./apex/index.ts"
import { arbiterAgent } from "./arbiter/index.ts"
import { architectAgent } from "./architect/index.ts"
import { atlasAgent } from "./atlas/index.ts"
import { axiomAgent } from "./axiom/index.ts"
import { bridgeAgent } from "./bridge/index.ts"
import { canvasAgent } from "./canvas/index.ts"
import { cipherAgent } from "./cipher/index.ts"
import { coreAgent } from "./core/index.ts"
import { cryptoAgent } from "./crypto/index.ts"
import { eclipseAgent } from "./eclipse/index.ts"
import { fluxAgent } from "./flux/index.ts"
import { forgeAgent } from "./forge/index.ts"
import { fortressAgent } from "./fortress/index.ts"
import { genesisAgent } from "./genesis/index.ts"
import { helixAgent } from "./helix/index.ts"
import { latticeAgent } from "./lattice/index.ts"
import { ledgerAgent } from "./ledger/index.ts"
import { linguaAgent } from "./lingua/index.ts"
import { mentorAgent } from "./mentor/index.ts"
import { morphAgent } from "./morph/index.ts"
import { neuralAgent } from "./neural/index.ts"
import { nexusAgent } from "./nexus/index.ts"
import { omniscientAgent } from "./omniscient/index.ts"
import { oracleAgent } from "./oracle/index.ts"
import { orbitAgent } from "./orbit/index.ts"
import { phantomAgent } from "./phantom/index.ts"
import { photonAgent } from "./photon/index.ts"
import { prismAgent } from "./prism/index.ts"
import { pulseAgent } from "./pulse/index.ts"
import { quantumAgent } from "./quantum/index.ts"
import { scribeAgent } from "./scribe/index.ts"
import { sentryAgent } from "./sentry/index.ts"
import { streamAgent } from "./stream/index.ts"
import { synapseAgent } from "./synapse/index.ts"
import { tensorAgent } from "./tensor/index.ts"
import { vanguardAgent } from "./vanguard/index.ts"
import { velocityAgent } from "./velocity/index.ts"
import { vertexAgent } from "./vertex/index.ts"
import type { Shares } from "../adapters/shares/Shares.ts"
import type { StorageBench } from "../adapters/storagebench/StorageBench.ts"

/** The adapter services the agents of the roster need; the composition root provides them. */
export type RosterServices =
  | AccessPolicy
  | Files
  | CallerFiles
  | SystemFacts
  | ProcStats
  | NetLinks
  | StateStore
  | Gateway
  | Notify
  | ServiceManager
  | Memory
  | Keyring
  | AuditLedger
  | Zfs
  | ZfsReplication
  | PathSnapshots
  | Disks
  | Smart
  | Shares
  | ConfigCheck
  | HostProbe
  | WireGuard
  | MigrationFiles
  | StorageBench
  | MetricHistory
  | Apt

/** In SPEC.md order, which is also each tier's start order. */
export const agents: ReadonlyArray<AgentDefinition<RosterServices>> = [
  apexAgent,
  cipherAgent,
  architectAgent,
  axiomAgent,
  velocityAgent,
  quantumAgent,
  tensorAgent,
  fortressAgent,
  neuralAgent,
  cryptoAgent,
  fluxAgent,
  prismAgent,
  synapseAgent,
  coreAgent,
  helixAgent,
  vanguardAgent,
  eclipseAgent,
  atlasAgent,
  forgeAgent,
  sentryAgent,
  nexusAgent,
  genesisAgent,
  omniscientAgent,
  streamAgent,
  photonAgent,
  latticeAgent,
  morphAgent,
  phantomAgent,
  orbitAgent,
  canvasAgent,
  linguaAgent,
  scribeAgent,
  mentorAgent,
  bridgeAgent,
  ledgerAgent,
  pulseAgent,
  aegisAgent,
  oracleAgent,
  arbiterAgent,
  vertexAgent
]

/** Restarts back off from immediate to 30 s, ±20%; a minute of stable running resets them (and ends a streak of restarts). */
export const defaultBackoff: Backoff = { initialMs: 200, maxMs: 30_000, jitter: 0.2, resetAfterMs: 60_000 }

const tier = (
  name: string,
  intensity: { readonly maxRestarts: number; readonly withinMs: number; readonly maxRestartsInARow: number },
  members: ReadonlyArray<AgentDefinition<RosterServices>>
): SupervisorNode<RosterServices> => ({
  name,
  strategy: "one_for_one",
  intensity,
  backoff: defaultBackoff,
  children: members
})

const inTier = (t: AgentDefinition["tier"]) => agents.filter((agent) => agent.tier === t)

export const rosterTree = (backoff: Backoff = defaultBackoff): SupervisorNode<RosterServices> => ({
  name: "OMNISCIENT",
  strategy: "one_for_one",
  intensity: { maxRestarts: 3, withinMs: 60_000, maxRestartsInARow: 3 },
  backoff,
  children: [
    ...inTier("4"),
    { ...tier("tier-1", { maxRestarts: 5, withinMs: 30_000, maxRestartsInARow: 5 }, inTier("1")), backoff },
    { ...tier("tier-2", { maxRestarts: 10, withinMs: 60_000, maxRestartsInARow: 8 }, inTier("2")), backoff },
    { ...tier("tier-3", { maxRestarts: 5, withinMs: 30_000, maxRestartsInARow: 5 }, inTier("3")), backoff },
    { ...tier("tier-5-8", { maxRestarts: 10, withinMs: 60_000, maxRestartsInARow: 8 }, inTier("5-8")), backoff }
  ]
})
