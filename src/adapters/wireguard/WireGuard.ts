/**
 * Port: a WireGuard interface as `wg` sees it. `show` reads `wg show
 * INTERFACE dump`, whose interface line carries the interface's **private
 * key**: the parser drops it, so it never leaves this adapter. `syncconf`
 * hands a whole config to `wg syncconf` through a temporary 0600 file that is
 * always removed; `strip` and `check` run `wg-quick strip` and `wg setconf` on
 * a scratch interface, for FORGE's validation. No module here touches the OS:
 * protocols import these schemas.
 */
import { Context, Effect, Schema } from "effect"
import { CommandExited, CommandFailed, CommandTimedOut, OutputTooLarge, ToolMissing } from "../command/Command.ts"

/** One peer as the running interface knows it. Never a key but the public one; a preshared key only as "there is one". */
export const LivePeer = Schema.Struct({
  publicKey: Schema.String,
  hasPresharedKey: Schema.Boolean,
  /** "203.0.113.7:51820", or null before the peer was heard from. */
  endpoint: Schema.NullOr(Schema.String),
  allowedIps: Schema.Array(Schema.String),
  /** Seconds since the epoch of the latest handshake; null when there was none. */
  latestHandshake: Schema.NullOr(Schema.Number),
  transferRx: Schema.Number,
  transferTx: Schema.Number,
  persistentKeepalive: Schema.NullOr(Schema.Number)
})
export type LivePeer = typeof LivePeer.Type

/** The running interface: no private key here, by construction. */
export const LiveInterface = Schema.Struct({
  interface: Schema.String,
  /** null while the interface has no private key set. */
  publicKey: Schema.NullOr(Schema.String),
  listenPort: Schema.NullOr(Schema.Number),
  peers: Schema.Array(LivePeer)
})
export type LiveInterface = typeof LiveInterface.Type

/** The interface does not exist (not created, or its wireguard-go is gone). */
export class InterfaceDown extends Schema.TaggedError<InterfaceDown>()("InterfaceDown", {
  interface: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `WireGuard interface ${this.interface} is not up: ${this.reason} (create it with wg-quick, systemd-networkd or wireguard-go; see docs/vpn.md)`
  }
}

/** `wg` answered something this adapter cannot read. */
export class WireguardUnreadable extends Schema.TaggedError<WireguardUnreadable>()("WireguardUnreadable", {
  interface: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot read wg show ${this.interface} dump: ${this.reason}`
  }
}

/** `wg` refused a config, with its own words; `line` where it says. */
export class WireguardRejected extends Schema.TaggedError<WireguardRejected>()("WireguardRejected", {
  tool: Schema.String,
  reason: Schema.String,
  line: Schema.optionalKey(Schema.Int)
}) {
  override get message() {
    return `${this.tool} refused the config${this.line === undefined ? "" : ` at line ${this.line}`}: ${this.reason}`
  }
}

/** The file system refused the temporary config file. */
export class WireguardTempFile extends Schema.TaggedError<WireguardTempFile>()("WireguardTempFile", {
  reason: Schema.String
}) {
  override get message() {
    return `cannot write the temporary WireGuard config: ${this.reason}`
  }
}

/** WireGuard interface names: what the kernel allows (IFNAMSIZ) and wg-quick accepts. */
export const INTERFACE_PATTERN = /^[a-zA-Z0-9_=+.-]{1,15}$/

export class InvalidInterfaceName extends Schema.TaggedError<InvalidInterfaceName>()("InvalidInterfaceName", {
  interface: Schema.String
}) {
  override get message() {
    return `invalid WireGuard interface name ${JSON.stringify(this.interface)}: up to 15 letters, digits or _=+.-`
  }
}

export const checkInterfaceName = (name: string): Effect.Effect<string, InvalidInterfaceName> =>
  INTERFACE_PATTERN.test(name) && name !== "." && name !== ".." ? Effect.succeed(name) : Effect.fail(new InvalidInterfaceName({ interface: name }))

export const WIREGUARD_ERRORS = [
  InvalidInterfaceName,
  InterfaceDown,
  WireguardUnreadable,
  WireguardRejected,
  WireguardTempFile,
  ToolMissing,
  CommandTimedOut,
  OutputTooLarge,
  CommandFailed,
  CommandExited
] as const
export type WireguardError = InstanceType<(typeof WIREGUARD_ERRORS)[number]>

/** What `check` found: the tools that accepted the text, and what they said besides. */
export interface Checked {
  readonly tools: ReadonlyArray<string>
  readonly warnings: ReadonlyArray<string>
}

export class WireGuard extends Context.Service<WireGuard, {
  /** `wg show INTERFACE dump`, parsed, the private key dropped. */
  readonly show: (iface: string) => Effect.Effect<LiveInterface, WireguardError>
  /** `wg syncconf INTERFACE FILE`: the interface gets exactly this config (a wg(8) config, private key included). */
  readonly syncconf: (iface: string, config: string) => Effect.Effect<void, WireguardError>
  /** `wg-quick strip`: a wg-quick config without its wg-quick-only keys (Address, DNS, MTU, …). */
  readonly strip: (config: string) => Effect.Effect<string, WireguardError>
  /** Checks a config with the real tools: `wg-quick strip`, then `wg setconf` on a scratch interface when one can be made. */
  readonly check: (config: string) => Effect.Effect<Checked, WireguardError>
  /** `qrencode -t ansiutf8` with the text on its standard input (never on its command line, which /proc shows). */
  readonly qr: (text: string) => Effect.Effect<string, WireguardError>
}>()("sigmavault/adapters/wireguard/WireGuard") {}
