/** The Smart port over smartctl (smartmontools ≥ 7), run through the CommandRunner. */
import { Effect, Layer } from "effect"
import { CommandRunner } from "../command/Command.ts"
import { validateDevice } from "../command/names.ts"
import { parseScan, parseSmartReport } from "./parse.ts"
import { Smart, SmartNotInstalled } from "./Smart.ts"

/** A drive spinning up from standby can take half a minute to answer. */
const TIMEOUT_MS = 60_000

export const make = (runner: CommandRunner["Service"]): Smart["Service"] => {
  const smartctl = (args: ReadonlyArray<string>) =>
    runner.run("smartctl", args, { timeoutMs: TIMEOUT_MS }).pipe(
      Effect.catchTag("ToolMissing", () => Effect.fail(new SmartNotInstalled()))
    )
  return Smart.of({
    scan: Effect.flatMap(smartctl(["--scan-open", "--json"]), (output) => Effect.fromResult(parseScan(output.stdout))),
    read: (device) =>
      Effect.gen(function*() {
        const checked = yield* Effect.fromResult(validateDevice(device))
        const path = checked.startsWith("/") ? checked : `/dev/${checked}`
        const output = yield* smartctl(["--json", "-x", path])
        return yield* Effect.fromResult(parseSmartReport(output.stdout, output.exitCode, path))
      })
  })
}

export const layer: Layer.Layer<Smart, never, CommandRunner> = Layer.effect(Smart, Effect.map(CommandRunner, make))
