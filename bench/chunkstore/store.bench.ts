/**
 * `store`: 10 successive versions of an evolving dataset — a source-like tree
 * with small edits between versions, plus large binary files of which one
 * changes a little — backed up into the compiled binary's chunk store
 * (encrypted: vault-v1, to a keyring key), into `restic backup` (always
 * encrypted) and into `borg create` (`--encryption repokey`: AES-256-CTR +
 * HMAC-SHA-256), all from Debian, in the same run. Reports the stored size
 * after all versions, the add time of each tool, and the time each takes to
 * restore the last version into an empty directory (`store restore`,
 * `restic restore`, `borg extract`). The tools take turns going first, and
 * each timed run starts after a `sync`. Needs restic and borgbackup
 * (apt-get install restic borgbackup).
 *
 * Settings: BENCH_STORE_FILES (source files, default 3000), BENCH_STORE_BINARY_MB
 * (size of each of the 3 binary files, default 32), BENCH_STORE_VERSIONS (10).
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { availableParallelism, tmpdir } from "node:os"
import { join } from "node:path"
import { benchBinary, removeDir, tempDir } from "../socket/processes.ts"
import { now, round } from "../support.ts"

const MiB = 1024 * 1024

/** mulberry32: the dataset is the same on every run. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const WORDS = "pool tank scrub resilver vdev mirror raidz dataset snapshot quota reservation compression checksum".split(" ")

const sourceFile = (random: () => number, lines: number) =>
  Array.from({ length: lines }, (_, i) => {
    const indent = "  ".repeat(Math.floor(random() * 4))
    const words = Array.from({ length: 3 + Math.floor(random() * 8) }, () => WORDS[Math.floor(random() * WORDS.length)]).join("_")
    return `${indent}const ${words}${i} = compute(${Math.floor(random() * 1000)}, "${words}")`
  }).join("\n") + "\n"

const du = (dir: string): number => {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    total += entry.isDirectory() ? du(path) : statSync(path).size
  }
  return total
}

/** Creates version 1 in `dir`; `evolve` edits it into the next version in place. */
const dataset = (dir: string, files: number, binaryMB: number) => {
  const random = seeded(7)
  for (let i = 0; i < files; i++) {
    const sub = join(dir, "src", `pkg${i % 40}`)
    mkdirSync(sub, { recursive: true })
    writeFileSync(join(sub, `file${i}.ts`), sourceFile(random, 20 + Math.floor(random() * 200)))
  }
  mkdirSync(join(dir, "media"), { recursive: true })
  for (let b = 0; b < 3; b++) {
    const bytes = new Uint8Array(binaryMB * MiB)
    for (let i = 0; i < bytes.length; i += 4) new DataView(bytes.buffer).setUint32(i, (random() * 2 ** 32) >>> 0)
    writeFileSync(join(dir, "media", `disk${b}.img`), bytes)
  }
  const evolve = (version: number) => {
    // About 2% of the source files get a few lines changed, and a few new files appear.
    for (let k = 0; k < Math.ceil(files * 0.02); k++) {
      const i = Math.floor(random() * files)
      const path = join(dir, "src", `pkg${i % 40}`, `file${i}.ts`)
      const lines = readFileSync(path, "utf8").split("\n")
      lines.splice(Math.floor(random() * lines.length), 0, `// edited in version ${version}`)
      writeFileSync(path, lines.join("\n"))
    }
    for (let k = 0; k < 5; k++) writeFileSync(join(dir, "src", `new-v${version}-${k}.ts`), sourceFile(random, 100))
    // One binary file changes in a small region.
    const image = join(dir, "media", "disk0.img")
    const bytes = readFileSync(image)
    const at = Math.floor(random() * (bytes.length - 64 * 1024))
    for (let i = 0; i < 64 * 1024; i++) bytes[at + i] = Math.floor(random() * 256)
    writeFileSync(image, bytes)
  }
  return evolve
}

/** GNU time, when installed: each tool's CPU seconds (user + system) too, which a loaded machine distorts less than wall time. */
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined
const cpuFile = join(tmpdir(), `sigmavault-bench-store-cpu-${process.pid}`)

const run = (file: string, args: ReadonlyArray<string>, env: Record<string, string> = {}, cwd?: string) => {
  const t0 = now()
  const [command, argv] = TIME === undefined ? [file, args] : [TIME, ["-f", "%U %S", "-o", cpuFile, file, ...args]]
  const result = spawnSync(command, argv, { encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 64 * MiB, ...(cwd === undefined ? {} : { cwd }) })
  if (result.error !== undefined) throw new Error(`${file}: ${result.error.message} (apt-get install restic borgbackup)`)
  if (result.status !== 0) throw new Error(`${file} ${args.join(" ")} exited ${result.status}: ${(result.stderr ?? "").trim().split("\n").slice(-3).join(" | ")}`)
  const cpu = TIME === undefined ? Number.NaN : readFileSync(cpuFile, "utf8").trim().split("\n").at(-1)!.split(" ").reduce((a, b) => a + Number(b), 0)
  return { seconds: (now() - t0) / 1000, cpuSeconds: cpu, stdout: result.stdout }
}

/** Writes dirty pages back before a timed run, so no tool pays for what another (or the dataset) wrote. */
const settle = () => void spawnSync("sync")

export const store = async () => {
  const files = Number(process.env.BENCH_STORE_FILES ?? 3000)
  const binaryMB = Number(process.env.BENCH_STORE_BINARY_MB ?? 32)
  const versions = Number(process.env.BENCH_STORE_VERSIONS ?? 10)
  const binary = benchBinary()
  const root = tempDir("sigmavault-bench-store-")
  try {
    const data = join(root, "data")
    mkdirSync(data)
    const evolve = dataset(data, files, binaryMB)
    const repos = { sigmavault: join(root, "sv"), restic: join(root, "restic"), borg: join(root, "borg") }
    const resticEnv = { RESTIC_PASSWORD: "bench", RESTIC_CACHE_DIR: join(root, "restic-cache") }
    const borgEnv = { BORG_BASE_DIR: join(root, "borg-home"), BORG_PASSPHRASE: "bench" }
    const svFlags = ["--repo", repos.sigmavault, "--state-dir", join(root, "sv-state")]
    const init = JSON.parse(run(binary.path, ["store", "init", "--json", ...svFlags]).stdout) as { cipher: string }
    if (init.cipher !== "vault-v1") throw new Error(`the store was created with the ${init.cipher} cipher, not vault-v1`)
    run("restic", ["init", "--repo", repos.restic, "--repository-version", "2"], resticEnv)
    run("borg", ["init", "--encryption", "repokey", repos.borg], borgEnv)

    const times = { sigmavault: [] as Array<number>, restic: [] as Array<number>, borg: [] as Array<number> }
    const cpu = { sigmavault: 0, restic: 0, borg: 0 }
    let logicalBytes = 0
    let lastSnapshot = ""
    for (let v = 1; v <= versions; v++) {
      if (v > 1) evolve(v)
      logicalBytes += du(data)
      const adds = {
        sigmavault: () => run(binary.path, ["store", "add", data, ...svFlags]),
        restic: () => run("restic", ["backup", "--repo", repos.restic, "--compression", "auto", "-q", data], resticEnv),
        borg: () => run("borg", ["create", "--compression", "zstd,3", `${repos.borg}::v${v}`, data], borgEnv)
      }
      // Each version in another order, each tool after a sync: the first tool after the dataset was written
      // would otherwise pay for writing it back (an fsync on ext4 commits the journal, other files' data with it).
      const names = Object.keys(adds) as Array<keyof typeof adds>
      for (let k = 0; k < names.length; k++) {
        const name = names[(v - 1 + k) % names.length]!
        settle()
        const added = adds[name]()
        if (name === "sigmavault") lastSnapshot = added.stdout.trim()
        times[name].push(added.seconds)
        cpu[name] += added.cpuSeconds
      }
    }
    const stats = JSON.parse(run(binary.path, ["store", "stats", "--json", ...svFlags]).stdout) as Record<string, unknown>

    // Restore the last version into an empty directory with each tool (page cache warm for all three alike).
    const restoredBytes = du(data)
    const targets = { sigmavault: join(root, "out-sv"), restic: join(root, "out-restic"), borg: join(root, "out-borg") }
    mkdirSync(targets.borg)
    const restoreRuns = {
      sigmavault: () => run(binary.path, ["store", "restore", lastSnapshot, targets.sigmavault, ...svFlags]),
      restic: () => run("restic", ["restore", "latest", "--repo", repos.restic, "--target", targets.restic], resticEnv),
      borg: () => run("borg", ["extract", `${repos.borg}::v${versions}`], borgEnv, targets.borg)
    }
    const restores = { sigmavault: (settle(), restoreRuns.sigmavault()), restic: (settle(), restoreRuns.restic()), borg: (settle(), restoreRuns.borg()) }
    const restoreSeconds = { sigmavault: restores.sigmavault.seconds, restic: restores.restic.seconds, borg: restores.borg.seconds }
    for (const [name, target] of Object.entries(targets)) {
      if (du(target) !== restoredBytes) throw new Error(`${name} restored ${du(target)} bytes, the dataset has ${restoredBytes}`)
    }
    const restoreMBps = (name: keyof typeof targets) => round(restoredBytes / MiB / restoreSeconds[name], 0)
    const sum = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0)
    const summary = (name: keyof typeof repos) => {
      const seconds = sum(times[name])
      return {
        storedMB: round(du(repos[name]) / MiB, 1),
        addSeconds: round(seconds, 2),
        addMBps: round(logicalBytes / MiB / seconds, 0),
        addCpuSeconds: round(cpu[name], 2),
        perVersionSeconds: times[name].map((s) => round(s, 2))
      }
    }
    const tools = { sigmavault: summary("sigmavault"), restic: summary("restic"), borg: summary("borg") }
    const restore = {
      MB: round(restoredBytes / MiB, 0),
      sigmavault: { seconds: round(restoreSeconds.sigmavault, 2), MBps: restoreMBps("sigmavault"), cpuSeconds: round(restores.sigmavault.cpuSeconds, 2) },
      restic: { seconds: round(restoreSeconds.restic, 2), MBps: restoreMBps("restic"), cpuSeconds: round(restores.restic.cpuSeconds, 2) },
      borg: { seconds: round(restoreSeconds.borg, 2), MBps: restoreMBps("borg"), cpuSeconds: round(restores.borg.cpuSeconds, 2) }
    }
    return {
      name: `${versions} versions of an evolving dataset (${files} source files + 3 x ${binaryMB} MiB binaries), encrypted: stored size, add and restore time`,
      binary: binary.origin,
      logicalMB: round(logicalBytes / MiB, 0),
      ...tools,
      restore,
      sigmavaultStats: stats,
      ratio: {
        storedVsRestic: round(tools.sigmavault.storedMB / tools.restic.storedMB, 2),
        storedVsBorg: round(tools.sigmavault.storedMB / tools.borg.storedMB, 2),
        addThroughputVsRestic: round(tools.sigmavault.addMBps / tools.restic.addMBps, 2),
        addThroughputVsBorg: round(tools.sigmavault.addMBps / tools.borg.addMBps, 2),
        restoreThroughputVsRestic: round(restoreSeconds.restic / restoreSeconds.sigmavault, 2),
        restoreThroughputVsBorg: round(restoreSeconds.borg / restoreSeconds.sigmavault, 2),
        addCpuVsRestic: round(cpu.sigmavault / cpu.restic, 2),
        restoreCpuVsRestic: round(restores.sigmavault.cpuSeconds / restores.restic.cpuSeconds, 2),
        restoreCpuVsBorg: round(restores.sigmavault.cpuSeconds / restores.borg.cpuSeconds, 2)
      },
      load: `load average at the end: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")} on ${availableParallelism()} CPUs (wall times stretch under load; CPU seconds less so)`,
      goal: {
        text: "encrypted: stored size <= restic's; add throughput >= restic's and borg's (issue 22); restore throughput >= restic's and borg's",
        stored: tools.sigmavault.storedMB <= tools.restic.storedMB,
        add: tools.sigmavault.addMBps >= tools.restic.addMBps && tools.sigmavault.addMBps >= tools.borg.addMBps,
        restore: restoreSeconds.sigmavault <= restoreSeconds.restic && restoreSeconds.sigmavault <= restoreSeconds.borg,
        met: tools.sigmavault.storedMB <= tools.restic.storedMB && tools.sigmavault.addMBps >= tools.restic.addMBps &&
          tools.sigmavault.addMBps >= tools.borg.addMBps && restoreSeconds.sigmavault <= restoreSeconds.restic &&
          restoreSeconds.sigmavault <= restoreSeconds.borg
      },
      note: "all three encrypt: SigmaVault vault-v1 (AES-256-GCM, key wrapped to an X-Wing keyring key), restic 0.14 (repository v2, --compression auto; AES-256-CTR + Poly1305), borg 1.2 (--encryption repokey: AES-256-CTR + HMAC-SHA-256, --compression zstd,3); each timed as a whole process per version; stored size is the repository directory's bytes; restore is of the last version into an empty directory"
    }
  } finally {
    removeDir(root)
    rmSync(cpuFile, { force: true })
  }
}
