/**
 * Shared helpers for the vault tests: deterministic keys and randomness (the
 * same definitions test/fixtures/vault/README.md gives for the vectors),
 * byte sources cut into arbitrary pieces, and a writer that records exactly
 * what a decryption released.
 */
import { createHash } from "node:crypto"
import { ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js"
import { Effect, Exit, Option } from "effect"
import * as Vault from "../../src/vault/Vault.ts"
import { concat } from "../../src/vault/KeySchedule.ts"

export const CHUNK = Vault.MIN_CHUNK_SIZE
export const TAG = 16
export const STANZA = 1168
export const headerLength = (recipients: number) => 46 + recipients * STANZA + 32

/** SHA-256 of the label's UTF-8 bytes: the 32-byte seed of a test key pair. */
export const seedOf = (label: string): Uint8Array => new Uint8Array(createHash("sha256").update(label).digest())

export interface KeyPair {
  readonly publicKey: Uint8Array
  readonly secretKey: Uint8Array
}

/** The X-Wing key pair whose secret key is `seedOf(label)`. */
export const keyPairOf = (label: string): KeyPair => ml_kem768_x25519.keygen(seedOf(label))

/**
 * A deterministic `random` option: the stream SHA-256(label ‖ u32be(0)) ‖
 * SHA-256(label ‖ u32be(1)) ‖ …, handed out `n` bytes per call.
 */
export const seededRandom = (label: string): (n: number) => Uint8Array => {
  let counter = 0
  let pool = new Uint8Array(0)
  return (n) => {
    while (pool.byteLength < n) {
      const block = createHash("sha256").update(label).update(Uint8Array.of(
        (counter >>> 24) & 0xff,
        (counter >>> 16) & 0xff,
        (counter >>> 8) & 0xff,
        counter & 0xff
      )).digest()
      counter++
      const grown = new Uint8Array(pool.byteLength + block.byteLength)
      grown.set(pool, 0)
      grown.set(block, pool.byteLength)
      pool = grown
    }
    const out = pool.slice(0, n)
    pool = pool.slice(n)
    return out
  }
}

/** `size` bytes where byte i is (i × 131 + seed) mod 256: cheap, and every chunk differs. */
export const patterned = (size: number, seed = 7): Uint8Array => {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = (i * 131 + seed) & 0xff
  return bytes
}

/** Yields `bytes` cut at the given offsets (sorted, deduplicated, inside the range). */
export async function* piecesOf(bytes: Uint8Array, cuts: ReadonlyArray<number> = []): AsyncGenerator<Uint8Array> {
  const points = [...new Set(cuts.filter((cut) => cut > 0 && cut < bytes.byteLength))].sort((a, b) => a - b)
  let start = 0
  for (const point of [...points, bytes.byteLength]) {
    yield bytes.slice(start, point)
    start = point
  }
}

/** Yields `bytes` in pieces of `size` bytes. */
export async function* fixedPieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let start = 0; start < bytes.byteLength; start += size) yield bytes.slice(start, start + size)
}

export { concat }

/** A `write` (and a Writer, for "-") that keeps a copy of every piece it was given, in order. */
export const recorder = () => {
  const pieces: Array<Uint8Array> = []
  return {
    pieces,
    write: async (bytes: Uint8Array) => {
      pieces.push(bytes.slice())
    },
    writer: (bytes: Uint8Array) => Effect.sync(() => void pieces.push(bytes.slice()))
  }
}

export const encryptBytes = (
  plaintext: Uint8Array,
  recipients: ReadonlyArray<Uint8Array>,
  options: Vault.EncryptOptions = {},
  cuts: ReadonlyArray<number> = []
): Effect.Effect<Uint8Array, Vault.EncryptError> =>
  Effect.gen(function*() {
    const sink = recorder()
    yield* Vault.encrypt(piecesOf(plaintext, cuts), sink.write, recipients, { chunkSize: CHUNK, ...options })
    return concat(sink.pieces)
  })

/** The outcome of decrypting `vaultFile`, and every piece `write` received meanwhile. */
export const decryptOutcome = (
  vaultFile: Uint8Array,
  identities: ReadonlyArray<Uint8Array>,
  cuts: ReadonlyArray<number> = []
) =>
  Effect.gen(function*() {
    const sink = recorder()
    const exit = yield* Effect.exit(Vault.decrypt(piecesOf(vaultFile, cuts), sink.write, identities))
    return { exit, written: sink.pieces }
  })

/** The tag of the failure, "success", or "defect" — what a tamper test compares. */
export const outcomeTag = (exit: Exit.Exit<unknown, { readonly _tag: string }>): string =>
  Exit.isSuccess(exit) ? "success" : Option.match(Exit.findErrorOption(exit), { onNone: () => "defect", onSome: (error) => error._tag })

/** The failure itself; throws when the exit is not a failure with an error. */
export const failureOf = <E>(exit: Exit.Exit<unknown, E>): E =>
  Option.getOrThrowWith(Exit.findErrorOption(exit), () => new Error(`expected a failure, got ${Exit.isSuccess(exit) ? "success" : "a defect or interruption"}`))

/** The plaintext chunks `0 … count-1` of `plaintext`: what a decryption may have released before failing. */
export const chunksOf = (plaintext: Uint8Array, count: number, chunkSize = CHUNK): Array<Uint8Array> =>
  Array.from({ length: count }, (_, index) => plaintext.slice(index * chunkSize, (index + 1) * chunkSize))
