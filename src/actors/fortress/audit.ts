/**
 * One audit: read what the checks need through the HostProbe port, then apply
 * the rules. Reading never fails (a source that cannot be read is `unread`),
 * so an audit always ends with a result.
 */
import { Effect } from "effect"
import type { HostProbeShape, PathFacts, Reading } from "../../adapters/hostprobe/HostProbe.ts"
import type { Check } from "./codes.ts"
import type { FortressConfigShape } from "./config.ts"
import type { Finding, Unread } from "./messages.ts"
import {
  nfsFindings,
  ownFindings,
  sharePathFindings,
  sharePaths,
  smbFindings,
  socketFindings,
  sortFindings,
  sshdFindings,
  unreadOf
} from "./rules.ts"

export interface AuditOutcome {
  readonly findings: ReadonlyArray<Finding>
  readonly unread: ReadonlyArray<Unread>
}

const sockets = (probe: HostProbeShape, config: FortressConfigShape) =>
  Effect.map(probe.listeners, (reading): AuditOutcome => ({
    findings: reading._tag === "Read" ? socketFindings(reading.value, config.allowedPorts, reading.source) : [],
    unread: unreadOf("sockets", reading)
  }))

const sshd = (probe: HostProbeShape, config: FortressConfigShape) =>
  Effect.map(probe.sshd(config.sshdConfig), (reading): AuditOutcome => ({
    findings: reading._tag === "Read" ? sshdFindings(reading.value, reading.source) : [],
    unread: unreadOf("sshd", reading)
  }))

const shares = (probe: HostProbeShape, config: FortressConfigShape) =>
  Effect.gen(function*() {
    const [smb, nfs, accounts] = yield* Effect.all([probe.smb(config.smbConfig), probe.nfs(config.nfsExports, config.nfsExportsDir), probe.accounts])
    const smbConfig = smb._tag === "Read" ? smb.value : undefined
    const exports = nfs._tag === "Read" ? nfs.value : []
    const findings: Array<Finding> = []
    const unread: Array<Unread> = [...unreadOf("shares", smb), ...unreadOf("shares", nfs), ...unreadOf("shares", accounts)]
    for (const part of smbConfig?.unread ?? []) unread.push({ check: "shares", ...part })
    if (smbConfig !== undefined) findings.push(...smbFindings(smbConfig))
    findings.push(...nfsFindings(exports))
    const paths = sharePaths(smbConfig, exports)
    const stats = new Map<string, Reading<PathFacts | undefined>>()
    for (const share of paths) {
      const stat = stats.get(share.path) ?? (yield* probe.stat(share.path))
      stats.set(share.path, stat)
      findings.push(...sharePathFindings(share, stat, accounts._tag === "Read" ? accounts.value : undefined))
    }
    for (const stat of stats.values()) unread.push(...unreadOf("shares", stat))
    // The same path shared twice (SMB and NFS) is one finding per code.
    const unique = new Map(findings.map((f) => [`${f.code} ${f.subject}`, f]))
    return { findings: [...unique.values()], unread } satisfies AuditOutcome
  })

const permissions = (probe: HostProbeShape, config: FortressConfigShape) =>
  Effect.gen(function*() {
    const { daemon } = config
    const keysDir = `${daemon.stateDir.replace(/\/+$/, "")}/keys`
    const own = {
      socket: yield* probe.stat(daemon.socket),
      runtimeDir: yield* probe.stat(daemon.runtimeDir),
      stateDir: yield* probe.stat(daemon.stateDir),
      keysDir: yield* probe.stat(keysDir),
      keys: yield* probe.entries(keysDir),
      configFile: daemon.configFile === undefined ? undefined : yield* probe.stat(daemon.configFile)
    }
    return {
      findings: ownFindings(own, daemon),
      unread: [own.socket, own.runtimeDir, own.stateDir, own.keysDir, own.keys, own.configFile].flatMap((r) => unreadOf("permissions", r))
    } satisfies AuditOutcome
  })

const RUNNERS: Readonly<Record<Check, (probe: HostProbeShape, config: FortressConfigShape) => Effect.Effect<AuditOutcome>>> = {
  sockets,
  sshd,
  shares,
  permissions
}

export const runAudit = (probe: HostProbeShape, config: FortressConfigShape, checks: ReadonlyArray<Check>): Effect.Effect<AuditOutcome> =>
  Effect.map(
    Effect.forEach(checks, (check) => RUNNERS[check](probe, config), { concurrency: "unbounded" }),
    (outcomes) => ({ findings: sortFindings(outcomes.flatMap((o) => o.findings)), unread: outcomes.flatMap((o) => o.unread) })
  )
