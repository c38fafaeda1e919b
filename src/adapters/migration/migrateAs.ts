/**
 * The migration helper: `sigmavault __migrate-as UID GID GROUPS UMASK`, a
 * short-lived child of the daemon that takes on a caller's identity and
 * runs a migration's filesystem operations (treeOps.ts) as that caller, one
 * JSON request a line on its input, one JSON answer a line on its output.
 * It stops when its input closes (the job ended, or the daemon died).
 */
import { createInterface } from "node:readline"
import { parseIdentity, takeIdentity } from "../fs/takeIdentity.ts"
import { type OpRequest, perform } from "./treeOps.ts"

export type HelperAnswer =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly code: string; readonly message: string }

export const runMigrateAs = (args: ReadonlyArray<string>): Promise<number> => {
  const identity = parseIdentity(args)
  if (identity === undefined) {
    process.stderr.write("sigmavault __migrate-as: expected UID GID GROUPS UMASK (the daemon's migration helper; not for use by hand)\n")
    return Promise.resolve(2)
  }
  const refused = takeIdentity(identity)
  if (refused !== undefined) {
    process.stdout.write(`${JSON.stringify({ ok: false, code: "EPERM", message: refused })}\n`)
    return Promise.resolve(1)
  }
  process.stdout.write(`${JSON.stringify({ ok: true, value: null })}\n`)
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
    // One request at a time, answered in order.
    let queue = Promise.resolve()
    lines.on("line", (line) => {
      queue = queue.then(async () => {
        let answer: HelperAnswer
        try {
          answer = { ok: true, value: (await perform(JSON.parse(line) as OpRequest)) ?? null }
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code
          answer = { ok: false, code: typeof code === "string" ? code : "EIO", message: error instanceof Error ? error.message : String(error) }
        }
        process.stdout.write(`${JSON.stringify(answer)}\n`)
      })
    })
    lines.on("close", () => void queue.then(() => resolve(0)))
  })
}
