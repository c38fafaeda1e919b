/** Tests that run a real tool: a missing one fails the test, naming it (never a silent skip). */
import { accessSync, constants } from "node:fs"
import { delimiter, join } from "node:path"

export const requireTools = (...tools: ReadonlyArray<string>) => {
  const path = (process.env.PATH ?? "").split(delimiter).concat(["/usr/sbin", "/sbin"])
  for (const tool of tools) {
    const found = path.some((dir) => {
      try {
        accessSync(join(dir, tool), constants.X_OK)
        return true
      } catch {
        return false
      }
    })
    if (!found) throw new Error(`${tool} is not installed: this test runs the real tool (see .ci/run)`)
  }
}
