/** Port: what this machine is — OS, kernel, CPU, memory, uptime, hostname. */
import { Context, type Effect, Schema } from "effect"

/** From os-release(5); a field the file lacks, or a missing file, reads "unknown". */
export interface OsRelease {
  readonly id: string
  readonly name: string
  /** VERSION_ID ("12"), else VERSION; rolling releases often have neither. */
  readonly version: string
  readonly prettyName: string
}

export interface Facts {
  readonly hostname: string
  readonly os: OsRelease
  readonly kernel: {
    readonly release: string
    readonly version: string
    /** The machine hardware name as uname -m reports it: x86_64, aarch64, … */
    readonly arch: string
  }
  readonly cpu: { readonly model: string; readonly count: number }
  readonly memory: { readonly totalBytes: number; readonly availableBytes: number }
  readonly uptimeSeconds: number
  /** 1, 5 and 15 minute load averages. */
  readonly loadAverage: readonly [number, number, number]
}

export class SystemFactsError extends Schema.TaggedError<SystemFactsError>()("SystemFactsError", {
  source: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.source}: ${this.reason}`
  }
}

export class SystemFacts extends Context.Service<SystemFacts, {
  readonly facts: Effect.Effect<Facts, SystemFactsError>
}>()("sigmavault/adapters/system/SystemFacts") {}
