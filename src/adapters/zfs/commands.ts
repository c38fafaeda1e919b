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

const validateSnapshot = (snapshot: string) =>
  Effect.gen(function*() {
    yield* check(validateDatasetName(snapshot, { allowSnapshot: true }))
    if (!snapshot.includes("@") || snapshot.includes("#")) {
      return yield* Effect.fail(new InvalidName({ kind: "dataset", name: snapshot, reason: "a snapshot is named dataset@snapshot" }))
    }
    return snapshot
  })

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

const validateTag = (tag: string) =>
  /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/.test(tag)
    ? Effect.succeed(tag)
    : Effect.fail(new InvalidName({ kind: "value", name: tag, reason: "a hold tag has up to 64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit" }))

export const holdArgv = (action: "hold" | "release", tag: string, snapshot: string) =>
  Effect.gen(function*() {
    return ["zfs", action, yield* validateTag(tag), yield* validateSnapshot(snapshot)]
  })

export const holdsArgv = (snapshot: string) => Effect.map(validateSnapshot(snapshot), (name) => ["zfs", "holds", "-H", name])
