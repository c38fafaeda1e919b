/**
 * `compress`: TENSOR's file compression against the zstd command-line tool
 * (Debian's zstd 1.5, `zstd -3` and `zstd -19`) on the same files in the
 * same run, on two corpora built here deterministically:
 *
 * - text: JavaScript, TypeScript, Markdown and JSON from node_modules
 *   (sorted by path) and generated logs and JSON lines, in 8 MiB files;
 * - mixed: a quarter of that text, already-compressed data (gzip and zstd
 *   blobs of text, random bytes behind real JPEG and MP4 headers), and
 *   executables from /usr/bin (each file whole, sorted by name).
 *
 * Ours runs in this Bun process: `compressFile` on each file in turn, as the
 * CLI calls it (blocking file I/O), and `decompressFile` to check every file
 * round-trips. zstd runs as one process over all the files of a corpus.
 * Then the compiled binary runs as people run it (bench/compress/cli.ts):
 * one process per file against `zstd` one process per file, and one
 * process for all the files against `zstd -3 F1 F2 …`, compressing and
 * decompressing. Everything is in /dev/shm when the machine has it, so the
 * disk sets the pace of neither tool.
 *
 * Settings: BENCH_COMPRESS_MB (size of the text corpus, default 128; the
 * mixed one is about as large), BENCH_COMPRESS_RUNS (median of, default 3),
 * BENCH_COMPRESS_BINARY=0 skips the binary's runs, SIGMAVAULT_BINARY names a
 * binary instead of building one.
 */
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs"
import { availableParallelism, loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import * as zlib from "node:zlib"
import { Effect } from "effect"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as Compress from "../../src/compress/Compress.ts"
import { benchBinary, removeDir } from "../socket/processes.ts"
import { now, round } from "../support.ts"
import { cliComparison } from "./cli.ts"

const MiB = 1024 * 1024
const FILE_BYTES = 8 * MiB
const ZSTD = "/usr/bin/zstd"

/** mulberry32: the generated parts are the same on every run. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Regular files under `dir` whose names end in one of `extensions`, sorted by path. */
const filesUnder = (dir: string, extensions: ReadonlyArray<string>): Array<string> => {
  const found: Array<string> = []
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(at, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.isFile() && extensions.some((ext) => entry.name.endsWith(ext))) found.push(path)
    }
  }
  walk(dir)
  return found
}

/** Concatenates `sources` (cycling when they run out) into `count` files of `FILE_BYTES` named `prefix-N`. */
const packInto = (dir: string, prefix: string, sources: ReadonlyArray<string>, count: number): Array<string> => {
  if (sources.length === 0) throw new Error(`no source files for ${prefix}`)
  const out: Array<string> = []
  let next = 0
  for (let n = 0; n < count; n++) {
    const file = join(dir, `${prefix}-${n}`)
    const fd = openSync(file, "w")
    for (let written = 0; written < FILE_BYTES;) {
      const bytes = readFileSync(sources[next++ % sources.length]!)
      const take = Math.min(bytes.byteLength, FILE_BYTES - written)
      writeSync(fd, bytes, 0, take)
      written += take
    }
    closeSync(fd)
    out.push(file)
  }
  return out
}

const LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]
const AGENTS = ["pulse", "tensor", "vault", "sentry", "atlas", "scribe", "orbit", "cipher"]
const EVENTS = ["scrub finished", "snapshot created", "client connected", "chunk stored", "disk temperature", "job queued", "retrying request", "key rotated"]

/** Log lines or JSON lines with timestamps, ids and numbers: compress about 4–6x. */
const writeGenerated = (file: string, kind: "log" | "json", seed: number) => {
  const random = seeded(seed)
  const pick = <T>(xs: ReadonlyArray<T>) => xs[Math.floor(random() * xs.length)]!
  const fd = openSync(file, "w")
  let time = Date.UTC(2026, 0, 1) + seed * 1e9
  let chunk = ""
  for (let written = 0; written < FILE_BYTES;) {
    time += Math.floor(random() * 5000)
    const stamp = new Date(time).toISOString()
    const id = Math.floor(random() * 2 ** 32).toString(16).padStart(8, "0")
    chunk += kind === "log"
      ? `${stamp} ${pick(LEVELS)} ${pick(AGENTS)}[${1000 + Math.floor(random() * 50)}]: ${pick(EVENTS)} id=${id} pool=tank${Math.floor(random() * 4)} bytes=${Math.floor(random() * 1e7)} took=${(random() * 900).toFixed(1)}ms\n`
      : JSON.stringify({ ts: stamp, level: pick(LEVELS).toLowerCase(), agent: pick(AGENTS), event: pick(EVENTS), id, bytes: Math.floor(random() * 1e7), ok: random() > 0.1 }) + "\n"
    if (chunk.length > 64 * 1024) {
      const bytes = Buffer.from(chunk.slice(0, FILE_BYTES - written))
      writeSync(fd, bytes)
      written += bytes.byteLength
      chunk = ""
    }
  }
  closeSync(fd)
}

const writeRandomWithHeader = (file: string, header: Uint8Array, bytes: number, seed: number) => {
  const random = seeded(seed)
  const body = new Uint8Array(bytes)
  const view = new DataView(body.buffer)
  for (let i = 0; i + 4 <= bytes; i += 4) view.setUint32(i, (random() * 2 ** 32) >>> 0)
  body.set(header, 0)
  writeFileSync(file, body)
}

const JPEG_HEADER = Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00)
const MP4_HEADER = Uint8Array.of(0, 0, 0, 24, ...Buffer.from("ftypisom"), 0, 0, 2, 0, ...Buffer.from("isomiso2mdat"))

interface Corpus {
  readonly name: string
  readonly files: ReadonlyArray<string>
  readonly bytes: number
  readonly parts: Record<string, number>
}

const sizeOf = (files: ReadonlyArray<string>) => files.reduce((n, file) => n + statSync(file).size, 0)

export const buildCorpora = (dir: string, textMB: number): { readonly text: Corpus; readonly mixed: Corpus } => {
  const textDir = join(dir, "text")
  const mixedDir = join(dir, "mixed")
  mkdirSync(textDir)
  mkdirSync(mixedDir)
  const root = join(import.meta.dirname, "..", "..", "node_modules")
  const sources = filesUnder(root, [".js", ".mjs", ".cjs", ".ts", ".md", ".json"])
  const textFiles = Math.max(2, Math.round(textMB / 8))
  const sourceCount = Math.ceil(textFiles / 2)
  const source = packInto(textDir, "source", sources, sourceCount)
  const generated: Array<string> = []
  for (let n = 0; n < textFiles - sourceCount; n++) {
    const file = join(textDir, `${n % 2 === 0 ? "log" : "jsonl"}-${n}`)
    writeGenerated(file, n % 2 === 0 ? "log" : "json", 100 + n)
    generated.push(file)
  }
  const text: Corpus = { name: "text", files: [...source, ...generated], bytes: sizeOf([...source, ...generated]), parts: { source: sizeOf(source), generated: sizeOf(generated) } }

  // The mixed corpus: a quarter text, a third already compressed, the rest executables, by bytes.
  const mixedText = [...source.slice(0, Math.max(1, Math.round(textFiles / 8))), ...generated.slice(0, Math.max(1, Math.round(textFiles / 8)))]
  const copies = mixedText.map((file, n) => {
    const copy = join(mixedDir, `text-${n}`)
    writeFileSync(copy, readFileSync(file))
    return copy
  })
  const compressed: Array<string> = []
  const blobs = Math.max(1, Math.round(textFiles / 8))
  for (let n = 0; n < blobs; n++) {
    const plain = Buffer.concat(text.files.slice(n * 4, n * 4 + 4).map((file) => readFileSync(file)))
    // No .zst or .gz suffix: zstd would skip a .zst input, and ours goes by content anyway.
    const gz = join(mixedDir, `gzip-blob-${n}`)
    writeFileSync(gz, zlib.gzipSync(plain, { level: 6 }))
    const zst = join(mixedDir, `zstd-blob-${n}`)
    const made = spawnSync(ZSTD, ["-q", "-3", "-c"], { input: plain, maxBuffer: 256 * MiB })
    if (made.status !== 0) throw new Error(`zstd failed: ${made.stderr}`)
    writeFileSync(zst, made.stdout)
    compressed.push(gz, zst)
  }
  const media = Math.max(1, Math.round(textFiles / 8))
  for (let n = 0; n < media; n++) {
    const jpeg = join(mixedDir, `photo-${n}.jpg`)
    writeRandomWithHeader(jpeg, JPEG_HEADER, FILE_BYTES, 500 + n)
    const mp4 = join(mixedDir, `clip-${n}.mp4`)
    writeRandomWithHeader(mp4, MP4_HEADER, 2 * FILE_BYTES, 600 + n)
    compressed.push(jpeg, mp4)
  }
  // Copied beside the rest, so the binary's one-process runs can write each output beside its input.
  const binaries = executablesFrom("/usr/bin", Math.round(textMB / 4) * MiB).map((file) => {
    const copy = join(mixedDir, `exe-${file.split("/").at(-1)}`)
    writeFileSync(copy, readFileSync(file))
    return copy
  })
  const files = [...copies, ...compressed, ...binaries]
  const mixed: Corpus = {
    name: "mixed",
    files,
    bytes: sizeOf(files),
    parts: { text: sizeOf(copies), alreadyCompressed: sizeOf(compressed), executables: sizeOf(binaries) }
  }
  return { text, mixed }
}

/**
 * ELF files of 256 KiB – 24 MiB from `dir`, each whole and as it is, sorted
 * by name, until `budget` bytes: real executables and libraries of this
 * machine, compressed one file at a time as a user would.
 */
const executablesFrom = (dir: string, budget: number): Array<string> => {
  const picked: Array<string> = []
  let total = 0
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    // Not through symbolic links: zstd skips them, and they would count a file twice.
    const stat = lstatSync(path, { throwIfNoEntry: false })
    if (stat === undefined || !stat.isFile() || stat.size < 256 * 1024 || stat.size > 24 * MiB) continue
    const head = readFileSync(path).subarray(0, 4)
    if (!(head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46)) continue
    picked.push(path)
    total += stat.size
    if (total >= budget) break
  }
  if (picked.length === 0) throw new Error(`no executables of 256 KiB – 24 MiB in ${dir}`)
  return picked
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const sha256Of = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex")

interface Measured {
  readonly seconds: number
  /** CPU time of every thread (user + system): less sensitive than wall time to other work on the machine. */
  readonly cpuSeconds: number
  readonly compressedBytes: number
}

const cpuSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1e6
}

/** Ours in this process: `compressFile` on each file, as the CLI does. */
const oursInProcess = async (corpus: Corpus, outDir: string): Promise<Measured & { readonly strategies: Record<string, number> }> => {
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(outDir)
  const strategies: Record<string, number> = {}
  let compressedBytes = 0
  const c0 = process.cpuUsage()
  const t0 = now()
  for (const file of corpus.files) {
    const result = await Effect.runPromise(Compress.compressFile(file, join(outDir, `${file.split("/").at(-1)}.svz`)).pipe(Effect.provide(FilesLive.layerBlocking)))
    compressedBytes += result.compressedBytes
    const key = `${result.strategy.rule}:${result.strategy.codec}${result.strategy.codec === "store" ? "" : `-${result.strategy.level}`}`
    strategies[key] = (strategies[key] ?? 0) + 1
  }
  return { seconds: (now() - t0) / 1000, cpuSeconds: cpuSince(c0), compressedBytes, strategies }
}

const oursDecompress = async (corpus: Corpus, packedDir: string, outDir: string): Promise<number> => {
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(outDir)
  const t0 = now()
  for (const file of corpus.files) {
    const name = file.split("/").at(-1)!
    await Effect.runPromise(Compress.decompressFile(join(packedDir, `${name}.svz`), join(outDir, name)).pipe(Effect.provide(FilesLive.layerBlocking)))
  }
  return (now() - t0) / 1000
}

/** zstd at `level` over all the files in one process, into `outDir`. */
const zstdAll = (corpus: Corpus, level: number, outDir: string): Measured => {
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(outDir)
  const t0 = now()
  // Under GNU time for its CPU seconds; its line is the last of stderr.
  const run = spawnSync("/usr/bin/time", ["-f", "%U %S", ZSTD, "-q", `-${level}`, "--output-dir-flat", outDir, ...corpus.files], { encoding: "utf8" })
  const seconds = (now() - t0) / 1000
  if (run.error !== undefined) throw new Error(`${ZSTD} under /usr/bin/time: ${run.error.message} (apt-get install zstd time)`)
  if (run.status !== 0) throw new Error(`zstd -${level} exited ${run.status}: ${run.stderr}`)
  const [user, system] = run.stderr.trim().split("\n").at(-1)!.split(" ").map(Number)
  const outputs = readdirSync(outDir)
  if (outputs.length !== corpus.files.length) throw new Error(`zstd -${level} wrote ${outputs.length} files for ${corpus.files.length} inputs`)
  return { seconds, cpuSeconds: user! + system!, compressedBytes: sizeOf(outputs.map((name) => join(outDir, name))) }
}

/** One process per file for both tools: the compiled binary's `compress` and `zstd`. */
const perProcess = (corpus: Corpus, command: ReadonlyArray<string>, outFor: (file: string) => ReadonlyArray<string>, outDir: string): Measured => {
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(outDir)
  const t0 = now()
  for (const file of corpus.files) {
    const run = spawnSync(command[0]!, [...command.slice(1), file, ...outFor(file)], { encoding: "utf8" })
    if (run.status !== 0) throw new Error(`${command.join(" ")} ${file} exited ${run.status}: ${run.stderr ?? run.error?.message}`)
  }
  const seconds = (now() - t0) / 1000
  return { seconds, cpuSeconds: Number.NaN, compressedBytes: sizeOf(readdirSync(outDir).map((name) => join(outDir, name))) }
}

const figures = (corpus: Corpus, seconds: number, compressedBytes: number, cpuSeconds = Number.NaN) => ({
  seconds: round(seconds, 3),
  MBps: round(corpus.bytes / MiB / seconds, 0),
  ...(Number.isNaN(cpuSeconds) ? {} : { cpuSeconds: round(cpuSeconds, 3) }),
  compressedMB: round(compressedBytes / MiB, 2),
  ratio: round(corpus.bytes / compressedBytes, 3)
})

export const compress = async () => {
  const textMB = Number(process.env.BENCH_COMPRESS_MB ?? 128)
  const runs = Number(process.env.BENCH_COMPRESS_RUNS ?? 3)
  const withBinary = process.env.BENCH_COMPRESS_BINARY !== "0"
  // In memory where the machine has it: the figures are the tools', not the disk's (ours fsyncs every output).
  const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "sigmavault-bench-compress-"))
  try {
    const loadBefore = loadavg()[0]!
    const corpora = buildCorpora(dir, textMB)
    const results: Record<string, unknown> = {}
    const goalParts: Record<string, boolean> = {}
    for (const corpus of [corpora.text, corpora.mixed]) {
      const ours: Array<number> = []
      const zstd3: Array<number> = []
      const oursCpu: Array<number> = []
      const zstd3Cpu: Array<number> = []
      let oursMeasured: Awaited<ReturnType<typeof oursInProcess>> | undefined
      let zstd3Measured: Measured | undefined
      // Alternating runs, so both tools see the same machine.
      for (let run = 0; run < runs; run++) {
        oursMeasured = await oursInProcess(corpus, join(dir, "ours"))
        ours.push(oursMeasured.seconds)
        oursCpu.push(oursMeasured.cpuSeconds)
        zstd3Measured = zstdAll(corpus, 3, join(dir, "zstd3"))
        zstd3.push(zstd3Measured.seconds)
        zstd3Cpu.push(zstd3Measured.cpuSeconds)
      }
      const zstd19 = zstdAll(corpus, 19, join(dir, "zstd19"))
      const decompressSeconds = await oursDecompress(corpus, join(dir, "ours"), join(dir, "back"))
      for (const file of corpus.files) {
        if (sha256Of(file) !== sha256Of(join(dir, "back", file.split("/").at(-1)!))) throw new Error(`${file} did not round-trip`)
      }
      const zstdDecompress = (() => {
        rmSync(join(dir, "zstd-back"), { recursive: true, force: true })
        mkdirSync(join(dir, "zstd-back"))
        const packed = readdirSync(join(dir, "zstd3")).map((name) => join(dir, "zstd3", name))
        const t0 = now()
        const run = spawnSync(ZSTD, ["-q", "-d", "--output-dir-flat", join(dir, "zstd-back"), ...packed])
        if (run.status !== 0) throw new Error(`zstd -d exited ${run.status}`)
        return (now() - t0) / 1000
      })()
      const oursFigures = figures(corpus, median(ours), oursMeasured!.compressedBytes, median(oursCpu))
      const zstd3Figures = figures(corpus, median(zstd3), zstd3Measured!.compressedBytes, median(zstd3Cpu))
      const zstd19Figures = figures(corpus, zstd19.seconds, zstd19.compressedBytes, zstd19.cpuSeconds)
      results[corpus.name] = {
        files: corpus.files.length,
        sizeMB: round(corpus.bytes / MiB, 1),
        partsMB: Object.fromEntries(Object.entries(corpus.parts).map(([k, v]) => [k, round(v / MiB, 1)])),
        ours: { ...oursFigures, strategies: oursMeasured!.strategies, decompressMBps: round(corpus.bytes / MiB / decompressSeconds, 0), runs: ours.map((s) => round(s, 3)) },
        zstd3: { ...zstd3Figures, decompressMBps: round(corpus.bytes / MiB / zstdDecompress, 0), runs: zstd3.map((s) => round(s, 3)) },
        zstd19: zstd19Figures,
        ratio: {
          speedVsZstd3: round(zstd3Figures.seconds / oursFigures.seconds, 2),
          cpuVsZstd3: round(median(oursCpu) / median(zstd3Cpu), 2),
          sizeVsZstd3: round(oursFigures.ratio / zstd3Figures.ratio, 3),
          sizeVsZstd19: round(oursFigures.ratio / zstd19Figures.ratio, 3)
        }
      }
      if (corpus.name === "mixed") {
        goalParts.time = oursFigures.seconds <= zstd3Figures.seconds
        goalParts.ratio = oursFigures.ratio >= zstd3Figures.ratio
      }
      if (withBinary) {
        const binary = benchBinary()
        const cliDir = join(dir, "cli")
        mkdirSync(cliDir)
        const figures = cliComparison(binary.path, join(dir, corpus.name), corpus.files, cliDir, runs)
        removeDir(cliDir)
        results[`${corpus.name}Cli`] = { binary: binary.origin, ...figures }
        if (corpus.name === "mixed") {
          goalParts.perProcessTime = figures.compressPerProcess.ours.seconds <= figures.compressPerProcess.zstd.seconds
          goalParts.perProcessRatio = figures.compressPerProcess.ratio.ours >= figures.compressPerProcess.ratio.zstd
          goalParts.oneProcessTime = figures.compressOneProcess.ours.seconds <= figures.compressOneProcess.zstd.seconds
          goalParts.decompressAtLeast08 = figures.decompressOneProcess.speedVsZstd >= 0.8
        }
      }
    }
    return {
      name: `compress ${corpora.text.files.length + corpora.mixed.files.length} files (text and mixed corpora) in-process under Bun vs zstd 1.5 -3 and -19`,
      implementation: { ours: `zstd via ${Compress.implementations().zstd}`, anchor: spawnSync(ZSTD, ["--version"], { encoding: "utf8" }).stdout.trim() },
      runs,
      cores: availableParallelism(),
      // Another busy process takes the second core our blocks run on; a load well above 0 before the run means the figures understate us.
      loadAverage1m: { before: round(loadBefore, 2), after: round(loadavg()[0]!, 2) },
      ...results,
      goal: {
        text: "on the mixed corpus: the binary one process per file in time <= zstd -3 one process per file, ratio >= zstd -3's " +
          "(perProcessTime, perProcessRatio); one process for all files <= zstd -3 F1 F2 … (oneProcessTime); decompress >= 0.8 x zstd -d " +
          "(decompressAtLeast08); in this process: time and ratio against zstd -3 over all files (time, ratio)",
        met: goalParts.perProcessTime === true && goalParts.perProcessRatio === true,
        ...goalParts
      },
      note: "ours: compressFile per file in this Bun process with blocking file I/O (the CLI's settings), default strategy table, 4 MiB blocks, codec work on the thread pool; zstd: one process over all files (--output-dir-flat), single-threaded as Debian's default. Corpora and outputs are in /dev/shm (tmpfs) when present, so neither the disk nor our fsync of each output weighs. Seconds are medians of the runs; zstd -19 runs once. Every one of our outputs is decompressed and compared with its input by SHA-256"
    }
  } finally {
    removeDir(dir)
  }
}
