/**
 * The check every message crossing a boundary (socket, D-Bus, CLI, a typed
 * call) goes through: an object with a string `type` the agent's protocol
 * declares, whose fields that message's request schema accepts.
 */
import { Exit, Predicate } from "effect"
import type { AgentMessage } from "../Agent.ts"
import { InvalidMessage } from "../Errors.ts"
import * as Protocol from "../Protocol.ts"

export interface MessageValidator {
  readonly validate: (input: unknown) => Exit.Exit<AgentMessage, InvalidMessage>
}

export const makeValidator = (agent: string, protocol: Protocol.AnyProtocol): MessageValidator => {
  const invalid = (reason: string) => Exit.fail(new InvalidMessage({ agent, reason }))
  return {
    validate: (input) => {
      if (!Predicate.isObject(input) || Array.isArray(input) || !Predicate.isString((input as { type?: unknown }).type)) {
        return invalid("a message is a JSON object with a string \"type\" field, e.g. {\"type\":\"ping\"}")
      }
      const type = (input as { type: string }).type
      const message = protocol.get(type)
      if (message === undefined) {
        return invalid(`unknown message type '${type}'; ${agent} accepts: ${protocol.types.join(", ")}`)
      }
      const codecs = Protocol.codecs(message)
      // Most traffic (ping, status, list…) is a bare {type}: nothing to decode.
      if (codecs.fieldless && Object.keys(input).length === 1) return Exit.succeed({ type })
      const decoded = codecs.decodeRequest(input)
      if (Exit.isSuccess(decoded)) return Exit.succeed(decoded.value as AgentMessage)
      return invalid(`'${type}': ${Protocol.failureText(decoded.cause)}`)
    }
  }
}
