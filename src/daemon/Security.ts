/**
 * The keyring and the audit ledger as the daemon provides them. Neither may
 * stop the NAS from running: a keyring or ledger that cannot be opened
 * (corrupt, wrong permissions) is logged as an error and replaced by a
 * stand-in that refuses every request with the reason, so QUANTUM, CIPHER
 * and LEDGER say exactly what is wrong while every other agent carries on.
 */
import { join } from "node:path"
import { Effect, Layer, Option } from "effect"
import { FileError, type Files } from "../adapters/fs/Files.ts"
import { Keyring, type KeyringShape } from "../keys/Keyring.ts"
import { openKeyring } from "../keys/KeyringLive.ts"
import { AuditLedger, type Ledger, openLedger, type Signer } from "../ledger/index.ts"

/** A keyring that refuses everything, saying why the real one could not be opened. */
export const unavailableKeyring = (directory: string, reason: string): KeyringShape => {
  const no = Effect.fail(new FileError({ reason: "Other", operation: "use the keyring in", path: directory, detail: `it could not be opened: ${reason}` }))
  return {
    directory,
    list: no,
    ensureDefault: no,
    rotate: no,
    exportPublic: () => no,
    secretKeys: no,
    signingKey: no,
    signingPublicKey: no,
    sign: () => no,
    verify: () => no
  }
}

/** A ledger that refuses every append, saying why the real one could not be opened. */
export const unavailableLedger = (file: string, reason: string): Ledger => {
  const failure = new FileError({ reason: "Other", operation: "append to the audit ledger", path: file, detail: `it could not be opened: ${reason}` })
  return {
    file,
    opened: { file, created: false, entries: 0, head: { seq: 0, hash: "" }, unsignedTail: 0 },
    head: { seq: 0, hash: "" },
    unsignedTail: 0,
    append: () => Effect.fail(failure),
    checkpoint: Effect.fail(failure)
  }
}

export const keyringLayer = (stateDir: string): Layer.Layer<Keyring, never, Files> => {
  const dir = join(stateDir, "keys")
  return Layer.effect(
    Keyring,
    openKeyring(dir).pipe(
      Effect.catch((error) =>
        Effect.as(Effect.logError(`keyring unavailable: ${error.message}`), unavailableKeyring(dir, error.message))
      )
    )
  )
}

/** The audit ledger under `<state-dir>/ledger`, its checkpoints signed by the keyring's ML-DSA-65 key. */
export const auditLayer = (stateDir: string): Layer.Layer<AuditLedger, never, Keyring | Files> =>
  Layer.effect(
    AuditLedger,
    Effect.gen(function*() {
      const keyring = yield* Keyring
      const signer = yield* keyring.signingKey.pipe(
        Effect.map((key): Signer | undefined => ({ keyId: key.id, sign: key.sign })),
        Effect.catch((error) =>
          Effect.as(Effect.logError(`audit ledger checkpoints will not be signed: ${error.message}`), undefined)
        )
      )
      const dir = join(stateDir, "ledger")
      const ledger = yield* openLedger(dir, { signer }).pipe(
        Effect.map(Option.some),
        Effect.catch((error) => Effect.as(Effect.logError(`audit ledger unavailable: ${error.message}`), Option.none()))
      )
      return Option.getOrElse(ledger, () => unavailableLedger(join(dir, "audit.log"), "see the error logged at startup"))
    })
  )
