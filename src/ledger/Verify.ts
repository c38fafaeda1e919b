/**
 * Reading a ledger without writing to it: `verifyLedger` (behind `sigmavault
 * audit verify`) walks the whole chain and checks every checkpoint signature;
 * `tailLedger` lists the last entries. Both stream the file in constant memory
 * and can run while the daemon appends (the line being written may then show
 * as a torn tail).
 */
import * as path from "node:path"
import { Effect } from "effect"
import { type FileError, Files } from "../adapters/fs/Files.ts"
import type { LedgerEntry } from "./Entry.ts"
import { walkLedger } from "./internal/walk.ts"
import type { VerifyReport } from "./Report.ts"
import { LEDGER_FILE } from "./Ledger.ts"
import { LedgerCorrupt } from "./LedgerError.ts"

export type { BadEntry, CheckpointSeen } from "./internal/walk.ts"

export type { VerifyReport } from "./Report.ts"

/** `<dirOrFile>/audit.log` when given the ledger directory, else the file itself. */
export const ledgerFile = (dirOrFile: string): Effect.Effect<string, FileError, Files> =>
  Effect.map(
    Files.use((files) => files.stat(dirOrFile, { followSymlinks: true })),
    (stat) => (stat.type === "directory" ? path.join(dirOrFile, LEDGER_FILE) : dirOrFile)
  )

const entries = (count: number) => `${count} ${count === 1 ? "entry" : "entries"}`

/**
 * Checks the whole ledger: every line must be the next entry of the chain, and
 * every checkpoint must be signed by a key `publicKeys` knows (ML-DSA-65 public
 * keys by key id). Stops at the first bad entry. A ledger that does not exist
 * fails (ENOENT): a missing ledger is not an empty one.
 */
export const verifyLedger = (
  dirOrFile: string,
  publicKeys: (keyId: string) => Uint8Array | undefined
): Effect.Effect<VerifyReport, FileError, Files> =>
  Effect.gen(function*() {
    const file = yield* ledgerFile(dirOrFile)
    const walk = yield* walkLedger(file, { publicKeys })
    const warnings: Array<string> = []
    if (walk.firstBad === undefined && walk.unsignedTail > 0) {
      warnings.push(
        walk.lastCheckpoint === undefined
          ? `no checkpoint: none of the ${entries(walk.unsignedTail)} is signed`
          : `${entries(walk.unsignedTail)} after the last checkpoint (seq ${walk.lastCheckpoint.seq}) ${walk.unsignedTail === 1 ? "is" : "are"} not yet signed`
      )
    }
    if (walk.tornTail !== undefined) {
      warnings.push(
        `line ${walk.tornTail.line} is torn: ${walk.tornTail.bytes} bytes without a newline, an append cut short by a crash (never acknowledged; opening the ledger cuts it away)`
      )
    }
    return {
      file,
      ok: walk.firstBad === undefined,
      entries: walk.entries,
      checkpoints: walk.checkpoints,
      head: walk.head,
      ...(walk.lastCheckpoint === undefined ? {} : { lastCheckpoint: walk.lastCheckpoint }),
      keyIds: walk.keyIds,
      ...(walk.firstBad === undefined ? {} : { firstBad: walk.firstBad }),
      ...(walk.tornTail === undefined ? {} : { tornTail: walk.tornTail }),
      unsignedTail: walk.unsignedTail,
      warnings
    }
  })

/** The report as lines for a terminal: the verdict first. */
export const describeReport = (report: VerifyReport): ReadonlyArray<string> => {
  const verdict = report.firstBad === undefined
    ? `audit ledger ${report.file}: OK, ${entries(report.entries)}, ${report.checkpoints} signed checkpoint(s), head seq ${report.head.seq}`
    : `audit ledger ${report.file}: BAD at line ${report.firstBad.line}` +
      `${report.firstBad.seq === undefined ? "" : ` (seq ${report.firstBad.seq})`}: ${report.firstBad.reason}`
  return [verdict, ...report.warnings.map((warning) => `warning: ${warning}`)]
}

/**
 * The last `count` entries, oldest first. The chain is checked on the way
 * (signatures are not: use verifyLedger), so a bad entry is a LedgerCorrupt;
 * a torn tail is skipped, it holds no entry.
 */
export const tailLedger = (
  dirOrFile: string,
  count: number
): Effect.Effect<ReadonlyArray<LedgerEntry>, FileError | LedgerCorrupt, Files> =>
  Effect.gen(function*() {
    const file = yield* ledgerFile(dirOrFile)
    if (count < 1) return []
    // Trimmed in batches: memory stays within 2 x count entries without shifting on every line.
    let last: Array<LedgerEntry> = []
    const walk = yield* walkLedger(file, {
      onEntry: (entry) => {
        last.push(entry)
        if (last.length >= 2 * count) last = last.slice(-count)
      }
    })
    if (walk.firstBad !== undefined) return yield* Effect.fail(new LedgerCorrupt({ file, ...walk.firstBad }))
    return last.slice(-count)
  })
