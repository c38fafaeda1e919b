/**
 * Shared by the ledger tests: deterministic ML-DSA-65 keys and signers, a
 * stepping clock, temp directories, and raw access to the file's lines.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js"
import { Effect } from "effect"
import type { Signer } from "../../src/ledger/index.ts"

const keysFrom = (byte: number) => ml_dsa65.keygen(new Uint8Array(32).fill(byte))

export const keyA = { keyId: "quantum-a", ...keysFrom(1) }
export const keyB = { keyId: "quantum-b", ...keysFrom(2) }

/** Signs deterministically (no extra entropy), like a keyring holding `key`. */
export const signerOf = (key: typeof keyA): Signer => ({
  keyId: key.keyId,
  sign: (message) => ml_dsa65.sign(message, key.secretKey, { extraEntropy: false })
})

/** The public keys a verifier trusts. */
export const trusting = (...keys: ReadonlyArray<typeof keyA>) => (keyId: string) =>
  keys.find((key) => key.keyId === keyId)?.publicKey

/** A clock one second further on at each reading, from 2026-06-01T00:00:00Z. */
export const steppingClock = () => {
  let now = Date.parse("2026-06-01T00:00:00.000Z")
  return () => (now += 1000)
}

/** A fresh directory, removed when the test's scope closes. */
export const tempDir = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "sigmavault-ledger-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)

export const logOf = (dir: string) => path.join(dir, "audit.log")
export const bytesOf = (file: string) => Effect.promise(() => fs.readFile(file))
export const put = (file: string, content: string | Uint8Array) => Effect.promise(() => fs.writeFile(file, content))
export const appendRaw = (file: string, content: string) => Effect.promise(() => fs.appendFile(file, content))

/** The file's complete lines (without newlines). */
export const linesOf = (file: string) =>
  Effect.map(Effect.promise(() => fs.readFile(file, "utf8")), (text) => text.split("\n").slice(0, -1))

/** Writes `lines` back, each with its newline. */
export const putLines = (file: string, lines: ReadonlyArray<string>) => put(file, lines.map((line) => `${line}\n`).join(""))
