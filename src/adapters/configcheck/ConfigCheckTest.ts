/**
 * ConfigCheck for tests: each check answers what the test scripts (by default,
 * accepted with no warnings), and every call is recorded, so a test can show
 * that a refused spec never reached a tool.
 */
import { Effect, Layer } from "effect"
import { CheckUnavailable, ConfigCheck, type UnitFile, type Verdict } from "./ConfigCheck.ts"

type Answer<I> = (input: I) => Verdict | CheckUnavailable

export interface Script {
  readonly smb?: Answer<string>
  readonly nfs?: Answer<string>
  readonly units?: Answer<ReadonlyArray<UnitFile>>
  readonly calendar?: Answer<string>
}

export interface ConfigCheckTest {
  readonly layer: Layer.Layer<ConfigCheck>
  /** Every check so far: "smb", "nfs", "units" or "calendar", and its input. */
  readonly calls: Array<{ readonly check: keyof Script; readonly input: unknown }>
}

const accept = (tool: string, reading = ""): Verdict => ({ accepted: true, tool, warnings: [], reading })

export const make = (script: Script = {}): ConfigCheckTest => {
  const calls: ConfigCheckTest["calls"] = []
  const answer = <I>(check: keyof Script, fallback: Answer<I>, given: Answer<I> | undefined) => (input: I) =>
    Effect.suspend(() => {
      calls.push({ check, input })
      const out = (given ?? fallback)(input)
      return out instanceof CheckUnavailable ? Effect.fail(out) : Effect.succeed(out)
    })
  const service = ConfigCheck.of({
    smb: answer("smb", () => accept("testparm -s --suppress-prompt"), script.smb),
    nfs: answer("nfs", () => accept("exportfs -ra"), script.nfs),
    units: answer("units", () => accept("systemd-analyze verify"), script.units),
    calendar: answer("calendar", (expression: string) => accept("systemd-analyze calendar", expression), script.calendar)
  })
  return { layer: Layer.succeed(ConfigCheck, service), calls }
}
