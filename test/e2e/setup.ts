/**
 * Builds the host binary the end-to-end tests drive (or uses SIGMAVAULT_BINARY
 * when given, e.g. to test a release build).
 */
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { join } from "node:path"
import type { TestProject } from "vitest/node"

declare module "vitest" {
  export interface ProvidedContext {
    binary: string
  }
}

export default function setup(project: TestProject) {
  const root = join(import.meta.dirname, "..", "..")
  let binary = process.env.SIGMAVAULT_BINARY
  if (binary === undefined) {
    // The release build for this machine's architecture, without its smoke tests (the suite is the test).
    const build = spawnSync(join(root, "node_modules", ".bin", "bun"), ["tools/build.ts", "--host-only", "--no-smoke"], {
      cwd: root,
      encoding: "utf8"
    })
    if (build.status !== 0) throw new Error(`building the binary for the end-to-end tests failed:\n${build.stdout}${build.stderr}`)
    binary = join(root, "dist", `sigmavault-linux-${process.arch === "arm64" ? "arm64" : "x64"}`)
  }
  if (!existsSync(binary)) throw new Error(`no sigmavault binary at ${binary}`)
  project.provide("binary", binary)
}
