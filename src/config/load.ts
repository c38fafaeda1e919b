/**
 * Reading the configuration file: the filesystem edge of this module. Read
 * failures and text that is not UTF-8 become `ConfigError`s like any other
 * configuration problem.
 */
import * as fs from "node:fs/promises"
import { Effect, Result } from "effect"
import { type Config, ConfigError } from "./Config.ts"
import { parseConfig, type ParseOptions } from "./parse.ts"

/** Where the daemon looks when no --config is given (read only if it exists). */
export const DEFAULT_CONFIG_FILE = "/etc/sigmavault/sigmavault.conf"

const READ_FAILURES: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "it is a directory, not a file",
  ENOTDIR: "a component of the path is not a directory",
  ELOOP: "too many symbolic links"
}

const codeOf = (error: unknown): string | undefined => {
  const code: unknown = typeof error === "object" && error !== null && "code" in error ? error.code : undefined
  return typeof code === "string" ? code : undefined
}

const readFailure = (file: string, error: unknown) => {
  const code = codeOf(error)
  const described = code === undefined ? undefined : READ_FAILURES[code]
  const detail = described === undefined
    ? error instanceof Error ? error.message : String(error)
    : `${described} (${code})`
  return new ConfigError({ file, line: undefined, key: undefined, reason: `cannot read the configuration file: ${detail}` })
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true })

/** The file's text, or an error naming the first line that is not valid UTF-8. */
const decodeUtf8 = (file: string, bytes: Uint8Array): Result.Result<string, ConfigError> =>
  Result.try({
    try: () => strictUtf8.decode(bytes),
    catch: () => {
      const index = new TextDecoder("utf-8").decode(bytes).split(/\r?\n/).findIndex((line) => line.includes("\uFFFD"))
      return new ConfigError({
        file,
        line: index === -1 ? undefined : index + 1,
        key: undefined,
        reason: "the text is not valid UTF-8; save the file as UTF-8"
      })
    }
  })

const readConfig = Effect.fnUntraced(function*(file: string, ifExists: boolean, options: ParseOptions) {
  const bytes = yield* Effect.tryPromise({
    try: (): Promise<Uint8Array | undefined> => fs.readFile(file),
    catch: (error) => error
  }).pipe(
    Effect.catch((error) =>
      ifExists && codeOf(error) === "ENOENT" ? Effect.succeed(undefined) : Effect.fail(readFailure(file, error))
    )
  )
  if (bytes === undefined) return {}
  const text = yield* Effect.fromResult(decodeUtf8(file, bytes))
  return yield* Effect.fromResult(parseConfig(text, file, options))
})

/**
 * Reads and parses a configuration file named by the user: a file that cannot
 * be read is an error. `undefined` (no file) gives no settings.
 */
export const loadConfig = (file: string | undefined, options: ParseOptions = {}): Effect.Effect<Partial<Config>, ConfigError> =>
  file === undefined ? Effect.succeed({}) : readConfig(file, false, options)

/**
 * Like `loadConfig`, but a missing file gives no settings: for the default
 * location, which need not exist. Any other read failure is still an error.
 */
export const loadConfigIfExists = (file: string, options: ParseOptions = {}): Effect.Effect<Partial<Config>, ConfigError> =>
  readConfig(file, true, options)
