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
  metric({ name: "sigmavault_history_refused_total", type: "counter", unit: "samples", labels: ["reason"], help: "Samples the metric history refused, by reason: series_cap, byte_cap, invalid (bad name or value, too old, too far ahead).", source: "runtime" }),
  // FEED — LATTICE: the error counters and health of each pool, from `zpool status` at every health check.
  metric({ name: "sigmavault_pool_read_errors_total", type: "counter", unit: "errors", labels: ["pool"], help: "Read errors of the pool's leaf devices, as zpool status counts them (zpool clear resets them).", source: "LATTICE" }),
  metric({ name: "sigmavault_pool_write_errors_total", type: "counter", unit: "errors", labels: ["pool"], help: "Write errors of the pool's leaf devices, as zpool status counts them (zpool clear resets them).", source: "LATTICE" }),
  metric({ name: "sigmavault_pool_checksum_errors_total", type: "counter", unit: "errors", labels: ["pool"], help: "Checksum errors of the pool's leaf devices, as zpool status counts them (zpool clear resets them).", source: "LATTICE" }),
  metric({ name: "sigmavault_pool_healthy", type: "gauge", unit: "boolean", labels: ["pool"], help: "1 while the pool is ONLINE with no device in trouble, else 0.", source: "LATTICE" }),
  // FEED — SENTRY: the host, from each /proc sample (resource_check_interval_seconds).
  metric({ name: "sigmavault_host_cpu_busy_ratio", type: "gauge", unit: "ratio", labels: [], help: "Share of CPU time busy (not idle, not waiting for I/O) since the previous sample, over all CPUs.", source: "SENTRY" }),
  metric({ name: "sigmavault_host_cpu_iowait_ratio", type: "gauge", unit: "ratio", labels: [], help: "Share of CPU time idle waiting for I/O since the previous sample.", source: "SENTRY" }),
  metric({ name: "sigmavault_host_memory_total_bytes", type: "gauge", unit: "bytes", labels: [], help: "Memory the kernel manages (MemTotal).", source: "SENTRY" }),
  metric({ name: "sigmavault_host_memory_available_bytes", type: "gauge", unit: "bytes", labels: [], help: "Memory that can be allocated without swapping (MemAvailable).", source: "SENTRY" }),
  metric({ name: "sigmavault_host_swap_total_bytes", type: "gauge", unit: "bytes", labels: [], help: "Swap space (SwapTotal).", source: "SENTRY" }),
  metric({ name: "sigmavault_host_swap_free_bytes", type: "gauge", unit: "bytes", labels: [], help: "Unused swap space (SwapFree).", source: "SENTRY" }),
  metric({ name: "sigmavault_host_load1", type: "gauge", unit: "load", labels: [], help: "1-minute load average.", source: "SENTRY" }),
  metric({ name: "sigmavault_host_load5", type: "gauge", unit: "load", labels: [], help: "5-minute load average.", source: "SENTRY" }),
  metric({ name: "sigmavault_host_load15", type: "gauge", unit: "load", labels: [], help: "15-minute load average.", source: "SENTRY" }),
  metric({ name: "sigmavault_host_cpus", type: "gauge", unit: "cpus", labels: [], help: "Online CPUs.", source: "SENTRY" }),
  metric({ name: "sigmavault_disk_read_bytes_total", type: "counter", unit: "bytes", labels: ["device"], help: "Bytes read from the whole disk since boot (/proc/diskstats).", source: "SENTRY" }),
  metric({ name: "sigmavault_disk_written_bytes_total", type: "counter", unit: "bytes", labels: ["device"], help: "Bytes written to the whole disk since boot (/proc/diskstats).", source: "SENTRY" }),
  metric({ name: "sigmavault_disk_reads_completed_total", type: "counter", unit: "reads", labels: ["device"], help: "Reads the disk completed since boot.", source: "SENTRY" }),
  metric({ name: "sigmavault_disk_writes_completed_total", type: "counter", unit: "writes", labels: ["device"], help: "Writes the disk completed since boot.", source: "SENTRY" }),
  metric({ name: "sigmavault_disk_io_time_seconds_total", type: "counter", unit: "seconds", labels: ["device"], help: "Time the disk had I/O in flight since boot (its rate is the disk's busy ratio).", source: "SENTRY" }),
  // FEED — PHOTON: each network link, from each /sys/class/net sample (link_sample_interval_seconds).
  metric({ name: "sigmavault_network_up", type: "gauge", unit: "boolean", labels: ["interface"], help: "1 while the link is up (administratively up, with carrier), else 0.", source: "PHOTON" }),
  metric({ name: "sigmavault_network_speed_bytes", type: "gauge", unit: "bytes", labels: ["interface"], help: "The link's negotiated speed, in bytes per second (absent when the driver does not say).", source: "PHOTON" }),
  metric({ name: "sigmavault_network_mtu_bytes", type: "gauge", unit: "bytes", labels: ["interface"], help: "The link's MTU.", source: "PHOTON" }),
  metric({ name: "sigmavault_network_receive_bytes_total", type: "counter", unit: "bytes", labels: ["interface"], help: "Bytes received on the link (the kernel's counter).", source: "PHOTON" }),
  metric({ name: "sigmavault_network_transmit_bytes_total", type: "counter", unit: "bytes", labels: ["interface"], help: "Bytes sent on the link (the kernel's counter).", source: "PHOTON" }),
  metric({ name: "sigmavault_network_receive_packets_total", type: "counter", unit: "packets", labels: ["interface"], help: "Packets received on the link.", source: "PHOTON" }),
  metric({ name: "sigmavault_network_transmit_packets_total", type: "counter", unit: "packets", labels: ["interface"], help: "Packets sent on the link.", source: "PHOTON" }),
  metric({ name: "sigmavault_network_receive_errors_total", type: "counter", unit: "errors", labels: ["interface"], help: "Receive errors on the link.", source: "PHOTON" }),
  metric({ name: "sigmavault_network_transmit_errors_total", type: "counter", unit: "errors", labels: ["interface"], help: "Transmit errors on the link.", source: "PHOTON" }),
  metric({ name: "sigmavault_network_receive_drop_total", type: "counter", unit: "packets", labels: ["interface"], help: "Received packets dropped.", source: "PHOTON" }),
  metric({ name: "sigmavault_network_transmit_drop_total", type: "counter", unit: "packets", labels: ["interface"], help: "Packets dropped before sending.", source: "PHOTON" }),
  metric({ name: "sigmavault_network_carrier_changes_total", type: "counter", unit: "changes", labels: ["interface"], help: "Times the link's carrier came or went (a down-and-up is 2).", source: "PHOTON" }),
  // FEED — ORACLE: each disk's SMART reading and risk, at each assessment (smart_check_interval_hours, and `assess`).
  metric({ name: "sigmavault_disk_temperature_celsius", type: "gauge", unit: "celsius", labels: ["device"], help: "The disk's temperature as SMART reports it.", source: "ORACLE" }),
  metric({ name: "sigmavault_disk_power_on_seconds_total", type: "counter", unit: "seconds", labels: ["device"], help: "Time the disk has been powered on over its life (SMART power-on hours).", source: "ORACLE" }),
  metric({ name: "sigmavault_disk_reallocated_sectors_total", type: "counter", unit: "sectors", labels: ["device"], help: "Sectors the disk has reallocated (ATA SMART 5).", source: "ORACLE" }),
  metric({ name: "sigmavault_disk_pending_sectors", type: "gauge", unit: "sectors", labels: ["device"], help: "Sectors waiting to be reallocated (ATA SMART 197).", source: "ORACLE" }),
  metric({ name: "sigmavault_disk_media_errors_total", type: "counter", unit: "errors", labels: ["device"], help: "Unrecovered data-integrity errors over the NVMe disk's life.", source: "ORACLE" }),
  metric({ name: "sigmavault_disk_wear_ratio", type: "gauge", unit: "ratio", labels: ["device"], help: "The NVMe disk's estimate of its endurance used (percentage used / 100; may exceed 1).", source: "ORACLE" }),
  metric({ name: "sigmavault_disk_risk_score", type: "gauge", unit: "score", labels: ["device"], help: "ORACLE's failure-risk score, 0 to 100 (ok < 10 ≤ watch < 30 ≤ warn < 60 ≤ critical).", source: "ORACLE" }),
  // FEED — VELOCITY: each benchmark's results, when it finishes (workload: the preset, operation: read or write).
  metric({ name: "sigmavault_benchmark_throughput_bytes_per_second", type: "gauge", unit: "bytes per second", labels: ["target", "workload", "operation"], help: "Throughput a benchmark measured.", source: "VELOCITY" }),
  metric({ name: "sigmavault_benchmark_iops", type: "gauge", unit: "operations per second", labels: ["target", "workload", "operation"], help: "I/O operations per second a benchmark measured.", source: "VELOCITY" }),
  metric({ name: "sigmavault_benchmark_latency_p99_seconds", type: "gauge", unit: "seconds", labels: ["target", "workload", "operation"], help: "99th percentile completion latency a benchmark measured (absent when the engine could not measure it).", source: "VELOCITY" }),
  // NEURAL's tuning of TENSOR's zstd level (docs/tuning.md).
  metric({ name: "sigmavault_tuning_level", type: "gauge", unit: "level", labels: ["class"], help: "The zstd level NEURAL chooses for the content class when not exploring.", source: "NEURAL" }),
  metric({ name: "sigmavault_tuning_outcomes_total", type: "counter", unit: "outcomes", labels: ["class", "level"], help: "Compression outcomes NEURAL has learned from, per content class and zstd level.", source: "NEURAL" }),
  metric({ name: "sigmavault_tuning_explored_total", type: "counter", unit: "decisions", labels: ["class"], help: "Jobs of the content class for which NEURAL chose a level to explore it.", source: "NEURAL" }),
  // PRISM: the history's caps, read from its `stats` at each exposition, and PRISM's account of its own exposition.
  metric({ name: "sigmavault_history_series_limit", type: "gauge", unit: "series", labels: [], help: "Most series the metric history keeps (history_max_series); a sample of a new series beyond it is refused.", source: "runtime" }),
  metric({ name: "sigmavault_history_bytes_limit", type: "gauge", unit: "bytes", labels: [], help: "Most bytes of memory the metric history may take (history_max_bytes); a sample that would need more is refused.", source: "runtime" }),
  metric({ name: "sigmavault_exposition_uncatalogued_series", type: "gauge", unit: "series", labels: [], help: "Series in this exposition whose metric is not in the catalogue, rendered as untyped.", source: "PRISM" }),
  metric({ name: "sigmavault_exposition_dropped_samples", type: "gauge", unit: "samples", labels: [], help: "Samples left out of this exposition: a name the format cannot carry, or a series given twice.", source: "PRISM" })
]

export const metricDef = (name: string): MetricDef | undefined => METRICS.find((m) => m.name === name)
