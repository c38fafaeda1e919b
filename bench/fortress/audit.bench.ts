/**
 * `auditCompare`: FORTRESS's whole audit against Lynis (Debian's `lynis`),
 * on the same seeded host in the same run, with the ratio printed. The host
 * is test/support/fortressNamespace.ts: a network namespace and a private
 * mount namespace with an overlay on /etc (seeded sshd_config, smb.conf,
 * exports), a running sshd, socat listeners on 4444 and 23, a world-writable
 * share directory and a 0666 control socket. Lynis runs inside it (`nsenter`)
 * with `--tests-from-group "ssh networking file_permissions storage_nfs
 * insecure_services" --no-colors --quiet`, its log and report in the temp
 * dir; FORTRESS runs in-process with its ss/sshd calls entered into the same
 * namespaces. Both also audit the hardened host, so what each tool flags
 * *because of the seeds* can be compared: `onlyFortress` and `onlyLynis`
 * (docs/audit.md has the table).
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import { Files } from "../../src/adapters/fs/Files.ts"
import * as HostProbeLive from "../../src/adapters/hostprobe/HostProbeLive.ts"
import { runAudit } from "../../src/actors/fortress/audit.ts"
import { CHECKS } from "../../src/actors/fortress/codes.ts"
import { SEEDED_CODES } from "../../test/support/fortressHost.ts"
import { type AuditedNamespace, makeNamespace, missingTools } from "../../test/support/fortressNamespace.ts"
import { now, round } from "../support.ts"

const LYNIS_GROUPS = "ssh networking file_permissions storage_nfs insecure_services"
const FORTRESS_RUNS = 20

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** One line per warning or suggestion in Lynis's report: "SSH-7408 PermitRootLogin (set YES to …)". */
const lynisFindings = (report: string): ReadonlyArray<string> =>
  report.split("\n").flatMap((line) => {
    const match = /^(warning|suggestion)\[\]=(.*)$/.exec(line)
    if (match === null) return []
    // ID|text|details|solution| — the details may hold | themselves (a regex of accepted values).
    const parts = match[2]!.split("|")
    if (parts[0] === "LYNIS" || parts.length < 4) return []
    const details = parts.slice(2, -2).join("|")
    return [`${parts[0]} ${details === "-" || details === "" ? parts[1] : details}`]
  })

const runLynis = (host: AuditedNamespace) => {
  const dir = join(host.root, "lynis")
  mkdirSync(dir, { recursive: true })
  const argv = host.inside([
    "lynis", "audit", "system", "--tests-from-group", LYNIS_GROUPS, "--no-colors", "--quiet",
    "--logfile", join(dir, "lynis.log"), "--report-file", join(dir, "report.dat")
  ])
  const t0 = now()
  try {
    execFileSync(argv[0]!, argv.slice(1), { stdio: "ignore", timeout: 300_000 })
  } catch (error) {
    // Lynis exits non-zero when it has warnings; only a missing report is a failure.
    if ((error as { status?: number | null }).status === null) throw error
  }
  const ms = now() - t0
  return { ms, findings: lynisFindings(readFileSync(join(dir, "report.dat"), "utf8")) }
}

const fortress = async (host: AuditedNamespace) => {
  const probe = await Effect.runPromise(Effect.map(Files.useSync((files) => files), (files) => HostProbeLive.make(host.runner, files)).pipe(Effect.provide(FilesLive.layer)))
  const times: Array<number> = []
  let findings: ReadonlyArray<string> = []
  for (let i = 0; i < FORTRESS_RUNS; i++) {
    const t0 = now()
    const outcome = await Effect.runPromise(runAudit(probe, host.config, CHECKS))
    times.push(now() - t0)
    if (outcome.unread.length > 0) throw new Error(`FORTRESS could not read: ${outcome.unread.map((u) => `${u.source}: ${u.reason}`).join("; ")}`)
    findings = outcome.findings.map((f) => `${f.code} ${f.subject.replace(host.root, "")}`)
  }
  return { ms: median(times), findings }
}

export const auditCompare = async () => {
  const missing = missingTools(["lynis", "ip", "nsenter", "unshare", "socat", "ss", "ssh-keygen", "/usr/sbin/sshd"])
  if (missing.length > 0) throw new Error(`auditCompare needs ${missing.join(", ")} (apt-get install lynis iproute2 util-linux socat openssh-server)`)
  const seeded = await makeNamespace("seeded")
  try {
    const hardened = await makeNamespace("hardened")
    try {
      const ours = await fortress(seeded)
      const oursClean = await fortress(hardened)
      const lynis = runLynis(seeded)
      const lynisClean = runLynis(hardened)
      const seededByLynis = lynis.findings.filter((f) => !lynisClean.findings.includes(f))
      const codes = new Set(ours.findings.map((f) => f.split(" ")[0]!))
      return {
        what: `whole FORTRESS audit (median of ${FORTRESS_RUNS}) vs lynis audit system --tests-from-group "${LYNIS_GROUPS}" (one run), same seeded namespace`,
        fortressMs: round(ours.ms),
        lynisMs: round(lynis.ms),
        ratioLynisOverFortress: round(lynis.ms / ours.ms),
        seededWeaknessesFlaggedByFortress: `${SEEDED_CODES.filter((c) => codes.has(c)).length}/${SEEDED_CODES.length}`,
        fortressFindingsOnHardened: oursClean.findings.length,
        fortressFindings: ours.findings,
        lynisFindingsOnSeeded: lynis.findings,
        lynisFindingsOnHardened: lynisClean.findings,
        /** Lynis findings the seeds caused (seeded minus hardened). */
        lynisFindingsFromSeeds: seededByLynis
      }
    } finally {
      await hardened.close()
    }
  } finally {
    await seeded.close()
  }
}
