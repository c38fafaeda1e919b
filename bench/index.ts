/**
 * `npm run bench`: runs every benchmark under Bun (the production runtime) and
 * prints one JSON document. BENCH_MESSAGES scales the throughput runs.
 * `socketAsk` and `startup` build and start the compiled binary (and
 * redis-server as their anchor); see bench/socket/.
 */
import { cpus, loadavg, totalmem, release } from "node:os"
import { runtimeName } from "./support.ts"
import { askLatency, crashRestart, fanOut, idleMemory, soak, tellThroughput } from "./runtime/runtime.bench.ts"
import { accessGate } from "./runtime/access.bench.ts"
import { socketAsk } from "./socket/socket.bench.ts"
import { startup } from "./socket/startup.bench.ts"
import { cliStartup } from "./cli/cli.bench.ts"
import { idleCpu } from "./socket/idle.bench.ts"
import { dbusAsk } from "./dbus/dbus.bench.ts"
import { bloom } from "./memory/bloom.bench.ts"
import { minhash } from "./memory/minhash.bench.ts"
import { hnsw } from "./memory/hnsw.bench.ts"
import { kem, vault } from "./vault/vault.bench.ts"
import { compress } from "./compress/compress.bench.ts"
import { store } from "./chunkstore/store.bench.ts"
import { oracle, smartParse, zpoolParse } from "./storage/storage.bench.ts"
import { inspect } from "./inspect/inspect.bench.ts"
import { shareApply } from "./shares/shares.bench.ts"
import { photonSample } from "./network/photon.bench.ts"
import { forgeDifferential } from "./forge/forge.bench.ts"
import { auditCompare } from "./fortress/audit.bench.ts"
import { wireguardPeer } from "./vpn/wireguard.bench.ts"
import { wireguardDifferential } from "./vpn/differential.bench.ts"
import { hashes, integrityVerify } from "./integrity/integrity.bench.ts"
import { builtinVsFio, estimate } from "./storagebench/storagebench.bench.ts"
import { migration } from "./migration/migration.bench.ts"
import { helixRetention } from "./snapshots/retention.bench.ts"
import { pipeRelay } from "./command/pipe.bench.ts"
import { history } from "./history/history.bench.ts"
import { metricsSampler } from "./history/sampler.bench.ts"
import { neural } from "./neural/tuning.bench.ts"
import { prism } from "./prism/prism.bench.ts"
import { nexus } from "./incidents/nexus.bench.ts"
import { axiom } from "./axiom/axiom.bench.ts"
import { canvas } from "./canvas/canvas.bench.ts"
import { streamTopics } from "./stream/stream.bench.ts"
import { flux } from "./flux/flux.bench.ts"
import { genesis } from "./genesis/genesis.bench.ts"
import { mentor } from "./mentor/mentor.bench.ts"
import { scribe } from "./scribe/scribe.bench.ts"
import { vanguard } from "./vanguard/vanguard.bench.ts"
import { apex } from "./apex/apex.bench.ts"

import { lingua } from "./lingua/lingua.bench.ts"

const benches = { tellThroughput, fanOut, askLatency, crashRestart, soak, idleMemory, accessGate, socketAsk, startup, cliStartup, idleCpu, dbusAsk, bloom, minhash, hnsw, vault, kem, compress, store, zpoolParse, smartParse, oracle, inspect, photonSample, forgeDifferential, auditCompare, wireguardPeer, wireguardDifferential, shareApply, hashes, integrityVerify, migration, helixRetention, pipeRelay, builtinVsFio, estimate, metricsSampler, neural, prism, nexus, axiom, canvas, history, streamTopics, genesis, flux, mentor, scribe, vanguard, apex, lingua }

const loadAverageAtStart = loadavg().map((x) => Math.round(x * 100) / 100)
const only = process.argv.slice(2)
const results: Array<unknown> = []
for (const [key, run] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(key)) continue
  process.stderr.write(`bench ${key}...\n`)
  try {
    results.push({ key, ...(await run()) })
  } catch (error) {
    // One failing benchmark must not lose the others' results: record it and exit non-zero.
    process.stderr.write(`bench ${key} failed: ${error instanceof Error ? error.stack : String(error)}\n`)
    results.push({ key, error: error instanceof Error ? error.message : String(error) })
    process.exitCode = 1
  }
}
/** The machine, so that a committed result (bench/results/) says what it was measured on; the load average before and after says how quiet it was. */
const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  kernel: release(),
  arch: process.arch,
  loadAverageAtStart,
  loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100)
}
process.stdout.write(JSON.stringify({ runtime: runtimeName(), date: new Date().toISOString(), machine, results }, null, 2) + "\n")
