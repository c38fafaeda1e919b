/**
 * What the daemon answers, decoded with the schemas it answered by: each op's
 * result (protocol/Requests.ts), each agent's reply and typed rejections (its
 * protocol). A client never casts what it received: a reply that does not
 * decode is a BadReply naming what did not fit — a daemon of another
 * version, most likely.
 *
 * The agents' protocols (every agent's messages.ts: most of a client's code)
 * are loaded only by a client that asks an agent (`loadProtocols`, which
 * `Client.ask` awaits alongside the request): `agents`, `status` and the other
 * ops decode with the op schemas alone and start without them.
 */
import { Exit, Result, Schema } from "effect"
import type { AnyProtocol } from "../runtime/Protocol.ts"
import { ErrorBody, type Op, OpResult, Push } from "../protocol/Requests.ts"
import * as Protocol from "../runtime/Protocol.ts"

export class BadReply extends Schema.TaggedError<BadReply>()("BadReply", { what: Schema.String, reason: Schema.String }) {
  override get message() {
    return `the daemon's answer to ${this.what} does not match the protocol this client knows (is the daemon another version?): ${this.reason}`
  }
}

export const isErrorBody = Schema.is(ErrorBody)
export const decodePush = Schema.decodeUnknownOption(Push)

const decoders = new Map<Op, (value: unknown) => Exit.Exit<unknown, Schema.SchemaError>>()

/** An op's result, decoded by its schema. `ask` answers are decoded by `decodeReply`. */
export const decodeOpResult = <O extends Op>(op: O, wire: unknown): Result.Result<(typeof OpResult)[O]["Type"], BadReply> => {
  let decode = decoders.get(op)
  if (decode === undefined) {
    decode = Schema.decodeUnknownExit(OpResult[op] as unknown as Schema.Codec<unknown, unknown>)
    decoders.set(op, decode)
  }
  const decoded = decode(wire)
  return Exit.isSuccess(decoded)
    ? Result.succeed(decoded.value as (typeof OpResult)[O]["Type"])
    : Result.fail(new BadReply({ what: `'${op}'`, reason: Protocol.failureText(decoded.cause) }))
}

let protocols: ReadonlyMap<string, AnyProtocol> | undefined
let loading: Promise<void> | undefined

/** Loads the agents' protocols once; `decodeReply` and `decodeRejection` need them. */
export const loadProtocols = (): Promise<void> =>
  (loading ??= import("../actors/protocols.ts").then((module) => {
    protocols = module.PROTOCOLS
  }))

const messageOf = (agent: string, type: string) => {
  if (protocols === undefined) throw new Error("the agents' protocols are not loaded: await loadProtocols() first")
  return protocols.get(agent)?.get(type)
}

/**
 * An agent's reply, decoded by the reply schema of its message. An agent or
 * message type this client does not know (a newer daemon) is passed through
 * undecoded, and `known` says so.
 */
export const decodeReply = (
  agent: string,
  type: string,
  wire: unknown
): Result.Result<{ readonly value: unknown; readonly known: boolean }, BadReply> => {
  const message = messageOf(agent, type)
  if (message === undefined) return Result.succeed({ value: wire, known: false })
  const decoded = Protocol.codecs(message).decodeReply(wire)
  return Exit.isSuccess(decoded)
    ? Result.succeed({ value: decoded.value, known: true })
    : Result.fail(new BadReply({ what: `${agent} '${type}'`, reason: Protocol.failureText(decoded.cause) }))
}

/** The typed rejection carried by a `Rejected` error, decoded into its class; undefined for other errors. */
export const decodeRejection = (body: ErrorBody): { readonly _tag: string; readonly message: string } | undefined => {
  if (body.code !== "Rejected" || body.detail === undefined) return undefined
  const { agent, messageType, rejection } = body.detail as { agent?: unknown; messageType?: unknown; rejection?: unknown }
  if (typeof agent !== "string" || typeof messageType !== "string") return undefined
  const message = protocols?.get(agent)?.get(messageType)
  if (message === undefined) return undefined
  const decoded = Protocol.codecs(message).decodeRejection(rejection)
  return Exit.isSuccess(decoded) ? decoded.value : undefined
}
