/**
 * BRIDGE's configuration. The daemon's composition root provides it from the
 * configuration file (share_roots: docs/configuration.md) and the daemon's
 * own directories; it is a Context.Reference, so tests get these defaults.
 */
import { Context } from "effect"

export interface BridgeConfigShape {
  /** Where shares may point; undefined: /srv and every mounted ZFS dataset (asked of LATTICE). */
  readonly shareRoots: ReadonlyArray<string> | undefined
  /** Never shared, besides the system trees (paths.ts): the daemon's state and runtime directories. */
  readonly forbidden: ReadonlyArray<string>
}

export const defaultBridgeConfig: BridgeConfigShape = {
  shareRoots: undefined,
  forbidden: ["/var/lib/sigmavault", "/run/sigmavault"]
}

export const BridgeConfig = Context.Reference<BridgeConfigShape>("sigmavault/actors/bridge/BridgeConfig", {
  defaultValue: () => defaultBridgeConfig
})
