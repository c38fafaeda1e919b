/**
 * Validation of messages that cross a boundary (socket, D-Bus, CLI). Messages
 * are objects discriminated by `type`; the standard runtime messages (ping,
 * status, describe) are accepted by every agent.
 */
import { Exit, Cause, Predicate, Schema, SchemaAST } from "effect"
import { type AgentMessage, STANDARD_MESSAGES, isStandardMessage } from "./Agent.ts"
import { InvalidMessage } from "./Errors.ts"

/** The `type` literals a message schema accepts, read from its AST. */
export const messageTypes = (schema: Schema.Top): ReadonlyArray<string> => {
  const out: Array<string> = []
  const visit = (ast: SchemaAST.AST): void => {
    if (ast._tag === "Union") {
      for (const member of ast.types) visit(member)
    } else if (ast._tag === "Objects") {
      for (const property of ast.propertySignatures) {
        if (property.name === "type" && property.type._tag === "Literal" && typeof property.type.literal === "string") {
          out.push(property.type.literal)
        }
      }
    }
  }
  visit(schema.ast)
  return out
}

export interface MessageValidator {
  readonly types: ReadonlyArray<string>
  readonly validate: (input: unknown) => Exit.Exit<AgentMessage, InvalidMessage>
}

export const makeValidator = (agent: string, schema: Schema.Decoder<AgentMessage>): MessageValidator => {
  const own = messageTypes(schema)
  const types = [...own, ...STANDARD_MESSAGES]
  const decode = Schema.decodeUnknownExit(schema)
  const invalid = (reason: string) => Exit.fail(new InvalidMessage({ agent, reason }))
  return {
    types,
    validate: (input) => {
      if (!Predicate.isObject(input) || Array.isArray(input) || !Predicate.isString((input as { type?: unknown }).type)) {
        return invalid("a message is a JSON object with a string \"type\" field, e.g. {\"type\":\"ping\"}")
      }
      const type = (input as { type: string }).type
      if (isStandardMessage(type)) {
        const extra = Object.keys(input).filter((key) => key !== "type")
        return extra.length === 0
          ? Exit.succeed({ type })
          : invalid(`'${type}' takes no fields, got: ${extra.join(", ")}`)
      }
      if (!own.includes(type)) {
        return invalid(`unknown message type '${type}'; ${agent} accepts: ${types.join(", ")}`)
      }
      const decoded = decode(input, { onExcessProperty: "error" })
      if (Exit.isSuccess(decoded)) return Exit.succeed(decoded.value)
      const error = Cause.squash(decoded.cause)
      const detail = Schema.isSchemaError(error) ? error.message : String(error)
      return invalid(`'${type}': ${detail.replace(/\n\s*/g, " ")}`)
    }
  }
}
