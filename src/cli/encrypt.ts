/**
 * `sigmavault encrypt` and `sigmavault decrypt`: the vault format
 * (docs/vault-format.md) from the command line, age-style. Output goes to a
 * file that appears only on success (never over an existing one), to
 * stdout, or to a character device named by -o (/dev/null), written
 * directly as age does; ciphertext is never written to a terminal. Long work
 * shows its progress on stderr when stderr is a terminal.
 *
 * Standard input and output are opened only when "-" names them, and
 * terminals are recognised without building process.stdout or stderr: each
 * of those streams costs milliseconds of start-up for nothing.
 */
import { readFile } from "node:fs/promises"
import { Effect, Exit, Result } from "effect"
import type { FileError, Files, Writer } from "../adapters/fs/Files.ts"
import { isTerminal, openDeviceOutput, runFileCommand, standardInput, standardOutput } from "../adapters/fs/StdioLive.ts"
import { decodePublicKey, parseRecipients } from "../keys/PublicKey.ts"
import { readSecretKeyFile, readSecretKeyFileInfo } from "../keys/SecretKeyFile.ts"
import { inspectVaultFile } from "../vault/Inspect.ts"
import { decryptFile, encryptFile } from "../vault/Vault.ts"
import { EXIT, flag, flagAll, hasFlag, type Parsed } from "./args.ts"
import { fail, failureOf as messageOf, progressReporter } from "./output.ts"
import { obtainPassphrase } from "./Passphrase.ts"

type Env = Readonly<Record<string, string | undefined>>

const STDIO = "-"

const refuseTerminal = (output: string, what: string) =>
  output === STDIO && isTerminal(1)
    ? fail(`refusing to write ${what} to a terminal; use -o FILE or redirect stdout`, EXIT.usage)
    : undefined

/** Progress on stderr only when it is a terminal, checked without building process.stderr. */
const progressFor = (verb: string, input: string) => (isTerminal(2) ? progressReporter(verb, input) : { report: () => {}, done: () => {} })

/**
 * Runs `job` with the streams it writes through: a file output goes by its
 * atomic write; "-" is standard output; a character device is written
 * directly, as "-" with the device as the stream (never a terminal when
 * `what` is ciphertext).
 */
const withTarget = <A, E>(
  input: string,
  output: string,
  what: string | undefined,
  job: (output: string, streams: { readonly stdin?: AsyncIterable<Uint8Array>; readonly stdout?: Writer }) => Effect.Effect<A, E, Files>
): Effect.Effect<A, E | string | FileError, Files> =>
  Effect.scoped(Effect.gen(function*() {
    const stdin = input === STDIO ? { stdin: standardInput() } : {}
    if (output === STDIO) return yield* job(STDIO, { ...stdin, stdout: standardOutput({ blocking: true }) })
    const device = yield* openDeviceOutput(output)
    if (device === undefined) return yield* job(output, stdin)
    if (what !== undefined && device.isTerminal) return yield* Effect.fail(`refusing to write ${what} to the terminal ${output}`)
    return yield* job(STDIO, { ...stdin, stdout: device.write })
  }))

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
  const progress = progressFor("encrypting", input)
  const result = await runFileCommand(
    withTarget(input, output, "ciphertext", (to, streams) => encryptFile(input, to, recipients, { onProgress: progress.report, ...streams }))
  )
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
  const progress = progressFor("decrypting", input)
  const result = await runFileCommand(
    withTarget(input, output, undefined, (to, streams) => decryptFile(input, to, identities, { onProgress: progress.report, ...streams }))
  )
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
