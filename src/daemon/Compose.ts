/**
 * The daemon's composition root: the live adapters merged into one layer,
 * and the `run` and `selftest` programs with them provided. Loaded by
 * src/index.ts only for those two commands, so file commands (encrypt,
 * decrypt, keygen, audit) and client commands start without the daemon's
 * module graph.
 */
import { mkdtemp } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Layer, References } from "effect"
import * as AptLive from "../adapters/apt/AptLive.ts"
import * as CommandRunnerLive from "../adapters/command/CommandRunnerLive.ts"
import * as StreamsLive from "../adapters/command/StreamsLive.ts"
import * as PathSnapshotsLive from "../adapters/pathsnap/PathSnapshotsLive.ts"
import * as ReplicationLive from "../adapters/zfs/ReplicationLive.ts"
import * as ConfigCheckLive from "../adapters/configcheck/ConfigCheckLive.ts"
import * as DisksLive from "../adapters/disks/DisksLive.ts"
import * as FilesLive from "../adapters/fs/FilesLive.ts"
import * as NetLinksLive from "../adapters/netlinks/NetLinksLive.ts"
import * as HostProbeLive from "../adapters/hostprobe/HostProbeLive.ts"
import * as ProcStatsLive from "../adapters/procfs/ProcStatsLive.ts"
import * as SharesLive from "../adapters/shares/SharesLive.ts"
import * as SmartLive from "../adapters/smart/SmartLive.ts"
import * as WireGuardLive from "../adapters/wireguard/WireGuardLive.ts"
import * as LlmLive from "../adapters/llm/LlmLive.ts"
import * as ZfsLive from "../adapters/zfs/ZfsLive.ts"
import * as Gateway from "../adapters/socket/Gateway.ts"
import * as PeerCredentialsLive from "../adapters/socket/PeerCredentialsLive.ts"
import * as StateStoreLive from "../adapters/state/StateStoreLive.ts"
import * as StorageBenchLive from "../adapters/storagebench/StorageBenchLive.ts"
import * as SystemFactsLive from "../adapters/system/SystemFactsLive.ts"
import * as NotifyLive from "../adapters/systemd/NotifyLive.ts"
import * as ServiceManagerLive from "../adapters/systemd/ServiceManagerLive.ts"
import type { Parsed } from "../cli/args.ts"
import { ExitCode } from "../ExitCode.ts"
import { MemoryLive } from "../memory/MemoryLive.ts"
import * as HistoryLive from "../history/HistoryLive.ts"
import * as AgentConfigs from "./AgentConfigs.ts"
import * as Daemon from "./Daemon.ts"
import * as FileJobs from "./FileJobs.ts"
import { loggerLayer } from "./Logging.ts"
import * as MetricsTopic from "./MetricsTopic.ts"
import * as Security from "./Security.ts"
import * as SelfTest from "./SelfTest.ts"
import { resolveDaemonSettings } from "./settings.ts"

const liveAdapters = (
  stateDir: string,
  gateway: ReturnType<typeof Gateway.makeRegistry>,
  notifySocket: string | undefined,
  fileJobs: FileJobs.FileJobSettings,
  shares: { readonly smbConf: string | undefined; readonly exportsDir: string },
  history: { readonly maxSeries?: number; readonly maxBytes?: number } = {},
  apt: AptLive.AptSettings = {}
) =>
  Layer.mergeAll(
    // What the daemon keeps on disk, and the agents' file jobs, go through the one Files port.
    Layer.mergeAll(
      StateStoreLive.layer(stateDir),
      MemoryLive(join(stateDir, "memory")),
      // The metric history: tiers in memory, journal and checkpoints under <stateDir>/history (docs/history.md),
      // wrapped for STREAM's metrics topic: every record also published while someone subscribes to it.
      MetricsTopic.layer(HistoryLive.layer({ dir: join(stateDir, "history"), ...history })),
      Security.auditLayer(stateDir).pipe(Layer.provideMerge(Security.keyringLayer(stateDir)))
    ).pipe(Layer.provideMerge(FilesLive.layer)),
    SystemFactsLive.layer,
    ProcStatsLive.layer,
    NetLinksLive.layer,
    gateway.layer,
    NotifyLive.layer({ socket: notifySocket, pid: process.pid }),
    ServiceManagerLive.layer(),
    // zpool, zfs, lsblk, smartctl and fio are found on PATH, so a package or a test harness can supply them.
    // Callers' file jobs run with the caller's rights inside the file roots (by default the mounted datasets).
    Layer.mergeAll(FileJobs.layer(fileJobs), FileJobs.migrationLayer(fileJobs)).pipe(
      Layer.provideMerge(Layer.mergeAll(ZfsLive.layer, DisksLive.layer, SmartLive.layer, ConfigCheckLive.layer, WireGuardLive.layer, StorageBenchLive.layer)),
      Layer.provide(CommandRunnerLive.layer())
    ),
    // HELIX: zfs send | zfs receive through the daemon's pipe; rsync path snapshots inside the file roots (admin work, run as the daemon).
    Layer.mergeAll(
      ReplicationLive.layer,
      Layer.unwrap(Effect.map(FileJobs.confinementOf(fileJobs), PathSnapshotsLive.layer))
    ).pipe(Layer.provide(Layer.mergeAll(CommandRunnerLive.layer(), StreamsLive.layer(), ZfsLive.layer.pipe(Layer.provide(CommandRunnerLive.layer()))))),
    // FORTRESS's audit reads: ss, sshd -T, net conf list on PATH; files through the Files port.
    HostProbeLive.layer.pipe(Layer.provide(Layer.mergeAll(CommandRunnerLive.layer(), FilesLive.layer))),
    // VANGUARD: apt-get, apt-mark and apt-config on PATH, with the configured APT_CONFIG (unset: the host's apt).
    AptLive.layer(apt).pipe(Layer.provide(CommandRunnerLive.layer())),
    // BRIDGE: net, smbcontrol, smbstatus and exportfs on PATH; export files through the one Files port.
    SharesLive.layer({ smbConf: shares.smbConf, exportsDir: shares.exportsDir, stagingDir: join(fileJobs.runtimeDir, "shares") }).pipe(
      Layer.provide(Layer.mergeAll(CommandRunnerLive.layer(), FilesLive.layer))
    )
  )

export const runDaemon = async (command: Parsed): Promise<number> => {
  switch (command.command) {
    case "run": {
      const settings = await Effect.runPromise(Effect.result(resolveDaemonSettings(command, process.env)))
      if (settings._tag === "Failure") {
        process.stderr.write(`sigmavault: ${settings.failure.message}\n`)
        return settings.failure._tag === "UsageProblem" ? ExitCode.usage : ExitCode.failure
      }
      const gateway = Gateway.makeRegistry()
      const program = Daemon.run(settings.success, gateway).pipe(
        Effect.provide(liveAdapters(settings.success.stateDir, gateway, process.env.NOTIFY_SOCKET, settings.success, settings.success.shares, settings.success.history, settings.success.apt)),
        // Who is on the other end of the socket: the kernel's answer, which needs the Bun runtime.
        Effect.provide(PeerCredentialsLive.layer),
        Effect.catchTag("PeerUnknown", (error) => Effect.as(Effect.logError(`sigmavault cannot start: ${error.message}`), ExitCode.failure)),
        Effect.provide(AgentConfigs.layer(settings.success.agents)),
        // LINGUA's local model, when lingua_llm_url names one; else the port's default says none is configured.
        Effect.provide(settings.success.agents.linguaLlmUrl === undefined ? Layer.empty : LlmLive.layer(settings.success.agents.linguaLlmUrl)),
        Effect.provide(loggerLayer(process.env)),
        Effect.provideService(References.MinimumLogLevel, settings.success.logLevel)
      )
      return Daemon.exitCodeOf(await Effect.runPromiseExit(program))
    }
    case "selftest": {
      const stateDir = await mkdtemp("/tmp/sigmavault-selftest-")
      const program = SelfTest.run.pipe(
        Effect.provide(liveAdapters(stateDir, Gateway.makeRegistry(), undefined, {
          fileRoots: undefined,
          fileJobMaxBytes: 1024 ** 4,
          stateDir,
          runtimeDir: stateDir
        }, { smbConf: undefined, exportsDir: join(stateDir, "exports.d") })),
        Effect.provideService(References.MinimumLogLevel, "Warn")
      )
      return Daemon.exitCodeOf(await Effect.runPromiseExit(program))
    }
    default:
      return ExitCode.usage
  }
}
