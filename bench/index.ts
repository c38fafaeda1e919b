/**
 * `npm run bench`: runs every benchmark under Bun (the production runtime) and
 * prints one JSON document. BENCH_MESSAGES scales the throughput runs.
 */
import { runtimeName } from "./support.ts"
import { askLatency, crashRestart, fanOut, idleMemory, soak, tellThroughput } from "./runtime/runtime.bench.ts"

const benches = { tellThroughput, fanOut, askLatency, crashRestart, soak, idleMemory }
const only = process.argv.slice(2)

const results: Array<unknown> = []
for (const [key, run] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(key)) continue
  process.stderr.write(`bench ${key}...\n`)
  results.push({ key, ...(await run()) })
}
process.stdout.write(JSON.stringify({ runtime: runtimeName(), date: new Date().toISOString(), results }, null, 2) + "\n")
