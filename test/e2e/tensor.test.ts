/** compress, decompress and the chunk store through the compiled binary. */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync, existsSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import { describe, expect, it } from "vitest"
import { cli } from "./harness.ts"

const logText = Array.from({ length: 50_000 }, (_, i) => `2026-11-22T08:00:00Z INFO pool tank: scrub ${i} ok`).join("\n")

describe("compress and decompress", () => {
  it("chooses by content, round-trips, and refuses a corrupt file leaving no output", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-compress-"))
    const log = join(dir, "daemon.log")
    writeFileSync(log, logText)
    const made = await cli(["compress", log, "--json"])
    expect(made.code, made.stderr).toBe(0)
    const result = JSON.parse(made.stdout)
    expect(result.output).toBe(`${log}.svz`)
    expect(result.ratio).toBeGreaterThan(10)
    expect(result.strategy.codec).not.toBe("store")
    const back = await cli(["decompress", `${log}.svz`, "-o", join(dir, "back.log")])
    expect(back.code, back.stderr).toBe(0)
    expect(readFileSync(join(dir, "back.log"), "utf8")).toBe(logText)

    writeFileSync(join(dir, "a.gz"), gzipSync(Buffer.from(logText)))
    const gz = await cli(["compress", join(dir, "a.gz")])
    expect(gz.stderr).toMatch(/gzip data .*already compressed; store/)

    const bytes = readFileSync(`${log}.svz`)
    bytes.writeUInt8(bytes.readUInt8(Math.floor(bytes.length / 2)) ^ 0xff, Math.floor(bytes.length / 2))
    writeFileSync(join(dir, "bad.svz"), bytes)
    const bad = await cli(["decompress", join(dir, "bad.svz"), "-o", join(dir, "bad.out")])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/block|checksum|corrupt/i)
    expect(existsSync(join(dir, "bad.out"))).toBe(false)
    writeFileSync(join(dir, "short.svz"), bytes.subarray(0, 100))
    const short = await cli(["decompress", join(dir, "short.svz"), "-o", join(dir, "short.out")])
    expect([short.code, existsSync(join(dir, "short.out"))]).toEqual([1, false])
  })
})

describe("the chunk store", () => {
  it("init, add twice, ls, restore byte-identical with modes and mtimes, stats, verify catching a flipped bit, forget and gc", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-store-"))
    const repo = join(dir, "repo")
    const data = join(dir, "data")
    mkdirSync(join(data, "logs"), { recursive: true })
    writeFileSync(join(data, "logs", "a.log"), logText)
    writeFileSync(join(data, "script.sh"), "#!/bin/sh\necho scrub\n")
    chmodSync(join(data, "script.sh"), 0o750)
    utimesSync(join(data, "script.sh"), new Date("2025-01-02T03:04:05Z"), new Date("2025-01-02T03:04:05Z"))
    const on = (args: ReadonlyArray<string>) => cli(["store", ...args, "--repo", repo])

    expect((await on(["init"])).code).toBe(0)
    const first = await on(["add", data])
    expect(first.code, first.stderr).toBe(0)
    const snapshot = first.stdout.trim()
    writeFileSync(join(data, "logs", "b.log"), `${logText}\nmore`)
    expect((await on(["add", data])).code).toBe(0)
    const list = JSON.parse((await on(["ls", "--json"])).stdout)
    expect(list).toHaveLength(2)

    const target = join(dir, "restored")
    const restored = await on(["restore", snapshot, target])
    expect(restored.code, restored.stderr).toBe(0)
    // Each added directory is restored under its own name.
    const restoredRoot = join(target, "data")
    expect(readFileSync(join(restoredRoot, "logs", "a.log"), "utf8")).toBe(logText)
    expect(existsSync(join(restoredRoot, "logs", "b.log"))).toBe(false)
    expect(statSync(join(restoredRoot, "script.sh")).mode & 0o777).toBe(0o750)
    expect(statSync(join(restoredRoot, "script.sh")).mtime.toISOString()).toBe("2025-01-02T03:04:05.000Z")

    const stats = JSON.parse((await on(["stats", "--json"])).stdout)
    expect(stats.snapshots).toBe(2)
    expect(stats.dedupRatio).toBeGreaterThan(1.5)
    expect(stats.compressionRatio).toBeGreaterThan(5)
    expect((await on(["verify"])).code).toBe(0)

    const packsDir = readdirSync(repo).includes("packs") ? join(repo, "packs") : repo
    const packs = readdirSync(packsDir, { recursive: true }).map(String).filter((name) => statSync(join(packsDir, name)).isFile())
    const pack = join(packsDir, packs.sort((a, b) => statSync(join(packsDir, b)).size - statSync(join(packsDir, a)).size)[0]!)
    const bytes = readFileSync(pack)
    bytes.writeUInt8(bytes.readUInt8(Math.floor(bytes.length / 3)) ^ 0x01, Math.floor(bytes.length / 3))
    writeFileSync(pack, bytes)
    const damaged = await on(["verify"])
    expect(damaged.code).toBe(1)
    expect(damaged.stdout).toMatch(/damaged: snapshot [0-9a-f]{8} .*\.(log|sh)/)
  })
})
