/**
 * The agents' configuration services, from the daemon's resolved settings:
 * what the configuration file says about LATTICE, ORBIT, ORACLE, SENTRY,
 * PULSE, PHOTON, VELOCITY, NEURAL, PRISM, NEXUS and GENESIS (docs/configuration.md), and the watchdog interval systemd asks for.
 * The composition root provides them; an agent only ever sees its own shape.
 */
import { Layer, Result } from "effect"
import { type DaemonPaths, FortressConfig, type FortressConfigShape } from "../actors/fortress/config.ts"
import { BridgeConfig, type BridgeConfigShape } from "../actors/bridge/config.ts"
import { defaultHelixConfig, HelixConfig, type HelixConfigShape } from "../actors/helix/config.ts"
import { AxiomConfig, type AxiomConfigShape } from "../actors/axiom/config.ts"
import { ApexConfig, type ApexConfigShape, defaultApexConfig } from "../actors/apex/config.ts"
import { defaultLatticeConfig, LatticeConfig, type LatticeConfigShape } from "../actors/lattice/config.ts"
import { defaultLinguaConfig, LinguaConfig, type LinguaConfigShape } from "../actors/lingua/config.ts"
import { NeuralConfig, type NeuralConfigShape } from "../actors/neural/config.ts"
import { OracleConfig, type OracleConfigShape } from "../actors/oracle/config.ts"
import { DEFAULT_SCHEDULES, OrbitConfig, type OrbitConfigShape } from "../actors/orbit/config.ts"
import { PhotonConfig, type PhotonConfigShape } from "../actors/photon/config.ts"
import { defaultPhantomConfig, PhantomConfig, type PhantomConfigShape } from "../actors/phantom/config.ts"
import { PrismConfig, type PrismConfigShape } from "../actors/prism/config.ts"
import { PulseConfig, type PulseConfigShape } from "../actors/pulse/config.ts"
import { PROTOCOLS } from "../actors/protocols.ts"
import { SentryConfig, type SentryConfigShape } from "../actors/sentry/config.ts"
import { VelocityConfig, type VelocityConfigShape } from "../actors/velocity/config.ts"
import { defaultVanguardConfig, VanguardConfig, type VanguardConfigShape } from "../actors/vanguard/config.ts"
import { defaultNexusConfig, NexusConfig, type NexusConfigShape } from "../actors/nexus/config.ts"
import { defaultFluxConfig, FluxConfig, type FluxConfigShape } from "../actors/flux/config.ts"
import { defaultGenesisConfig, GenesisConfig, type GenesisConfigShape } from "../actors/genesis/config.ts"
import { defaultScribeConfig, ScribeConfig, type ScribeConfigShape } from "../actors/scribe/config.ts"
import * as Config from "../config/index.ts"
import * as Protocol from "../runtime/Protocol.ts"

export interface AgentConfigs {
  readonly lattice: LatticeConfigShape
  readonly helix: HelixConfigShape
  readonly orbit: OrbitConfigShape
  readonly oracle: OracleConfigShape
  readonly sentry: SentryConfigShape
  readonly pulse: PulseConfigShape
  readonly photon: PhotonConfigShape
  readonly fortress: FortressConfigShape
  readonly phantom: PhantomConfigShape
  readonly bridge: BridgeConfigShape
  readonly velocity: VelocityConfigShape
  readonly neural: NeuralConfigShape
  readonly prism: PrismConfigShape
  readonly nexus: NexusConfigShape,
  readonly axiom: AxiomConfigShape
  readonly flux: FluxConfigShape
  readonly genesis: GenesisConfigShape
  readonly scribe: ScribeConfigShape
  readonly vanguard: VanguardConfigShape
  readonly apex: ApexConfigShape
  readonly lingua: LinguaConfigShape
  /** LINGUA's local model (lingua_llm_url); undefined: none. */
  readonly linguaLlmUrl: string | undefined
}

/**
 * `watchdogIntervalMs`: from systemd's WATCHDOG_USEC (adapters/systemd/Notify.ts),
 * undefined when systemd is not watching.
 */
export const agentConfigsOf = (
  config: Config.Config,
  watchdogIntervalMs: number | undefined,
  /** The daemon's configuration file (undefined: none) and uid, whose files FORTRESS audits. */
  daemon: Pick<DaemonPaths, "configFile" | "uid"> = { configFile: undefined, uid: 0 }
): AgentConfigs => {
  const configured = config.schedules ?? []
  const forSamples = config.resourceAlertSamples
  return {
    lattice: {
      intervalMs: config.poolCheckIntervalSeconds * 1000,
      capacity: config.poolCapacityPercent,
      scheduleScrubs: config.scrubSchedule !== Config.NO_SCHEDULE,
      // With scrubs off, a `schedule-scrub` message naming no cron still needs one.
      scrubCron: config.scrubSchedule === Config.NO_SCHEDULE ? defaultLatticeConfig.scrubCron : config.scrubSchedule
    },
    helix: {
      ...defaultHelixConfig,
      scheduleSnapshots: config.snapshotSchedule !== Config.NO_SCHEDULE,
      // With the schedule off, a `schedule` message naming no cron still needs one.
      snapshotCron: config.snapshotSchedule === Config.NO_SCHEDULE ? defaultHelixConfig.snapshotCron : config.snapshotSchedule
    },
    orbit: {
      timeZone: config.timeZone,
      // A configured schedule named like a built-in one replaces it.
      schedules: [
        ...DEFAULT_SCHEDULES.filter((builtIn) => !configured.some((schedule) => schedule.name === builtIn.name)),
        ...configured
      ]
    },
    oracle: { intervalMs: config.smartCheckIntervalHours * 3_600_000 },
    sentry: {
      intervalMs: config.resourceCheckIntervalSeconds * 1000,
      thresholds: {
        cpu: { ...config.cpuAlertPercent, forSamples },
        memory: { ...config.memoryAlertPercent, forSamples },
        load: { ...config.loadAlertPerCpu, forSamples },
        disk: { ...config.diskBusyAlertPercent, forSamples }
      }
    },
    pulse: {
      watchdogIntervalMs,
      services: config.watchServices ?? [],
      livenessIntervalMs: config.watchServicesIntervalSeconds * 1000
    },
    photon: {
      intervalMs: config.linkSampleIntervalSeconds * 1000,
      errorBurst: config.linkErrorBurst,
      flapChanges: config.linkFlapChanges,
      flapWindowMs: config.linkFlapWindowSeconds * 1000
    },
    fortress: {
      intervalMs: config.auditIntervalHours * 3_600_000,
      sshdConfig: config.auditSshdConfig,
      smbConfig: config.auditSmbConfig,
      nfsExports: config.auditNfsExports,
      nfsExportsDir: config.auditNfsExportsDir,
      allowedPorts: config.auditAllowedPorts,
      daemon: { stateDir: config.stateDir, runtimeDir: config.runtimeDir, socket: config.socket, ...daemon }
    },
    phantom: {
      ...defaultPhantomConfig,
      interface: config.wireguardInterface,
      listenPort: config.wireguardListenPort,
      subnet: config.wireguardSubnet,
      endpointHost: config.wireguardEndpoint,
      dns: config.wireguardDns ?? []
    },
    bridge: { shareRoots: config.shareRoots, forbidden: [config.stateDir, config.runtimeDir] },
    velocity: { sizeMiB: config.velocitySizeMib, seconds: config.velocitySeconds, historyKeep: config.velocityHistory },
    neural: { tuning: config.tuning === "on", explorePercent: config.tuningExplorePercent, levels: config.tuningLevels },
    prism: { textfile: config.metricsTextfile, textfileIntervalMs: config.metricsTextfileIntervalSeconds * 1000 },
    nexus: {
      ...defaultNexusConfig,
      groupWaitMs: config.incidentGroupWaitSeconds * 1000,
      groupIntervalMs: config.incidentGroupIntervalSeconds * 1000,
      resolveTimeoutMs: config.incidentResolveTimeoutSeconds * 1000,
      windowMs: config.incidentWindowSeconds * 1000,
      kept: config.incidentsKept,
      maxAlerts: config.incidentMaxAlerts
    },
    axiom: {
      alertHorizonDays: config.forecastAlertDays,
      checkIntervalMs: config.forecastCheckIntervalHours * 3_600_000,
      windowDays: config.forecastWindowDays
    },
    flux: {
      ...defaultFluxConfig,
      maxRules: config.fluxMaxRules,
      ringSize: config.fluxRingSize,
      metricIntervalMs: config.fluxMetricIntervalSeconds * 1000,
      loopMaxFirings: config.fluxLoopMaxFirings,
      loopWindowMs: config.fluxLoopWindowSeconds * 1000,
      // Schedule triggers read cron times in ORBIT's zone.
      ...(config.timeZone === undefined ? {} : { timeZone: config.timeZone })
    },
    // GENESIS's first-run plan schedules what LATTICE and HELIX are configured to.
    genesis: {
      ...defaultGenesisConfig,
      scrubCron: config.scrubSchedule === Config.NO_SCHEDULE ? undefined : config.scrubSchedule,
      scheduleSnapshots: config.snapshotSchedule !== Config.NO_SCHEDULE
    },
    scribe: {
      ...defaultScribeConfig,
      dir: `${config.stateDir.replace(/\/+$/, "")}/reports`,
      schedule: config.scribeSchedule === Config.NO_SCHEDULE ? undefined : config.scribeSchedule,
      keep: config.scribeKeep,
      maxBytes: config.scribeMaxBytes
    },
    vanguard: {
      ...defaultVanguardConfig,
      intervalMs: config.updateCheckIntervalHours * 3_600_000,
      refresh: config.updateCheckRefresh
    },
    apex: {
      ...defaultApexConfig,
      concurrency: config.apexConcurrency,
      taskTimeoutMs: config.apexTaskTimeoutSeconds * 1000,
      plansKept: config.apexPlansKept,
      maxTasks: config.apexMaxTasks,
      maxRunningPlans: config.apexMaxRunningPlans
    },
    lingua: { ...defaultLinguaConfig, listTtlMs: config.linguaListTtlSeconds * 1000 },
    linguaLlmUrl: config.linguaLlmUrl
  }
}

/**
 * Why a configured schedule would be refused: its agent does not exist or
 * does not accept its message (the runtime's own validation, as ORBIT applies
 * it). The daemon checks this while parsing the file, so it does not start
 * with a schedule ORBIT would skip, and the error names the line.
 */
export const scheduleProblem = (schedule: Config.ConfiguredSchedule): string | undefined => {
  const target = PROTOCOLS.get(schedule.target)
  if (target === undefined) return `there is no agent ${schedule.target}; the agents are ${[...PROTOCOLS.keys()].join(", ")}`
  const accepted = Protocol.checkRequest(target, schedule.message)
  return Result.isFailure(accepted) ? `invalid message for ${target.agent}: ${accepted.failure}` : undefined
}

export const layer = (configs: AgentConfigs) =>
  Layer.mergeAll(
    Layer.succeed(LatticeConfig, configs.lattice),
    Layer.succeed(HelixConfig, configs.helix),
    Layer.succeed(OrbitConfig, configs.orbit),
    Layer.succeed(OracleConfig, configs.oracle),
    Layer.succeed(SentryConfig, configs.sentry),
    Layer.succeed(PulseConfig, configs.pulse),
    Layer.succeed(PhotonConfig, configs.photon),
    Layer.succeed(FortressConfig, configs.fortress),
    Layer.succeed(PhantomConfig, configs.phantom),
    Layer.succeed(BridgeConfig, configs.bridge),
    Layer.succeed(VelocityConfig, configs.velocity),
    Layer.succeed(NeuralConfig, configs.neural),
    Layer.succeed(PrismConfig, configs.prism),
    Layer.succeed(NexusConfig, configs.nexus),
    Layer.succeed(AxiomConfig, configs.axiom),
    Layer.succeed(FluxConfig, configs.flux),
    Layer.succeed(GenesisConfig, configs.genesis),
    Layer.succeed(ScribeConfig, configs.scribe),
    Layer.succeed(VanguardConfig, configs.vanguard),
    Layer.succeed(ApexConfig, configs.apex),
    Layer.succeed(LinguaConfig, configs.lingua)
  )
