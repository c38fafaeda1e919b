import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"

export const T0 = Date.UTC(2026, 0, 1)

/** A temporary directory named with this process's pid, removed with the scope. */
export const tempDir = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), `sigmavault-history-${process.pid}-`))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)
