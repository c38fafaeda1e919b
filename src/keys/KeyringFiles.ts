/**
 * Reading a keyring's public halves straight from its directory, for tools
 * that run without the daemon (`sigmavault audit verify`): every ML-DSA-65
 * key file present, by key id. Only the public key in each file's header is
 * read: no passphrase, no secret.
 */
import { join } from "node:path"
import { Effect } from "effect"
import { type FileError, Files, listIfPresent } from "../adapters/fs/Files.ts"
import { keyIdOf } from "./PublicKey.ts"
import { readSecretKeyFileInfo } from "./SecretKeyFile.ts"

export const keyringDirectory = (stateDir: string): string => join(stateDir, "keys")

const SIGNING_FILE = /^ml-dsa-65-[0-9a-f]{16}\.key$/

/** Signing public keys by id; an unreadable or damaged key file is skipped (verify then reports its key as unknown). */
export const signingPublicKeysIn = (dir: string): Effect.Effect<ReadonlyMap<string, Uint8Array>, FileError, Files> =>
  Effect.gen(function*() {
    const names = yield* listIfPresent(yield* Files, dir)
    const keys = new Map<string, Uint8Array>()
    for (const name of names.filter((entry) => SIGNING_FILE.test(entry)).sort()) {
      const info = yield* Effect.option(readSecretKeyFileInfo(join(dir, name)))
      if (info._tag === "Some" && info.value.kind === "ml-dsa-65") keys.set(keyIdOf(info.value.publicKey), info.value.publicKey)
    }
    return keys
  })
