/**
 * LEDGER: the append-only, tamper-evident audit log of every state-changing
 * action the runtime performs. `<dir>/audit.log` holds one hash-chained entry
 * per line (format in Entry.ts and docs/ledger.md); every append is fdatasynced
 * before it resolves, and every `checkpointEvery` entries (and on close) an
 * ML-DSA-65 checkpoint signs the chain head.
 *
 * One writer per ledger: the daemon opens it once and shares the `Ledger`.
 */
import * as path from "node:path"
import { Context, Effect, Layer, Option, Result, type Scope, Semaphore } from "effect"
import { type AppendFile, FileError, Files } from "../adapters/fs/Files.ts"
import * as Entry from "./Entry.ts"
import { hashFrom } from "./internal/io.ts"
import { type Head, type TornTail, walkLedger } from "./internal/walk.ts"
import { LedgerCorrupt, type LedgerError, LedgerInvalidEntry, LedgerSignError } from "./LedgerError.ts"

export type { Head, TornTail } from "./internal/walk.ts"

export const LEDGER_FILE = "audit.log"
export const DEFAULT_CHECKPOINT_EVERY = 64

/** Signs checkpoints with ML-DSA-65. The keyring supplies it; `keyId` names the public key verifiers look up. */
export interface Signer {
  readonly keyId: string
  readonly sign: (message: Uint8Array) => Uint8Array
}

export interface NewEntry {
  /** Who acted: an agent name (SUPERVISOR, QUANTUM, …) or `cli`. */
  readonly actor: string
  /** What happened, dotted lowercase: `agent.restarted`, `key.rotated`, … (`ledger.*` is reserved). */
  readonly action: string
  /** JSON-serializable facts about it. */
  readonly detail?: Readonly<Record<string, unknown>>
}

export interface LedgerOptions {
  /** Without one, entries are still chained but never checkpointed. */
  readonly signer: Signer | undefined
  /** Checkpoint after this many entries since the last one (default 64). */
  readonly checkpointEvery?: number
  /** Epoch milliseconds for `at` (default Date.now). */
  readonly now?: () => number
}

/** What opening found. */
export interface OpenReport {
  readonly file: string
  /** The file did not exist and was created. */
  readonly created: boolean
  /** Entries found (the torn tail not counted). */
  readonly entries: number
  /** The chain head found. */
  readonly head: Head
  /** Entries found after the last checkpoint. */
  readonly unsignedTail: number
  /** A final line without its newline, cut away before appending; recorded in a `ledger.recovered` entry. */
  readonly tornTail?: TornTail & { readonly sha256: string }
}

export interface Ledger {
  readonly file: string
  readonly opened: OpenReport
  /** The chain's last entry now. */
  readonly head: Head
  /** Entries since the last checkpoint now. */
  readonly unsignedTail: number
  /**
   * Appends one entry, durably (written and fdatasynced) before it succeeds;
   * concurrent appends are serialized into one chain. A checkpoint that falls
   * due is written with it; if signing fails the entry still stands, the
   * failure is logged, and the next append tries again.
   */
  readonly append: (entry: NewEntry) => Effect.Effect<Entry.LedgerEntry, LedgerError>
  /** Signs the head now; none when the head is already signed by this signer. */
  readonly checkpoint: Effect.Effect<Option.Option<Entry.LedgerEntry>, LedgerError>
}

/** The ledger as a service, for the daemon's composition root. */
export class AuditLedger extends Context.Service<AuditLedger, Ledger>()("sigmavault/ledger/AuditLedger") {}

export const layer = (dir: string, options: LedgerOptions): Layer.Layer<AuditLedger, LedgerError, Files> =>
  Layer.effect(AuditLedger, openLedger(dir, options))

const ACTION = /^[a-z][a-z0-9_-]*(?:\.[a-z][a-z0-9_-]*)+$/
const CONTROL = /[\u0000-\u001f\u007f]/
const MAX_NAME = 128

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The caller's entry with its detail as JSON will keep it. */
const validate = (input: NewEntry): Effect.Effect<Required<NewEntry>, LedgerInvalidEntry> => {
  const invalid = (reason: string) => Effect.fail(new LedgerInvalidEntry({ actor: input.actor, action: input.action, reason }))
  if (input.actor === "" || input.actor.length > MAX_NAME || CONTROL.test(input.actor)) {
    return invalid(`the actor must be 1-${MAX_NAME} characters without control characters`)
  }
  if (input.actor === Entry.LEDGER_ACTOR) return invalid(`the actor ${Entry.LEDGER_ACTOR} is reserved for the ledger itself`)
  if (input.action.length > MAX_NAME || !ACTION.test(input.action)) {
    return invalid("the action must be dotted lowercase words, e.g. agent.restarted")
  }
  if (input.action.startsWith("ledger.")) return invalid("ledger.* actions are written by the ledger itself")
  const json = Result.try(() => JSON.stringify(input.detail ?? {}) as string | undefined)
  if (Result.isFailure(json)) return invalid(`the detail is not JSON-serializable (${messageOf(json.failure)})`)
  const detail: unknown = json.success === undefined ? undefined : JSON.parse(json.success)
  if (!isRecord(detail)) return invalid("the detail is not a JSON object")
  return Effect.succeed({ actor: input.actor, action: input.action, detail })
}

/** An entry ready to write: its line with the newline, and what it records. */
interface Prepared {
  readonly entry: Entry.LedgerEntry
  readonly bytes: Uint8Array
}

const prepare = (fields: Entry.EntryFields): Prepared => {
  const body = Entry.encodeText(Entry.lineOf(fields))
  const bytes = new Uint8Array(body.byteLength + 1)
  bytes.set(body, 0)
  bytes[body.byteLength] = 0x0a
  return { entry: { ...fields, hash: Entry.sha256Hex(body) }, bytes }
}

const signCheckpoint = (signer: Signer, head: Head, at: string): Effect.Effect<Prepared, LedgerSignError> => {
  const fields = { seq: head.seq + 1, at, actor: Entry.LEDGER_ACTOR, prev: head.hash }
  const unsigned = { covers: head.seq, head: head.hash, keyId: signer.keyId }
  const message = Entry.checkpointMessage(fields, unsigned)
  return Effect.try({
    try: () => signer.sign(message),
    catch: (error) => new LedgerSignError({ keyId: signer.keyId, reason: messageOf(error) })
  }).pipe(
    Effect.flatMap((signature) =>
      signature instanceof Uint8Array && signature.byteLength > 0
        ? Effect.succeed(
          prepare({
            ...fields,
            action: Entry.CHECKPOINT_ACTION,
            detail: { ...unsigned, signature: Entry.toBase64(signature) }
          })
        )
        : Effect.fail(new LedgerSignError({ keyId: signer.keyId, reason: "the signer returned no signature" }))
    )
  )
}

/**
 * Opens (creating if missing, mode 0600 in a 0700 directory) the ledger in
 * `dir` for append; closing the scope writes a last checkpoint and closes it.
 *
 * The whole chain is checked first (signatures are not: that needs the public
 * keys, see verifyLedger). A bad entry anywhere is a LedgerCorrupt and nothing
 * is written. A torn final line is cut away, logged, returned in `opened`, and
 * recorded by a `ledger.recovered` entry. With a signer whose key has not
 * signed a checkpoint here yet (a new ledger, a rotated key), a checkpoint is
 * written at once, so the first checkpoint names the key.
 */
export const openLedger = (dir: string, options: LedgerOptions): Effect.Effect<Ledger, LedgerError, Files | Scope.Scope> =>
  Effect.gen(function*() {
    const files = yield* Files
    const every = options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY
    if (!Number.isSafeInteger(every) || every < 1) {
      return yield* Effect.die(new Error(`checkpointEvery must be a positive integer, got ${every}`))
    }
    const file = path.join(dir, LEDGER_FILE)
    yield* files.makeDirectory(dir, { recursive: true, mode: 0o700 })
    // A new file is made durable with its directory entry by the port.
    const log = yield* files.openAppend(file, { mode: 0o600 })
    const created = log.created

    const walk = yield* walkLedger(file)
    if (walk.firstBad !== undefined) return yield* Effect.fail(new LedgerCorrupt({ file, ...walk.firstBad }))
    let tornTail: OpenReport["tornTail"]
    if (walk.tornTail !== undefined) {
      const torn = walk.tornTail
      const sha256 = yield* hashFrom(log.readAt, torn.offset)
      yield* log.truncate(torn.offset)
      tornTail = { ...torn, sha256 }
      yield* Effect.logWarning(
        `audit ledger ${file}: line ${torn.line} was torn (${torn.bytes} bytes without a newline: an append cut short by a crash, never acknowledged); cut away, and recorded as a ledger.recovered entry`
      )
    }
    if (options.signer === undefined) {
      yield* Effect.logWarning(`audit ledger ${file} opened without a signing key: entries are chained but not checkpointed`)
    }

    const opened: OpenReport = {
      file,
      created,
      entries: walk.entries,
      head: walk.head,
      unsignedTail: walk.unsignedTail,
      ...(tornTail === undefined ? {} : { tornTail })
    }
    const ledger = make({
      file,
      log,
      opened,
      signer: options.signer,
      every,
      now: options.now ?? Date.now,
      state: {
        size: walk.goodBytes,
        head: walk.head,
        unsignedTail: walk.unsignedTail,
        keyId: walk.lastCheckpoint?.keyId
      }
    })
    yield* Effect.addFinalizer(() => ledger.shutdown)
    if (tornTail !== undefined) {
      yield* ledger.record({
        actor: Entry.LEDGER_ACTOR,
        action: Entry.RECOVERED_ACTION,
        detail: { tornLine: tornTail.line, tornBytes: tornTail.bytes, tornSha256: tornTail.sha256 }
      })
    }
    if (options.signer !== undefined && walk.lastCheckpoint?.keyId !== options.signer.keyId) yield* ledger.checkpoint
    return ledger.public
  }).pipe(Effect.annotateLogs({ module: "ledger" }))

interface Mutable {
  /** Bytes committed: where a failed write is cut back to. */
  size: number
  head: Head
  unsignedTail: number
  /** The key of the last checkpoint. */
  keyId: string | undefined
}

const make = (setup: {
  readonly file: string
  readonly log: AppendFile
  readonly opened: OpenReport
  readonly signer: Signer | undefined
  readonly every: number
  readonly now: () => number
  readonly state: Mutable
}) => {
  const { file, log, signer, every, state } = setup
  const lock = Semaphore.makeUnsafe(1)
  let closed = false
  /** Why the file can no longer be trusted to end where `state` says. */
  let broken: string | undefined

  const at = () => new Date(setup.now()).toISOString()

  const usable = (operation: string): Effect.Effect<void, FileError> =>
    closed
      ? Effect.fail(new FileError({ reason: "Closed", operation, path: file, detail: "the ledger is closed" }))
      : broken !== undefined
      ? Effect.fail(new FileError({ reason: "Other", operation, path: file, detail: `${broken}; reopen the ledger` }))
      : Effect.void

  // Serialized, and not interruptible once started: an abandoned write would fork or tear the chain.
  const exclusive = <A, E>(effect: Effect.Effect<A, E>) => Semaphore.withPermit(lock, Effect.uninterruptible(effect))

  /** Writes the lines as one write, then fdatasync; a failure is cut back so no torn line stays behind. */
  const write = (batch: ReadonlyArray<Prepared>): Effect.Effect<void, FileError> => {
    const total = batch.reduce((sum, prepared) => sum + prepared.bytes.byteLength, 0)
    const bytes = new Uint8Array(total)
    let offset = 0
    for (const prepared of batch) {
      bytes.set(prepared.bytes, offset)
      offset += prepared.bytes.byteLength
    }
    return log.append(bytes).pipe(
      Effect.tapError((error) =>
        log.truncate(state.size).pipe(
          Effect.catch((rollback) =>
            Effect.sync(() => {
              broken = `an append failed (${error.message}) and undoing it failed too (${rollback.message})`
            })
          )
        )
      ),
      Effect.tap(() =>
        Effect.sync(() => {
          const last = batch[batch.length - 1]!.entry
          state.size += total
          state.head = { seq: last.seq, hash: last.hash }
          for (const prepared of batch) {
            if (prepared.entry.action === Entry.CHECKPOINT_ACTION) {
              state.unsignedTail = 0
              state.keyId = signer?.keyId
            } else {
              state.unsignedTail++
            }
          }
        })
      )
    )
  }

  /** Appends a validated entry, with the checkpoint that falls due after it. Inside the lock. */
  const appendLocked = (input: Required<NewEntry>): Effect.Effect<Entry.LedgerEntry, LedgerError> =>
    Effect.gen(function*() {
      yield* usable("append to audit ledger")
      const prepared = prepare({ seq: state.head.seq + 1, at: at(), ...input, prev: state.head.hash })
      if (prepared.bytes.byteLength > Entry.MAX_LINE_BYTES) {
        return yield* Effect.fail(
          new LedgerInvalidEntry({
            actor: input.actor,
            action: input.action,
            reason: `the entry is ${prepared.bytes.byteLength} bytes; the limit is ${Entry.MAX_LINE_BYTES}`
          })
        )
      }
      const batch = [prepared]
      if (signer !== undefined && state.unsignedTail + 1 >= every) {
        const signed = yield* Effect.result(signCheckpoint(signer, prepared.entry, at()))
        if (Result.isSuccess(signed)) batch.push(signed.success)
        else yield* Effect.logError(`${signed.failure.message}; the entry is appended unsigned, the next append tries again`)
      }
      yield* write(batch)
      return prepared.entry
    })

  const checkpointLocked = (operation: string): Effect.Effect<Option.Option<Entry.LedgerEntry>, LedgerError> =>
    Effect.gen(function*() {
      yield* usable(operation)
      if (signer === undefined) {
        return yield* Effect.fail(new LedgerSignError({ reason: "the ledger was opened without a signer" }))
      }
      if (state.unsignedTail === 0 && state.keyId === signer.keyId) return Option.none()
      const signed = yield* signCheckpoint(signer, state.head, at())
      yield* write([signed])
      return Option.some(signed.entry)
    })

  const append = (entry: NewEntry): Effect.Effect<Entry.LedgerEntry, LedgerError> =>
    Effect.flatMap(validate(entry), (valid) => exclusive(appendLocked(valid)))

  /** The ledger's own entries skip the reserved-name check. */
  const record = (entry: Required<NewEntry>) => exclusive(appendLocked(entry))

  const checkpoint = exclusive(checkpointLocked("checkpoint audit ledger"))

  /** The closing checkpoint (failures logged), then no more writes. */
  const shutdown: Effect.Effect<void> = exclusive(
    Effect.gen(function*() {
      if (closed) return
      if (signer !== undefined && state.unsignedTail > 0 && broken === undefined) {
        const result = yield* Effect.result(checkpointLocked("checkpoint audit ledger on close"))
        if (Result.isFailure(result)) {
          yield* Effect.logError(`${result.failure.message}; ${state.unsignedTail} entries stay unsigned`)
        }
      }
      closed = true
    })
  ).pipe(Effect.annotateLogs({ module: "ledger" }))

  const ledger: Ledger = {
    file,
    opened: setup.opened,
    get head() {
      return state.head
    },
    get unsignedTail() {
      return state.unsignedTail
    },
    append,
    checkpoint
  }
  return { public: ledger, record, checkpoint, shutdown }
}
