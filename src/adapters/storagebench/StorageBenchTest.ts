/**
 * StorageBench for tests: fio answers from canned `--output-format=json`
 * documents (captured from real runs, test/fixtures/fio/), read with the live
 * parser; every run is recorded with its exact argv, and every file prepared.
 * Without `fioVersion` it is a machine without fio. The built-in engine
 * answers `builtin` when given, or fails like a filesystem that refuses.
 */
import { Effect, Layer, Result } from "effect"
import { FileError } from "../fs/Files.ts"
import { fioArgv, parseFioJson, presetResultOf, type PresetName } from "./fio.ts"
import { type FioError, type FioRun, FioJobFailed, type PresetResult, StorageBench, type StorageBenchShape } from "./StorageBench.ts"

export interface StorageBenchTestOptions {
  readonly fioVersion?: string
  /** fio's JSON output per preset. */
  readonly reports?: Partial<Readonly<Record<PresetName, string>>>
  readonly builtin?: ReadonlyArray<PresetResult>
}

export interface StorageBenchTest {
  readonly service: StorageBenchShape
  readonly layer: Layer.Layer<StorageBench>
  /** Every fio run: "fio arg arg …". */
  readonly runs: Array<string>
  /** Every file prepared, with its size. */
  readonly prepared: Array<{ readonly file: string; readonly sizeBytes: number }>
}

export const make = (options: StorageBenchTestOptions = {}): StorageBenchTest => {
  const runs: Array<string> = []
  const prepared: Array<{ readonly file: string; readonly sizeBytes: number }> = []
  const runFio = (run: FioRun): Effect.Effect<PresetResult, FioError> =>
    Effect.suspend((): Effect.Effect<PresetResult, FioError> => {
      const argv = fioArgv(run)
      runs.push(["fio", ...argv].join(" "))
      const text = options.reports?.[run.preset]
      if (text === undefined) return Effect.fail(new FioJobFailed({ preset: run.preset, errno: 2, detail: "fio (test): no canned output for this preset" }))
      const parsed = parseFioJson(text)
      if (Result.isFailure(parsed)) return Effect.fail(parsed.failure)
      return Effect.succeed(presetResultOf(parsed.success, run, argv) as PresetResult)
    })
  const service = StorageBench.of({
    fio: Effect.succeed(options.fioVersion === undefined ? { available: false, reason: "fio is not installed (not found on PATH)" } : { available: true, version: options.fioVersion }),
    prepare: (file, sizeBytes) => Effect.sync(() => void prepared.push({ file, sizeBytes })),
    runFio,
    builtin: (run) =>
      options.builtin === undefined
        ? Effect.fail(new FileError({ reason: "Other", operation: "benchmark", path: run.file, detail: "no built-in results in this test" }))
        : Effect.succeed(options.builtin)
  })
  return { service, layer: Layer.succeed(StorageBench, service), runs, prepared }
}
