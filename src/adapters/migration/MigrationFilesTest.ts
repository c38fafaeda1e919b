/**
 * MigrationFiles for tests: the live operations on the real filesystem (a
 * temporary directory), all in the test's process and identity, with the
 * confinement given. What the kernel refuses another caller is the live
 * helper's to show (test/e2e/security.test.ts).
 */
import { Effect, Layer } from "effect"
import type { Confinement } from "../fs/CallerFiles.ts"
import { MigrationFiles, type MigrationFilesShape } from "./MigrationFiles.ts"
import { make as makeLive } from "./MigrationFilesLive.ts"

export const make = (options: { readonly journalDir: string } & Confinement): MigrationFilesShape =>
  makeLive({ journalDir: options.journalDir, confinement: Effect.succeed({ roots: options.roots, forbidden: options.forbidden }) })

export const layer = (options: { readonly journalDir: string } & Confinement): Layer.Layer<MigrationFiles> => Layer.succeed(MigrationFiles, make(options))
