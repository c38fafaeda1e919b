/**
 * ARBITER in the compiled binary, as an administrator sees it: a lease taken
 * with `sigmavault ask`, a conflicting request refused naming the holder, the
 * listing, the leases kept across a restart of the daemon (inherited), and
 * OMNISCIENT's order of competing jobs given them.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { cli, type Daemon, startDaemon } from "./harness.ts"

describe("leases in the binary", () => {
  const dir = mkdtempSync(join(tmpdir(), `sigmavault-e2e-leases-${process.pid}-`))
  let daemon: Daemon | undefined

  const ask = async (agent: string, message: unknown) => {
    const result = await cli(["ask", agent, JSON.stringify(message), "--json", "--socket", daemon!.socket])
    return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : undefined }
  }

  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    rmSync(dir, { recursive: true, force: true })
  })

  it("a lease is granted, a conflicting one refused naming the holder, and the leases survive a restart of the daemon", async () => {
    daemon = await startDaemon({ dir })
    const granted = await ask("ARBITER", { type: "acquire", resource: "pool:tank", job: "scrub", holder: "LATTICE", ttlSeconds: 3600, outlivesDaemon: true })
    expect(granted.code, granted.stderr).toBe(0)
    expect(granted.json).toMatchObject({ id: "lease-1", resource: "pool:tank", job: "scrub", holder: "LATTICE", caller: expect.stringMatching(/^uid 0 \(socket, pid \d+\)$/), ttlSeconds: 3600, outlivesDaemon: true, inherited: false })

    const refused = await ask("ARBITER", { type: "acquire", resource: "dataset:tank/photos", job: "benchmark", holder: "VELOCITY" })
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain("dataset:tank/photos is busy: LATTICE holds pool:tank for scrub (lease lease-1, until")
    expect(refused.stderr).toContain("a scrub distorts a benchmark's figures")

    const hostile = await ask("ARBITER", { type: "acquire", resource: "path:/srv/../etc", job: "migration", holder: "MORPH" })
    expect(hostile.code).not.toBe(0)
    expect(hostile.stderr).toMatch(/resource/)

    // Two reads share; the listing shows both leases.
    expect((await ask("ARBITER", { type: "acquire", resource: "path:/srv/photos", job: "verify", holder: "TENSOR" })).code).toBe(0)
    const listed = await ask("ARBITER", { type: "leases" })
    expect(listed.json.leases.map((l: { id: string; holder: string; job: string; resource: string }) => `${l.id} ${l.holder} ${l.job} ${l.resource}`)).toEqual([
      "lease-1 LATTICE scrub pool:tank",
      "lease-2 TENSOR verify path:/srv/photos"
    ])
    // Without --json, what a person reads.
    const human = await cli(["ask", "ARBITER", JSON.stringify({ type: "leases" }), "--socket", daemon.socket])
    expect(human.code).toBe(0)
    expect(human.stdout).toContain("LATTICE")

    const order = await ask("OMNISCIENT", { type: "prioritise", jobs: [{ job: "benchmark", resource: "dataset:tank/vm" }, { job: "verify", resource: "path:/srv" }] })
    expect(order.code, order.stderr).toBe(0)
    expect(order.json.order.map((p: { job: string; wave: number }) => `${p.wave} ${p.job}`)).toEqual(["1 verify", "2 benchmark"])
    expect(order.json.order[1].waitsFor[0]).toMatch(/^lease-1 \(LATTICE scrub on pool:tank until /)

    // The daemon restarts: the scrub's lease is kept (inherited: a scrub runs on in the kernel); the verification ended with its holder.
    daemon.process.kill("SIGTERM")
    expect(await daemon.exited).toBe(0)
    daemon = await startDaemon({ dir })
    const after = await ask("ARBITER", { type: "leases" })
    expect(after.json.leases.map((l: { id: string; inherited: boolean }) => `${l.id} ${l.inherited}`)).toEqual(["lease-1 true"])
    const still = await ask("ARBITER", { type: "acquire", resource: "pool:tank", job: "resilver", holder: "LATTICE" })
    expect(still.stderr).toContain("LATTICE holds pool:tank for scrub (lease lease-1")
    expect((await ask("ARBITER", { type: "release", lease: "lease-1" })).code).toBe(0)
    const next = await ask("ARBITER", { type: "acquire", resource: "pool:tank", job: "resilver", holder: "LATTICE" })
    expect(next.json.id, "ids are never reused").toBe("lease-3")
  }, 60_000)
})
