/** ATLAS's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import { FileError } from "../../adapters/fs/Files.ts"
import { ZFS_ERRORS } from "../../adapters/zfs/Zfs.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { HISTORY_ERRORS } from "../../history/History.ts"
import { AbsolutePath, DatasetName, PoolName, PositiveInt } from "../shared/fields.ts"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Sized = Schema.Struct({ path: Schema.String, bytes: Count })

export const UsageReport = Schema.Struct({
  root: Schema.String,
  complete: Schema.Boolean,
  stoppedBecause: Schema.optional(Schema.Literals(["entry budget", "time budget", "cancelled"])),
  entries: Count,
  files: Count,
  directories: Count,
  symlinks: Count,
  others: Count,
  apparentBytes: Count,
  allocatedBytes: Count,
  largestFiles: Schema.Array(Sized),
  largestDirectories: Schema.Array(Sized),
  byType: Schema.Array(Schema.Struct({ type: Schema.String, files: Count, bytes: Count })),
  topExtensions: Schema.Array(Schema.Struct({ extension: Schema.String, files: Count, bytes: Count })),
  skipped: Schema.Struct({ count: Count, examples: Schema.Array(Schema.Struct({ path: Schema.String, reason: Schema.String })) }),
  /** Mount points found and not entered. */
  otherFilesystems: Schema.Array(Schema.String),
  elapsedMs: Schema.Finite
})
export type UsageReport = typeof UsageReport.Type

const Sample = Schema.Struct({ at: Schema.Finite, bytes: Schema.Finite })
const Mover = Schema.Struct({ dataset: Schema.String, deltaBytes: Schema.Finite, growthBytesPerDay: Schema.NullOr(Schema.Finite) })

export const TrendsReport = Schema.Struct({
  window: Schema.Struct({ from: Schema.Finite, to: Schema.Finite, days: Schema.Finite, stepMs: Schema.Finite }),
  /** every dataset with samples in the window, by name */
  datasets: Schema.Array(Schema.Struct({
    pool: Schema.String,
    dataset: Schema.String,
    points: Count,
    first: Sample,
    last: Sample,
    deltaBytes: Schema.Finite,
    /** the change per day between the first and last sample (null: one sample) */
    growthBytesPerDay: Schema.NullOr(Schema.Finite),
    /** the change relative to the first sample (null: it was 0) */
    growthPercent: Schema.NullOr(Schema.Finite)
  })),
  /** what grew most in the window, and what shrank most */
  topGrowers: Schema.Array(Mover),
  topShrinkers: Schema.Array(Mover),
  totalDeltaBytes: Schema.Finite,
  /** why the list is empty, when it is */
  note: Schema.optionalKey(Schema.String)
})
export type TrendsReport = typeof TrendsReport.Type

/** What to scan was not said exactly once. */
export class PathOrDataset extends Schema.TaggedError<PathOrDataset>()("PathOrDataset", {}) {
  override get message() {
    return "give exactly one of \"path\" or \"dataset\""
  }
}

export class NoSuchDataset extends Schema.TaggedError<NoSuchDataset>()("NoSuchDataset", { dataset: Schema.String }) {
  override get message() {
    return `no dataset named '${this.dataset}'`
  }
}

export class NotMounted extends Schema.TaggedError<NotMounted>()("NotMounted", { dataset: Schema.String }) {
  override get message() {
    return `dataset '${this.dataset}' is not mounted, so it cannot be scanned`
  }
}

export const Atlas = Protocol.make("ATLAS", [
  Protocol.message("usage", {
    doc: "a bounded scan of a path or a dataset's mountpoint: totals, largest files and directories, file types",
    access: "operate",
    fields: {
      /** What to scan: a path, or a dataset (its mountpoint); exactly one. */
      path: Schema.optionalKey(AbsolutePath),
      dataset: Schema.optionalKey(DatasetName),
      /** The scan's bounds: it stops at whichever comes first and says so. */
      maxEntries: Schema.optionalKey(PositiveInt),
      maxMs: Schema.optionalKey(PositiveInt),
      crossFilesystems: Schema.optionalKey(Schema.Boolean),
      top: Schema.optionalKey(PositiveInt)
    },
    reply: UsageReport,
    rejections: [PathOrDataset, NoSuchDataset, NotMounted, FileError, ...ZFS_ERRORS]
  }),
  Protocol.message("trends", {
    doc: "each dataset's usage over a window of the metric history (first, last, change, change per day), and what grew",
    access: "read",
    fields: {
      /** The window; default 7 days. */
      days: Schema.optionalKey(Schema.Finite.check(Schema.isBetween({ minimum: 0.25, maximum: 366 }, { expected: "days from 0.25 to 366" }))),
      /** Only this pool's datasets. */
      pool: Schema.optionalKey(PoolName),
      /** How many top growers and shrinkers; default 5. */
      top: Schema.optionalKey(PositiveInt.check(Schema.isLessThanOrEqualTo(100)))
    },
    reply: TrendsReport,
    rejections: [...HISTORY_ERRORS]
  })
])
