/**
 * Port: what replicating a dataset asks of ZFS. Its snapshots with their
 * GUIDs (a snapshot is the "same" on both sides when the GUIDs match, not the
 * names), the receive resume token a cut-short `zfs receive -s` leaves, user
 * holds (so the snapshot both sides share cannot be destroyed), a size
 * estimate for progress, and the transfer itself:
 * `zfs send … | zfs receive -s -F TARGET` through the CommandStreams pipe.
 * Local targets only: both sides are run on this machine.
 *
 * The argument vectors are built here, from validated names only, so a plan
 * shows exactly what the live adapter runs.
 */
import { Context, Effect, Result, Schema } from "effect"
import { InvalidName, validateDatasetName } from "../command/names.ts"
import { PipeExited } from "../command/Streams.ts"
import { validateSnapshotName } from "./commands.ts"
import { ZFS_ERRORS, type ZfsError } from "./Zfs.ts"

export { validateHoldTag } from "./commands.ts"

export const SnapshotRef = Schema.Struct({
  /** Full name: tank/photos@monday. */
  name: Schema.String,
  /** zfs's 64-bit GUID, as decimal text (too large for a JavaScript number). */
  guid: Schema.String,
  createtxg: Schema.Number,
  /** Seconds since the epoch. */
  creation: Schema.Number
})
export type SnapshotRef = typeof SnapshotRef.Type

/** What `zfs send` sends. */
export type SendSpec =
  | { readonly kind: "full"; readonly snapshot: string }
  /** `-i` (only `to`) or `-I` (every snapshot between, like syncoid's default). */
  | { readonly kind: "incremental"; readonly from: string; readonly to: string; readonly intermediates: boolean }
  /** Where a cut-short receive stopped. */
  | { readonly kind: "resume"; readonly token: string }

export type ReplicationError = ZfsError | PipeExited
export const REPLICATION_ERRORS = [...ZFS_ERRORS, PipeExited] as const

export class ZfsReplication extends Context.Service<ZfsReplication, {
  /** The dataset's own snapshots (not its children's), oldest first; none when the dataset does not exist. */
  readonly snapshots: (dataset: string) => Effect.Effect<ReadonlyArray<SnapshotRef> | undefined, ZfsError>
  /** The token a cut-short `zfs receive -s` left on the dataset; undefined when there is none (or no dataset). */
  readonly resumeToken: (dataset: string) => Effect.Effect<string | undefined, ZfsError>
  /** Bytes `zfs send -n -P` expects to send; undefined when it cannot say. */
  readonly estimate: (send: SendSpec) => Effect.Effect<number | undefined, ZfsError>
  /** `zfs send … | zfs receive -s -F target`; progress in bytes as they cross. */
  readonly transfer: (
    send: SendSpec,
    target: string,
    onProgress: (bytes: number) => Effect.Effect<void>
  ) => Effect.Effect<{ readonly bytes: number }, ReplicationError>
  /** `zfs hold TAG SNAPSHOT…`; a tag already there is fine. */
  readonly hold: (tag: string, snapshots: ReadonlyArray<string>) => Effect.Effect<void, ZfsError>
  /** `zfs release TAG SNAPSHOT…`; a tag already gone (or a snapshot gone) is fine. */
  readonly release: (tag: string, snapshots: ReadonlyArray<string>) => Effect.Effect<void, ZfsError>
}>()("sigmavault/adapters/zfs/ZfsReplication") {}

/** A resume token is what zfs printed: `1-` then hex groups joined by '-'. Checked anyway: it goes on a command line. */
export const validateResumeToken = (token: string): Result.Result<string, InvalidName> =>
  /^[0-9]+-[0-9a-f]+(-[0-9a-f]+)*$/i.test(token) && token.length <= 65536
    ? Result.succeed(token)
    : Result.fail(new InvalidName({ kind: "dataset", name: token.slice(0, 80), reason: "it is not a zfs receive resume token" }))

export const sendArgv = (send: SendSpec): Result.Result<ReadonlyArray<string>, InvalidName> => {
  switch (send.kind) {
    case "full":
      return Result.map(validateSnapshotName(send.snapshot), (snapshot) => ["zfs", "send", snapshot])
    case "incremental":
      return Result.flatMap(validateSnapshotName(send.from), (from) =>
        Result.map(validateSnapshotName(send.to), (to) => ["zfs", "send", send.intermediates ? "-I" : "-i", from, to]))
    case "resume":
      return Result.map(validateResumeToken(send.token), (token) => ["zfs", "send", "-t", token])
  }
}

/** `-s`: a cut-short receive keeps what arrived and leaves a resume token; `-F`: the target is rolled back to its newest snapshot first. */
export const receiveArgv = (target: string): Result.Result<ReadonlyArray<string>, InvalidName> =>
  Result.map(validateDatasetName(target), (name) => ["zfs", "receive", "-s", "-F", name])

/** The same send, as a dry run that prints its size (`-n -P`: "size\t<bytes>"). */
export const estimateArgv = (send: SendSpec): Result.Result<ReadonlyArray<string>, InvalidName> =>
  Result.map(sendArgv(send), (argv) => ["zfs", "send", "-n", "-P", ...argv.slice(2)])

export const snapshotsArgv = (dataset: string): Result.Result<ReadonlyArray<string>, InvalidName> =>
  Result.map(validateDatasetName(dataset), (name) => [
    "zfs", "list", "-H", "-p", "-t", "snapshot", "-d", "1", "-s", "createtxg", "-o", "name,guid,createtxg,creation", name
  ])

export const resumeTokenArgv = (dataset: string): Result.Result<ReadonlyArray<string>, InvalidName> =>
  Result.map(validateDatasetName(dataset), (name) => ["zfs", "get", "-H", "-p", "-o", "value", "receive_resume_token", name])
