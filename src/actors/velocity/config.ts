/**
 * VELOCITY's configuration: the defaults a request may override within
 * LIMITS (messages.ts), and how many results the history keeps. A
 * Context.Reference: tests and `selftest` get these defaults.
 */
import { Context } from "effect"

export interface VelocityConfigShape {
  /** The test file's size when a request names none. */
  readonly sizeMiB: number
  /** How long each preset runs when a request names no time. */
  readonly seconds: number
  /** Results kept (newest), over every target. */
  readonly historyKeep: number
}

export const defaultVelocityConfig: VelocityConfigShape = { sizeMiB: 256, seconds: 5, historyKeep: 200 }

export const VelocityConfig = Context.Reference<VelocityConfigShape>("sigmavault/actors/velocity/VelocityConfig", {
  defaultValue: () => defaultVelocityConfig
})
