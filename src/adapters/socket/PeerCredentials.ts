/**
 * Port: who is on the other end of a control-socket connection, as the
 * kernel says (SO_PEERCRED: pid, uid, gid; SO_PEERGROUPS: the supplementary
 * groups), taken once when the connection is accepted. The connection's
 * credentials are those of the process that connected, and do not change.
 */
import type * as net from "node:net"
import { Context, type Result, Schema } from "effect"
import type { Caller } from "../../runtime/Caller.ts"

export class PeerUnknown extends Schema.TaggedError<PeerUnknown>()("PeerUnknown", { reason: Schema.String }) {
  override get message() {
    return `cannot tell who is connected: ${this.reason}`
  }
}

export interface PeerCredentialsShape {
  readonly of: (socket: net.Socket) => Result.Result<Caller, PeerUnknown>
}

export class PeerCredentials extends Context.Service<PeerCredentials, PeerCredentialsShape>()(
  "sigmavault/adapters/socket/PeerCredentials"
) {}
