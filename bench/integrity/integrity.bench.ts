/**
 * CRYPTO's hashing and verification (docs/integrity.md):
 * - `hashes`: @noble/hashes BLAKE3 against node:crypto SHA-256 over the same
 *   bytes in memory, on this runtime;
 * - `integrityVerify`: CRYPTO's verify (the library the agent runs, one
 *   core) over a warm tree of mixed files (1 GiB by default,
 *   BENCH_INTEGRITY_MIB to change), against `sha256sum -c` and
 *   `b3sum --check --num-threads 1` over the same tree; ratios are CRYPTO's
 *   throughput over each anchor's, by wall clock and per CPU-second (the
 *   honest "per core" figure on a machine other work shares).
 *   Goal: ≥ 800 MB/s per core.
 */
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Result } from "effect"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import { parseManifest } from "../../src/integrity/Manifest.ts"
import { buildManifest, verifyTree } from "../../src/integrity/Tree.ts"
import { benchBinary, spawnSigmavault, waitForSocket } from "../socket/processes.ts"
import { now, round } from "../support.ts"

const MB = 1e6
const MiB = 1024 * 1024

/** The least CPU time (user + system, seconds) of `runs` runs: on a shared machine, what the work itself costs. */
const bestOf = (runs: number, run: () => void) => {
  let best = Infinity
  for (let i = 0; i < runs; i++) {
    const cpu = process.cpuUsage()
    run()
    const used = process.cpuUsage(cpu)
    best = Math.min(best, (used.user + used.system) / 1e6)
  }
  return best
}

export const hashes = async () => {
  const { blake3 } = await import("@noble/hashes/blake3.js")
  const shaBytes = new Uint8Array(512 * MiB)
  const blakeBytes = new Uint8Array(32 * MiB)
  for (let i = 0; i < shaBytes.length; i += 4096) shaBytes[i] = i & 255
  blakeBytes.set(shaBytes.subarray(0, blakeBytes.length))
  const piece = MiB
  const sha = bestOf(3, () => {
    const hash = createHash("sha256")
    for (let i = 0; i < shaBytes.length; i += piece) hash.update(shaBytes.subarray(i, i + piece))
    hash.digest()
  })
  const blake = bestOf(2, () => {
    const hash = blake3.create({})
    for (let i = 0; i < blakeBytes.length; i += piece) hash.update(blakeBytes.subarray(i, i + piece))
    hash.digest()
  })
  const shaMBs = shaBytes.length / MB / sha
  const blakeMBs = blakeBytes.length / MB / blake
  return {
    unit: "MB/s per CPU-second, one core, in memory",
    sha256NodeCrypto: round(shaMBs, 0),
    blake3Noble: round(blakeMBs, 1),
    sha256OverBlake3: round(shaMBs / blakeMBs, 1)
  }
}

/** A tree of mixed files totalling about `mib` MiB: large, medium, small and tiny files in nested directories. */
const makeTree = (root: string, mib: number) => {
  const plan: Array<[count: number, bytes: number]> = [
    [Math.max(1, Math.round((mib * 0.5) / 128)), 128 * MiB],
    [Math.max(1, Math.round((mib * 0.3) / 4)), 4 * MiB],
    [Math.max(1, Math.round((mib * 0.15 * 1024) / 64)), 64 * 1024],
    [Math.max(1, Math.round((mib * 0.05 * 1024) / 4)), 4 * 1024]
  ]
  const block = Buffer.alloc(4 * MiB)
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i)
  let files = 0
  let bytes = 0
  for (const [count, size] of plan) {
    for (let i = 0; i < count; i++) {
      const dir = path.join(root, `d${files % 16}`, `e${files % 7}`)
      fs.mkdirSync(dir, { recursive: true })
      const fd = fs.openSync(path.join(dir, `f${files}-${size}.bin`), "w")
      for (let written = 0; written < size;) {
        const n = Math.min(block.length, size - written)
        block.writeUInt32LE(files, 0)
        fs.writeSync(fd, block, 0, n)
        written += n
      }
      fs.closeSync(fd)
      files++
      bytes += size
    }
  }
  return { files, bytes }
}

const listFiles = (root: string): Array<string> => {
  const out: Array<string> = []
  const stack = [root]
  while (stack.length > 0) {
    const dir = stack.pop()!
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) stack.push(full)
      else out.push(path.relative(root, full))
    }
  }
  return out.sort()
}

const tool = (name: string) => spawnSync(name, ["--version"], { encoding: "utf8" }).status === 0

interface Timing {
  readonly seconds: number
  /** User + system CPU seconds (the process's own and its threads'; for a tool, its own). */
  readonly cpuSeconds: number
}

interface BunSpawn {
  readonly spawnSync: (argv: ReadonlyArray<string>, options: { readonly cwd: string }) => {
    readonly exitCode: number | null
    readonly stderr: Uint8Array
    readonly resourceUsage: { readonly cpuTime: { readonly total: bigint } }
  }
}

/** Runs a tool; its CPU time comes from Bun's resource usage of the child. */
const timed = (argv: ReadonlyArray<string>, cwd: string): Timing => {
  const bun = (globalThis as { Bun?: BunSpawn }).Bun
  if (bun === undefined) throw new Error("integrityVerify runs under Bun (npm run bench:integrity): it reads the tools' CPU time from Bun.spawnSync")
  const started = now()
  const result = bun.spawnSync(argv, { cwd })
  const seconds = (now() - started) / 1000
  if (result.exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${result.exitCode}: ${new TextDecoder().decode(result.stderr).slice(0, 500)}`)
  return { seconds, cpuSeconds: Number(result.resourceUsage.cpuTime.total) / 1e6 }
}

const best = (timings: ReadonlyArray<Timing>): Timing => ({
  seconds: Math.min(...timings.map((t) => t.seconds)),
  cpuSeconds: Math.min(...timings.map((t) => t.cpuSeconds))
})

/** node:crypto SHA-256's in-memory MB per CPU-second, measured once. */
let shaMBs: number | undefined
const shaRate = () => {
  if (shaMBs !== undefined) return shaMBs
  const bytes = new Uint8Array(128 * MiB)
  const seconds = bestOf(3, () => {
    const hash = createHash("sha256")
    for (let i = 0; i < bytes.length; i += MiB) hash.update(bytes.subarray(i, i + MiB))
    hash.digest()
  })
  return (shaMBs = bytes.length / MB / seconds)
}

/** utime + stime of a process and of its waited-for children (its file helpers), in seconds. */
const processCpu = (pid: number) => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0)
  return ticks / 100
}

/** Starts the binary with `base` as its file root, makes a manifest of `root` through it, then times `verify` (best of `runs`). */
const throughDaemon = async (base: string, root: string, runs: number): Promise<Timing> => {
  const binary = benchBinary()
  const home = path.join(base, "daemon")
  fs.mkdirSync(home)
  fs.writeFileSync(path.join(home, "sigmavault.conf"), `file_roots = ${base}\n`)
  const server = spawnSigmavault(binary.path, home, ["--config", path.join(home, "sigmavault.conf"), "--dbus", "none"])
  try {
    ;(await waitForSocket(server)).destroy()
    const manifest = path.join(base, "tree.manifest")
    const cli = (args: ReadonlyArray<string>) => {
      const result = spawnSync(binary.path, [...args, "--socket", server.socket, "--timeout", "3600000"], { encoding: "utf8" })
      if (result.status !== 0) throw new Error(`sigmavault ${args[0]} exited ${result.status}: ${result.stderr}`)
    }
    cli(["manifest", root, "-o", manifest])
    const timings: Array<Timing> = []
    for (let i = 0; i < runs; i++) {
      const cpu = processCpu(server.pid)
      const started = now()
      cli(["verify", root, manifest])
      timings.push({ seconds: (now() - started) / 1000, cpuSeconds: processCpu(server.pid) - cpu })
    }
    return best(timings)
  } finally {
    await server.stop(5_000)
  }
}

export const integrityVerify = async () => {
  const missing = ["sha256sum", "b3sum"].filter((name) => !tool(name))
  if (missing.length > 0) throw new Error(`integrityVerify needs ${missing.join(" and ")} (Debian packages coreutils, b3sum)`)
  const mib = Number(process.env["BENCH_INTEGRITY_MIB"] ?? 1024)
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `sigmavault-bench-integrity-${process.pid}-`))
  try {
    const root = path.join(base, "tree")
    const tree = makeTree(root, mib)
    const names = listFiles(root)

    // Warm: every byte in the page cache before anything is timed.
    const build = await Effect.runPromise(Effect.provide(buildManifest(root), FilesLive.layer))
    const manifest = Result.getOrThrow(parseManifest(build.body))

    const shaList = path.join(base, "SHA256SUMS")
    const b3List = path.join(base, "B3SUMS")
    fs.writeFileSync(shaList, manifest.entries.map((e) => `${e.sha256}  ${new TextDecoder().decode(e.path)}\n`).join(""))
    const b3 = spawnSync("b3sum", ["--num-threads", "1", "--", ...names], { cwd: root, encoding: "utf8", maxBuffer: 256 * MiB })
    // (Names here are plain: the anchors' list formats are not the point.)
    if (b3.status !== 0) throw new Error(`b3sum failed: ${b3.stderr}`)
    fs.writeFileSync(b3List, b3.stdout)

    const runs = 3
    const verifyOnce = async (): Promise<Timing> => {
      const started = now()
      const cpu = process.cpuUsage()
      const report = await Effect.runPromise(Effect.provide(verifyTree(manifest, undefined), FilesLive.layer))
      const used = process.cpuUsage(cpu)
      if (!report.intact || report.matched !== tree.files) throw new Error("the benchmark tree did not verify")
      return { seconds: (now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 }
    }
    const repeat = async (run: () => Timing | Promise<Timing>) => {
      const timings: Array<Timing> = []
      for (let i = 0; i < runs; i++) timings.push(await run())
      return best(timings)
    }
    const crypto = await repeat(verifyOnce)
    const sha256sum = await repeat(() => timed(["sha256sum", "--quiet", "-c", shaList], root))
    const b3sumOne = await repeat(() => timed(["b3sum", "--num-threads", "1", "--quiet", "--check", b3List], root))

    // The same verify through the daemon, as `sigmavault verify` runs it: the caller's file helper opens each file.
    const daemon = await throughDaemon(base, root, runs)

    const wall = (t: Timing) => tree.bytes / MB / t.seconds
    const perCpu = (t: Timing) => tree.bytes / MB / t.cpuSeconds
    return {
      unit: "MB/s over a warm tree (best of 3): wall clock, and per CPU-second (bytes / (user + system CPU time))",
      tree: { files: tree.files, mib: round(tree.bytes / MiB, 0) },
      cores: os.cpus().length,
      loadAverage: round(os.loadavg()[0]!, 1),
      wall: {
        cryptoVerify: round(wall(crypto), 0),
        cryptoVerifyThroughDaemon: round(wall(daemon), 0),
        sha256sumCheck: round(wall(sha256sum), 0),
        b3sumCheckOneThread: round(wall(b3sumOne), 0)
      },
      perCpuSecond: {
        cryptoVerify: round(perCpu(crypto), 0),
        cryptoVerifyThroughDaemon: round(perCpu(daemon), 0),
        sha256sumCheck: round(perCpu(sha256sum), 0),
        b3sumCheckOneThread: round(perCpu(b3sumOne), 0)
      },
      ratioCryptoOverSha256sum: { wall: round(wall(crypto) / wall(sha256sum), 2), perCpu: round(perCpu(crypto) / perCpu(sha256sum), 2) },
      ratioCryptoOverB3sum: { wall: round(wall(crypto) / wall(b3sumOne), 2), perCpu: round(perCpu(crypto) / perCpu(b3sumOne), 2) },
      perFileCpuUs: {
        note: "CPU per file beyond hashing: (CPU time - bytes / in-memory SHA-256 rate) / files",
        cryptoVerify: round(((crypto.cpuSeconds - tree.bytes / MB / shaRate()) * 1e6) / tree.files, 0),
        cryptoVerifyThroughDaemon: round(((daemon.cpuSeconds - tree.bytes / MB / shaRate()) * 1e6) / tree.files, 0)
      },
      goalMBsPerCore: 800,
      goalMetPerCpuSecond: perCpu(crypto) >= 800
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true })
  }
}
