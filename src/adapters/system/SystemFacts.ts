/** Port: what this machine is — OS, kernel, CPU, memory, uptime, hostname. */
import { Context, type Effect, Schema } from "effect"

/** From os-release(5); a field the file lacks, or a missing file, reads "unknown". */
export const OsRelease = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  /** VERSION_ID ("12"), else VERSION; rolling releases often have neither. */
  version: Schema.String,
  prettyName: Schema.String
})
export type OsRelease = typeof OsRelease.Type

const Bytes = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

export const Facts = Schema.Struct({
  hostname: Schema.String,
  os: OsRelease,
  kernel: Schema.Struct({
    release: Schema.String,
    version: Schema.String,
    /** The machine hardware name as uname -m reports it: x86_64, aarch64, … */
    arch: Schema.String
  }),
  cpu: Schema.Struct({ model: Schema.String, count: Schema.Int }),
  memory: Schema.Struct({ totalBytes: Bytes, availableBytes: Bytes }),
  uptimeSeconds: Schema.Finite,
  /** 1, 5 and 15 minute load averages. */
  loadAverage: Schema.Tuple([Schema.Finite, Schema.Finite, Schema.Finite])
})
export type Facts = typeof Facts.Type

export class SystemFactsError extends Schema.TaggedError<SystemFactsError>()("SystemFactsError", {
  source: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `could not read system facts: ${this.source}: ${this.reason}`
  }
}

export class SystemFacts extends Context.Service<SystemFacts, {
  readonly facts: Effect.Effect<Facts, SystemFactsError>
}>()("sigmavault/adapters/system/SystemFacts") {}
