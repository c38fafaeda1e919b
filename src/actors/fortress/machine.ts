/**
 * FORTRESS: the host and the NAS audited. `audit` reads listening sockets,
 * sshd's effective settings, the shares (Samba, NFS, their paths) and the
 * daemon's own files through the HostProbe port, applies the rules
 * (rules.ts), keeps the result in the state directory (StateStore: atomic)
 * and raises an alert for each high or critical finding the previous audit
 * did not have. `findings` answers from the kept result. The whole audit
 * also runs every `audit_interval_hours` (daily by default): whenever the kept
 * result is older than that (a restart does not re-audit at once).
 */
import { Clock, Effect, Option, Schema } from "effect"
import { HostProbe } from "../../adapters/hostprobe/HostProbe.ts"
import { StateStore } from "../../adapters/state/StateStore.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { describeError } from "../../runtime/Errors.ts"
import { serviceMachine } from "../shared/serve.ts"
import { runAudit } from "./audit.ts"
import { alertCode, type Check, CHECKS, severityRank } from "./codes.ts"
import { FortressConfig } from "./config.ts"
import { type AuditResult, Finding, Fortress, Unread } from "./messages.ts"
import { findingKey, sortFindings } from "./rules.ts"

export const fortressCapabilities: ReadonlyArray<Capability> = [
  {
    name: "security-audit",
    available: true,
    detail: "listening sockets (ss), sshd's effective settings (sshd -T), SMB guest access and SMB1/NTLMv1, NFS no_root_squash/insecure/open exports, world-writable, unowned or system share paths, and the daemon's own socket, key, state and config modes"
  },
  {
    name: "findings",
    available: true,
    detail: "keeps the last audit's findings (stable code, severity, evidence, fix) in the state directory; alerts on new high or critical ones"
  }
]

/** The StateStore key of the kept audit. */
export const STATE_KEY = "fortress"

const Kept = Schema.Struct({
  auditedAt: Schema.String,
  findings: Schema.Array(Finding),
  unread: Schema.Array(Unread)
})
type Kept = typeof Kept.Type
const decodeKept = Schema.decodeUnknownOption(Kept)

export const fortressMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const probe = yield* HostProbe
  const store = yield* StateStore
  const config = yield* FortressConfig

  let kept: Kept | undefined = yield* store.read(STATE_KEY).pipe(
    Effect.map(Option.flatMap(decodeKept)),
    Effect.map(Option.getOrUndefined),
    Effect.catch((error) => Effect.as(Effect.logWarning(`FORTRESS: the kept audit cannot be read (${error.message}); starting afresh`), undefined))
  )

  const audit = (requested: ReadonlyArray<Check> | undefined) =>
    Effect.gen(function*() {
      const checks = CHECKS.filter((check) => requested === undefined || requested.includes(check))
      const started = yield* Clock.currentTimeMillis
      const outcome = yield* runAudit(probe, config, checks)
      const finished = yield* Clock.currentTimeMillis
      const auditedAt = new Date(finished).toISOString()
      const previous = new Set((kept?.findings ?? []).filter((f) => checks.includes(f.check)).map(findingKey))
      const fresh = outcome.findings.filter((f) => !previous.has(findingKey(f)))
      for (const f of fresh) {
        if (severityRank(f.severity) < severityRank("high")) continue
        yield* env.alert({ severity: f.severity === "critical" ? "critical" : "warning", subject: f.subject, text: `${f.code}: ${f.title} (${f.evidence.source}: ${f.evidence.detail})`, code: alertCode(f.code) })
      }
      // A partial audit replaces only its checks' findings.
      const next: Kept = {
        auditedAt,
        findings: sortFindings([...(kept?.findings ?? []).filter((f) => !checks.includes(f.check)), ...outcome.findings]),
        unread: [...(kept?.unread ?? []).filter((u) => !checks.includes(u.check)), ...outcome.unread]
      }
      kept = next
      const stored = yield* Effect.result(store.write(STATE_KEY, next))
      if (stored._tag === "Failure") yield* Effect.logWarning(`FORTRESS: the audit could not be kept: ${describeError(stored.failure)}`)
      return {
        auditedAt,
        durationMs: finished - started,
        checks,
        findings: outcome.findings,
        unread: outcome.unread,
        newFindings: fresh.length,
        stored: stored._tag === "Success",
        ...(stored._tag === "Failure" ? { storeProblem: describeError(stored.failure) } : {})
      } satisfies AuditResult
    })

  const periodic = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    if (kept !== undefined && now - Date.parse(kept.auditedAt) < config.intervalMs) return
    const result = yield* audit(undefined)
    yield* Effect.logInfo(`FORTRESS: audit found ${result.findings.length} finding(s), ${result.newFindings} new; ${result.unread.length} source(s) unread`)
  })

  return yield* serviceMachine(Fortress, {
    // Checked hourly (or at the interval, if shorter); the audit itself runs when the kept one is older than the interval.
    ...(config.intervalMs > 0 ? { every: { intervalMs: Math.min(config.intervalMs, 3_600_000), run: periodic } } : {}),
    handlers: {
      audit: (message) => audit(message.checks),
      findings: (message) =>
        Effect.sync(() => ({
          auditedAt: kept?.auditedAt ?? null,
          findings: (kept?.findings ?? []).filter((f) => message.severity === undefined || severityRank(f.severity) >= severityRank(message.severity)),
          unread: kept?.unread ?? []
        }))
    }
  })
})
