/**
 * `sigmavault encrypt` and `sigmavault decrypt`: the vault format
 * (docs/vault-format.md) from the command line, age-style. Output goes to a
 * file that appears only on success (never over an existing one), or to
 * stdout; ciphertext is never written to a terminal. Long work shows its
 * progress on stderr when stderr is a terminal.
 */
import { statSync } from "node:fs"
import { readFile } from "node:fs/promises"
import { Exit, Result } from "effect"
import { commandStreams, runFileCommand } from "../adapters/fs/StdioLive.ts"
import { decodePublicKey, parseRecipients } from "../keys/PublicKey.ts"
import { readSecretKeyFile, readSecretKeyFileInfo } from "../keys/SecretKeyFile.ts"
import { inspectVaultFile } from "../vault/Inspect.ts"
import { decryptFile, encryptFile } from "../vault/Vault.ts"
import { EXIT, flag, flagAll, hasFlag, type Parsed } from "./args.ts"
import { fail, failureOf as messageOf, progressReporter } from "./output.ts"
import { obtainPassphrase } from "./Passphrase.ts"

type Env = Readonly<Record<string, string | undefined>>

const refuseTerminal = (output: string, what: string) =>
  output === "-" && process.stdout.isTTY
    ? fail(`refusing to write ${what} to a terminal; use -o FILE or redirect stdout`, EXIT.usage)
    : undefined

export const recipientsOf = async (parsed: Parsed): Promise<ReadonlyArray<Uint8Array> | string> => {
  const keys: Array<Uint8Array> = []
  for (const [i, text] of flagAll(parsed, "--recipient").entries()) {
    const key = decodePublicKey(text)
    if (Result.isFailure(key)) return `recipient ${i + 1} (-r): ${key.failure.message}`
    keys.push(key.success)
  }
  for (const file of flagAll(parsed, "--recipients-file")) {
    const text = await readFile(file, "utf8").catch((error: Error) => error)
    if (text instanceof Error) return `cannot read recipients file ${file}: ${text.message}`
    const parsedFile = parseRecipients(text, file)
    if (Result.isFailure(parsedFile)) return parsedFile.failure.message
    keys.push(...parsedFile.success.map((recipient) => recipient.publicKey))
  }
  return keys
}

const encrypt = async (parsed: Parsed): Promise<number> => {
  const input = parsed.positional[0] ?? "-"
  const output = flag(parsed, "--output") ?? "-"
  const recipients = await recipientsOf(parsed)
  if (typeof recipients === "string") return fail(recipients, EXIT.usage)
  if (recipients.length === 0) return fail("encrypt needs at least one recipient: -r PUBKEY or -R FILE", EXIT.usage)
  const refused = refuseTerminal(output, "ciphertext")
  if (refused !== undefined) return refused
  const progress = progressReporter("encrypting", input)
  const result = await runFileCommand(encryptFile(input, output, recipients, { onProgress: progress.report, ...commandStreams() }))
  progress.done()
  return Exit.isSuccess(result) ? EXIT.ok : fail(messageOf(result))
}

/** Each identity file's secret key, asking for a passphrase only for sealed files (once, reused for the next). */
export const identitiesOf = async (files: ReadonlyArray<string>, env: Env): Promise<ReadonlyArray<Uint8Array> | string> => {
  const keys: Array<Uint8Array> = []
  let passphrase: string | undefined
  for (const file of files) {
    const info = await runFileCommand(readSecretKeyFileInfo(file))
    if (Exit.isFailure(info)) return messageOf(info)
    if (info.value.kind !== "x-wing") return `${file} is a ${info.value.kind} key, not an encryption (x-wing) key`
    if (info.value.sealed && passphrase === undefined) {
      const asked = await obtainPassphrase({ env, confirm: false, purpose: `for ${file}` }).catch((error: Error) => error)
      if (asked instanceof Error) return asked.message
      passphrase = asked
    }
    const key = await runFileCommand(readSecretKeyFile(file, passphrase))
    if (Exit.isFailure(key)) return messageOf(key)
    keys.push(key.value.secretKey)
  }
  return keys
}

const decrypt = async (parsed: Parsed, env: Env): Promise<number> => {
  const input = parsed.positional[0] ?? "-"
  const output = flag(parsed, "--output") ?? "-"
  const files = flagAll(parsed, "--identity")
  if (files.length === 0) return fail("decrypt needs a secret key file: -i KEYFILE", EXIT.usage)
  const identities = await identitiesOf(files, env)
  if (typeof identities === "string") return fail(identities)
  const progress = progressReporter("decrypting", input)
  const result = await runFileCommand(decryptFile(input, output, identities, { onProgress: progress.report, ...commandStreams() }))
  progress.done()
  return Exit.isSuccess(result) ? EXIT.ok : fail(messageOf(result))
}

/** The header of a vault file, read without any key: nothing is decrypted. */
const inspectVault = async (parsed: Parsed): Promise<number> => {
  const input = parsed.positional[0]!
  const result = await runFileCommand(inspectVaultFile(input))
  if (Exit.isFailure(result)) return fail(messageOf(result))
  const info = result.value
  const payload = "problem" in info.payload ? { payloadProblem: info.payload.problem } : info.payload
  if (hasFlag(parsed, "--json")) {
    const { stanzas: _stanzas, headerAuthentic: _authentic, payload: _payload, ...rest } = info
    process.stdout.write(JSON.stringify({ input, ...rest, ...payload }) + "\n")
    return EXIT.ok
  }
  process.stdout.write([
    `${input}: SigmaVault encrypted file, format version ${info.version}`,
    `recipients:  ${info.recipients} (stanzas carry no key id; the daemon's CIPHER 'inspect' names its keys that open them)`,
    `chunk size:  ${info.chunkSize} bytes`,
    `header:      ${info.headerBytes} bytes`,
    "problem" in info.payload
      ? `payload:     ${info.payloadBytes} bytes: ${info.payload.problem}`
      : `payload:     ${info.payloadBytes} bytes, ${info.payload.chunks} chunk${info.payload.chunks === 1 ? "" : "s"}, ${info.payload.plaintextBytes} bytes of plaintext`
  ].join("\n") + "\n")
  return EXIT.ok
}

export const runEncryptCommand = (parsed: Parsed, env: Env): Promise<number> =>
  parsed.command === "encrypt" ? encrypt(parsed) : parsed.command === "inspect-vault" ? inspectVault(parsed) : decrypt(parsed, env)
