/** QUANTUM: the daemon's keyring through the Keyring port; key changes go into the audit ledger. */
import { Effect } from "effect"
import { Keyring } from "../../keys/Keyring.ts"
import { encodeSigningPublicKey, keyIdOf } from "../../keys/PublicKey.ts"
import { signedMessage } from "../../integrity/Manifest.ts"
import { AuditLedger } from "../../ledger/index.ts"
import type { Capability } from "../../runtime/Agent.ts"
import { serviceMachine } from "../shared/serve.ts"
import { type KeyView, Quantum } from "./messages.ts"

export const quantumCapabilities: ReadonlyArray<Capability> = [
  {
    name: "keyring",
    available: true,
    detail: "X-Wing (ML-KEM-768 + X25519) keys under the state directory: list, export public keys (svpk1…), rotate (the new key is the default, old ones still decrypt)"
  },
  {
    name: "signing-key",
    available: true,
    detail: "the ML-DSA-65 key that signs the audit ledger's checkpoints and CRYPTO's manifests (each under its own domain)"
  }
]

const keyView = (key: { readonly id: string; readonly publicKey: string; readonly created: Date; readonly isDefault: boolean }): KeyView => ({
  id: key.id,
  kind: "x-wing",
  publicKey: key.publicKey,
  created: key.created.toISOString(),
  default: key.isDefault
})

export const quantumMachine = Effect.gen(function*() {
  const keyring = yield* Keyring
  const ledger = yield* AuditLedger
  return yield* serviceMachine(Quantum, {
    handlers: {
      keys: () => Effect.map(keyring.list, (keys) => keys.map(keyView)),
      rotate: () =>
        Effect.gen(function*() {
          const previous = (yield* keyring.list).find((key) => key.isDefault)?.id
          const key = yield* keyring.rotate
          yield* ledger.append({ actor: "QUANTUM", action: "key.rotated", detail: { id: key.id, previous: previous ?? null } })
          return keyView(key)
        }),
      export: (message) => Effect.map(keyring.exportPublic(message.id), (publicKey) => ({ publicKey })),
      "signing-key": () =>
        Effect.map(keyring.signingPublicKey, (publicKey) => ({
          id: keyIdOf(publicKey),
          kind: "ml-dsa-65" as const,
          publicKey: encodeSigningPublicKey(publicKey)
        })),
      "sign-manifest": (message) =>
        Effect.gen(function*() {
          const key = yield* keyring.signingKey
          const signature = key.sign(signedMessage(message.bodySha256))
          return { keyId: key.id, signature: Buffer.from(signature).toString("base64") }
        })
    }
  })
})
