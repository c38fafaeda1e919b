/**
 * The vault format's public API: encrypt a file or stream to one or more
 * X-Wing public keys, and decrypt it with any of the matching secret keys.
 * The format is specified in docs/vault-format.md.
 *
 * Both directions stream with constant memory (about two chunks), so a
 * 10 GiB file needs what a 10 MiB one does. Decryption hands `write` only
 * whole chunks whose tag verified; when it fails midway, chunks before the
 * failing one were already written, so a stream consumer must discard the
 * output on failure. `decryptFile` does that for you: it writes to a
 * temporary file and renames it over the output only on success.
 */
import { randomBytes } from "node:crypto"
import { Effect, Option } from "effect"
import { type FileError, type Files, type Writer, writerFrom } from "../adapters/fs/Files.ts"
import { type ByteReader, fileByteReader, iterableSource, makeByteReader } from "../fileio/ByteReader.ts"
import { type Input, openInput, type Streams, withOutput } from "../fileio/Edges.ts"
import {
  InvalidVaultKey,
  InvalidVaultOption,
  NoMatchingRecipient,
  type VaultFormatError,
  VaultHeaderAuthFailed,
  VaultOutputExists
} from "./Errors.ts"
import { encodeHeader, type Header, MAX_CHUNK_SIZE, MAX_RECIPIENTS, MIN_CHUNK_SIZE, readHeader, SALT_BYTES, verifyHeader } from "./Header.ts"
import { payloadKeyOf } from "./KeySchedule.ts"
import { openPayload, sealPayload, type Write } from "./Payload.ts"
import {
  ENCAPSULATION_RANDOM_BYTES,
  FILE_KEY_BYTES,
  type Identity,
  identityOf,
  unwrapFileKey,
  wrapFileKey
} from "./Recipients.ts"

export { MAX_CHUNK_SIZE, MAX_RECIPIENTS, MIN_CHUNK_SIZE } from "./Header.ts"
export { PUBLIC_KEY_BYTES, SECRET_KEY_BYTES } from "./Recipients.ts"

/**
 * Plaintext bytes per chunk when the caller does not choose. Measured under
 * Bun 1.4 on 256 MiB in memory (medians, MB/s, encrypt/decrypt): 64 KiB
 * ≈ 2000/1500, 256 KiB ≈ 3200/1900, 1 MiB ≈ 3400/2550. A stream holds about
 * three chunks, so 1 MiB costs ~3 MiB per concurrent stream for the fastest
 * decryption; the per-chunk cost is creating a GCM context.
 */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024

export interface EncryptOptions {
  /** Plaintext bytes per chunk, 65 536 – 1 048 576; `DEFAULT_CHUNK_SIZE` if absent. */
  readonly chunkSize?: number
  /** Source of randomness, `n` bytes per call; for known-answer tests. Defaults to node:crypto. */
  readonly random?: (n: number) => Uint8Array
  /** Called after each chunk is written, with the plaintext bytes so far. */
  readonly onProgress?: (plaintextBytes: number) => void
}

export interface DecryptOptions {
  /** Called after each authenticated chunk is written, with the plaintext bytes so far. */
  readonly onProgress?: (plaintextBytes: number) => void
}

/**
 * Files are read and written through the Files port (a command provides its
 * blocking implementation, the daemon the asynchronous one). "-" reads
 * `stdin` and writes `stdout`, which only a command hands in
 * (src/adapters/fs/StdioLive.ts); without them "-" is refused.
 */
export interface FileOptions extends Streams {
  /** Replace an existing output file. Without it, `VaultOutputExists`. */
  readonly force?: boolean
}

export interface EncryptResult {
  readonly plaintextBytes: number
  /** The whole vault file: header and payload. */
  readonly ciphertextBytes: number
}

export interface DecryptResult {
  readonly plaintextBytes: number
  /** Which recipient stanza of the file opened (its position in the header). */
  readonly recipientIndex: number
  /** Which of the given secret keys opened it. */
  readonly identityIndex: number
}

export type EncryptError = InvalidVaultOption | InvalidVaultKey | FileError
export type DecryptError = VaultFormatError | InvalidVaultOption | InvalidVaultKey | FileError

const STREAM_INPUT = "the input stream"
const STREAM_OUTPUT = "the output stream"

/** Runs `use` with the reader `open` makes, and stops its source early if `use` ends first. */
const withReader = <A, E>(open: () => ByteReader, use: (reader: ByteReader) => Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.acquireUseRelease(Effect.sync(open), use, (reader) => reader.close)

/** A stream's pieces through a ByteReader (a copy each); a file read straight into each chunk's buffer. */
const readerOf = (input: Input) => (): ByteReader =>
  input.file === undefined ? makeByteReader(input.source) : fileByteReader(input.file)

const streamReader = (input: AsyncIterable<Uint8Array>) => (): ByteReader => makeByteReader(iterableSource(input, STREAM_INPUT))

const checkChunkSize = (chunkSize: number): Effect.Effect<number, InvalidVaultOption> =>
  Number.isInteger(chunkSize) && chunkSize >= MIN_CHUNK_SIZE && chunkSize <= MAX_CHUNK_SIZE
    ? Effect.succeed(chunkSize)
    : Effect.fail(
      new InvalidVaultOption({
        option: "chunk size",
        reason: `${chunkSize} is not a whole number of bytes from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE} (64 KiB – 1 MiB)`
      })
    )

const checkRecipientCount = (count: number): Effect.Effect<void, InvalidVaultOption> =>
  count === 0
    ? Effect.fail(new InvalidVaultOption({ option: "recipients", reason: "at least one recipient public key is needed" }))
    : count > MAX_RECIPIENTS
    ? Effect.fail(
      new InvalidVaultOption({ option: "recipients", reason: `${count} given, a vault file holds at most ${MAX_RECIPIENTS}` })
    )
    : Effect.void

/** `n` bytes from the caller's source; a source that returns another length is a bug in the caller. */
const draw = (random: (n: number) => Uint8Array, n: number): Effect.Effect<Uint8Array> =>
  Effect.flatMap(Effect.sync(() => random(n)), (bytes) =>
    bytes.byteLength === n
      ? Effect.succeed(bytes)
      : Effect.die(new Error(`the random option returned ${bytes.byteLength} bytes when asked for ${n}`)))

interface Prepared {
  readonly header: Uint8Array
  readonly payloadKey: Uint8Array
  readonly chunkSize: number
}

/** Checks the arguments and makes the header, before any input is read or output created. */
const prepareEncryption = (
  recipients: ReadonlyArray<Uint8Array>,
  options: EncryptOptions
): Effect.Effect<Prepared, InvalidVaultOption | InvalidVaultKey> =>
  Effect.gen(function*() {
    const chunkSize = yield* checkChunkSize(options.chunkSize ?? DEFAULT_CHUNK_SIZE)
    yield* checkRecipientCount(recipients.length)
    const random = options.random ?? randomBytes
    // The order of these draws is part of the known-answer vectors (docs/vault-format.md §11).
    const fileKey = yield* draw(random, FILE_KEY_BYTES)
    const salt = yield* draw(random, SALT_BYTES)
    const stanzas: Array<Uint8Array> = []
    for (const [index, publicKey] of recipients.entries()) {
      const randomness = yield* draw(random, ENCAPSULATION_RANDOM_BYTES)
      stanzas.push(yield* Effect.fromResult(wrapFileKey(fileKey, publicKey, index, randomness)))
    }
    return { header: encodeHeader(chunkSize, salt, stanzas, fileKey), payloadKey: payloadKeyOf(fileKey, salt), chunkSize }
  })

const encryptWith = (
  open: () => ByteReader,
  write: Write,
  prepared: Prepared,
  options: EncryptOptions
): Effect.Effect<EncryptResult, FileError> =>
  withReader(open, (reader) =>
    Effect.gen(function*() {
      const { chunkSize, header, payloadKey } = prepared
      yield* write(header)
      const sealed = yield* sealPayload(reader, write, payloadKey, chunkSize, options.onProgress ?? (() => {}))
      return { plaintextBytes: sealed.plaintextBytes, ciphertextBytes: header.byteLength + sealed.ciphertextBytes }
    }))

const identitiesOf = (secretKeys: ReadonlyArray<Uint8Array>): Effect.Effect<ReadonlyArray<Identity>, InvalidVaultOption | InvalidVaultKey> =>
  secretKeys.length === 0
    ? Effect.fail(new InvalidVaultOption({ option: "identities", reason: "at least one secret key is needed" }))
    : Effect.forEach(secretKeys, (secretKey, index) => Effect.fromResult(identityOf(secretKey, index)))

interface Unlocked {
  readonly fileKey: Uint8Array
  readonly recipientIndex: number
  readonly identityIndex: number
}

/**
 * Tries every stanza with every identity (§7.2). Each try is a decapsulation
 * of a few milliseconds, so the fiber yields between tries to let others run.
 */
const unlock = (
  header: Header,
  identities: ReadonlyArray<Identity>
): Effect.Effect<Unlocked, NoMatchingRecipient | VaultHeaderAuthFailed> =>
  Effect.gen(function*() {
    for (const [recipientIndex, stanza] of header.stanzas.entries()) {
      for (const identity of identities) {
        const fileKey = unwrapFileKey(stanza, identity)
        if (Option.isSome(fileKey)) {
          // The stanza is authentic for this key, so a MAC mismatch means the header changed.
          if (!verifyHeader(header, fileKey.value)) return yield* Effect.fail(new VaultHeaderAuthFailed())
          return { fileKey: fileKey.value, recipientIndex, identityIndex: identity.index }
        }
        yield* Effect.yieldNow
      }
    }
    return yield* Effect.fail(new NoMatchingRecipient({ stanzas: header.stanzas.length, identities: identities.length }))
  })

const decryptWith = (
  open: () => ByteReader,
  write: Write,
  identities: ReadonlyArray<Identity>,
  options: DecryptOptions
): Effect.Effect<DecryptResult, VaultFormatError | FileError> =>
  withReader(open, (reader) =>
    Effect.gen(function*() {
      const header = yield* readHeader(reader)
      const { fileKey, identityIndex, recipientIndex } = yield* unlock(header, identities)
      const plaintextBytes = yield* openPayload(
        reader,
        write,
        payloadKeyOf(fileKey, header.salt),
        header.chunkSize,
        header.byteLength,
        options.onProgress ?? (() => {})
      )
      return { plaintextBytes, recipientIndex, identityIndex }
    }))

/** Encrypts everything `input` yields to `recipients` (X-Wing public keys, 1216 bytes each), handing the vault file to `write` piece by piece. */
export const encrypt = (
  input: AsyncIterable<Uint8Array>,
  write: (bytes: Uint8Array) => Promise<void>,
  recipients: ReadonlyArray<Uint8Array>,
  options: EncryptOptions = {}
): Effect.Effect<EncryptResult, EncryptError> =>
  Effect.flatMap(
    prepareEncryption(recipients, options),
    (prepared) => encryptWith(streamReader(input), writerFrom(STREAM_OUTPUT, write), prepared, options)
  )

/**
 * Decrypts the vault file `input` yields with any of `identities` (X-Wing
 * secret keys, 32 bytes each). `write` receives only whole authenticated chunks.
 */
export const decrypt = (
  input: AsyncIterable<Uint8Array>,
  write: (bytes: Uint8Array) => Promise<void>,
  identities: ReadonlyArray<Uint8Array>,
  options: DecryptOptions = {}
): Effect.Effect<DecryptResult, DecryptError> =>
  Effect.flatMap(
    identitiesOf(identities),
    (checked) => decryptWith(streamReader(input), writerFrom(STREAM_OUTPUT, write), checked, options)
  )

/** Permission bits of a new output file, before the umask: ciphertext may be shared, plaintext is private. */
const ENCRYPTED_FILE_MODE = 0o666
const DECRYPTED_FILE_MODE = 0o600

/** The output edge of the file functions, failing with VaultOutputExists for an existing file. */
const vaultOutput = <A, E, R>(file: string, mode: number, options: FileOptions, use: (write: Writer) => Effect.Effect<A, E, R>) =>
  withOutput(file, { force: options.force ?? false, mode, stdout: options.stdout }, (taken) => new VaultOutputExists({ file: taken }), use)

/**
 * Encrypts the file `inPath` ("-": standard input) to `outPath` ("-":
 * standard output). A file output appears, complete, only on success.
 */
export const encryptFile = (
  inPath: string,
  outPath: string,
  recipients: ReadonlyArray<Uint8Array>,
  options: EncryptOptions & FileOptions = {}
): Effect.Effect<EncryptResult, EncryptError | VaultOutputExists, Files> =>
  Effect.flatMap(prepareEncryption(recipients, options), (prepared) =>
    Effect.scoped(Effect.flatMap(openInput(inPath, options), (input) =>
      vaultOutput(outPath, ENCRYPTED_FILE_MODE, options, (write) => encryptWith(readerOf(input), write, prepared, options)))))

/**
 * Decrypts the vault file `inPath` ("-": standard input) to `outPath` ("-":
 * standard output). A file output (mode 0600) appears only when every chunk
 * authenticated; to standard output only authenticated chunks are written,
 * but those before a failing chunk are already out.
 */
export const decryptFile = (
  inPath: string,
  outPath: string,
  identities: ReadonlyArray<Uint8Array>,
  options: DecryptOptions & FileOptions = {}
): Effect.Effect<DecryptResult, DecryptError | VaultOutputExists, Files> =>
  Effect.flatMap(identitiesOf(identities), (checked) =>
    Effect.scoped(Effect.flatMap(openInput(inPath, options), (input) =>
      vaultOutput(outPath, DECRYPTED_FILE_MODE, options, (write) => decryptWith(readerOf(input), write, checked, options)))))
