/** Units and their states in memory; a unit it was not given is "inactive", as systemctl says; `failing` units fail to answer. */
import { Effect, Layer } from "effect"
import { ServiceManager, ServiceManagerError, type UnitState, validateUnitName } from "./ServiceManager.ts"

export interface FakeServiceManager {
  readonly states: Map<string, UnitState>
  readonly failing: Set<string>
  /** Every unit queried, in order (after validation). */
  readonly queried: Array<string>
  readonly layer: Layer.Layer<ServiceManager>
}

export const make = (initial: Readonly<Record<string, UnitState>> = {}): FakeServiceManager => {
  const fake = { states: new Map(Object.entries(initial)), failing: new Set<string>(), queried: [] as Array<string> }
  const service = ServiceManager.of({
    isActive: (input) =>
      Effect.gen(function*() {
        const unit = yield* Effect.fromResult(validateUnitName(input))
        fake.queried.push(unit)
        if (fake.failing.has(unit)) return yield* Effect.fail(new ServiceManagerError({ unit, reason: "systemctl timed out" }))
        return fake.states.get(unit) ?? "inactive"
      })
  })
  return Object.assign(fake, { layer: Layer.succeed(ServiceManager, service) })
}
