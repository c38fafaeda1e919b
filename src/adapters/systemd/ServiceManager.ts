/**
 * Port: the state of systemd units the NAS depends on (smbd, nfs-server, …),
 * as `systemctl is-active` reports it. Unit names are checked against
 * systemd.unit(5) before anything is spawned.
 */
import { Context, type Effect, Result, Schema } from "effect"

/** What `systemctl is-active` prints; anything else it prints reads "unknown". */
export const UNIT_STATES = [
  "active",
  "reloading",
  "inactive",
  "failed",
  "activating",
  "deactivating",
  "maintenance",
  "refreshing",
  "unknown"
] as const
export type UnitState = (typeof UNIT_STATES)[number]

export class InvalidUnitName extends Schema.TaggedError<InvalidUnitName>()("InvalidUnitName", {
  unit: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `invalid unit name ${JSON.stringify(this.unit)}: ${this.reason}`
  }
}

export class ServiceManagerError extends Schema.TaggedError<ServiceManagerError>()("ServiceManagerError", {
  unit: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot query ${this.unit}: ${this.reason}`
  }
}

export class ServiceManager extends Context.Service<ServiceManager, {
  /** The unit's active state; a unit systemd does not know is "inactive", as systemctl says. */
  readonly isActive: (unit: string) => Effect.Effect<UnitState, InvalidUnitName | ServiceManagerError>
}>()("sigmavault/adapters/systemd/ServiceManager") {}

const UNIT_TYPES = [
  "service",
  "socket",
  "target",
  "device",
  "mount",
  "automount",
  "swap",
  "timer",
  "path",
  "slice",
  "scope"
]
/** systemd.unit(5): ASCII letters, digits, ':', '-', '_', '.', '\'; '@' separates a template's instance. */
const PREFIX = /^[A-Za-z0-9:_.\\-]+$/
const INSTANCE = /^[A-Za-z0-9:_.\\@-]+$/
const MAX_LENGTH = 255

/**
 * The unit name to query, or why it is refused. A name without a unit type
 * suffix means a service, as systemctl takes it. A leading '-' is refused too
 * (systemd allows it, but a tool would read it as an option).
 */
export const validateUnitName = (input: string): Result.Result<string, InvalidUnitName> => {
  const refuse = (reason: string) => Result.fail(new InvalidUnitName({ unit: input, reason }))
  if (input === "") return refuse("it is empty")
  const dot = input.lastIndexOf(".")
  const suffix = dot > 0 ? input.slice(dot + 1) : ""
  const unit = UNIT_TYPES.includes(suffix) ? input : `${input}.service`
  if (unit.length > MAX_LENGTH) return refuse(`it is longer than ${MAX_LENGTH} characters`)
  if (unit.startsWith("-")) return refuse("it starts with '-'")
  const name = unit.slice(0, unit.lastIndexOf("."))
  const at = name.indexOf("@")
  const prefix = at === -1 ? name : name.slice(0, at)
  const instance = at === -1 ? undefined : name.slice(at + 1)
  const allowed = "only ASCII letters, digits, ':', '-', '_', '.', '\\' and one '@' before an instance are allowed"
  if (prefix === "" || !PREFIX.test(prefix)) return refuse(prefix === "" ? "the name before the type is empty" : allowed)
  if (instance !== undefined) {
    if (instance === "") return refuse("a template without an instance has no state")
    if (!INSTANCE.test(instance) || instance.includes("@")) return refuse(allowed)
  }
  if (name.split(".").some((part) => part === "..")) return refuse(allowed)
  return Result.succeed(unit)
}

/** The first line systemctl printed; output of a newer systemd that is not a known state reads "unknown". */
export const parseUnitState = (stdout: string): UnitState => {
  const line = stdout.split("\n")[0]?.trim() ?? ""
  return (UNIT_STATES as ReadonlyArray<string>).includes(line) ? line as UnitState : "unknown"
}
