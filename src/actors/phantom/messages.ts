/**
 * PHANTOM's protocol: WireGuard peers for remote access. Changes are planned
 * unless `confirm: true`, and are admin's (the gate records them in LEDGER
 * with the caller). No reply carries a private key except `peer-config`,
 * which is the peer's own client config.
 */
import { Schema } from "effect"
import { WIREGUARD_ERRORS } from "../../adapters/wireguard/WireGuard.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { InvalidSpec } from "../forge/messages.ts"
import { Name } from "../shared/fields.ts"
import { DependencyFailed } from "../shared/rejections.ts"

const Cidr = Schema.String.check(
  Schema.isPattern(/^[0-9A-Fa-f:.]+\/[0-9]{1,3}$/, { expected: "an address range in CIDR notation, e.g. 192.168.1.0/24" })
)

/** Without it (or false) a change is only planned: the reply says what would change. */
const Confirm = Schema.optionalKey(Schema.Boolean)

export class NoSuchPeer extends Schema.TaggedError<NoSuchPeer>()("NoSuchPeer", { name: Schema.String }) {
  override get message() {
    return `no WireGuard peer named '${this.name}'`
  }
}

export class PeerExists extends Schema.TaggedError<PeerExists>()("PeerExists", { name: Schema.String }) {
  override get message() {
    return `a WireGuard peer named '${this.name}' already exists`
  }
}

export class SubnetFull extends Schema.TaggedError<SubnetFull>()("SubnetFull", { subnet: Schema.String, peers: Schema.Int }) {
  override get message() {
    return `no free address left in ${this.subnet} (${this.peers} peers): remove a peer or configure a larger wireguard_subnet`
  }
}

export class NoEndpoint extends Schema.TaggedError<NoEndpoint>()("NoEndpoint", {}) {
  override get message() {
    return "peers cannot reach the server: set wireguard_endpoint (the host name or address peers connect to) in the configuration file"
  }
}

/** The subnet or interface in the configuration cannot be used. */
export class BadWireguardSetting extends Schema.TaggedError<BadWireguardSetting>()("BadWireguardSetting", {
  setting: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.setting}: ${this.reason}`
  }
}

/** The keys in the state directory could not be read or written. */
export class KeyStoreFailed extends Schema.TaggedError<KeyStoreFailed>()("KeyStoreFailed", { reason: Schema.String }) {
  override get message() {
    return `cannot use PHANTOM's key store: ${this.reason}`
  }
}

const PHANTOM_ERRORS = [KeyStoreFailed, BadWireguardSetting] as const

/** A stored peer, as a reply shows it: never its private key. */
export const PeerInfo = Schema.Struct({
  name: Schema.String,
  /** null while only planned (keys are made when the change is confirmed). */
  publicKey: Schema.NullOr(Schema.String),
  /** Its address in the tunnel, e.g. 10.8.0.2/32. */
  address: Schema.String,
  /** What the server routes to it: its address, and the ranges behind it. */
  allowedIps: Schema.Array(Schema.String),
  enabled: Schema.Boolean
})
export type PeerInfo = typeof PeerInfo.Type

export const PeerStatus = Schema.Struct({
  ...PeerInfo.fields,
  /** The running interface has this peer. */
  applied: Schema.Boolean,
  endpoint: Schema.NullOr(Schema.String),
  /** ISO time of the latest handshake; null when there was none. */
  latestHandshake: Schema.NullOr(Schema.String),
  transferRx: Schema.Number,
  transferTx: Schema.Number
})

/** What a change did, or would do. */
export const PeerChange = Schema.Struct({
  executed: Schema.Boolean,
  changes: Schema.Array(Schema.String),
  peer: PeerInfo,
  /** What to do next: confirm, or apply to push the change to the interface. */
  next: Schema.String
})

export const Applied = Schema.Struct({
  executed: Schema.Boolean,
  interface: Schema.String,
  /** The command, tool first; the file is a temporary 0600 file, removed afterwards. */
  command: Schema.Array(Schema.String),
  /** The config handed to wg syncconf, its private key shown as (hidden). */
  config: Schema.String,
  peers: Schema.Int,
  /** Peers the interface gains, and loses (public keys it has that the config does not). */
  adding: Schema.Array(Schema.String),
  removing: Schema.Array(Schema.String),
  /** Why the running interface could not be read (the diff is then against nothing). */
  live: Schema.optionalKey(Schema.String)
})

const ChangeRejections = [NoSuchPeer, KeyStoreFailed] as const
const Forge = [InvalidSpec, DependencyFailed] as const

export const Phantom = Protocol.make("PHANTOM", [
  Protocol.message("server", {
    doc: "the WireGuard server: interface, public key, listen port, address, and whether the interface is up",
    access: "read",
    reply: Schema.Struct({
      interface: Schema.String,
      /** null until the first peer is added or the config applied (that makes the server's keys). */
      publicKey: Schema.NullOr(Schema.String),
      listenPort: Schema.Int,
      address: Schema.String,
      subnet: Schema.String,
      endpoint: Schema.NullOr(Schema.String),
      up: Schema.Boolean,
      /** The running interface has the server's key (false: apply has not run since the keys were made). */
      keyApplied: Schema.Boolean,
      /** Why the interface could not be read, when it is not up. */
      reason: Schema.optionalKey(Schema.String)
    }),
    rejections: [...PHANTOM_ERRORS]
  }),
  Protocol.message("peers", {
    doc: "WireGuard peers: name, public key, allowed IPs, endpoint, latest handshake, transfer, enabled",
    access: "read",
    reply: Schema.Struct({
      interface: Schema.String,
      up: Schema.Boolean,
      reason: Schema.optionalKey(Schema.String),
      peers: Schema.Array(PeerStatus),
      /** Public keys on the running interface that PHANTOM does not know (added by hand). */
      unknown: Schema.Array(Schema.String)
    }),
    rejections: [...PHANTOM_ERRORS]
  }),
  Protocol.message("add-peer", {
    doc: "plans a peer with the next free address; with confirm, makes its keys and stores it (then apply)",
    access: "admin",
    fields: {
      name: Name,
      /** Ranges behind the peer that the server routes to it, besides its own address. */
      allowedIps: Schema.optionalKey(Schema.Array(Cidr)),
      confirm: Confirm
    },
    reply: PeerChange,
    rejections: [PeerExists, SubnetFull, ...PHANTOM_ERRORS, ...Forge]
  }),
  Protocol.message("remove-peer", {
    doc: "plans removing a peer and its keys; with confirm, removes them (then apply)",
    access: "admin",
    fields: { name: Name, confirm: Confirm },
    reply: PeerChange,
    rejections: [...ChangeRejections]
  }),
  Protocol.message("enable-peer", {
    doc: "plans enabling a disabled peer; with confirm, enables it (then apply)",
    access: "admin",
    fields: { name: Name, confirm: Confirm },
    reply: PeerChange,
    rejections: [...ChangeRejections]
  }),
  Protocol.message("disable-peer", {
    doc: "plans disabling a peer (kept, with its keys, but left out of the interface); with confirm, disables it (then apply)",
    access: "admin",
    fields: { name: Name, confirm: Confirm },
    reply: PeerChange,
    rejections: [...ChangeRejections]
  }),
  Protocol.message("peer-config", {
    doc: "a peer's client configuration, which holds the peer's private key; with qr, also as a terminal QR code",
    access: "admin",
    fields: {
      name: Name,
      qr: Schema.optionalKey(Schema.Boolean)
    },
    reply: Schema.Struct({
      name: Schema.String,
      config: Schema.String,
      /** The config as a QR code for a phone's WireGuard app (qrencode -t ansiutf8). */
      qr: Schema.optionalKey(Schema.String)
    }),
    rejections: [NoSuchPeer, NoEndpoint, ...PHANTOM_ERRORS, ...Forge, ...WIREGUARD_ERRORS]
  }),
  Protocol.message("apply", {
    doc: "plans `wg syncconf` of the server's interface with the enabled peers; with confirm, runs it",
    access: "admin",
    fields: { confirm: Confirm },
    reply: Applied,
    rejections: [...PHANTOM_ERRORS, ...Forge, ...WIREGUARD_ERRORS]
  })
])
