/**
 * Names that reach a tool's command line (pools, datasets, devices,
 * properties), checked against the tools' own naming rules before anything is
 * spawned. The rules are stricter than the tools' where the tools allow what
 * an argument vector should never carry: ZFS allows spaces in dataset names,
 * we do not; a leading '-' would be read as an option; '..' and control
 * characters have no business in a device path.
 */
import { Result, Schema } from "effect"

export class InvalidName extends Schema.TaggedError<InvalidName>()("InvalidName", {
  kind: Schema.Literals(["pool", "dataset", "device", "property", "value"]),
  name: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `invalid ${this.kind} name ${JSON.stringify(this.name)}: ${this.reason}`
  }
}

export type Validator = (input: string) => Result.Result<string, InvalidName>

const refuse = (kind: InvalidName["kind"], name: string, reason: string) => Result.fail(new InvalidName({ kind, name, reason }))

/** What every name must not hold, whatever the tool: the reason, or undefined. */
const hostile = (input: string): string | undefined => {
  if (input === "") return "it is empty"
  if (input.startsWith("-")) return "it starts with '-', which a tool would read as an option"
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(input)) return "it contains a control character (a newline, a tab, …)"
  if (/\s/.test(input)) return "it contains whitespace"
  const meta = /[;|&$`<>()*?!{}[\]'"\\~^]/.exec(input)
  if (meta !== null) return `it contains '${meta[0]}'`
  return undefined
}

/** zpool(8): "must begin with a letter, and can only contain alphanumeric characters as well as the underscore, dash, colon, space, and period". */
const RESERVED_POOL = /^(mirror|raidz\d?|draid\d?|spare|log|cache|special|dedup)$/
const COMPONENT = /^[A-Za-z0-9_.:-]+$/
const MAX_NAME = 255

export const validatePoolName: Validator = (input) => {
  const problem = hostile(input)
  if (problem !== undefined) return refuse("pool", input, problem)
  if (!/^[A-Za-z]/.test(input)) return refuse("pool", input, "a pool name must begin with a letter")
  if (!COMPONENT.test(input)) return refuse("pool", input, "only letters, digits, '_', '-', ':' and '.' are allowed")
  if (RESERVED_POOL.test(input)) return refuse("pool", input, `'${input}' is reserved by zpool`)
  if (/^c\d/.test(input)) return refuse("pool", input, "names beginning with 'c' and a digit are reserved (device names)")
  if (input.length > MAX_NAME) return refuse("pool", input, `it is longer than ${MAX_NAME} characters`)
  return Result.succeed(input)
}

/** pool/fs/child, optionally with @snapshot or #bookmark when allowed. */
export const validateDatasetName = (input: string, options: { readonly allowSnapshot?: boolean } = {}): Result.Result<string, InvalidName> => {
  const problem = hostile(input)
  if (problem !== undefined) return refuse("dataset", input, problem)
  if (input.length > MAX_NAME) return refuse("dataset", input, `it is longer than ${MAX_NAME} characters`)
  const tail = /[@#]/.exec(input)
  const path = tail === null ? input : input.slice(0, tail.index)
  if (tail !== null) {
    if (options.allowSnapshot !== true) return refuse("dataset", input, `'${tail[0]}' (a snapshot or bookmark) is not allowed here`)
    const suffix = input.slice(tail.index + 1)
    if (!COMPONENT.test(suffix)) return refuse("dataset", input, "the snapshot or bookmark name is empty or has characters other than letters, digits, '_', '-', ':' and '.'")
  }
  const components = path.split("/")
  const pool = validatePoolName(components[0]!)
  if (Result.isFailure(pool)) return refuse("dataset", input, `its pool part: ${pool.failure.reason}`)
  for (const component of components.slice(1)) {
    if (component === "") return refuse("dataset", input, "it has an empty component ('//' or a trailing '/')")
    if (component === "." || component === "..") return refuse("dataset", input, `'${component}' is not a dataset name`)
    if (!COMPONENT.test(component)) return refuse("dataset", input, "only letters, digits, '_', '-', ':' and '.' are allowed in each component")
  }
  return Result.succeed(input)
}

/** A kernel name (sda, nvme0n1, md0) or an absolute path under /dev (by-id links, /dev/mapper/x). */
export const validateDevice: Validator = (input) => {
  const problem = hostile(input)
  if (problem !== undefined) return refuse("device", input, problem)
  if (input.length > 4096) return refuse("device", input, "it is longer than 4096 characters")
  if (!input.includes("/")) {
    return /^[A-Za-z0-9][A-Za-z0-9_.:+-]*$/.test(input)
      ? Result.succeed(input)
      : refuse("device", input, "a device name has letters, digits, '_', '.', ':', '+' and '-'")
  }
  if (!input.startsWith("/dev/")) return refuse("device", input, "a device path must be under /dev/")
  const parts = input.slice("/dev/".length).split("/")
  for (const part of parts) {
    if (part === "") return refuse("device", input, "it has an empty path component ('//' or a trailing '/')")
    if (part === "." || part === "..") return refuse("device", input, "'.' and '..' are not allowed in a device path")
    if (!/^[A-Za-z0-9_.:+,=@-]+$/.test(part)) return refuse("device", input, "a device path has letters, digits and '_', '.', ':', '+', ',', '=', '@', '-'")
  }
  return Result.succeed(input)
}

/** zfsprops(7): native properties are lowercase words; user properties are module:property. */
export const validatePropertyName: Validator = (input) => {
  const problem = hostile(input)
  if (problem !== undefined) return refuse("property", input, problem)
  if (/^[a-z][a-z0-9_]*$/.test(input)) return Result.succeed(input)
  if (/^[a-z0-9_.+-]+:[a-z0-9_.:+-]+$/i.test(input) && input.length <= 256) return Result.succeed(input)
  return refuse("property", input, "a property is a lowercase name (compression) or a user property module:name (com.example:backup)")
}

/** Property values may hold spaces (a description); never a newline, a NUL or a leading '-'. */
export const validatePropertyValue: Validator = (input) => {
  if (input.startsWith("-")) return refuse("value", input, "it starts with '-', which a tool would read as an option")
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(input)) return refuse("value", input, "it contains a control character (a newline, a tab, …)")
  if (input.length > 8192) return refuse("value", input, "it is longer than 8192 characters")
  return Result.succeed(input)
}
