/**
 * The audit ledger's line format (docs/ledger.md). One entry per line:
 *
 *   {"seq":N,"at":"…","actor":"…","action":"…","detail":{…},"prev":"<64 hex>"}\n
 *
 * The line is exactly what JSON.stringify writes for an object with those six
 * keys in that order, so a reader can check that a line is in this canonical
 * form by writing it again. An entry's hash is the SHA-256 of its line's bytes
 * without the newline; `prev` is the previous entry's hash (64 zeros for the
 * first). A checkpoint is an entry whose action is `ledger.checkpoint` and
 * whose detail signs the chain up to it with ML-DSA-65.
 */
import { createHash } from "node:crypto"
import { Buffer } from "node:buffer"
import { Result } from "effect"
import type { LedgerEntry } from "./Report.ts"

export const GENESIS_PREV = "0".repeat(64)
export const CHECKPOINT_ACTION = "ledger.checkpoint"
/** Written when opening cut away a torn final line, so the cut itself is on the record. */
export const RECOVERED_ACTION = "ledger.recovered"
/** The actor of the entries the ledger writes itself. */
export const LEDGER_ACTOR = "LEDGER"
/** No entry line is longer: a longer line was not written by the ledger. */
export const MAX_LINE_BYTES = 64 * 1024
/** Prefixed to every signed checkpoint message, so a checkpoint signature means nothing elsewhere. */
export const CHECKPOINT_DOMAIN = "sigmavault/ledger/checkpoint/v1\n"

/** An entry as it is written on its line. */
export interface EntryFields {
  readonly seq: number
  readonly at: string
  readonly actor: string
  readonly action: string
  readonly detail: Readonly<Record<string, unknown>>
  readonly prev: string
}

export type { LedgerEntry } from "./Report.ts"

export interface CheckpointDetail {
  /** The seq of the last entry the signature covers: always the checkpoint's own seq - 1. */
  readonly covers: number
  /** The hash of that entry: always the checkpoint's own `prev`. */
  readonly head: string
  readonly keyId: string
  /** Base64 of the ML-DSA-65 signature over `checkpointMessage`. */
  readonly signature: string
}

const CHECKPOINT_KEYS = ["covers", "head", "keyId", "signature"] as const
const HASH = /^[0-9a-f]{64}$/
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const encoder = new TextEncoder()
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

/** The canonical line text (no newline). */
export const lineOf = (entry: EntryFields): string =>
  JSON.stringify({
    seq: entry.seq,
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    detail: entry.detail,
    prev: entry.prev
  })

export const encodeText = (text: string): Uint8Array => encoder.encode(text)

export const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")

export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")

/** The bytes of a base64 text, or none unless it is exactly what `toBase64` writes for them. */
export const fromBase64 = (text: string): Uint8Array | undefined => {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined
  const bytes = Buffer.from(text, "base64")
  return toBase64(bytes) === text ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : undefined
}

/**
 * What a checkpoint's key signs: the domain prefix, then the checkpoint's own
 * canonical line with `"signature":""`. So the signature covers every byte of
 * the checkpoint line except itself, and through `prev` the whole chain before.
 */
export const checkpointMessage = (
  fields: Omit<EntryFields, "detail" | "action">,
  detail: Omit<CheckpointDetail, "signature">
): Uint8Array =>
  encodeText(
    CHECKPOINT_DOMAIN +
      lineOf({
        ...fields,
        action: CHECKPOINT_ACTION,
        detail: { covers: detail.covers, head: detail.head, keyId: detail.keyId, signature: "" }
      })
  )

/** Why a line is not an entry, with its seq when that much could be read. */
export interface Unreadable {
  readonly reason: string
  readonly seq?: number
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const isIsoTime = (text: string): boolean => {
  const time = Date.parse(text)
  return Number.isFinite(time) && new Date(time).toISOString() === text
}

const shapeProblem = (value: Record<string, unknown>): string | undefined => {
  if (!Number.isSafeInteger(value["seq"]) || (value["seq"] as number) < 1) return "seq is not a positive integer"
  if (typeof value["at"] !== "string" || !isIsoTime(value["at"])) return "at is not an ISO-8601 UTC time"
  if (typeof value["actor"] !== "string" || value["actor"] === "") return "actor is not a non-empty string"
  if (typeof value["action"] !== "string" || value["action"] === "") return "action is not a non-empty string"
  if (!isRecord(value["detail"])) return "detail is not an object"
  if (typeof value["prev"] !== "string" || !HASH.test(value["prev"])) return "prev is not 64 lowercase hex digits"
  return undefined
}

/**
 * Reads one complete line (newline excluded) as an entry: UTF-8, JSON, the
 * entry shape, the canonical form. Its place in the chain is checked elsewhere.
 */
export const parseLine = (bytes: Uint8Array): Result.Result<LedgerEntry, Unreadable> => {
  if (bytes.byteLength === 0) return Result.fail({ reason: "empty line" })
  const text = Result.try(() => strictUtf8.decode(bytes))
  if (Result.isFailure(text)) return Result.fail({ reason: "not UTF-8 text" })
  const json = Result.try(() => JSON.parse(text.success) as unknown)
  if (Result.isFailure(json)) return Result.fail({ reason: "not JSON" })
  const value = json.success
  if (!isRecord(value)) return Result.fail({ reason: "not a JSON object" })
  const seq = Number.isSafeInteger(value["seq"]) ? { seq: value["seq"] as number } : {}
  const problem = shapeProblem(value)
  if (problem !== undefined) return Result.fail({ ...seq, reason: `not a ledger entry: ${problem}` })
  const entry = value as unknown as EntryFields
  if (lineOf(entry) !== text.success) {
    return Result.fail({ ...seq, reason: "not in canonical form (extra or reordered keys, spacing, or escapes the ledger does not write)" })
  }
  return Result.succeed({
    seq: entry.seq,
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    detail: entry.detail,
    prev: entry.prev,
    hash: sha256Hex(bytes)
  })
}

/** A checkpoint's detail, checked against the checkpoint's place (`covers` and `head`). */
export const parseCheckpoint = (entry: EntryFields): Result.Result<CheckpointDetail, string> => {
  const detail = entry.detail
  const keys = Object.keys(detail)
  if (keys.length !== CHECKPOINT_KEYS.length || keys.some((key, index) => key !== CHECKPOINT_KEYS[index])) {
    return Result.fail(`checkpoint detail must hold exactly ${CHECKPOINT_KEYS.join(", ")} in that order`)
  }
  const { covers, head, keyId, signature } = detail
  if (covers !== entry.seq - 1) return Result.fail(`checkpoint covers ${String(covers)}, but it must cover seq ${entry.seq - 1}, the entry before it`)
  if (head !== entry.prev) return Result.fail("checkpoint head is not the hash of the entry before it (its prev)")
  if (typeof keyId !== "string" || keyId === "") return Result.fail("checkpoint keyId is not a non-empty string")
  if (typeof signature !== "string" || fromBase64(signature) === undefined) {
    return Result.fail("checkpoint signature is not canonical base64")
  }
  return Result.succeed({ covers, head, keyId, signature })
}
