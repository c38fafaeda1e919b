/**
 * `audit verify|tail`: the audit ledger's files under the state directory,
 * read without the daemon, so the ledger can be checked with it stopped.
 * `verify` exits 0 only when the whole chain and every signature hold.
 */
import { join } from "node:path"
import { Effect, Exit } from "effect"
import { runFileCommand } from "../adapters/fs/StdioLive.ts"
import { keyringDirectory, signingPublicKeysIn } from "../keys/KeyringFiles.ts"
import { describeReport, tailLedger, verifyLedger } from "../ledger/index.ts"
import { EXIT, flag, hasFlag, integerFlag, type Parsed } from "./args.ts"
import { fail, failureOf, out } from "./output.ts"
import type { Env } from "./Session.ts"

const stateDirOf = (parsed: Parsed, env: Env) =>
  flag(parsed, "--state-dir") ?? (env.STATE_DIRECTORY ? env.STATE_DIRECTORY.split(":")[0]! : "/var/lib/sigmavault")

export const runAuditCommand = async (parsed: Parsed, env: Env): Promise<number> => {
  const action = parsed.positional[0]
  const stateDir = stateDirOf(parsed, env)
  const ledgerDir = join(stateDir, "ledger")
  const json = hasFlag(parsed, "--json")
  if (action === "verify") {
    const report = await runFileCommand(Effect.gen(function*() {
      const keys = yield* signingPublicKeysIn(keyringDirectory(stateDir))
      return yield* verifyLedger(ledgerDir, (id) => keys.get(id))
    }))
    if (Exit.isFailure(report)) return fail(failureOf(report))
    out(json ? JSON.stringify(report.value) + "\n" : describeReport(report.value).join("\n") + "\n")
    return report.value.ok ? EXIT.ok : EXIT.failure
  }
  if (action === "tail") {
    const lines = integerFlag(parsed, "--lines", 1, 100_000)
    if (!lines.ok) return fail(lines.message, EXIT.usage)
    const entries = await runFileCommand(tailLedger(ledgerDir, lines.value ?? 20))
    if (Exit.isFailure(entries)) return fail(failureOf(entries))
    for (const entry of entries.value) {
      out(json
        ? JSON.stringify(entry) + "\n"
        : `${String(entry.seq).padStart(6)} ${entry.at} ${entry.actor.padEnd(10)} ${entry.action} ${
          entry.action === "ledger.checkpoint" ? `(signed by ${String(entry.detail["keyId"])})` : JSON.stringify(entry.detail)
        }\n`)
    }
    return EXIT.ok
  }
  return fail(`audit needs verify or tail, got '${action}'`, EXIT.usage)
}
