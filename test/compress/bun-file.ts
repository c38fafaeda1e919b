/**
 * Run under Bun by CrossRuntime.test.ts: compresses or decompresses one file
 * with the library as the production binary would, and prints the result as
 * JSON. Usage: bun test/compress/bun-file.ts compress|decompress IN OUT
 */
import { Effect } from "effect"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as Compress from "../../src/compress/Compress.ts"

const [mode, inPath, outPath] = process.argv.slice(2)
if (inPath === undefined || outPath === undefined) throw new Error("usage: bun-file.ts compress|decompress IN OUT")
const result: unknown = mode === "compress"
  ? await Effect.runPromise(
    Compress.compressFile(inPath, outPath, { codec: "zstd", level: 6, blockSize: Compress.MIN_BLOCK_SIZE }).pipe(Effect.provide(FilesLive.layerBlocking))
  )
  : await Effect.runPromise(Compress.decompressFile(inPath, outPath).pipe(Effect.provide(FilesLive.layer)))
process.stdout.write(JSON.stringify(result))
