/**
 * PRISM's configuration. The daemon's composition root provides it from the
 * configuration file (metrics_textfile, metrics_textfile_interval_seconds:
 * docs/configuration.md); it is a Context.Reference, so tests and `selftest`
 * get these defaults, which are the file's defaults too. The HTTP listener
 * (metrics_listen) is the daemon's transport, not PRISM's: it asks PRISM.
 */
import { Context } from "effect"

export interface PrismConfigShape {
  /** Where the exposition is written for node_exporter's textfile collector; undefined: nowhere. */
  readonly textfile: string | undefined
  /** How often the textfile is rewritten. */
  readonly textfileIntervalMs: number
}

export const defaultPrismConfig: PrismConfigShape = {
  textfile: undefined,
  textfileIntervalMs: 60_000
}

export const PrismConfig = Context.Reference<PrismConfigShape>("sigmavault/actors/prism/PrismConfig", {
  defaultValue: () => defaultPrismConfig
})
