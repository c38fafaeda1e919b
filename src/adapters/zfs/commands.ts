/**
 * The argument vectors of ZFS commands, built only from validated names, so
 * the live adapter runs exactly what the plan shows and the test adapter
 * shows the same plan. No "--" before operands: zpool and zfs would accept
 * it (getopt), but every operand is validated not to start with "-", and a
 * plan a person reads should look like the command they know.
 */
import { Effect, Result } from "effect"
import { InvalidName, validateDatasetName, validateDevice, validatePoolName, validatePropertyName, validatePropertyValue } from "../command/names.ts"
import type { LayoutVdev } from "./Zfs.ts"

const check = (result: Result.Result<string, InvalidName>) => Effect.fromResult(result)

/** Quoted for a human to read or paste into a shell; plain words stay as they are. */
export const display = (argv: ReadonlyArray<string>): string =>
  argv.map((arg) => (/^[A-Za-z0-9_.,:=/@%+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(" ")

const propertyArgs = (properties: Readonly<Record<string, string>> | undefined, flag: "-o" | "-O" = "-o") =>
  Effect.forEach(Object.entries(properties ?? {}), ([name, value]) =>
    Effect.gen(function*() {
      yield* check(validatePropertyName(name))
      yield* check(validatePropertyValue(value))
      return [flag, `${name}=${value}`]
    })).pipe(Effect.map((pairs) => pairs.flat()))

const KIND_WORD: Readonly<Record<LayoutVdev["kind"], string | undefined>> = {
  stripe: undefined,
  mirror: "mirror",
  raidz1: "raidz1",
  raidz2: "raidz2",
  raidz3: "raidz3"
}

const SCRUB_FLAGS: Readonly<Record<"start" | "pause" | "stop", ReadonlyArray<string>>> = { start: [], pause: ["-p"], stop: ["-s"] }

/** `zpool scrub` starts (or resumes a paused scrub), `-p` pauses, `-s` stops. */
export const scrubArgv = (pool: string, action: "start" | "pause" | "stop") =>
  Effect.map(check(validatePoolName(pool)), (name) => ["zpool", "scrub", ...SCRUB_FLAGS[action], name])

export const createPoolArgv = (
  pool: string,
  vdevs: ReadonlyArray<LayoutVdev>,
  properties?: Readonly<Record<string, string>>
) =>
  Effect.gen(function*() {
    yield* check(validatePoolName(pool))
    const layout: Array<string> = []
    for (const vdev of vdevs) {
      const word = KIND_WORD[vdev.kind]
      if (word !== undefined) layout.push(word)
      for (const disk of vdev.disks) layout.push(yield* check(validateDevice(disk)))
    }
    return ["zpool", "create", ...(yield* propertyArgs(properties)), pool, ...layout]
  })

export const createDatasetArgv = (dataset: string, properties?: Readonly<Record<string, string>>) =>
  Effect.gen(function*() {
    yield* check(validateDatasetName(dataset))
    return ["zfs", "create", ...(yield* propertyArgs(properties)), dataset]
  })

export const setPropertyArgv = (dataset: string, property: string, value: string) =>
  Effect.gen(function*() {
    yield* check(validateDatasetName(dataset))
    yield* check(validatePropertyName(property))
    yield* check(validatePropertyValue(value))
    return ["zfs", "set", `${property}=${value}`, dataset]
  })

export const destroyArgv = (dataset: string, recursive: boolean) =>
  Effect.gen(function*() {
    yield* check(validateDatasetName(dataset, { allowSnapshot: true }))
    if (!dataset.includes("/") && !dataset.includes("@")) {
      // A pool's root dataset cannot be destroyed with zfs destroy; zpool destroy is a different, rarer act.
      return yield* Effect.fail(new InvalidName({ kind: "dataset", name: dataset, reason: "it is a pool's root dataset; destroying a pool is not offered" }))
    }
    return ["zfs", "destroy", ...(recursive ? ["-r"] : []), dataset]
  })

// ------------------------------------------------------------ snapshots (HELIX)

/** A snapshot's full name, dataset@snapshot (not a bookmark), by the dataset-name rules. */
export const validateSnapshotName = (snapshot: string): Result.Result<string, InvalidName> =>
  Result.flatMap(validateDatasetName(snapshot, { allowSnapshot: true }), (name) =>
    name.includes("@") && !name.includes("#")
      ? Result.succeed(name)
      : Result.fail(new InvalidName({ kind: "dataset", name: snapshot, reason: "a snapshot is named dataset@snapshot" })))

const validateSnapshot = (snapshot: string) => check(validateSnapshotName(snapshot))

/** The columns HELIX lists snapshots with (SnapshotRow's). */
export const SNAPSHOT_COLUMNS = "name,creation,used,referenced,userrefs"

/** `zfs list -t snapshot`: of all, of one dataset only (`-d 1`), or of it and its descendants (`-r`). `format` is -j (OpenZFS ≥ 2.3) or -Hp. */
export const listSnapshotsArgv = (root: string | undefined, recursive: boolean, format: "json" | "lines") =>
  Effect.gen(function*() {
    const scope = root === undefined ? [] : [...(recursive ? ["-r"] : ["-d", "1"]), yield* check(validateDatasetName(root))]
    const output = format === "json" ? ["-j", "--json-int"] : ["-Hp"]
    return ["zfs", "list", ...output, "-t", "snapshot", "-o", SNAPSHOT_COLUMNS, ...scope]
  })

export const snapshotArgv = (snapshot: string, recursive: boolean) =>
  Effect.map(validateSnapshot(snapshot), (name) => ["zfs", "snapshot", ...(recursive ? ["-r"] : []), name])

/**
 * A hold tag: printable, no blanks, starting with a letter or digit, at most
 * 255 characters (zfs's limit is 256 with the NUL). '/' and '@' are allowed:
 * replication's tags name the target dataset (`sigmavault-repl:backup/photos`).
 */
export const validateHoldTag = (tag: string): Result.Result<string, InvalidName> =>
  /^[A-Za-z0-9][A-Za-z0-9_.:/@+-]{0,254}$/.test(tag)
    ? Result.succeed(tag)
    : Result.fail(new InvalidName({ kind: "value", name: tag, reason: "a hold tag has letters, digits and '_.:/@+-', up to 255 of them, starting with a letter or digit" }))

/** `zfs hold|release TAG SNAPSHOT…`: an administrator's one snapshot, or replication's pair. */
export const holdArgv = (action: "hold" | "release", tag: string, snapshots: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    return ["zfs", action, yield* check(validateHoldTag(tag)), ...(yield* Effect.forEach(snapshots, validateSnapshot))]
  })

export const holdsArgv = (snapshot: string) => Effect.map(validateSnapshot(snapshot), (name) => ["zfs", "holds", "-H", name])
