/**
 * An agent's protocol: for each message type, the request's schema, the
 * reply's schema, the typed rejections, and the access class a caller needs.
 * The one source every side reads: the runtime validates requests and checks
 * replies and rejections against it, the transports encode with it, and every
 * client — the CLI, the inspector, D-Bus, agents calling agents — decodes
 * with it. Modelled on effect/rpc's `Rpc` (a tag with payload, success and
 * error schemas), with the request discriminated by `type` as it travels on
 * every transport, and an access class next to each message so that a new
 * message cannot be added without one.
 *
 * Rejections are `Schema.TaggedError` classes: fields a program can branch on
 * (`_tag`, `pool`, `known`…) and a human text derived from them (`message`).
 * A message whose capability is not built yet is declared with `planned`: the
 * runtime answers it with `NotBuiltYet` without involving the machine.
 */
import { Cause, Exit, Result, Schema } from "effect"
import { type Access, AgentStatus, Description, type JsonSchema, type MessageDescription, Pong } from "./Status.ts"

export type { Access } from "./Status.ts"

/** A typed rejection: a Schema.TaggedError class whose `message` is derived from its fields. */
export type RejectionSchema = Schema.Top & { readonly Type: { readonly _tag: string; readonly message: string } }

export interface Message<
  Type extends string,
  Fields extends Schema.Struct.Fields,
  Reply extends Schema.Top,
  Rejections extends ReadonlyArray<RejectionSchema>,
  Planned extends string | undefined
> {
  readonly type: Type
  /** One line: what the message does, for `describe`, the inspector and docs. */
  readonly doc: string
  /** The least a caller must be allowed to send it. */
  readonly access: Access
  readonly request: Schema.Struct<{ readonly type: Schema.Literal<Type> } & Fields>
  readonly reply: Reply
  readonly rejections: Rejections
  /** The capability this message waits for; undefined once the agent handles it. */
  readonly planned: Planned
}

export type AnyMessage = Message<string, any, Schema.Top, ReadonlyArray<RejectionSchema>, string | undefined>

export type Request<M extends AnyMessage> = M["request"]["Type"]
export type Reply<M extends AnyMessage> = M["reply"]["Type"]
export type Rejection<M extends AnyMessage> = M["rejections"][number]["Type"]

/** The runtime answers any message with these itself: a capability not built yet, or a state that does not take it. */
export class NotBuiltYet extends Schema.TaggedError<NotBuiltYet>()("NotBuiltYet", {
  capability: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return `not built yet: ${this.detail} (capability '${this.capability}')`
  }
}

export class NotAccepted extends Schema.TaggedError<NotAccepted>()("NotAccepted", {
  state: Schema.String
}) {
  override get message() {
    return `not accepted while in state ${this.state}`
  }
}

export const UNIVERSAL_REJECTIONS = [NotBuiltYet, NotAccepted] as const
export type UniversalRejection = NotBuiltYet | NotAccepted

interface CommonOptions<Fields extends Schema.Struct.Fields> {
  readonly doc: string
  readonly access: Access
  /** The request's fields besides `type`. */
  readonly fields?: Fields
}

const requestSchema = <Type extends string, Fields extends Schema.Struct.Fields>(type: Type, fields: Fields | undefined) =>
  Schema.Struct({ type: Schema.Literal(type), ...fields }) as unknown as Schema.Struct<
    { readonly type: Schema.Literal<Type> } & Fields
  >

/** A message the agent handles: its request fields, its reply, its rejections. */
export const message = <
  const Type extends string,
  Reply extends Schema.Top,
  const Fields extends Schema.Struct.Fields = {},
  const Rejections extends ReadonlyArray<RejectionSchema> = readonly []
>(
  type: Type,
  options: CommonOptions<Fields> & { readonly reply: Reply; readonly rejections?: Rejections }
): Message<Type, NoInfer<Fields>, NoInfer<Reply>, NoInfer<Rejections>, undefined> => ({
  type,
  doc: options.doc,
  access: options.access,
  request: requestSchema(type, options.fields),
  reply: options.reply,
  rejections: options.rejections ?? ([] as unknown as Rejections),
  planned: undefined
})

/**
 * A message the agent will handle once `capability` is built: its request is
 * checked as any other, and the runtime answers it with NotBuiltYet.
 */
export const planned = <const Type extends string, const Fields extends Schema.Struct.Fields = {}>(
  type: Type,
  options: CommonOptions<Fields> & { readonly capability: string }
): Message<Type, NoInfer<Fields>, Schema.Never, readonly [], string> => ({
  type,
  doc: options.doc,
  access: options.access,
  request: requestSchema(type, options.fields),
  reply: Schema.Never,
  rejections: [],
  planned: options.capability
})

// ---- the runtime's own messages, accepted by every agent -----------------------------

export const Ping = message("ping", { doc: "answers at once with the agent's state", access: "read", reply: Pong })
export const Status = message("status", {
  doc: "the agent's lifecycle, mailbox, handling times and restarts",
  access: "read",
  reply: AgentStatus
})
export const Describe = message("describe", {
  doc: "what the agent does and accepts: capabilities, states, recent messages, and each message's schemas",
  access: "read",
  reply: Description
})
export const STANDARD = [Ping, Status, Describe] as const
export type StandardType = (typeof STANDARD)[number]["type"]
export const isStandard = (type: string): type is StandardType => type === "ping" || type === "status" || type === "describe"

// ---- a protocol -------------------------------------------------------------------

export interface Protocol<Messages extends ReadonlyArray<AnyMessage>> {
  /** The agent that speaks it: typed callers send to this name. */
  readonly agent: string
  /** The agent's own messages (the standard ones are the runtime's). */
  readonly messages: Messages
  /** Every type the agent accepts: its own, then ping, status and describe. */
  readonly types: ReadonlyArray<string>
  /** A message by type, the standard ones included. */
  readonly get: (type: string) => AnyMessage | undefined
}

export type AnyProtocol = Protocol<ReadonlyArray<AnyMessage>>
export type MessageOf<P extends AnyProtocol> = P["messages"][number]
/** The requests of a protocol, as the agent's machine receives them. */
export type RequestOf<P extends AnyProtocol> = MessageOf<P> extends infer M ? M extends AnyMessage ? Request<M> : never : never
export type Typed<P extends AnyProtocol, T extends string> = Extract<MessageOf<P>, { readonly type: T }>
/** The messages a machine must handle: those not planned. */
export type BuiltOf<P extends AnyProtocol> = Extract<MessageOf<P>, { readonly planned: undefined }>

export const make = <const Messages extends ReadonlyArray<AnyMessage>>(agent: string, messages: Messages): Protocol<Messages> => {
  const byType = new Map<string, AnyMessage>()
  for (const m of [...messages, ...STANDARD]) {
    // A programming error in a messages.ts, found when the module loads (and by the roster test).
    if (byType.has(m.type)) throw new Error(`${agent} declares message type '${m.type}' twice (or redeclares a standard one)`)
    byType.set(m.type, m)
  }
  return { agent, messages, types: [...byType.keys()], get: (type) => byType.get(type) }
}

// ---- codecs -------------------------------------------------------------------------

export interface Codecs {
  /** The request has no fields besides `type` (ping, status, list…): `{type}` alone needs no decoding. */
  readonly fieldless: boolean
  /** Checks a request as it arrives; fields the schema does not know are refused. */
  readonly decodeRequest: (input: unknown) => Exit.Exit<unknown, Schema.SchemaError>
  /** Checks a reply the agent produced and gives its wire form. */
  readonly encodeReply: (value: unknown) => Exit.Exit<unknown, Schema.SchemaError>
  readonly decodeReply: (value: unknown) => Exit.Exit<unknown, Schema.SchemaError>
  /** Checks a rejection the agent produced (its own or a universal one) and gives its wire form. */
  readonly encodeRejection: (value: unknown) => Exit.Exit<unknown, Schema.SchemaError>
  readonly decodeRejection: (value: unknown) => Exit.Exit<{ readonly _tag: string; readonly message: string }, Schema.SchemaError>
}

const codecCache = new WeakMap<AnyMessage, Codecs>()
const strict = { onExcessProperty: "error" } as const

/** The message's codecs, built on first use (a CLI that decodes one reply builds one set). */
export const codecs = (m: AnyMessage): Codecs => {
  let found = codecCache.get(m)
  if (found === undefined) {
    const rejection = Schema.Union([...m.rejections, ...UNIVERSAL_REJECTIONS]) as unknown as Schema.Codec<
      { readonly _tag: string; readonly message: string },
      unknown
    >
    const decodeRequest = Schema.decodeUnknownExit(m.request as unknown as Schema.Codec<unknown, unknown>)
    const encodeReply = Schema.encodeUnknownExit(m.reply as unknown as Schema.Codec<unknown, unknown>)
    const decodeReply = Schema.decodeUnknownExit(m.reply as unknown as Schema.Codec<unknown, unknown>)
    const encodeRejection = Schema.encodeUnknownExit(rejection)
    const decodeRejection = Schema.decodeUnknownExit(rejection)
    found = {
      fieldless: Object.keys(m.request.fields).length === 1,
      decodeRequest: (input) => decodeRequest(input, strict),
      encodeReply: (value) => encodeReply(value),
      decodeReply: (value) => decodeReply(value),
      encodeRejection: (value) => encodeRejection(value),
      decodeRejection: (value) => decodeRejection(value)
    }
    codecCache.set(m, found)
  }
  return found
}

/**
 * Checks a message against a protocol, as every transport does: an object
 * with a string `type` the protocol declares, whose fields that message's
 * request schema accepts. The failure says, in one line, what was wrong.
 */
export const checkRequest = (protocol: AnyProtocol, input: unknown): Result.Result<{ readonly type: string }, string> => {
  if (typeof input !== "object" || input === null || Array.isArray(input) || typeof (input as { type?: unknown }).type !== "string") {
    return Result.fail("a message is a JSON object with a string \"type\" field, e.g. {\"type\":\"ping\"}")
  }
  const type = (input as { type: string }).type
  const message = protocol.get(type)
  if (message === undefined) return Result.fail(`unknown message type '${type}'; ${protocol.agent} accepts: ${protocol.types.join(", ")}`)
  const found = codecs(message)
  // Most traffic (ping, status, list…) is a bare {type}: nothing to decode.
  if (found.fieldless && Object.keys(input).length === 1) return Result.succeed({ type })
  const decoded = found.decodeRequest(input)
  return Exit.isSuccess(decoded)
    ? Result.succeed(decoded.value as { readonly type: string })
    : Result.fail(`'${type}': ${failureText(decoded.cause)}`)
}

/** A failed decode or encode as one line, for a caller to act on. */
export const failureText = (cause: Cause.Cause<Schema.SchemaError>): string => {
  const error = Cause.squash(cause)
  return (Schema.isSchemaError(error) ? error.message : String(error)).replace(/\n\s*/g, " ")
}

// ---- describe -----------------------------------------------------------------------

/**
 * The JSON Schema (draft 2020-12) of a schema, self-contained: its definitions
 * travel under `$defs`, where the document's `$ref`s point.
 */
export const jsonSchemaOf = (schema: Schema.Top): JsonSchema => {
  // toJsonSchemaDocument throws for a schema JSON Schema cannot express; the roster test keeps every protocol expressible.
  const document = Result.try(() => Schema.toJsonSchemaDocument(schema))
  if (Result.isFailure(document)) return { description: `not expressible in JSON Schema: ${String(document.failure)}` }
  const { schema: root, definitions } = document.success
  return (Object.keys(definitions).length === 0 ? root : { ...root, $defs: definitions }) as JsonSchema
}

const descriptions = new WeakMap<AnyProtocol, Readonly<Record<string, MessageDescription>>>()

/** Every message of a protocol as `describe` tells it; computed once per protocol. */
export const describeMessages = (protocol: AnyProtocol): Readonly<Record<string, MessageDescription>> => {
  let found = descriptions.get(protocol)
  if (found === undefined) {
    const out: Record<string, MessageDescription> = {}
    for (const type of protocol.types) {
      const m = protocol.get(type)!
      out[type] = {
        access: m.access,
        doc: m.doc,
        ...(m.planned === undefined ? {} : { planned: m.planned }),
        request: jsonSchemaOf(m.request),
        reply: jsonSchemaOf(m.reply),
        rejections: m.rejections.map(jsonSchemaOf)
      }
    }
    found = out
    descriptions.set(protocol, found)
  }
  return found
}

export const universalRejectionSchemas = (): ReadonlyArray<JsonSchema> => UNIVERSAL_REJECTIONS.map(jsonSchemaOf)
