/**
 * Reading the configuration file from disk: a file named by the user must be
 * readable, the default location may be absent, and every failure is a
 * ConfigError naming the file.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { loadConfig, loadConfigIfExists } from "../../src/config/load.ts"

/** A fresh directory under the OS temp dir, removed when the test's scope closes. */
const tempDir = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "sigmavault-config-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)

const write = (file: string, content: string | Uint8Array) => Effect.promise(() => fs.writeFile(file, content))

describe("loadConfig", () => {
  it.effect("reads and parses the named file", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "sigmavault.conf")
      yield* write(file, "# test\nlog_level = debug\nsocket_mode = 0600\n")
      assert.deepStrictEqual(yield* loadConfig(file), { logLevel: "debug", socketMode: 0o600 })
    }))

  it.effect("no file given: no settings", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* loadConfig(undefined), {})
    }))

  it.effect("a named file that does not exist is an error", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "missing.conf")
      const error = yield* Effect.flip(loadConfig(file))
      assert.strictEqual(error._tag, "ConfigError")
      assert.deepStrictEqual([error.file, error.line, error.key], [file, undefined, undefined])
      assert.strictEqual(error.message, `${file}: cannot read the configuration file: no such file (ENOENT)`)
    }))

  it.effect("a directory is not a configuration file", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const error = yield* Effect.flip(loadConfig(dir))
      assert.strictEqual(error.message, `${dir}: cannot read the configuration file: it is a directory, not a file (EISDIR)`)
    }))

  it.effect("a mistake in the file fails with its line", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "sigmavault.conf")
      yield* write(file, "log_level = info\nsocket_mode = 0644\n")
      const error = yield* Effect.flip(loadConfig(file))
      assert.strictEqual(
        error.message,
        `${file}:2: socket_mode: 0644 grants access to others (o+rwx bits must be 0); expected a mode ending in 0, such as 0640`
      )
    }))

  it.effect("text that is not UTF-8 is an error naming its line, not a silently mangled value", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "latin1.conf")
      const latin1Path = Uint8Array.from([...Buffer.from("log_level = info\nstate_dir = /srv/caf"), 0xe9, 0x0a])
      yield* write(file, latin1Path)
      const error = yield* Effect.flip(loadConfig(file))
      assert.strictEqual(error.message, `${file}:2: the text is not valid UTF-8; save the file as UTF-8`)
    }))
})

describe("loadConfigIfExists (the default location)", () => {
  it.effect("a missing file gives no settings", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      assert.deepStrictEqual(yield* loadConfigIfExists(path.join(dir, "sigmavault.conf")), {})
    }))

  it.effect("an existing file is read and checked as usual", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "sigmavault.conf")
      yield* write(file, "max_connections = 12\n")
      assert.deepStrictEqual(yield* loadConfigIfExists(file), { maxConnections: 12 })
      yield* write(file, "max_conections = 12\n")
      const error = yield* Effect.flip(loadConfigIfExists(file))
      assert.strictEqual(error.message, `${file}:1: max_conections: unknown key; did you mean 'max_connections'?`)
    }))

  it.effect("other read failures are still errors", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const error = yield* Effect.flip(loadConfigIfExists(dir))
      assert.strictEqual(error.message, `${dir}: cannot read the configuration file: it is a directory, not a file (EISDIR)`)
    }))
})
