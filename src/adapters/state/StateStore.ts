/**
 * The port through which agents keep small JSON documents (last-run times,
 * cursors, settings they learned) under the daemon's state directory, by key.
 * A document is stored with a version header, `{"version":1,"data":…}`, so a
 * later release can migrate it and an older one refuses a newer file instead
 * of misreading it.
 */
import { Context, Effect, Exit, Option, Result, Schema } from "effect"
import type { FileError } from "../fs/Files.ts"

export const KEY_PATTERN = /^[a-z0-9][a-z0-9-]*$/
/** The document format this release writes and the newest it reads. */
export const DOCUMENT_VERSION = 1

export class InvalidStateKey extends Schema.TaggedError<InvalidStateKey>()("InvalidStateKey", {
  key: Schema.String
}) {
  override get message() {
    return `invalid state key ${JSON.stringify(this.key)}: use lowercase letters, digits and '-', starting with a letter or digit (e.g. orbit)`
  }
}

/** The value cannot be stored as JSON (a cycle, a BigInt, undefined, a function). */
export class StateNotSerializable extends Schema.TaggedError<StateNotSerializable>()("StateNotSerializable", {
  key: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot store state '${this.key}': the value is not JSON-serializable (${this.reason})`
  }
}

/** The file exists but is not a document this store wrote (torn write, truncation, hand edit). */
export class StateFileCorrupt extends Schema.TaggedError<StateFileCorrupt>()("StateFileCorrupt", {
  file: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `state file ${this.file} is corrupt: ${this.reason}`
  }
}

/** The file was written by a newer release; reading it could misinterpret it. */
export class StateVersionTooNew extends Schema.TaggedError<StateVersionTooNew>()("StateVersionTooNew", {
  file: Schema.String,
  version: Schema.Number,
  supported: Schema.Number
}) {
  override get message() {
    return `state file ${this.file} has format version ${this.version}, newer than this release supports (${this.supported}); it was written by a newer SigmaVault`
  }
}

export type StateStoreError =
  | InvalidStateKey
  | StateNotSerializable
  | StateFileCorrupt
  | StateVersionTooNew
  | FileError

export interface StateStoreShape {
  /** The document stored under `key`, or none when there is none yet. */
  readonly read: (key: string) => Effect.Effect<Option.Option<unknown>, StateStoreError>
  /** Replaces the document under `key`; a reader sees the old or the new document, never a mix. */
  readonly write: (key: string, value: unknown) => Effect.Effect<void, StateStoreError>
}

export class StateStore extends Context.Service<StateStore, StateStoreShape>()("sigmavault/adapters/state/StateStore") {}

export const validateKey = (key: string): Effect.Effect<string, InvalidStateKey> =>
  KEY_PATTERN.test(key) ? Effect.succeed(key) : Effect.fail(new InvalidStateKey({ key }))

/** Renders `value` as the text of a versioned document. */
export const encodeDocument = (key: string, value: unknown): Effect.Effect<string, StateNotSerializable> =>
  Effect.flatMap(
    Effect.try({
      try: () => JSON.stringify(value),
      catch: (error) => new StateNotSerializable({ key, reason: error instanceof Error ? error.message : String(error) })
    }),
    (data) =>
      data === undefined
        ? Effect.fail(new StateNotSerializable({ key, reason: `a ${typeof value} has no JSON form` }))
        : Effect.succeed(`{"version":${DOCUMENT_VERSION},"data":${data}}\n`)
  )

const Header = Schema.Struct({ version: Schema.Number })
const Envelope = Schema.Struct({ version: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)), data: Schema.Unknown })
const decodeHeader = Schema.decodeUnknownExit(Header)
const decodeEnvelope = Schema.decodeUnknownExit(Envelope)

/** Reads the text of a versioned document; `file` names it in errors. */
export const decodeDocument = (
  file: string,
  text: string
): Effect.Effect<unknown, StateFileCorrupt | StateVersionTooNew> => {
  const parsed = Result.try(() => JSON.parse(text) as unknown)
  if (Result.isFailure(parsed)) {
    return Effect.fail(
      new StateFileCorrupt({ file, reason: `not valid JSON (${text.length} bytes; a torn or truncated write?)` })
    )
  }
  const header = decodeHeader(parsed.success)
  if (Exit.isSuccess(header) && header.value.version > DOCUMENT_VERSION) {
    return Effect.fail(
      new StateVersionTooNew({ file, version: header.value.version, supported: DOCUMENT_VERSION })
    )
  }
  const envelope = decodeEnvelope(parsed.success)
  if (Exit.isFailure(envelope) || !Object.hasOwn(envelope.value, "data")) {
    return Effect.fail(
      new StateFileCorrupt({ file, reason: `expected {"version":${DOCUMENT_VERSION},"data":…}, found another shape` })
    )
  }
  return Effect.succeed(envelope.value.data)
}
