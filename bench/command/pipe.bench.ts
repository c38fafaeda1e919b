/**
 * The daemon's pipe (CommandStreams.pipe: `cat FILE | wc -c` with the bytes
 * relayed and counted by the daemon, as `zfs send | zfs receive` runs) against
 * the anchor, the same two tools joined by a kernel pipe (`sh -c 'cat FILE | wc -c'`),
 * in the same run, alternating. The ratio is the relay's throughput over the
 * kernel pipe's; the relay is measured with each side in a process group of
 * its own too (`processGroups`, what rsync snapshots use), which under Bun was
 * two to three times slower here.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { make } from "../../src/adapters/command/StreamsLive.ts"
import { now, round } from "../support.ts"

const SIZE = 512 * 1024 * 1024
const RUNS = 5

export const pipeRelay = async () => {
  const dir = mkdtempSync(join(tmpdir(), `sv-pipe-bench-${process.pid}-`))
  try {
    const file = join(dir, "data.bin")
    const chunk = Buffer.alloc(1024 * 1024)
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) & 0xff
    writeFileSync(file, Buffer.concat(Array.from({ length: SIZE / chunk.length }, () => chunk)))
    const streams = make({ timeoutMs: 600_000 })
    const ours: Array<number> = []
    const anchor: Array<number> = []
    const grouped: Array<number> = []
    for (let run = 0; run < RUNS; run++) {
      let start = now()
      const out = await Effect.runPromise(streams.pipe({ tool: "cat", args: [file] }, { tool: "wc", args: ["-c"] }))
      ours.push((now() - start) / 1000)
      if (out.bytes !== SIZE || Number(out.stdout.trim()) !== SIZE) throw new Error(`the relay lost bytes: ${out.bytes}, wc says ${out.stdout}`)
      start = now()
      await Effect.runPromise(streams.pipe({ tool: "cat", args: [file] }, { tool: "wc", args: ["-c"] }, { processGroups: true }))
      grouped.push((now() - start) / 1000)
      start = now()
      execFileSync("sh", ["-c", `cat '${file}' | wc -c`])
      anchor.push((now() - start) / 1000)
    }
    const median = (xs: Array<number>) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const mbps = (seconds: number) => round(SIZE / 1e6 / seconds, 0)
    const relay = mbps(median(ours))
    const kernel = mbps(median(anchor))
    const groups = mbps(median(grouped))
    return {
      bytes: SIZE,
      runs: RUNS,
      relayMBps: relay,
      relayProcessGroupsMBps: groups,
      kernelPipeMBps: kernel,
      ratioRelayOverKernelPipe: round(relay / kernel),
      ratioRelayProcessGroupsOverKernelPipe: round(groups / kernel)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
