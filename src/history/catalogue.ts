/**
 * Every metric SigmaVault records or exposes: its Prometheus name, type,
 * unit, labels and help text. The metric history, PRISM's exposition, CANVAS's
 * axis labels and docs/metrics.md all read this one list; a name recorded
 * anywhere must be here (a test checks the agents' series against it).
 *
 * Conventions (Prometheus'): `sigmavault_` prefix, base units in the name
 * (`_bytes`, `_seconds`, `_celsius`, `_ratio`), counters end in `_total`.
 */
export type MetricType = "counter" | "gauge"

export interface MetricDef {
  readonly name: string
  readonly type: MetricType
  /** the base unit, as named at the end of `name` ("bytes", "seconds", "celsius", "ratio", "messages", ...) */
  readonly unit: string
  readonly labels: ReadonlyArray<string>
  readonly help: string
  /** who records it: an agent's name, or "runtime" */
  readonly source: string
}

const metric = (def: MetricDef): MetricDef => def

export const METRICS: ReadonlyArray<MetricDef> = [
  // The runtime's own numbers, sampled by the daemon.
  metric({ name: "sigmavault_agent_messages_total", type: "counter", unit: "messages", labels: ["agent"], help: "Messages the agent has handled since the daemon started.", source: "runtime" }),
  metric({ name: "sigmavault_agent_mailbox_depth", type: "gauge", unit: "messages", labels: ["agent"], help: "Messages waiting in the agent's mailbox.", source: "runtime" }),
  metric({ name: "sigmavault_agent_latency_p99_seconds", type: "gauge", unit: "seconds", labels: ["agent"], help: "99th percentile of the agent's message handling time since the daemon started.", source: "runtime" }),
  metric({ name: "sigmavault_agent_restarts_total", type: "counter", unit: "restarts", labels: ["agent"], help: "Times the agent has been restarted by its supervisor.", source: "runtime" }),
  metric({ name: "sigmavault_agent_up", type: "gauge", unit: "boolean", labels: ["agent"], help: "1 while the agent is running, else 0.", source: "runtime" }),
  metric({ name: "sigmavault_dead_letters_total", type: "counter", unit: "messages", labels: [], help: "Messages that could not be delivered or answered.", source: "runtime" }),
  // Pools and datasets (LATTICE).
  metric({ name: "sigmavault_pool_size_bytes", type: "gauge", unit: "bytes", labels: ["pool"], help: "The pool's total size.", source: "LATTICE" }),
  metric({ name: "sigmavault_pool_allocated_bytes", type: "gauge", unit: "bytes", labels: ["pool"], help: "Space allocated in the pool.", source: "LATTICE" }),
  metric({ name: "sigmavault_pool_free_bytes", type: "gauge", unit: "bytes", labels: ["pool"], help: "Free space in the pool.", source: "LATTICE" }),
  metric({ name: "sigmavault_dataset_used_bytes", type: "gauge", unit: "bytes", labels: ["pool", "dataset"], help: "Space the dataset uses, its snapshots and children included.", source: "LATTICE" }),
  metric({ name: "sigmavault_dataset_available_bytes", type: "gauge", unit: "bytes", labels: ["pool", "dataset"], help: "Space still available to the dataset.", source: "LATTICE" }),
  // The metric history's own numbers (STORE: HistoryLive's `stats`; PRISM exposes them).
  metric({ name: "sigmavault_history_series", type: "gauge", unit: "series", labels: [], help: "Series the metric history keeps (at most history_max_series).", source: "runtime" }),
  metric({ name: "sigmavault_history_bytes", type: "gauge", unit: "bytes", labels: [], help: "Memory the metric history's buckets, series and journal buffer take (at most history_max_bytes).", source: "runtime" }),
  metric({ name: "sigmavault_history_refused_total", type: "counter", unit: "samples", labels: ["reason"], help: "Samples the metric history refused, by reason: series_cap, byte_cap, invalid (bad name or value, too old, too far ahead).", source: "runtime" })
]

export const metricDef = (name: string): MetricDef | undefined => METRICS.find((m) => m.name === name)
