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
  // The metric history's own numbers (STORE), read from its `stats` by PRISM at each exposition.
  metric({ name: "sigmavault_history_series", type: "gauge", unit: "series", labels: [], help: "Series the metric history holds.", source: "history" }),
  metric({ name: "sigmavault_history_series_limit", type: "gauge", unit: "series", labels: [], help: "Most series the metric history holds; a new series beyond it is refused.", source: "history" }),
  metric({ name: "sigmavault_history_bytes", type: "gauge", unit: "bytes", labels: [], help: "Bytes the metric history takes.", source: "history" }),
  metric({ name: "sigmavault_history_bytes_limit", type: "gauge", unit: "bytes", labels: [], help: "Most bytes the metric history may take; samples beyond it are refused.", source: "history" }),
  metric({ name: "sigmavault_history_samples_total", type: "counter", unit: "samples", labels: [], help: "Samples the metric history has taken in.", source: "history" }),
  metric({ name: "sigmavault_history_refused_samples_total", type: "counter", unit: "samples", labels: ["reason"], help: "Samples the metric history refused, by reason: series_cap (a new series over the series cap), byte_cap (the byte cap reached), invalid (a bad name, label or value).", source: "history" }),
  // PRISM's account of its own exposition.
  metric({ name: "sigmavault_exposition_uncatalogued_series", type: "gauge", unit: "series", labels: [], help: "Series in this exposition whose metric is not in the catalogue, rendered as untyped.", source: "PRISM" }),
  metric({ name: "sigmavault_exposition_dropped_samples", type: "gauge", unit: "samples", labels: [], help: "Samples left out of this exposition: a name the format cannot carry, or a series given twice.", source: "PRISM" })
]

export const metricDef = (name: string): MetricDef | undefined => METRICS.find((m) => m.name === name)
