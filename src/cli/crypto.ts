/**
 * keygen and audit, which work on files without the daemon (encrypt and
 * decrypt are in vault.ts): audit reads the ledger's files under the state
 * directory, so it can be checked with the daemon stopped. Each prints what
 * it did or what was wrong, and exits 0 only on complete success.
 */
import { join } from "node:path"
import { Effect, Exit } from "effect"
import { runFileCommand } from "../adapters/fs/StdioLive.ts"
import { keyringDirectory, signingPublicKeysIn } from "../keys/KeyringFiles.ts"
import { generateKeyPair } from "../keys/KeyPair.ts"
import { encodePublicKey } from "../keys/PublicKey.ts"
import { writeSecretKeyFile } from "../keys/SecretKeyFile.ts"
import { describeReport, tailLedger, verifyLedger } from "../ledger/index.ts"
import { EXIT, flag, hasFlag, integerFlag, type Parsed } from "./args.ts"
import { fail, failureOf, out } from "./output.ts"
import { NoPassphrase, obtainPassphrase } from "./Passphrase.ts"

type Env = Readonly<Record<string, string | undefined>>

const stateDirOf = (parsed: Parsed, env: Env) =>
  flag(parsed, "--state-dir") ?? (env.STATE_DIRECTORY ? env.STATE_DIRECTORY.split(":")[0]! : "/var/lib/sigmavault")

const keygen = async (parsed: Parsed, env: Env): Promise<number> => {
  const output = flag(parsed, "--output")
  if (output === undefined) return fail("keygen needs -o KEYFILE: where to write the secret key", EXIT.usage)
  const unsealed = hasFlag(parsed, "--no-passphrase")
  const passphrase = unsealed
    ? undefined
    : await obtainPassphrase({ env, confirm: true, purpose: "to seal the new secret key" }).catch((error: unknown) => error as Error)
  if (passphrase instanceof Error) {
    return fail(
      passphrase instanceof NoPassphrase
        ? `${passphrase.message}; or pass --no-passphrase to store the key unsealed`
        : passphrase.message
    )
  }
  const pair = generateKeyPair()
  const written = await runFileCommand(writeSecretKeyFile(output, {
    secretKey: pair.secretKey,
    protection: passphrase === undefined ? { unsealed: true } : { passphrase }
  }))
  if (Exit.isFailure(written)) return fail(failureOf(written))
  process.stderr.write(
    `sigmavault: secret key written to ${output} (${unsealed ? "UNSEALED: anyone who can read it can decrypt" : "sealed with your passphrase"})\n`
  )
  out(`${encodePublicKey(pair.publicKey)}\n`)
  return EXIT.ok
}

const audit = async (parsed: Parsed, env: Env): Promise<number> => {
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

export const runCryptoCommand = (parsed: Parsed, env: Env): Promise<number> => {
  switch (parsed.command) {
    case "keygen":
      return keygen(parsed, env)
    default:
      return audit(parsed, env)
  }
}
