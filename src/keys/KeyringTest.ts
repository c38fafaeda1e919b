/**
 * A keyring in memory, for tests of the agents that use one: the same
 * behaviour as the live keyring (first key on first use, rotate keeps old
 * keys, default first in `secretKeys`, one signing key) without files. Keys
 * come from seeds derived from a counter, so a test sees the same keys on
 * every run.
 */
import { sha256 } from "@noble/hashes/sha2.js"
import { Clock, Effect, Layer } from "effect"
import { type DecryptionKey, type KeyInfo, KeyNotFound, Keyring, type KeyringShape, type LedgerSigningKey, signingOperations } from "./Keyring.ts"
import { generateKeyPair, generateSigningKeyPair, signMessage } from "./KeyPair.ts"
import { encodePublicKey, keyIdOf } from "./PublicKey.ts"

interface Stored extends DecryptionKey {
  readonly created: Date
}

export const make = (label = "keyring-test"): Effect.Effect<KeyringShape> =>
  Effect.sync(() => {
    let counter = 0
    const nextSeed = () => sha256(new TextEncoder().encode(`${label}:${counter++}`))
    const keys: Array<Stored> = []
    let defaultId: string | undefined
    let signing: LedgerSigningKey | undefined

    const infoOf = (key: Stored): KeyInfo => ({
      id: key.id,
      kind: "x-wing",
      publicKey: encodePublicKey(key.publicKey),
      created: key.created,
      isDefault: key.id === defaultId
    })

    const rotate = Effect.map(Clock.currentTimeMillis, (now) => {
      const pair = generateKeyPair(nextSeed())
      const key: Stored = { id: keyIdOf(pair.publicKey), ...pair, created: new Date(now) }
      keys.push(key)
      defaultId = key.id
      return infoOf(key)
    })

    const ensureDefault = Effect.suspend(() => {
      const current = keys.find((key) => key.id === defaultId)
      return current === undefined ? rotate : Effect.succeed(infoOf(current))
    })

    const signingKey = Effect.suspend(() => {
      if (signing !== undefined) return Effect.succeed(signing)
      return Effect.map(Clock.currentTimeMillis, (now) => {
        const pair = generateSigningKeyPair(nextSeed())
        const key: LedgerSigningKey = {
          id: keyIdOf(pair.publicKey),
          publicKey: pair.publicKey,
          secretKey: pair.secretKey,
          created: new Date(now),
          sign: (message) => signMessage(pair.secretKey, message)
        }
        signing = key
        return key
      })
    })

    return {
      directory: "(memory)",
      list: Effect.sync(() => keys.map(infoOf)),
      ensureDefault,
      rotate,
      exportPublic: (id?: string) =>
        id === undefined
          ? Effect.map(ensureDefault, (info) => info.publicKey)
          : Effect.suspend(() => {
            const key = keys.find((candidate) => candidate.id === id)
            return key === undefined ? Effect.fail(new KeyNotFound({ id })) : Effect.succeed(encodePublicKey(key.publicKey))
          }),
      secretKeys: Effect.sync(() => {
        const newestFirst = [...keys].reverse()
        return [...newestFirst.filter((key) => key.id === defaultId), ...newestFirst.filter((key) => key.id !== defaultId)].map(
          ({ id, publicKey, secretKey }) => ({ id, publicKey, secretKey })
        )
      }),
      signingKey,
      ...signingOperations(signingKey)
    } satisfies KeyringShape
  })

export const layer = (label?: string): Layer.Layer<Keyring> => Layer.effect(Keyring, make(label))
