/**
 * `vault`: the compiled binary's `encrypt` and `decrypt` of one large file
 * (1 GiB by default, BENCH_VAULT_MB) against `age` 1.1.1 (`age -r`, `age -d`)
 * on the same file in the same run, four ways: encrypt and decrypt, each to
 * standard output (/dev/null) and to a file (`-o`). Wall-clock throughput and
 * peak RSS of each process (GNU time's maximum resident set size), median of
 * BENCH_VAULT_RUNS (5); the tools take turns going first, and every run
 * starts after a `sync`, so one tool's write-back does not land in the
 * other's run. Every output is checked against the input once. Needs `age`,
 * `age-keygen` and `/usr/bin/time` (apt-get install age time).
 *
 * To a file, sigmavault writes a temporary file, fsyncs it and renames it
 * into place (a crash never leaves a partial file); age writes the file and
 * exits, leaving the write-back to the kernel. So the disk is in
 * sigmavault's figure and not in age's.
 *
 * `kem`: X-Wing (ML-KEM-768 + X25519) keygen, encapsulate and decapsulate per
 * second in-process, against X25519 alone (age's KEM) in the same run: the
 * price of the post-quantum half.
 */
import { spawnSync } from "node:child_process"
import { createHash, randomBytes } from "node:crypto"
import { closeSync, createReadStream, openSync, rmSync, writeSync } from "node:fs"
import { join } from "node:path"
import { x25519 } from "@noble/curves/ed25519.js"
import { ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js"
import { benchBinary, removeDir, tempDir } from "../socket/processes.ts"
import { now, round } from "../support.ts"

const MiB = 1024 * 1024

interface Timed {
  readonly seconds: number
  readonly peakRssMB: number
}

/** Runs a command under GNU time, its stdout to `stdoutFd`; fails loudly with its stderr. */
const timed = (file: string, args: ReadonlyArray<string>, stdoutFd: number | "ignore" = "ignore"): Timed => {
  const run = spawnSync("/usr/bin/time", ["-f", "%e %M", file, ...args], {
    encoding: "utf8",
    stdio: ["ignore", stdoutFd, "pipe"],
    maxBuffer: 64 * MiB
  })
  if (run.error !== undefined) throw new Error(`${file}: ${run.error.message} (is it installed? apt-get install age time)`)
  const lines = run.stderr.trim().split("\n")
  if (run.status !== 0) throw new Error(`${file} ${args.join(" ")} exited ${run.status}: ${lines.slice(-3).join(" | ")}`)
  const [seconds, kb] = lines.at(-1)!.split(" ").map(Number)
  return { seconds: seconds!, peakRssMB: round(kb! / 1024, 1) }
}

const sha256Of = (file: string) =>
  new Promise<string>((resolve, reject) => {
    const hash = createHash("sha256")
    createReadStream(file).on("data", (chunk) => hash.update(chunk)).on("end", () => resolve(hash.digest("hex"))).on("error", reject)
  })

/** Random-looking but cheap to make: 16 MiB of random bytes repeated, each copy with its index stamped in. */
const makeInput = (file: string, mb: number) => {
  const block = randomBytes(16 * MiB)
  const fd = openSync(file, "w")
  for (let written = 0, i = 0; written < mb * MiB; written += block.length, i++) {
    block.writeUInt32LE(i, 0)
    writeSync(fd, block, 0, Math.min(block.length, mb * MiB - written))
  }
  closeSync(fd)
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Where a run's output goes: standard output (/dev/null), or a file it creates (removed after the run). */
type Sink = "stdout" | "file"
const WAYS = [
  { name: "encryptToStdout", direction: "encrypt", sink: "stdout" },
  { name: "encryptToFile", direction: "encrypt", sink: "file" },
  { name: "decryptToStdout", direction: "decrypt", sink: "stdout" },
  { name: "decryptToFile", direction: "decrypt", sink: "file" }
] as const

export const vault = async () => {
  const mb = Number(process.env.BENCH_VAULT_MB ?? 1024)
  const runs = Number(process.env.BENCH_VAULT_RUNS ?? 5)
  const binary = benchBinary()
  const dir = tempDir("sigmavault-bench-vault-")
  try {
    const input = join(dir, "input.bin")
    makeInput(input, mb)
    const inputHash = await sha256Of(input)

    const sigmavaultKey = join(dir, "sv.key")
    const keygen = spawnSync(binary.path, ["keygen", "-o", sigmavaultKey, "--no-passphrase"], { encoding: "utf8" })
    if (keygen.status !== 0) throw new Error(`sigmavault keygen failed: ${keygen.stderr}`)
    const sigmavaultRecipient = keygen.stdout.trim()
    const ageKey = join(dir, "age.key")
    const ageKeygen = spawnSync("age-keygen", ["-o", ageKey], { encoding: "utf8" })
    if (ageKeygen.status !== 0) throw new Error(`age-keygen failed (apt-get install age): ${ageKeygen.stderr ?? ageKeygen.error?.message}`)
    const ageRecipient = /public key: (age1\S+)/i.exec(ageKeygen.stderr)?.[1]
    if (ageRecipient === undefined) throw new Error(`age-keygen printed no public key: ${ageKeygen.stderr}`)

    const devNull = openSync("/dev/null", "w")
    const output = join(dir, "output")
    /** Runs one tool one way; a file output is removed afterwards. */
    const toOutput = (sink: Sink, run: (out: number | "ignore", extra: ReadonlyArray<string>) => Timed): Timed => {
      if (sink === "stdout") return run(devNull, [])
      const result = run("ignore", ["-o", output])
      rmSync(output, { force: true })
      return result
    }
    const tools = {
      sigmavault: {
        encrypt: (out: number | "ignore", extra: ReadonlyArray<string>) => timed(binary.path, ["encrypt", "-r", sigmavaultRecipient, ...extra, input], out),
        decrypt: (out: number | "ignore", extra: ReadonlyArray<string>) => timed(binary.path, ["decrypt", "-i", sigmavaultKey, ...extra, join(dir, "sigmavault.enc")], out)
      },
      age: {
        encrypt: (out: number | "ignore", extra: ReadonlyArray<string>) => timed("age", ["-r", ageRecipient, ...extra, input], out),
        decrypt: (out: number | "ignore", extra: ReadonlyArray<string>) => timed("age", ["-d", "-i", ageKey, ...extra, join(dir, "age.enc")], out)
      }
    }
    type Tool = keyof typeof tools
    const names = Object.keys(tools) as Array<Tool>
    // First, once each: the ciphertext the decryptions read, and a check that the round trip is exact.
    for (const name of names) {
      const encrypted = join(dir, `${name}.enc`)
      tools[name].encrypt("ignore", ["-o", encrypted])
      tools[name].decrypt("ignore", ["-o", output])
      if ((await sha256Of(output)) !== inputHash) throw new Error(`${name}: the decrypted file differs from the input`)
      rmSync(output)
    }
    const timings = Object.fromEntries(names.map((name) => [name, Object.fromEntries(WAYS.map((way) => [way.name, [] as Array<Timed>]))]))
    for (let run = 0; run < runs; run++) {
      for (const way of WAYS) {
        // The tools take turns going first; each run starts with the disk's write-back done.
        for (const name of run % 2 === 0 ? names : [...names].reverse()) {
          spawnSync("sync")
          timings[name]![way.name]!.push(toOutput(way.sink, tools[name][way.direction]))
        }
      }
    }
    const figures = Object.fromEntries(names.map((name) => [
      name,
      Object.fromEntries(WAYS.map((way) => {
        const samples = timings[name]![way.name]!
        return [way.name, {
          MBps: round(mb / median(samples.map((t) => t.seconds)), 0),
          peakRssMB: Math.max(...samples.map((t) => t.peakRssMB)),
          seconds: samples.map((t) => t.seconds)
        }]
      }))
    ])) as Record<Tool, Record<(typeof WAYS)[number]["name"], { MBps: number; peakRssMB: number; seconds: Array<number> }>>
    const ratio = Object.fromEntries(WAYS.map((way) => [way.name, round(figures.sigmavault[way.name].MBps / figures.age[way.name].MBps, 2)])) as Record<
      (typeof WAYS)[number]["name"],
      number
    >
    const peakRssMB = Math.max(...WAYS.map((way) => figures.sigmavault[way.name].peakRssMB))
    return {
      name: `encrypt/decrypt ${mb} MiB with the compiled binary vs age 1.1.1, one recipient, to stdout and to a file`,
      binary: binary.origin,
      sizeMB: mb,
      runs,
      ...figures,
      ratio,
      goal: {
        text: "encrypt >= 1.5x age's throughput to stdout and to a file, peak RSS < 100 MB; decrypt reported against age -d",
        met: ratio.encryptToStdout >= 1.5 && ratio.encryptToFile >= 1.5 && peakRssMB < 100,
        decryptAt1_5x: ratio.decryptToStdout >= 1.5 && ratio.decryptToFile >= 1.5
      },
      note: "wall-clock time of the whole process (start-up included) under /usr/bin/time, median of the runs; the input is in the page cache; peak RSS is the largest of the runs. To a file, sigmavault's time includes fsync of the file and its directory (its atomic write); age does not sync"
    }
  } finally {
    removeDir(dir)
  }
}

const perSecond = (seconds: number, work: () => void) => {
  let n = 0
  const t0 = now()
  while (now() - t0 < seconds * 1000) {
    work()
    n++
  }
  return round((n * 1000) / (now() - t0), 0)
}

export const kem = async () => {
  const seconds = Number(process.env.BENCH_KEM_SECONDS ?? 2)
  const pair = ml_kem768_x25519.keygen()
  const { cipherText } = ml_kem768_x25519.encapsulate(pair.publicKey)
  const xSecret = x25519.utils.randomSecretKey()
  const xPublic = x25519.getPublicKey(xSecret)
  const xwing = {
    keygenPerSec: perSecond(seconds, () => ml_kem768_x25519.keygen()),
    encapsulatePerSec: perSecond(seconds, () => ml_kem768_x25519.encapsulate(pair.publicKey)),
    decapsulatePerSec: perSecond(seconds, () => ml_kem768_x25519.decapsulate(cipherText, pair.secretKey))
  }
  // X25519 alone, as age wraps a file key: an ephemeral key pair and one shared secret per recipient.
  const anchor = {
    keygenPerSec: perSecond(seconds, () => x25519.getPublicKey(x25519.utils.randomSecretKey())),
    encapsulatePerSec: perSecond(seconds, () => x25519.getSharedSecret(x25519.utils.randomSecretKey(), xPublic)),
    decapsulatePerSec: perSecond(seconds, () => x25519.getSharedSecret(xSecret, xPublic))
  }
  return {
    name: "X-Wing (ML-KEM-768 + X25519, @noble/post-quantum 0.7.1) per second, one core",
    xwing,
    anchor: { name: "X25519 alone (@noble/curves), age's KEM", ...anchor },
    ratio: {
      keygen: round(xwing.keygenPerSec / anchor.keygenPerSec, 2),
      encapsulate: round(xwing.encapsulatePerSec / anchor.encapsulatePerSec, 2),
      decapsulate: round(xwing.decapsulatePerSec / anchor.decapsulatePerSec, 2)
    },
    note: "a file costs one encapsulation per recipient to encrypt and at most one decapsulation per stanza and key to decrypt"
  }
}
