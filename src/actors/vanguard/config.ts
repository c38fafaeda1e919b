/**
 * VANGUARD's configuration. The daemon's composition root provides it from
 * the configuration file (update_check_interval_hours, update_check_refresh:
 * docs/configuration.md); the apt world itself (vanguard_apt_config,
 * vanguard_reboot_required) is the Apt adapter's. A Context.Reference: tests
 * and `selftest` get these defaults, which are the file's defaults too.
 */
import { Context } from "effect"

export interface VanguardConfigShape {
  /** How often the pending updates are checked (and alerted on); 0: only when asked. */
  readonly intervalMs: number
  /** The periodic check refreshes the index first (`apt-get update`). */
  readonly refresh: boolean
  /** A fresh daemon waits this long before its first check, so a start costs nothing. */
  readonly firstCheckDelayMs: number
}

export const defaultVanguardConfig: VanguardConfigShape = {
  intervalMs: 24 * 3_600_000,
  refresh: true,
  firstCheckDelayMs: 10 * 60_000
}

export const VanguardConfig = Context.Reference<VanguardConfigShape>("sigmavault/actors/vanguard/VanguardConfig", {
  defaultValue: () => defaultVanguardConfig
})
