/**
 * The metric history's caps by default (config keys history_max_series and
 * history_max_bytes; docs/history.md says why these).
 */
export const DEFAULT_HISTORY_MAX_SERIES = 2_000
export const DEFAULT_HISTORY_MAX_BYTES = 16 * 1024 * 1024
