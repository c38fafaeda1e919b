/**
 * MNEMONIC in the compiled binary: NEURAL remembers over the control socket,
 * the embedded hnswlib addon answers similarity queries, and collections
 * survive a graceful restart and a SIGKILL.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { cli, type Daemon, startDaemon } from "./harness.ts"

const ask = async (daemon: Daemon, message: unknown) => {
  const result = await cli(["ask", "NEURAL", JSON.stringify(message), "--json", "--socket", daemon.socket])
  return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : undefined }
}

const stop = async (daemon: Daemon, signal: NodeJS.Signals = "SIGTERM") => {
  daemon.process.kill(signal)
  return daemon.exited
}

const incidents = [
  "pool tank degraded: disk sdb faulted after 12 checksum errors during scrub",
  "SMART: disk sda reallocated sector count rose from 0 to 8 in one day",
  "share media exported over NFS to 192.168.1.0/24 with root squash"
]

describe("MNEMONIC through NEURAL", () => {
  it("remembers, recalls by each layer, and keeps collections across a restart and a SIGKILL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-memory-"))
    let daemon = await startDaemon({ dir })
    for (const [i, text] of incidents.entries()) {
      const done = await ask(daemon, { type: "remember", collection: "incidents", id: `i${i}`, text, meta: { n: i } })
      expect(done.stderr).toBe("")
      expect(done.json).toEqual({ collection: "incidents", id: `i${i}`, created: true, records: i + 1 })
    }
    const near = await ask(daemon, { type: "recall", collection: "incidents", text: incidents[1]!.replace("8", "9") })
    expect(near.json.layer).toBe("lsh")
    expect(near.json.matches.map((m: { id: string }) => m.id)).toEqual(["i1"])
    const similar = await ask(daemon, { type: "recall", collection: "incidents", text: "faulted disk in pool", k: 1, mode: "similar" })
    expect(similar.json).toMatchObject({ layer: "hnsw", matches: [{ id: "i0", meta: { n: 0 }, layer: "hnsw" }] })
    const absent = await ask(daemon, { type: "recall", collection: "incidents", text: "never seen", mode: "exact" })
    expect(absent.json).toMatchObject({ layer: "bloom", matches: [] })

    expect(await stop(daemon)).toBe(0)
    expect(readdirSync(join(dir, "state", "memory")).sort()).toEqual(["incidents.journal", "incidents.snapshot"])

    daemon = await startDaemon({ dir })
    const again = await ask(daemon, { type: "recall", collection: "incidents", text: incidents[2]!, mode: "exact" })
    expect(again.json).toMatchObject({ layer: "exact", matches: [{ id: "i2", score: 1 }] })
    // Acknowledged means journaled: a SIGKILL right after loses nothing.
    await ask(daemon, { type: "remember", collection: "incidents", id: "late", text: "fan failure on enclosure 2" })
    await stop(daemon, "SIGKILL")

    daemon = await startDaemon({ dir })
    const stats = await ask(daemon, { type: "stats" })
    expect(stats.json.collections).toEqual([expect.objectContaining({ name: "incidents", status: "not-loaded" })])
    const late = await ask(daemon, { type: "get", collection: "incidents", id: "late" })
    expect(late.json).toMatchObject({ id: "late", text: "fan failure on enclosure 2" })
    await stop(daemon)
  })

  it("a corrupt collection file is reported for that collection; the daemon and other collections carry on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-memory-"))
    const memoryDir = join(dir, "state", "memory")
    let daemon = await startDaemon({ dir })
    await ask(daemon, { type: "remember", collection: "good", id: "a", vector: [1, 2, 3] })
    await ask(daemon, { type: "remember", collection: "bad", id: "a", vector: [1, 2, 3] })
    expect(await stop(daemon)).toBe(0)
    writeFileSync(join(memoryDir, "bad.snapshot"), "not a snapshot at all")

    daemon = await startDaemon({ dir })
    const refused = await ask(daemon, { type: "recall", collection: "bad", vector: [1, 2, 3] })
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/memory collection 'bad' is unavailable: snapshot .*bad\.snapshot is corrupt/)
    const fine = await ask(daemon, { type: "recall", collection: "good", vector: [1, 2, 3], mode: "exact" })
    expect(fine.json.matches.map((m: { id: string }) => m.id)).toEqual(["a"])
    const status = await cli(["status", "--json", "--socket", daemon.socket])
    expect(status.code).toBe(0)
    expect(existsSync(join(memoryDir, "bad.snapshot"))).toBe(true)
    expect(await stop(daemon)).toBe(0)
  })
})
