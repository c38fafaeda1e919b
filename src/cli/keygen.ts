/**
 * `keygen`: an X-Wing key pair, its secret key file sealed with a passphrase
 * (or, on request, unsealed), its public key printed. Works without the daemon.
 */
import { Exit } from "effect"
import { runFileCommand } from "../adapters/fs/StdioLive.ts"
import { generateKeyPair } from "../keys/KeyPair.ts"
import { encodePublicKey } from "../keys/PublicKey.ts"
import { writeSecretKeyFile } from "../keys/SecretKeyFile.ts"
import { EXIT, flag, hasFlag, type Parsed } from "./args.ts"
import { fail, failureOf, out } from "./output.ts"
import { NoPassphrase, obtainPassphrase } from "./Passphrase.ts"
import type { Env } from "./Session.ts"

export const runKeygenCommand = async (parsed: Parsed, env: Env): Promise<number> => {
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
