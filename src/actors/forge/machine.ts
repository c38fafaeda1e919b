/**
 * FORGE's machine. Built so far: `render-wireguard` (./wireguard.ts); the
 * other renders and `validate` are still planned in this branch.
 */
import { AgentEnv } from "../../runtime/Agent.ts"
import { Effect } from "effect"
import { serviceMachine } from "../shared/serve.ts"
import { Forge } from "./messages.ts"
import { renderWireguard } from "./wireguard.ts"

export const forgeMachine = Effect.gen(function*() {
  yield* AgentEnv
  return yield* serviceMachine(Forge, {
    handlers: {
      "render-wireguard": (message) => renderWireguard(message)
    }
  })
})
