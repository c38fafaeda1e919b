/**
 * One pass over a ledger file, line by line in constant memory: each line must
 * be the entry the chain expects next (seq, prev), and each checkpoint must sit
 * where it claims and, when keys are given, carry a valid signature. The walk
 * stops at the first bad line. Opening, verifying and tailing all use it.
 */
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js"
import { Effect, Result } from "effect"
import { type FileError, Files } from "../../adapters/fs/Files.ts"
import * as Entry from "../Entry.ts"
import type { BadEntry, CheckpointSeen, Head, TornTail } from "../Report.ts"
import { readChunk } from "./io.ts"

export type { BadEntry, CheckpointSeen, Head, TornTail } from "../Report.ts"
import { type Line, makeLineSplitter } from "./lines.ts"

export interface Walk {
  /** Good entries, up to the first bad one or the torn tail. */
  readonly entries: number
  readonly checkpoints: number
  readonly head: Head
  readonly lastCheckpoint: CheckpointSeen | undefined
  /** Good entries after the last checkpoint (all of them when there is none). */
  readonly unsignedTail: number
  /** Key ids of the good checkpoints, first use first. */
  readonly keyIds: ReadonlyArray<string>
  /** Bytes up to the end of the last good entry's newline. */
  readonly goodBytes: number
  readonly firstBad: BadEntry | undefined
  readonly tornTail: TornTail | undefined
}

export interface WalkOptions {
  /** Checks checkpoint signatures with these keys; without it only their form and place are checked. */
  readonly publicKeys?: (keyId: string) => Uint8Array | undefined
  /** Sees each good entry, in order (an entry later found modified has been seen already). */
  readonly onEntry?: (entry: Entry.LedgerEntry) => void
}

type Progress = Omit<Walk, "firstBad" | "tornTail">

const EMPTY: Progress = {
  entries: 0,
  checkpoints: 0,
  head: { seq: 0, hash: Entry.GENESIS_PREV },
  lastCheckpoint: undefined,
  unsignedTail: 0,
  keyIds: [],
  goodBytes: 0
}

const short = (hash: string) => `${hash.slice(0, 16)}…`

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`

const signatureHolds = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean => {
  const checked = Result.try(() => ml_dsa65.verify(signature, message, publicKey))
  return Result.isSuccess(checked) && checked.success
}

/** Walks lines fed one at a time; `feed` returns false once a bad line ends the walk. */
const makeWalker = (options: WalkOptions) => {
  let progress = EMPTY
  /** Progress before the last good line, for when the next line shows that line was modified. */
  let beforeLast = EMPTY
  let firstBad: BadEntry | undefined
  let tornTail: TornTail | undefined

  const check = (line: Line): BadEntry | undefined => {
    if (line.bytes === undefined) {
      return {
        line: line.number,
        reason: `the line is ${line.length} bytes, longer than any entry the ledger writes (${Entry.MAX_LINE_BYTES})`
      }
    }
    const parsed = Entry.parseLine(line.bytes)
    if (Result.isFailure(parsed)) return { line: line.number, ...parsed.failure }
    const entry = parsed.success
    const expected = progress.head.seq + 1
    if (entry.seq !== expected) {
      const reason = entry.seq > expected
        ? `seq ${entry.seq} where ${expected} was expected: ${plural(entry.seq - expected, "entry is", "entries are")} missing (deleted), or entries were reordered`
        : `seq ${entry.seq} where ${expected} was expected: entries were reordered or duplicated`
      return { line: line.number, seq: entry.seq, reason }
    }
    if (entry.prev !== progress.head.hash) {
      if (expected === 1) return { line: line.number, seq: entry.seq, reason: "the first entry's prev is not 64 zeros" }
      // The previous line no longer hashes to what its successor recorded: it was edited after it was written
      // (or this line's prev was, which the chain alone cannot tell apart).
      const modified: BadEntry = {
        line: line.number - 1,
        seq: progress.head.seq,
        reason: `entry modified: its SHA-256 is ${short(progress.head.hash)}, but the next entry (line ${line.number}, seq ${entry.seq}) records prev ${short(entry.prev)}`
      }
      progress = beforeLast
      return modified
    }
    let keyIds = progress.keyIds
    let checkpoint: CheckpointSeen | undefined
    if (entry.action === Entry.CHECKPOINT_ACTION) {
      const detail = Entry.parseCheckpoint(entry)
      if (Result.isFailure(detail)) return { line: line.number, seq: entry.seq, reason: detail.failure }
      const { keyId, signature } = detail.success
      if (options.publicKeys !== undefined) {
        const publicKey = options.publicKeys(keyId)
        if (publicKey === undefined) {
          return { line: line.number, seq: entry.seq, reason: `checkpoint signed by unknown key ${JSON.stringify(keyId)}` }
        }
        const message = Entry.checkpointMessage(entry, detail.success)
        if (!signatureHolds(Entry.fromBase64(signature)!, message, publicKey)) {
          return {
            line: line.number,
            seq: entry.seq,
            reason: `checkpoint signature does not verify with key ${JSON.stringify(keyId)} (forged, or the checkpoint was altered)`
          }
        }
      }
      checkpoint = { line: line.number, seq: entry.seq, keyId }
      if (!keyIds.includes(keyId)) keyIds = [...keyIds, keyId]
    }
    beforeLast = progress
    progress = {
      entries: progress.entries + 1,
      checkpoints: progress.checkpoints + (checkpoint === undefined ? 0 : 1),
      head: { seq: entry.seq, hash: entry.hash },
      lastCheckpoint: checkpoint ?? progress.lastCheckpoint,
      unsignedTail: checkpoint === undefined ? progress.unsignedTail + 1 : 0,
      keyIds,
      goodBytes: line.offset + line.length + 1
    }
    options.onEntry?.(entry)
    return undefined
  }

  return {
    feed: (line: Line): boolean => {
      firstBad = check(line)
      return firstBad === undefined
    },
    torn: (line: Line): void => {
      tornTail = { line: line.number, offset: line.offset, bytes: line.length }
    },
    result: (): Walk => ({ ...progress, firstBad, tornTail })
  }
}

/** Walks the ledger at `file`, which must exist. */
export const walkLedger = (file: string, options: WalkOptions = {}): Effect.Effect<Walk, FileError, Files> =>
  Effect.scoped(Effect.flatMap(Files.use((files) => files.openRead(file)), (reader) =>
      Effect.gen(function*() {
        const walker = makeWalker(options)
        const splitter = makeLineSplitter(Entry.MAX_LINE_BYTES)
        for (let position = 0;;) {
          const chunk = yield* readChunk(reader.readAt, position)
          if (chunk.byteLength === 0) break
          position += chunk.byteLength
          for (const line of splitter.push(chunk)) {
            if (!walker.feed(line)) return walker.result()
          }
        }
        const rest = splitter.end()
        if (rest !== undefined) walker.torn(rest)
        return walker.result()
      })))
