/**
 * HELIX's protocol: the single source of its message schemas, replies,
 * rejections and access classes. Snapshots are taken and pruned by policy
 * (sanoid-style templates: per-period counts, autosnap, autoprune); every
 * change is planned (the exact commands) and runs only with `confirm: true`.
 * `replicate` is planned here and made real by the replication work
 * (replicate.ts, pathsnap.ts), which adds its own messages.
 */
import { Result, Schema } from "effect"
import { InvalidName, validateDatasetName } from "../../adapters/command/names.ts"
import { Planned, ZFS_ERRORS } from "../../adapters/zfs/Zfs.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { LeaseConflict } from "../arbiter/messages.ts"
import { InvalidSchedule } from "../orbit/messages.ts"
import { PATH_SNAPSHOT_ERRORS, PathSnapshot, PathSnapshotLabel, PathSnapshotPlan, PathSyncPlan } from "../../adapters/pathsnap/PathSnapshots.ts"
import { AbsolutePath, DatasetName, Name } from "../shared/fields.ts"
import { DependencyFailed } from "../shared/rejections.ts"
import { PairsReply, REPLICATE_REJECTIONS, ReplicateFields, ReplicationPlan } from "./replicationProtocol.ts"

/** The part after '@': what `zfs snapshot` accepts, without what a command line should never carry. */
export const SnapshotLabel = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9_.:][A-Za-z0-9_.:-]{0,199}$/, {
    expected: "a snapshot name of up to 200 letters, digits, '_', '.', ':' or '-' (not starting with '-'), e.g. before-upgrade"
  })
)

/** dataset@snapshot, checked by the very rule the ZFS adapter applies before it spawns anything. */
export const SnapshotName = Schema.String.check(
  Schema.makeFilter(
    (input: string) => {
      const checked = Result.flatMap(validateDatasetName(input, { allowSnapshot: true }), (name) =>
        name.includes("@") && !name.includes("#")
          ? Result.succeed(name)
          : Result.fail(new InvalidName({ kind: "dataset", name, reason: "a snapshot is named dataset@snapshot" })))
      return Result.isSuccess(checked) ? undefined : `${checked.failure.message}; expected a snapshot, e.g. tank/photos@monday`
    },
    {
      expected: "a ZFS snapshot name, e.g. tank/photos@monday",
      arbitraryConstraint: { patterns: [{ source: "^[A-Za-z][A-Za-z0-9_.:-]{0,15}(\\/[A-Za-z0-9_.:-]{1,15}){0,3}@[A-Za-z0-9_.:]{1,15}$", flags: "" }] }
    }
  )
)

/** The retention periods, shortest first (sanoid's types). */
export const PERIODS = ["frequently", "hourly", "daily", "weekly", "monthly", "yearly"] as const
export const Period = Schema.Literals(PERIODS)
export type Period = typeof Period.Type

const Count = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 100_000 }, { expected: "a count from 0 to 100000" }))
const Between = (minimum: number, maximum: number, what: string) =>
  Schema.Int.check(Schema.isBetween({ minimum, maximum }, { expected: `${what} from ${minimum} to ${maximum}` }))
/** An age as sanoid writes it: a number and a unit (s, m, h, d, w, y); "0" turns the check off. */
export const Age = Schema.String.check(
  Schema.isPattern(/^\d{1,9}[smhdwySMHDWY]?$/, { expected: "an age like 90m, 28h, 32d, or 0 for none" })
)

/**
 * A template's settings, every one optional: what is not set comes from the
 * templates before it, then from the defaults (sanoid's: hourly 48, daily 90,
 * monthly 6, autosnap and autoprune on). Names follow sanoid.conf
 * (`daily_hour` is `dailyHour`).
 */
export const PolicySettings = Schema.Struct({
  frequently: Schema.optionalKey(Count),
  hourly: Schema.optionalKey(Count),
  daily: Schema.optionalKey(Count),
  weekly: Schema.optionalKey(Count),
  monthly: Schema.optionalKey(Count),
  yearly: Schema.optionalKey(Count),
  /** Minutes between frequent snapshots (sanoid's frequent_period). */
  frequentPeriod: Schema.optionalKey(Between(1, 1440, "minutes")),
  autosnap: Schema.optionalKey(Schema.Boolean),
  autoprune: Schema.optionalKey(Schema.Boolean),
  /** When each period's snapshot is due (UTC). */
  hourlyMin: Schema.optionalKey(Between(0, 59, "a minute")),
  dailyHour: Schema.optionalKey(Between(0, 23, "an hour")),
  dailyMin: Schema.optionalKey(Between(0, 59, "a minute")),
  /** 0 is Sunday. */
  weeklyWday: Schema.optionalKey(Between(0, 6, "a weekday")),
  weeklyHour: Schema.optionalKey(Between(0, 23, "an hour")),
  weeklyMin: Schema.optionalKey(Between(0, 59, "a minute")),
  /** Up to 28, so every month has the day. */
  monthlyMday: Schema.optionalKey(Between(1, 28, "a day of the month")),
  monthlyHour: Schema.optionalKey(Between(0, 23, "an hour")),
  monthlyMin: Schema.optionalKey(Between(0, 59, "a minute")),
  yearlyMon: Schema.optionalKey(Between(1, 12, "a month")),
  yearlyMday: Schema.optionalKey(Between(1, 28, "a day of the month")),
  yearlyHour: Schema.optionalKey(Between(0, 23, "an hour")),
  yearlyMin: Schema.optionalKey(Between(0, 59, "a minute")),
  /** Age warnings (sanoid's monitor): the newest snapshot of a period older than this warns, or is critical. */
  monitor: Schema.optionalKey(Schema.Boolean),
  frequentlyWarn: Schema.optionalKey(Age),
  frequentlyCrit: Schema.optionalKey(Age),
  hourlyWarn: Schema.optionalKey(Age),
  hourlyCrit: Schema.optionalKey(Age),
  dailyWarn: Schema.optionalKey(Age),
  dailyCrit: Schema.optionalKey(Age),
  weeklyWarn: Schema.optionalKey(Age),
  weeklyCrit: Schema.optionalKey(Age),
  monthlyWarn: Schema.optionalKey(Age),
  monthlyCrit: Schema.optionalKey(Age),
  yearlyWarn: Schema.optionalKey(Age),
  yearlyCrit: Schema.optionalKey(Age)
})
export type PolicySettings = typeof PolicySettings.Type

/**
 * A dataset's policy: the templates it uses, in order (sanoid's use_template),
 * its own settings over them, and whether its descendants share it: `true`
 * gives each descendant the same policy and its own snapshots (sanoid's
 * `recursive = yes`), "zfs" takes one atomic `zfs snapshot -r` of the tree
 * (sanoid's `recursive = zfs`).
 */
export const DatasetPolicy = Schema.Struct({
  templates: Schema.optionalKey(Schema.Array(Name)),
  recursive: Schema.optionalKey(Schema.Union([Schema.Boolean, Schema.Literal("zfs")])),
  settings: Schema.optionalKey(PolicySettings)
})
export type DatasetPolicy = typeof DatasetPolicy.Type

/** Every policy HELIX keeps: named templates, and the datasets' policies. A template named "default" applies to every dataset first. */
export const Policies = Schema.Struct({
  templates: Schema.Record(Schema.String, PolicySettings),
  datasets: Schema.Record(Schema.String, DatasetPolicy)
})
export type Policies = typeof Policies.Type

/** A policy with every setting resolved, as HELIX applies it to one dataset. */
export const EffectivePolicy = Schema.Struct({
  dataset: Schema.String,
  /** The dataset whose policy this is (itself, or the recursive ancestor it inherits from). */
  from: Schema.String,
  /** "zfs": taken by the ancestor's `zfs snapshot -r`, not on its own. */
  recursive: Schema.Union([Schema.Boolean, Schema.Literal("zfs")]),
  counts: Schema.Struct({
    frequently: Schema.Int,
    hourly: Schema.Int,
    daily: Schema.Int,
    weekly: Schema.Int,
    monthly: Schema.Int,
    yearly: Schema.Int
  }),
  frequentPeriod: Schema.Int,
  autosnap: Schema.Boolean,
  autoprune: Schema.Boolean,
  monitor: Schema.Boolean
})
export type EffectivePolicy = typeof EffectivePolicy.Type

export const SnapshotInfo = Schema.Struct({
  /** dataset@snapshot */
  name: Schema.String,
  dataset: Schema.String,
  snapshot: Schema.String,
  /** Seconds since the epoch, as `zfs` reports `creation`. */
  creation: Schema.Int,
  createdAt: Schema.String,
  usedBytes: Schema.optional(Schema.Finite),
  referencedBytes: Schema.optional(Schema.Finite),
  /** Holds on it (`userrefs`); a held snapshot is never pruned. */
  holds: Schema.optional(Schema.Int),
  /** The period of an autosnap_… snapshot (sanoid's names), or null for any other. */
  period: Schema.NullOr(Schema.String)
})
export type SnapshotInfo = typeof SnapshotInfo.Type

/** One existing snapshot and what retention does with it, and why. */
export const Decision = Schema.Struct({
  snapshot: Schema.String,
  action: Schema.Literals(["keep", "prune"]),
  reason: Schema.String
})
export type Decision = typeof Decision.Type

export const AgeWarning = Schema.Struct({
  dataset: Schema.String,
  period: Period,
  level: Schema.Literals(["warn", "crit"]),
  /** Seconds; null when there is no snapshot of the period at all. */
  ageSeconds: Schema.NullOr(Schema.Int),
  limitSeconds: Schema.Int,
  text: Schema.String
})
export type AgeWarning = typeof AgeWarning.Type

/** A snapshot to take now: its full name and the periods it stands for. */
export const DueSnapshot = Schema.Struct({
  dataset: Schema.String,
  snapshot: Schema.String,
  period: Period,
  recursive: Schema.Boolean
})
export type DueSnapshot = typeof DueSnapshot.Type

export const PruneReply = Schema.Struct({
  /** True unless `confirm: true` was given: nothing was destroyed. */
  dryRun: Schema.Boolean,
  checkedAt: Schema.String,
  decisions: Schema.Array(Decision),
  /** The commands pruning runs (or would run), one per snapshot, in order. */
  commands: Schema.Array(Planned),
  destroyed: Schema.Array(Schema.String),
  failed: Schema.Array(Schema.Struct({ snapshot: Schema.String, error: Schema.String }))
})

export const HoldView = Schema.Struct({ tag: Schema.String, since: Schema.optional(Schema.String) })

export class NoPolicy extends Schema.TaggedError<NoPolicy>()("NoPolicy", {
  dataset: Schema.String,
  known: Schema.Array(Schema.String)
}) {
  override get message() {
    return `dataset '${this.dataset}' has no snapshot policy (and no ancestor's applies recursively); policies: ${this.known.join(", ") || "none"}`
  }
}

/** A policy that cannot be applied: an unknown template, a template and a dataset at once, …; `field` names what is wrong. */
export class InvalidPolicy extends Schema.TaggedError<InvalidPolicy>()("InvalidPolicy", {
  field: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `invalid policy (${this.field}): ${this.reason}`
  }
}

/** The policies could not be stored (or read back): the change was not made. */
export class PolicyNotSaved extends Schema.TaggedError<PolicyNotSaved>()("PolicyNotSaved", { reason: Schema.String }) {
  override get message() {
    return `the snapshot policies could not be saved: ${this.reason}`
  }
}

/** The snapshot `zfs snapshot` would make exists already. */
export class SnapshotExists extends Schema.TaggedError<SnapshotExists>()("SnapshotExists", { snapshot: Schema.String }) {
  override get message() {
    return `snapshot '${this.snapshot}' already exists`
  }
}

const Confirm = Schema.optionalKey(Schema.Boolean)

export const Helix = Protocol.make("HELIX", [
  Protocol.message("snapshot", {
    doc: "plans `zfs snapshot [-r] dataset@name` (name: manual_<UTC time> unless given); takes it only with confirm",
    access: "operate",
    fields: { dataset: DatasetName, name: Schema.optionalKey(SnapshotLabel), recursive: Schema.optionalKey(Schema.Boolean), confirm: Confirm },
    reply: Schema.Struct({ snapshot: Schema.String, planned: Planned }),
    rejections: [SnapshotExists, LeaseConflict, DependencyFailed, ...ZFS_ERRORS]
  }),
  Protocol.message("snapshots", {
    doc: "the snapshots of a dataset (with its descendants' when recursive), or of all, oldest first: creation, space, holds, period",
    access: "read",
    fields: { dataset: Schema.optionalKey(DatasetName), recursive: Schema.optionalKey(Schema.Boolean) },
    reply: Schema.Struct({ snapshots: Schema.Array(SnapshotInfo) }),
    rejections: ZFS_ERRORS
  }),
  Protocol.message("replicate", {
    doc: "plans the replication of a dataset to a local dataset (zfs send [-i|-I] | zfs receive -s -F, incremental from the newest common snapshot, resumed from a receive token), and runs it with confirm: byte progress, the common snapshot held on both sides",
    access: "admin",
    fields: ReplicateFields,
    reply: ReplicationPlan,
    rejections: [LeaseConflict, DependencyFailed, ...REPLICATE_REJECTIONS]
  }),
  Protocol.message("replication-pairs", {
    doc: "the replication pairs HELIX remembers: their common (held) snapshots and last runs",
    access: "read",
    reply: PairsReply
  }),
  Protocol.message("prune", {
    doc: "what retention keeps and prunes (every snapshot with its reason) for one dataset with a policy, or all; dry run unless confirm, which destroys each pruned snapshot under a prune lease of its dataset (ARBITER)",
    access: "admin",
    fields: { dataset: Schema.optionalKey(DatasetName), confirm: Confirm },
    reply: PruneReply,
    rejections: [NoPolicy, LeaseConflict, DependencyFailed, ...ZFS_ERRORS]
  }),
  Protocol.message("autosnap", {
    doc: "the scheduled run (ORBIT sends it): takes the snapshots the policies say are due and prunes where autoprune is on; planned unless confirm",
    access: "admin",
    fields: { confirm: Confirm },
    reply: Schema.Struct({
      dryRun: Schema.Boolean,
      checkedAt: Schema.String,
      taken: Schema.Array(Planned),
      prune: PruneReply,
      warnings: Schema.Array(AgeWarning)
    }),
    rejections: [LeaseConflict, DependencyFailed, ...ZFS_ERRORS]
  }),
  Protocol.message("hold", {
    doc: "plans `zfs hold tag dataset@snapshot` (a held snapshot is never pruned nor destroyed); runs it only with confirm",
    access: "admin",
    fields: { snapshot: SnapshotName, tag: Name, confirm: Confirm },
    reply: Planned,
    rejections: ZFS_ERRORS
  }),
  Protocol.message("release", {
    doc: "plans `zfs release tag dataset@snapshot`; runs it only with confirm",
    access: "admin",
    fields: { snapshot: SnapshotName, tag: Name, confirm: Confirm },
    reply: Planned,
    rejections: ZFS_ERRORS
  }),
  Protocol.message("holds", {
    doc: "the holds on a snapshot (`zfs holds`)",
    access: "read",
    fields: { snapshot: SnapshotName },
    reply: Schema.Struct({ snapshot: Schema.String, holds: Schema.Array(HoldView) }),
    rejections: ZFS_ERRORS
  }),
  Protocol.message("policies", {
    doc: "the snapshot templates and datasets' policies, and each configured dataset's policy as applied",
    access: "read",
    reply: Schema.Struct({ policies: Policies, effective: Schema.Array(EffectivePolicy) })
  }),
  Protocol.message("policy", {
    doc: "one dataset's policy or one template: shown without `policy`/`settings`/`remove`; with them, the change is planned, and saved only with confirm",
    access: "admin",
    fields: {
      dataset: Schema.optionalKey(DatasetName),
      template: Schema.optionalKey(Name),
      /** A dataset's new policy (replaces what was there). */
      policy: Schema.optionalKey(DatasetPolicy),
      /** A template's new settings (replace what was there). */
      settings: Schema.optionalKey(PolicySettings),
      remove: Schema.optionalKey(Schema.Boolean),
      confirm: Confirm
    },
    reply: Schema.Struct({
      target: Schema.String,
      before: Schema.NullOr(Schema.Json),
      after: Schema.NullOr(Schema.Json),
      saved: Schema.Boolean,
      /** For a dataset, the policy as it would apply (after the change). */
      effective: Schema.optional(EffectivePolicy)
    }),
    rejections: [InvalidPolicy, PolicyNotSaved]
  }),
  Protocol.message("overview", {
    doc: "whether ZFS is here, the snapshots due now, age warnings, the schedule and the last scheduled run",
    access: "read",
    reply: Schema.Struct({
      zfs: Schema.String,
      checkedAt: Schema.String,
      schedule: Schema.NullOr(Schema.String),
      scheduled: Schema.Boolean,
      datasets: Schema.Int,
      due: Schema.Array(DueSnapshot),
      warnings: Schema.Array(AgeWarning),
      lastRun: Schema.NullOr(Schema.Struct({
        at: Schema.String,
        taken: Schema.Int,
        pruned: Schema.Int,
        problems: Schema.Array(Schema.String)
      }))
    })
  }),
  Protocol.message("schedule", {
    doc: "registers the scheduled run (autosnap with confirm) with ORBIT, on the configured cron expression unless one is given",
    access: "admin",
    fields: { cron: Schema.optionalKey(Schema.String) },
    reply: Schema.Struct({ scheduled: Schema.String, cron: Schema.String, existed: Schema.Boolean, nextRun: Schema.NullOr(Schema.String) }),
    rejections: [InvalidSchedule, DependencyFailed]
  }),
  Protocol.message("path-snapshot", {
    doc: "where ZFS is absent: plans a snapshot of a directory into a snapshot root (rsync -a --link-dest: unchanged files hard-linked to the previous snapshot), named manual_<time> or autosnap_<time>_<period>; takes it with confirm",
    access: "admin",
    fields: {
      source: AbsolutePath,
      root: AbsolutePath,
      name: Schema.optionalKey(PathSnapshotLabel),
      /** Names it as retention's autosnap_<time>_<period>, so path-prune applies the policy to it. */
      period: Schema.optionalKey(Period),
      /** Compare contents (rsync --checksum), not size and time, to find unchanged files. */
      checksum: Schema.optionalKey(Schema.Boolean),
      confirm: Confirm
    },
    reply: PathSnapshotPlan,
    rejections: [LeaseConflict, DependencyFailed, ...PATH_SNAPSHOT_ERRORS]
  }),
  Protocol.message("path-snapshots", {
    doc: "the snapshots in a snapshot root, oldest first",
    access: "admin",
    fields: { root: AbsolutePath },
    reply: Schema.Struct({ root: Schema.String, snapshots: Schema.Array(PathSnapshot) }),
    rejections: PATH_SNAPSHOT_ERRORS
  }),
  Protocol.message("path-prune", {
    doc: "what retention keeps and prunes in a snapshot root (a template's counts, or the default policy), each with its reason; removes with confirm",
    access: "admin",
    fields: { root: AbsolutePath, template: Schema.optionalKey(Name), confirm: Confirm },
    reply: Schema.Struct({
      root: Schema.String,
      dryRun: Schema.Boolean,
      checkedAt: Schema.String,
      decisions: Schema.Array(Decision),
      removed: Schema.Array(Schema.String)
    }),
    rejections: [InvalidPolicy, LeaseConflict, DependencyFailed, ...PATH_SNAPSHOT_ERRORS]
  }),
  Protocol.message("path-sync", {
    doc: "plans the replication of a directory to another (rsync -a, optionally --checksum and --delete; the plan lists what would change); runs it with confirm",
    access: "admin",
    fields: {
      source: AbsolutePath,
      destination: AbsolutePath,
      checksum: Schema.optionalKey(Schema.Boolean),
      delete: Schema.optionalKey(Schema.Boolean),
      confirm: Confirm
    },
    reply: PathSyncPlan,
    rejections: [LeaseConflict, DependencyFailed, ...PATH_SNAPSHOT_ERRORS]
  })
])
