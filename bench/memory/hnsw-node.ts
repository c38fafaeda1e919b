/**
 * Entry point of the HNSW benchmark's Node run: hnsw.bench.ts bundles this
 * file for Node (Node 20 cannot run .ts) and starts it as
 * `node --expose-gc <bundle> <config as JSON>`; it prints its figures as JSON.
 * Without an argument it reads BENCH_HNSW_* like the Bun run.
 */
import { configFromEnv, measureHnsw, type HnswBenchConfig } from "./hnsw-measure.ts"

const given = process.argv[2]
const config: HnswBenchConfig = given === undefined ? configFromEnv() : JSON.parse(given)
process.stdout.write(JSON.stringify(measureHnsw(config)) + "\n")
