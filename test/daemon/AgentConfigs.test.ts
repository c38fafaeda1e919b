/**
 * What the configuration file says reaches the agents that have settings, and
 * a daemon without a file runs them exactly as their own defaults.
 */
import { defaultPrismConfig } from "../../src/actors/prism/config.ts"
import { defaultFortressConfig } from "../../src/actors/fortress/config.ts"
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { defaultHelixConfig } from "../../src/actors/helix/config.ts"
import { defaultLatticeConfig } from "../../src/actors/lattice/config.ts"
import { defaultOracleConfig } from "../../src/actors/oracle/config.ts"
import { DEFAULT_SCHEDULES, OrbitConfig } from "../../src/actors/orbit/config.ts"
import { defaultPhotonConfig } from "../../src/actors/photon/config.ts"
import { defaultPhantomConfig } from "../../src/actors/phantom/config.ts"
import { defaultPulseConfig } from "../../src/actors/pulse/config.ts"
import { defaultSentryConfig } from "../../src/actors/sentry/config.ts"
import { type Config, defaults } from "../../src/config/Config.ts"
import { parseConfig } from "../../src/config/parse.ts"
import { configOf, resolveSettings } from "../../src/config/resolve.ts"
import { defaultVelocityConfig } from "../../src/actors/velocity/config.ts"
import { defaultNeuralConfig } from "../../src/actors/neural/config.ts"
import { defaultNexusConfig } from "../../src/actors/nexus/config.ts"
import { defaultAxiomConfig } from "../../src/actors/axiom/config.ts"
import { defaultFluxConfig } from "../../src/actors/flux/config.ts"
import { defaultGenesisConfig } from "../../src/actors/genesis/config.ts"
import { defaultScribeConfig } from "../../src/actors/scribe/config.ts"
import { defaultVanguardConfig } from "../../src/actors/vanguard/config.ts"
import { defaultApexConfig } from "../../src/actors/apex/config.ts"
import { defaultLinguaConfig } from "../../src/actors/lingua/config.ts"
import { agentConfigsOf, scheduleProblem } from "../../src/daemon/AgentConfigs.ts"
import { AGENT_KEYS_CHANGED } from "../support/config.ts"

const FILE = "/etc/sigmavault/sigmavault.conf"

const configFrom = (text: string): Config => {
  const parsed = parseConfig(text, FILE)
  if (Result.isFailure(parsed)) return assert.fail(parsed.failure.message)
  return configOf(Result.getOrThrow(resolveSettings({ file: parsed.success })))
}

describe("the agents' settings", () => {
  it("without a configuration file, every agent gets its own defaults", () => {
    assert.deepStrictEqual(agentConfigsOf(defaults, undefined), {
      lattice: defaultLatticeConfig,
      helix: defaultHelixConfig,
      orbit: OrbitConfig.defaultValue(),
      oracle: defaultOracleConfig,
      sentry: defaultSentryConfig,
      pulse: defaultPulseConfig,
      photon: defaultPhotonConfig,
      fortress: defaultFortressConfig,
      phantom: defaultPhantomConfig,
      bridge: { shareRoots: undefined, forbidden: ["/var/lib/sigmavault", "/run/sigmavault"] },
      velocity: defaultVelocityConfig,
      neural: defaultNeuralConfig,
      prism: defaultPrismConfig,
      nexus: defaultNexusConfig,
      axiom: defaultAxiomConfig,
      flux: defaultFluxConfig,
      genesis: defaultGenesisConfig,
      scribe: defaultScribeConfig,
      vanguard: defaultVanguardConfig,
      apex: defaultApexConfig,
      lingua: defaultLinguaConfig,
      linguaLlmUrl: undefined
    })
  })

  it("the file's values reach the agents in their units, and the watchdog interval comes along", () => {
    const configs = agentConfigsOf(configFrom(["watch_services = smbd,nfs-server", ...AGENT_KEYS_CHANGED].join("\n")), 15_000)
    // scrub_schedule = none: LATTICE schedules no scrubs, and an explicit schedule-scrub still has a default cron.
    assert.deepStrictEqual(configs.lattice, { intervalMs: 300_000, capacity: { warn: 70, high: 85, critical: 92 }, scheduleScrubs: false, scrubCron: "0 3 1 * *" })
    // snapshot_schedule = none: HELIX registers no scheduled run; an explicit `schedule` still has a default cron.
    assert.deepStrictEqual(configs.helix, { ...defaultHelixConfig, scheduleSnapshots: false, snapshotCron: "*/15 * * * *" })
    assert.deepStrictEqual(configs.orbit, {
      timeZone: "Europe/Berlin",
      schedules: [...DEFAULT_SCHEDULES, { name: "weekly-smart", cron: "0 4 * * sun", target: "ORACLE", message: { type: "assess" } }]
    })
    assert.deepStrictEqual(configs.oracle, { intervalMs: 6 * 3_600_000 })
    assert.deepStrictEqual(configs.sentry, {
      intervalMs: 10_000,
      thresholds: {
        cpu: { raiseAt: 95, clearAt: 80, forSamples: 6 },
        memory: { raiseAt: 85, clearAt: 70, forSamples: 6 },
        load: { raiseAt: 4, clearAt: 3.5, forSamples: 6 },
        disk: { raiseAt: 99, clearAt: 50, forSamples: 6 }
      }
    })
    assert.deepStrictEqual(configs.pulse, { watchdogIntervalMs: 15_000, services: ["smbd", "nfs-server"], livenessIntervalMs: 60_000 })
    assert.deepStrictEqual(configs.photon, { intervalMs: 30_000, errorBurst: 50, flapChanges: 8, flapWindowMs: 600_000 })
    assert.deepStrictEqual(configs.fortress, {
      intervalMs: 0,
      sshdConfig: "/srv/etc/sshd_config",
      smbConfig: "/srv/etc/smb.conf",
      nfsExports: "/srv/etc/exports",
      nfsExportsDir: "/srv/etc/exports.d",
      allowedPorts: [22, 8080],
      daemon: { ...defaultFortressConfig.daemon }
    })
    assert.deepStrictEqual(configs.phantom, {
      ...defaultPhantomConfig,
      interface: "wg1",
      listenPort: 51821,
      subnet: "10.66.0.0/16",
      endpointHost: "vpn.example.org",
      dns: ["10.66.0.1", "1.1.1.1"]
    })
    assert.deepStrictEqual(configs.velocity, { sizeMiB: 1024, seconds: 10, historyKeep: 50 })
    assert.deepStrictEqual(configs.neural, { tuning: false, explorePercent: 10, levels: [1, 3, 6] })
    // scribe_schedule = none: SCRIBE registers no schedule with ORBIT; the archive is under the state directory.
    assert.deepStrictEqual(configs.scribe, { ...defaultScribeConfig, schedule: undefined, keep: 20, maxBytes: 2_097_152 })
    assert.deepStrictEqual(configs.prism, { textfile: "/var/lib/node_exporter/textfile/sigmavault.prom", textfileIntervalMs: 30_000 })
    assert.deepStrictEqual(configs.nexus, {
      ...defaultNexusConfig,
      groupWaitMs: 10_000,
      groupIntervalMs: 600_000,
      resolveTimeoutMs: 0,
      windowMs: 7_200_000,
      kept: 100,
      maxAlerts: 50
    }),
    assert.deepStrictEqual(configs.neural, { tuning: false, explorePercent: 10, levels: [1, 3, 6] })
    assert.deepStrictEqual(configs.axiom, { alertHorizonDays: 7, checkIntervalMs: 6 * 3_600_000, windowDays: 60 })
    assert.deepStrictEqual(configs.flux, { ...defaultFluxConfig, maxRules: 50, ringSize: 500, metricIntervalMs: 30_000, loopMaxFirings: 5, loopWindowMs: 120_000, timeZone: "Europe/Berlin" })
    // GENESIS's plan follows: no scrub task, no snapshot schedule task.
    assert.deepStrictEqual(configs.genesis, { ...defaultGenesisConfig, scrubCron: undefined, scheduleSnapshots: false })
    assert.deepStrictEqual(configs.vanguard, { ...defaultVanguardConfig, intervalMs: 6 * 3_600_000, refresh: false })
    assert.deepStrictEqual(configs.apex, { ...defaultApexConfig, concurrency: 2, taskTimeoutMs: 60_000, plansKept: 20, maxTasks: 500, maxRunningPlans: 3 })
    assert.deepStrictEqual(configs.lingua, { ...defaultLinguaConfig, listTtlMs: 120_000 })
    assert.strictEqual(configs.linguaLlmUrl, "http://127.0.0.1:8080/v1/chat/completions")
  })

  it("scrub_schedule: LATTICE registers every pool's scrub with ORBIT at that time", () => {
    const { lattice } = agentConfigsOf(configFrom("scrub_schedule = @weekly"), undefined)
    assert.deepStrictEqual({ scheduleScrubs: lattice.scheduleScrubs, scrubCron: lattice.scrubCron }, { scheduleScrubs: true, scrubCron: "@weekly" })
    assert.strictEqual(agentConfigsOf(configFrom("scrub_schedule = @weekly"), undefined).genesis.scrubCron, "@weekly", "GENESIS's plan schedules the same")
  })

  it("configured schedules run besides the built-in one; one named like it replaces it", () => {
    const { orbit } = agentConfigsOf(configFrom([
      `schedule.weekly-smart = "0 4 * * sun ORACLE assess"`,
      `schedule.eclipse-self-check = "@hourly ECLIPSE check"`
    ].join("\n")), undefined)
    assert.deepStrictEqual(orbit.schedules, [
      { name: "weekly-smart", cron: "0 4 * * sun", target: "ORACLE", message: { type: "assess" } },
      { name: "eclipse-self-check", cron: "@hourly", target: "ECLIPSE", message: { type: "check" } }
    ])
  })
})

describe("schedules the agents would refuse", () => {
  const refusal = (line: string) => {
    const parsed = parseConfig(`# a schedule\n${line}`, FILE, { checkSchedule: scheduleProblem })
    return Result.isFailure(parsed) ? parsed.failure.message : "accepted"
  }

  it("accepts schedules whose agent takes the message", () => {
    assert.strictEqual(refusal(`schedule.scrub-tank = "@monthly LATTICE scrub pool=tank action=start"`), "accepted")
    assert.strictEqual(refusal(`schedule.trend = "@daily ORACLE trend device=sda days=30"`), "accepted")
  })

  it("refuses an agent that does not exist, or a message the agent does not accept, naming the line and the schedule", () => {
    assert.match(refusal(`schedule.x = "@daily ORCALE assess"`), /^\/etc\/sigmavault\/sigmavault\.conf:2: schedule\.x: there is no agent ORCALE; the agents are .*ORACLE/)
    assert.strictEqual(
      refusal(`schedule.x = "@daily ORACLE trend days=30"`),
      `${FILE}:2: schedule.x: invalid message for ORACLE: 'trend': Missing key at ["device"]`
    )
    assert.match(refusal(`schedule.x = "@monthly LATTICE scrub pool=mirror action=start"`), /:2: schedule\.x: invalid message for LATTICE: 'scrub': invalid pool name "mirror": 'mirror' is reserved by zpool/)
  })
})
