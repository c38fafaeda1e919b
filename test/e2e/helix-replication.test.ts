/**
 * HELIX's replication and path snapshots in the compiled binary, asked over
 * the control socket like an administrator would. Path snapshots run the
 * real rsync. Replication runs a stand-in `zfs` (no ZFS here) whose `send`
 * writes a stream of random bytes and whose `receive` keeps what it reads:
 * the bytes go through the daemon's pipe (send | daemon | receive) intact.
 */
import { createHash, randomBytes } from "node:crypto"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { requireTools } from "../support/tools.ts"
import { cli, type Daemon, startDaemon } from "./harness.ts"

requireTools("rsync")

/** A stand-in zfs: snapshots from files, send = the stream file, receive = appends what it reads. */
const ZFS = `#!/bin/sh
dir=$(dirname "$0")
echo "zfs $*" >> "$dir/calls.log"
for last; do :; done
case "$1" in
  list)
    file="$dir/snaps/$(echo "$last" | tr / _)"
    if [ -f "$file" ]; then cat "$file"; else echo "cannot open '$last': dataset does not exist" >&2; exit 1; fi ;;
  get)
    if [ -f "$dir/snaps/$(echo "$last" | tr / _)" ]; then echo "-"; else echo "cannot open '$last': dataset does not exist" >&2; exit 1; fi ;;
  send)
    if [ "$2" = "-n" ]; then printf 'size\\t%s\\n' "$(wc -c < "$dir/stream.bin")"; else cat "$dir/stream.bin"; fi ;;
  receive) cat >> "$dir/received.bin" ;;
  hold|release) ;;
  *) echo "zfs (stand-in): no answer for: $*" >&2; exit 2 ;;
esac
`

let daemon: Daemon
let dir: string
let bin: string

const ask = async (message: unknown) => {
  const result = await cli(["ask", "HELIX", JSON.stringify(message), "--json", "--socket", daemon.socket])
  return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : undefined }
}

describe("HELIX replication and path snapshots in the binary", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(realpathSync(tmpdir()), `sigmavault-e2e-helix-${process.pid}-`))
    bin = join(dir, "bin")
    mkdirSync(join(bin, "snaps"), { recursive: true })
    writeFileSync(join(bin, "zfs"), ZFS)
    chmodSync(join(bin, "zfs"), 0o755)
    daemon = await startDaemon({ dir, env: { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}` } })
  }, 30_000)
  afterAll(() => {
    daemon?.process.kill("SIGTERM")
    rmSync(dir, { recursive: true, force: true })
  })

  it("path snapshots: planned, then taken with real rsync; unchanged files are hard links to the previous snapshot, a changed one is not", async () => {
    const source = join(dir, "photos")
    const root = join(dir, "snapshots")
    mkdirSync(source)
    writeFileSync(join(source, "cat.jpg"), "a cat\n")
    writeFileSync(join(source, "dog.jpg"), "a dog\n")
    const plan = await ask({ type: "path-snapshot", source, root, name: "one" })
    expect(plan.stderr).toBe("")
    expect(plan.json.rsync).toMatchObject({ command: ["rsync", "-a", "-H", "-A", "-X", "--numeric-ids", "--one-file-system", `${source}/`, `${root}/.sigmavault/partial-one/`], executed: false })
    expect(existsSync(root)).toBe(false)
    expect((await ask({ type: "path-snapshot", source, root, name: "one", confirm: true })).json.rsync.executed).toBe(true)
    writeFileSync(join(source, "dog.jpg"), "a different dog\n")
    const second = await ask({ type: "path-snapshot", source, root, period: "hourly", confirm: true })
    expect(second.json.linkDest).toBe(join(root, "one"))
    expect(second.json.name).toMatch(/^autosnap_\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d_hourly$/)
    const two = second.json.path as string
    expect(statSync(join(two, "cat.jpg")).ino).toBe(statSync(join(root, "one", "cat.jpg")).ino)
    expect(statSync(join(two, "dog.jpg")).ino).not.toBe(statSync(join(root, "one", "dog.jpg")).ino)
    expect(readFileSync(join(root, "one", "dog.jpg"), "utf8")).toBe("a dog\n")
    const listed = await ask({ type: "path-snapshots", root })
    expect(listed.json.snapshots.map((s: { name: string }) => s.name)).toEqual(["one", second.json.name])
    const prune = await ask({ type: "path-prune", root })
    expect(prune.json.dryRun).toBe(true)
    expect(prune.json.decisions.find((d: { snapshot: string }) => d.snapshot === "one")).toMatchObject({ action: "keep" })
  })

  it("paths outside the file roots are refused before rsync runs, naming the field", async () => {
    const refused = await ask({ type: "path-snapshot", source: "/etc", root: join(dir, "snapshots"), confirm: true })
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/source '\/etc' cannot be used: file jobs never use \/etc/)
    const hostile = await ask({ type: "path-snapshot", source: join(dir, "photos"), root: join(dir, "snapshots"), name: "../../up", confirm: true })
    expect(hostile.code).not.toBe(0)
    expect(hostile.stderr).toMatch(/name/)
  })

  it("replicate: the plan shows both argv; confirmed, every byte zfs send writes reaches zfs receive through the daemon, and the newest snapshot is held on both sides", async () => {
    const stream = randomBytes(3 * 1024 * 1024 + 11)
    writeFileSync(join(bin, "stream.bin"), stream)
    writeFileSync(join(bin, "snaps", "tank_photos"), "tank/photos@a\t101\t10\t1700000010\ntank/photos@b\t102\t20\t1700000020\n")
    const plan = await ask({ type: "replicate", dataset: "tank/photos", target: "backup/photos" })
    expect(plan.stderr).toBe("")
    expect(plan.json.steps.map((s: { display: string }) => s.display)).toEqual([
      "zfs send tank/photos@a | zfs receive -s -F backup/photos",
      "zfs send -I tank/photos@a tank/photos@b | zfs receive -s -F backup/photos"
    ])
    expect(existsSync(join(bin, "received.bin"))).toBe(false)
    const done = await ask({ type: "replicate", dataset: "tank/photos", target: "backup/photos", confirm: true })
    expect(done.stderr).toBe("")
    expect(done.json.executed).toBe(true)
    expect(done.json.bytes).toBe(2 * stream.length)
    expect(done.json.steps.map((s: { bytes: number; estimatedBytes: number }) => [s.bytes, s.estimatedBytes])).toEqual([[stream.length, stream.length], [stream.length, stream.length]])
    const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")
    expect(sha(readFileSync(join(bin, "received.bin")))).toBe(sha(Buffer.concat([stream, stream])))
    const calls = readFileSync(join(bin, "calls.log"), "utf8")
    expect(calls).toContain("zfs hold sigmavault-repl:backup/photos tank/photos@b backup/photos@b\n")
    const pairs = await ask({ type: "replication-pairs" })
    expect(pairs.json.pairs).toMatchObject([{ dataset: "tank/photos", target: "backup/photos", common: { source: "tank/photos@b", target: "backup/photos@b" } }])
  })

  it("replicate refuses a target inside its source, and a hostile target never reaches zfs", async () => {
    const inside = await ask({ type: "replicate", dataset: "tank/photos", target: "tank/photos/copy", confirm: true })
    expect(inside.stderr).toMatch(/cannot replicate tank\/photos to tank\/photos\/copy: one is the other or inside it/)
    const before = readFileSync(join(bin, "calls.log"), "utf8")
    const hostile = await ask({ type: "replicate", dataset: "tank/photos", target: "backup/$(reboot)", confirm: true })
    expect(hostile.code).not.toBe(0)
    expect(hostile.stderr).toMatch(/target/)
    expect(readFileSync(join(bin, "calls.log"), "utf8")).toBe(before)
  })
})
