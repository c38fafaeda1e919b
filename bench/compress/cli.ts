/**
 * The compiled binary's `compress` and `decompress` as people run them,
 * against the zstd command-line tool on the same files in the same run,
 * alternating, medians:
 *
 * - one process per file (a script's loop): `sigmavault compress F -o OUT`
 *   vs `zstd -q -3 F -o OUT`, then `sigmavault decompress F.svz -o
 *   /dev/null` vs `zstd -q -d F.zst -o /dev/null`;
 * - one process for all the files: `sigmavault compress F1 F2 …` vs `zstd
 *   -q -3 F1 F2 …` (each output beside its input), then `decompress` of
 *   them all vs `zstd -q -d` of them all.
 *
 * Every process is spawned with an argument array, never through a shell.
 * What the binary wrote is decompressed and compared with the inputs.
 */
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs"
import { basename, join } from "node:path"
import { now, round } from "../support.ts"

const MiB = 1024 * 1024
const ZSTD = "/usr/bin/zstd"

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const run = (command: string, args: ReadonlyArray<string>) => {
  const done = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 * MiB })
  if (done.error !== undefined) throw new Error(`${command}: ${done.error.message}`)
  if (done.status !== 0) throw new Error(`${command} ${args.slice(0, 4).join(" ")} … exited ${done.status}: ${done.stderr}`)
}

/** Seconds of `work`, which runs processes one after another. */
const timed = (work: () => void): number => {
  const t0 = now()
  work()
  return (now() - t0) / 1000
}

const sizeOf = (files: ReadonlyArray<string>) => files.reduce((n, file) => n + statSync(file).size, 0)

/** Removes the files in `dir` whose names end in `suffix`. */
const removeEndingIn = (dir: string, suffix: string) => {
  for (const name of readdirSync(dir)) if (name.endsWith(suffix)) rmSync(join(dir, name))
}

interface Pair {
  readonly ours: number
  readonly zstd: number
}

/** Runs `ours` and `zstd` alternately `runs` times; the median seconds of each. */
const alternate = (runs: number, ours: () => void, zstd: () => void): Pair & { readonly oursRuns: Array<number>; readonly zstdRuns: Array<number> } => {
  const oursRuns: Array<number> = []
  const zstdRuns: Array<number> = []
  for (let i = 0; i < runs; i++) {
    oursRuns.push(timed(ours))
    zstdRuns.push(timed(zstd))
  }
  return { ours: median(oursRuns), zstd: median(zstdRuns), oursRuns, zstdRuns }
}

const figures = (bytes: number, pair: ReturnType<typeof alternate>) => ({
  ours: { seconds: round(pair.ours, 3), MBps: round(bytes / MiB / pair.ours, 0), runs: pair.oursRuns.map((s) => round(s, 3)) },
  zstd: { seconds: round(pair.zstd, 3), MBps: round(bytes / MiB / pair.zstd, 0), runs: pair.zstdRuns.map((s) => round(s, 3)) },
  /** Above 1: ours is faster. */
  speedVsZstd: round(pair.zstd / pair.ours, 2)
})

/**
 * The comparisons for `files` (all in `corpusDir`, which must be writable:
 * the one-process runs write beside their inputs), with scratch space in
 * `dir`.
 */
export const cliComparison = (binary: string, corpusDir: string, files: ReadonlyArray<string>, dir: string, runs: number) => {
  const bytes = sizeOf(files)
  const perOurs = join(dir, "per-ours")
  const perZstd = join(dir, "per-zstd")
  const fresh = (d: string) => {
    rmSync(d, { recursive: true, force: true })
    mkdirSync(d)
  }

  // Compression, one process per file.
  const perFile = alternate(
    runs,
    () => {
      fresh(perOurs)
      for (const file of files) run(binary, ["compress", file, "-o", join(perOurs, `${basename(file)}.svz`)])
    },
    () => {
      fresh(perZstd)
      for (const file of files) run(ZSTD, ["-q", "-3", file, "-o", join(perZstd, `${basename(file)}.zst`)])
    }
  )
  const oursPacked = sizeOf(files.map((file) => join(perOurs, `${basename(file)}.svz`)))
  const zstdPacked = sizeOf(files.map((file) => join(perZstd, `${basename(file)}.zst`)))

  // Compression, one process for all the files, each output beside its input.
  const allFiles = alternate(
    runs,
    () => {
      removeEndingIn(corpusDir, ".svz")
      run(binary, ["compress", ...files])
    },
    () => {
      removeEndingIn(corpusDir, ".zst")
      run(ZSTD, ["-q", "-3", ...files])
    }
  )
  const oursAllPacked = sizeOf(files.map((file) => `${file}.svz`))

  // Decompression: of what each tool wrote, moved aside so the outputs do not meet the inputs.
  const packedOurs = join(dir, "packed-ours")
  const packedZstd = join(dir, "packed-zstd")
  fresh(packedOurs)
  fresh(packedZstd)
  for (const file of files) {
    renameSync(`${file}.svz`, join(packedOurs, `${basename(file)}.svz`))
    renameSync(`${file}.zst`, join(packedZstd, `${basename(file)}.zst`))
  }
  const oursInputs = files.map((file) => join(packedOurs, `${basename(file)}.svz`))
  const zstdInputs = files.map((file) => join(packedZstd, `${basename(file)}.zst`))
  const decompressPerFile = alternate(
    runs,
    () => {
      for (const input of oursInputs) run(binary, ["decompress", input, "-o", "/dev/null"])
    },
    () => {
      for (const input of zstdInputs) run(ZSTD, ["-q", "-d", input, "-o", "/dev/null"])
    }
  )
  const decompressAll = alternate(
    runs,
    () => {
      for (const file of files) rmSync(join(packedOurs, basename(file)), { force: true })
      run(binary, ["decompress", ...oursInputs])
    },
    () => {
      for (const file of files) rmSync(join(packedZstd, basename(file)), { force: true })
      run(ZSTD, ["-q", "-d", ...zstdInputs])
    }
  )
  const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex")
  for (const file of files) {
    if (sha(file) !== sha(join(packedOurs, basename(file)))) throw new Error(`${file} did not round-trip through the binary`)
  }
  rmSync(packedOurs, { recursive: true, force: true })
  rmSync(packedZstd, { recursive: true, force: true })
  rmSync(perOurs, { recursive: true, force: true })
  rmSync(perZstd, { recursive: true, force: true })

  return {
    files: files.length,
    sizeMB: round(bytes / MiB, 1),
    compressPerProcess: {
      ...figures(bytes, perFile),
      ratio: { ours: round(bytes / oursPacked, 4), zstd: round(bytes / zstdPacked, 4) }
    },
    compressOneProcess: {
      ...figures(bytes, allFiles),
      ratio: { ours: round(bytes / oursAllPacked, 4), zstd: round(bytes / zstdPacked, 4) }
    },
    decompressPerProcessToDevNull: figures(bytes, decompressPerFile),
    decompressOneProcess: figures(bytes, decompressAll)
  }
}
