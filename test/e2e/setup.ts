/**
 * Builds the host binary the end-to-end tests drive (or uses SIGMAVAULT_BINARY
 * when given, e.g. to test a release build).
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync } from "node:fs"
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
    mkdirSync(join(root, "dist"), { recursive: true })
    binary = join(root, "dist", "sigmavault-e2e")
    const build = spawnSync(
      join(root, "node_modules", ".bin", "bun"),
      ["build", "--compile", join(root, "src", "index.ts"), "--outfile", binary, "--define", "__SIGMAVAULT_COMMIT__=\"e2e\""],
      { cwd: root, encoding: "utf8" }
    )
    if (build.status !== 0) throw new Error(`building the binary for the end-to-end tests failed:\n${build.stderr}`)
  }
  if (!existsSync(binary)) throw new Error(`no sigmavault binary at ${binary}`)
  project.provide("binary", binary)
}
