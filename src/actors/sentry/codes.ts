/** The codes on SENTRY's alerts: one per watched metric; a clear carries the same code at severity info. Pure data. */
import { type FindingCode, findingCode } from "../shared/findings.ts"
import type { MetricName } from "./messages.ts"

export const METRIC_CODES: Readonly<Record<MetricName, string>> = {
  cpu: "SENTRY-CPU",
  memory: "SENTRY-MEMORY",
  load: "SENTRY-LOAD",
  disk: "SENTRY-DISK"
}

export const codes: ReadonlyArray<FindingCode> = [
  findingCode("SENTRY-CPU", "sentry", "the CPU has been busy above its threshold"),
  findingCode("SENTRY-MEMORY", "sentry", "memory use has been above its threshold"),
  findingCode("SENTRY-LOAD", "sentry", "the load per CPU has been above its threshold"),
  findingCode("SENTRY-DISK", "sentry", "a disk has been busy (utilisation) above its threshold")
]
