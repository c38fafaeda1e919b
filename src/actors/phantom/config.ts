/**
 * PHANTOM's configuration: the WireGuard interface it manages and what its
 * peers are given. The daemon provides it from the configuration file
 * (wireguard_* keys, docs/configuration.md); tests get these defaults.
 */
import { Context } from "effect"

export interface PhantomConfigShape {
  /** The server's interface, which something else creates (wg-quick, systemd-networkd, wireguard-go): PHANTOM configures it. */
  readonly interface: string
  readonly listenPort: number
  /** The tunnel's IPv4 subnet: the server is its first address, peers get the next free ones. */
  readonly subnet: string
  /** The host (name or address) peers reach the server at; peer configs need it. */
  readonly endpointHost: string | undefined
  /** DNS servers written into peer configs. */
  readonly dns: ReadonlyArray<string>
  /** What a peer sends through the tunnel (its AllowedIPs for the server); default: the tunnel's subnet. */
  readonly clientAllowedIps: ReadonlyArray<string> | undefined
  /** Seconds between keepalives a peer sends (0: none); 25 keeps NAT mappings open. */
  readonly persistentKeepalive: number
}

export const defaultPhantomConfig: PhantomConfigShape = {
  interface: "wg0",
  listenPort: 51820,
  subnet: "10.8.0.0/24",
  endpointHost: undefined,
  dns: [],
  clientAllowedIps: undefined,
  persistentKeepalive: 25
}

export const PhantomConfig = Context.Reference<PhantomConfigShape>("sigmavault/actors/phantom/PhantomConfig", {
  defaultValue: () => defaultPhantomConfig
})
