/** CORE answers `facts` by reading them afresh through the SystemFacts port. */
import { Effect } from "effect"
import { SystemFacts } from "../../adapters/system/SystemFacts.ts"
import { serviceMachine } from "../shared/serve.ts"
import { Core } from "./messages.ts"

export const coreMachine = Effect.gen(function*() {
  const system = yield* SystemFacts
  return yield* serviceMachine(Core, { handlers: { facts: () => system.facts } })
})
