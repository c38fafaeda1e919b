/**
 * The check every message crossing a boundary (socket, D-Bus, CLI, a typed
 * call) goes through (Protocol.checkRequest), failing as the runtime's
 * InvalidMessage, which names the agent.
 */
import { Exit, Result } from "effect"
import type { AgentMessage } from "../Agent.ts"
import { InvalidMessage } from "../Errors.ts"
import * as Protocol from "../Protocol.ts"

export interface MessageValidator {
  readonly validate: (input: unknown) => Exit.Exit<AgentMessage, InvalidMessage>
}

export const makeValidator = (agent: string, protocol: Protocol.AnyProtocol): MessageValidator => ({
  validate: (input) => {
    const checked = Protocol.checkRequest(protocol, input)
    return Result.isSuccess(checked)
      ? Exit.succeed(checked.success as AgentMessage)
      : Exit.fail(new InvalidMessage({ agent, reason: checked.failure }))
  }
})
