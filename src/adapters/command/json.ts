/**
 * Reading tools' JSON by path: each accessor names the field it was reading
 * when the shape is wrong, so a decode error says "pools.tank.vdevs.sda.read_errors:
 * expected a count, got {}". Parsers call `decodeJson`, which turns the
 * first bad field into a DecodeError and never lets anything else escape.
 */
import { Result } from "effect"
import { DecodeError } from "./DecodeError.ts"

class BadField {
  constructor(readonly path: string, readonly reason: string) {}
}

export type Json = unknown

/** A value as an error names it: its kind, or its text cut at 40 characters. */
export const describe = (value: unknown): string => {
  if (value === null) return "null"
  if (Array.isArray(value)) return "an array"
  if (typeof value === "object") return "an object"
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}

export const fail = (path: string, reason: string): never => {
  throw new BadField(path, reason)
}

export const join = (path: string, key: string | number) => (path === "" ? String(key) : `${path}.${key}`)

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

export const object = (value: unknown, path: string): Record<string, unknown> =>
  isObject(value) ? value : fail(path, `expected an object, got ${describe(value)}`)

export const array = (value: unknown, path: string): ReadonlyArray<unknown> =>
  Array.isArray(value) ? value : fail(path, `expected an array, got ${describe(value)}`)

export const string = (value: unknown, path: string): string =>
  typeof value === "string" ? value : fail(path, `expected a string, got ${describe(value)}`)

export const optionalString = (value: unknown, path: string): string | undefined =>
  value === undefined || value === null ? undefined : string(value, path)

export const boolean = (value: unknown, path: string): boolean => {
  if (typeof value === "boolean") return value
  if (value === 0 || value === "0") return false
  if (value === 1 || value === "1") return true
  return fail(path, `expected true or false, got ${describe(value)}`)
}

/** A finite number, given as a number or a decimal string. */
export const number = (value: unknown, path: string): number => {
  if (typeof value === "number" && Number.isFinite(value)) return value
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value)
  return fail(path, `expected a number, got ${describe(value)}`)
}

export const optionalNumber = (value: unknown, path: string): number | undefined =>
  value === undefined || value === null ? undefined : number(value, path)

/** Parses `text` and runs `read` over it; the first bad field becomes a DecodeError naming its path. */
export const decodeJson = <A>(source: string, text: string, read: (root: unknown) => A): Result.Result<A, DecodeError> => {
  let root: unknown
  try {
    root = JSON.parse(text)
  } catch (cause) {
    return Result.fail(new DecodeError({ source, path: "", reason: `not JSON: ${cause instanceof Error ? cause.message : String(cause)}` }))
  }
  return decodeValue(source, root, read)
}

export const decodeValue = <A>(source: string, root: unknown, read: (root: unknown) => A): Result.Result<A, DecodeError> => {
  try {
    return Result.succeed(read(root))
  } catch (cause) {
    if (cause instanceof BadField) return Result.fail(new DecodeError({ source, path: cause.path, reason: cause.reason }))
    return Result.fail(new DecodeError({ source, path: "", reason: `unexpected shape: ${cause instanceof Error ? cause.message : String(cause)}` }))
  }
}
