/**
 * PRISM's settings: metrics_listen's syntax, the loopback rule (a
 * non-loopback address needs metrics_listen_remote = true, because the
 * metrics are unauthenticated), metrics_textfile's .prom rule.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { isLoopback, parseListen } from "../../src/config/Config.ts"
import { parseConfig } from "../../src/config/parse.ts"
import { resolveDaemonSettings } from "../../src/daemon/settings.ts"

const dir = mkdtempSync(join(tmpdir(), `sigmavault-metrics-config-${process.pid}-`))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const settingsWith = (lines: ReadonlyArray<string>) => {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.conf`)
  writeFileSync(file, `${lines.join("\n")}\n`)
  return Effect.result(resolveDaemonSettings({ command: "run", positional: [], flags: new Map([["--config", [file]]]) }, {}))
}

describe("metrics settings", () => {
  it("metrics_listen: HOST:PORT with an IP address or localhost", () => {
    assert.deepStrictEqual(parseListen("127.0.0.1:9187"), { host: "127.0.0.1", port: 9187 })
    assert.deepStrictEqual(parseListen("[::1]:9187"), { host: "::1", port: 9187 })
    assert.deepStrictEqual(parseListen("localhost:1"), { host: "localhost", port: 1 })
    for (const bad of ["127.0.0.1", ":9187", "127.0.0.1:0", "127.0.0.1:65536", "::1:9187", "example.org:9187", "300.1.1.1:80", "[::1]9187"]) {
      assert.isString(parseListen(bad), bad)
      assert.isTrue(Result.isFailure(parseConfig(`metrics_listen = ${bad}`, "x.conf")), bad)
    }
  })

  it("loopback: 127.0.0.0/8, ::1 and localhost, nothing else", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "0:0:0:0:0:0:0:1", "localhost", "::ffff:127.0.0.1"]) assert.isTrue(isLoopback(host), host)
    for (const host of ["0.0.0.0", "::", "192.168.1.2", "10.0.0.1", "::2", "fe80::1", "1::1", "128.0.0.1"]) assert.isFalse(isLoopback(host), host)
  })

  it.effect("the daemon refuses a non-loopback metrics_listen unless metrics_listen_remote = true, saying why", () =>
    Effect.gen(function*() {
      const refused = yield* settingsWith(["metrics_listen = 0.0.0.0:9187"])
      assert.isTrue(Result.isFailure(refused))
      if (Result.isFailure(refused)) {
        assert.include(refused.failure.message, "metrics_listen 0.0.0.0:9187 is not a loopback address")
        assert.include(refused.failure.message, "without authentication")
        assert.include(refused.failure.message, "metrics_listen_remote = true")
      }
      const allowed = yield* settingsWith(["metrics_listen = 0.0.0.0:9187", "metrics_listen_remote = true"])
      assert.deepStrictEqual(Result.getOrThrow(allowed).metricsListen, { host: "0.0.0.0", port: 9187 })
      const loopback = yield* settingsWith(["metrics_listen = [::1]:9100"])
      assert.deepStrictEqual(Result.getOrThrow(loopback).metricsListen, { host: "::1", port: 9100 })
      assert.isUndefined(Result.getOrThrow(yield* settingsWith([])).metricsListen)
    }))

  it("metrics_textfile must end in .prom (node_exporter reads only those); the interval is 10 s or more", () => {
    assert.isTrue(Result.isSuccess(parseConfig("metrics_textfile = /var/lib/node_exporter/sigmavault.prom", "x.conf")))
    assert.isTrue(Result.isFailure(parseConfig("metrics_textfile = /var/lib/node_exporter/sigmavault.txt", "x.conf")))
    assert.isTrue(Result.isFailure(parseConfig("metrics_textfile = relative.prom", "x.conf")))
    assert.isTrue(Result.isFailure(parseConfig("metrics_textfile_interval_seconds = 5", "x.conf")))
    assert.isTrue(Result.isFailure(parseConfig("metrics_listen_remote = yes", "x.conf")))
  })
})
