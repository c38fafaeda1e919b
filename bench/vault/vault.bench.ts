/**
 * `vault`: the compiled binary's `encrypt` and `decrypt` of one large file
 * (1 GiB by default, BENCH_VAULT_MB) against `age` 1.1.1 (`age -r`, `age -d`)
 * on the same file in the same run: wall-clock throughput and peak RSS of
 * each process (GNU time's maximum resident set size), median of
 * BENCH_VAULT_RUNS (3). Every output is checked against the input. Needs
 * `age`, `age-keygen` and `/usr/bin/time` (apt-get install age time).
 *
 * `kem`: X-Wing (ML-KEM-768 + X25519) keygen, encapsulate and decapsulate per
 * second in-process, against X25519 alone (age's KEM) in the same run: the
 * price of the post-quantum half.
 */
import { spawnSync } from "node:child_process"
import { createHash, randomBytes } from "node:crypto"
import { closeSync, createReadStream, openSync, writeSync } from "node:fs"
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

/** Runs a command under GNU time; fails loudly with its stderr. */
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

export const vault = async () => {
  const mb = Number(process.env.BENCH_VAULT_MB ?? 1024)
  const runs = Number(process.env.BENCH_VAULT_RUNS ?? 3)
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

    // Each tool writes to stdout, which is /dev/null for the timed runs: the figures are the tools', not the disk's.
    const devNull = openSync("/dev/null", "w")
    const tools = {
      sigmavault: {
        encrypt: (out: number | "ignore", extra: ReadonlyArray<string> = []) => timed(binary.path, ["encrypt", "-r", sigmavaultRecipient, ...extra, input], out),
        decrypt: (from: string, out: number | "ignore", extra: ReadonlyArray<string> = []) => timed(binary.path, ["decrypt", "-i", sigmavaultKey, ...extra, from], out)
      },
      age: {
        encrypt: (out: number | "ignore", extra: ReadonlyArray<string> = []) => timed("age", ["-r", ageRecipient, ...extra, input], out),
        decrypt: (from: string, out: number | "ignore", extra: ReadonlyArray<string> = []) => timed("age", ["-d", "-i", ageKey, ...extra, from], out)
      }
    }
    const results: Record<string, unknown> = {}
    const figures: Record<string, { encryptMBps: number; decryptMBps: number; encryptRssMB: number; decryptRssMB: number }> = {}
    // First, once to files for each tool: the ciphertext the timed decryptions read, and a check that the round trip is exact.
    for (const [name, tool] of Object.entries(tools)) {
      const encrypted = join(dir, `${name}.enc`)
      const decrypted = join(dir, `${name}.dec`)
      const toFiles = { encrypt: tool.encrypt("ignore", ["-o", encrypted]), decrypt: tool.decrypt(encrypted, "ignore", ["-o", decrypted]) }
      if ((await sha256Of(decrypted)) !== inputHash) throw new Error(`${name}: the decrypted file differs from the input`)
      removeDir(decrypted)
      results[`${name}ToFiles`] = { encryptSeconds: toFiles.encrypt.seconds, decryptSeconds: toFiles.decrypt.seconds }
    }
    // The disk's write-back of those gigabytes would otherwise land in the middle of the timed runs.
    spawnSync("sync")
    // Timed runs alternate between the tools, so both see the same machine.
    const timings = Object.fromEntries(Object.keys(tools).map((name) => [name, { encrypts: [] as Array<Timed>, decrypts: [] as Array<Timed> }]))
    for (let run = 0; run < runs; run++) {
      for (const [name, tool] of Object.entries(tools)) {
        timings[name]!.encrypts.push(tool.encrypt(devNull))
        timings[name]!.decrypts.push(tool.decrypt(join(dir, `${name}.enc`), devNull))
      }
    }
    for (const [name, { encrypts, decrypts }] of Object.entries(timings)) {
      const encryptS = median(encrypts.map((t) => t.seconds))
      const decryptS = median(decrypts.map((t) => t.seconds))
      figures[name] = {
        encryptMBps: round(mb / encryptS, 0),
        decryptMBps: round(mb / decryptS, 0),
        encryptRssMB: Math.max(...encrypts.map((t) => t.peakRssMB)),
        decryptRssMB: Math.max(...decrypts.map((t) => t.peakRssMB))
      }
      results[name] = { ...figures[name], encryptSeconds: encrypts.map((t) => t.seconds), decryptSeconds: decrypts.map((t) => t.seconds) }
    }
    const ours = figures.sigmavault!
    const age = figures.age!
    const ratio = { encrypt: round(ours.encryptMBps / age.encryptMBps, 2), decrypt: round(ours.decryptMBps / age.decryptMBps, 2) }
    return {
      name: `encrypt/decrypt ${mb} MiB with the compiled binary vs age 1.1.1, one recipient`,
      binary: binary.origin,
      sizeMB: mb,
      runs,
      ...results,
      ratio,
      goal: {
        text: ">= 1.5x age's throughput in each direction, peak RSS < 100 MB",
        met: ratio.encrypt >= 1.5 && ratio.decrypt >= 1.5 && ours.encryptRssMB < 100 && ours.decryptRssMB < 100
      },
      note: "wall-clock time of the whole process (start-up included) under /usr/bin/time, output to /dev/null (the input is in the page cache), median of the runs; peak RSS is the largest of the runs. *ToFiles: one run writing to files on this disk (the round trip checked against the input), where the disk sets the pace for both"
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
