/**
 * PHOTON's configuration. The daemon's composition root provides it from the
 * configuration file (link_sample_interval_seconds, link_error_burst,
 * link_flap_changes, link_flap_window_seconds: docs/configuration.md); it is a
 * Context.Reference, so tests and `selftest` get these defaults, which are the
 * file's defaults too.
 */
import { Context } from "effect"

export interface PhotonConfigShape {
  /** How often /sys/class/net is sampled. */
  readonly intervalMs: number
  /** rx + tx errors within one interval that raise an error-burst alert (cleared by an interval without errors). */
  readonly errorBurst: number
  /** Carrier changes within the flap window that raise a flapping alert (a down-and-up is 2). */
  readonly flapChanges: number
  readonly flapWindowMs: number
}

export const defaultPhotonConfig: PhotonConfigShape = {
  intervalMs: 10_000,
  errorBurst: 10,
  flapChanges: 6,
  flapWindowMs: 300_000
}

export const PhotonConfig = Context.Reference<PhotonConfigShape>("sigmavault/actors/photon/PhotonConfig", {
  defaultValue: () => defaultPhotonConfig
})
