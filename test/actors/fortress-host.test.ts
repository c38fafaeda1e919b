/**
 * FORTRESS with the real tools, as root, without touching this host's /etc:
 * - a listener inside a network namespace is found by `ss` run there with
 *   `ip netns exec`, process column and all;
 * - `sshd -T -f <temp sshd_config>` inside `unshare -m` with a tmpfs on /run
 *   (and /run/sshd made there) is parsed and flagged; without /run/sshd the
 *   live adapter says so instead of failing;
 * - a whole seeded host (network namespace, overlay /etc, running sshd,
 *   socat listeners, share dirs, a 0666 control socket) has every seeded
 *   weakness flagged, and the hardened one gives no finding.
 * A missing tool fails the test, naming it.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { CommandRunner } from "../../src/adapters/command/Command.ts"
import * as CommandRunnerLive from "../../src/adapters/command/CommandRunnerLive.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import { Files } from "../../src/adapters/fs/Files.ts"
import { HostProbe } from "../../src/adapters/hostprobe/HostProbe.ts"
import * as HostProbeLive from "../../src/adapters/hostprobe/HostProbeLive.ts"
import { runAudit } from "../../src/actors/fortress/audit.ts"
import { CHECKS } from "../../src/actors/fortress/codes.ts"
import { sshdFindings } from "../../src/actors/fortress/rules.ts"
import { HARDENED_SSHD, SEEDED_CODES } from "../support/fortressHost.ts"
import { makeNamespace, missingTools } from "../support/fortressNamespace.ts"

const cleanups: Array<() => void | Promise<void>> = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

const requireTools = (...tools: ReadonlyArray<string>) => {
  const missing = missingTools(tools)
  if (missing.length > 0) assert.fail(`this test needs ${missing.join(", ")}, which is not installed`)
}

/** A CommandRunner that runs `tool` as `prefix… tool args`. */
const prefixed = (tool: string, prefix: ReadonlyArray<string>): CommandRunner["Service"] => {
  const live = CommandRunnerLive.make()
  return CommandRunner.of({
    run: (name, args, options) =>
      name === tool
        ? live.run(prefix[0]!, [...prefix.slice(1), name, ...args], options).pipe(Effect.map((output) => ({ ...output, tool: name, args })))
        : live.run(name, args, options)
  })
}

const probeWith = (runner: CommandRunner["Service"]) =>
  Effect.gen(function*() {
    return HostProbeLive.make(runner, yield* Files)
  }).pipe(Effect.provide(FilesLive.layer))

const tmp = () => {
  const dir = mkdtempSync(`/tmp/fortress-${process.pid}-`)
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

describe("FORTRESS on real tools", () => {
  it.effect("a listener inside a network namespace is found by ss run there", () =>
    Effect.gen(function*() {
      requireTools("ip", "socat", "ss")
      const netns = `fortress-${process.pid}-listen`
      let listener: ChildProcess | undefined
      const done = Effect.promise(async () => {
        if (listener?.pid !== undefined && listener.exitCode === null) listener.kill("SIGKILL")
        try {
          execFileSync("ip", ["netns", "del", netns], { stdio: "ignore" })
        } catch {
          // not made
        }
      })
      yield* Effect.gen(function*() {
        execFileSync("ip", ["netns", "add", netns])
        execFileSync("ip", ["netns", "exec", netns, "ip", "link", "set", "lo", "up"])
        listener = spawn("ip", ["netns", "exec", netns, "socat", "TCP-LISTEN:47017,reuseaddr,fork", "OPEN:/dev/null"], { stdio: "ignore" })
        const probe = yield* probeWith(prefixed("ss", ["ip", "netns", "exec", netns]))
        let found: ReadonlyArray<{ port: number; process?: string; address: string }> = []
        for (let i = 0; i < 100 && !found.some((l) => l.port === 47017); i++) {
          const reading = yield* probe.listeners
          if (reading._tag === "Unavailable") return assert.fail(reading.reason)
          found = reading.value
          if (!found.some((l) => l.port === 47017)) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 50)))
        }
        const socat = found.find((l) => l.port === 47017)
        assert.isDefined(socat, "the listener in the namespace was not found")
        assert.deepStrictEqual([socat!.address, socat!.process], ["0.0.0.0", "socat"])
        const outcome = yield* runAudit(probe, { ...configForProbe(), allowedPorts: [22] }, ["sockets"])
        assert.deepInclude(outcome.findings.map((f) => [f.code, f.subject]), ["LISTENER_ALL_INTERFACES", "tcp/47017"])
      }).pipe(Effect.ensuring(done))
    }))

  it.effect("sshd -T -f a temp sshd_config inside unshare -m with a tmpfs /run is parsed and flagged", () =>
    Effect.gen(function*() {
      requireTools("unshare", "/usr/sbin/sshd", "ssh-keygen", "mount")
      const dir = tmp()
      const key = join(dir, "host_key")
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key], { stdio: "ignore" })
      const weak = join(dir, "weak_sshd_config")
      writeFileSync(weak, `HostKey ${key}\nPasswordAuthentication yes\nPermitRootLogin yes\nX11Forwarding yes\n`)
      const strong = join(dir, "strong_sshd_config")
      writeFileSync(strong, `HostKey ${key}\n${HARDENED_SSHD}`)
      // The test's own wrapper: a private mount namespace, a tmpfs on /run, /run/sshd made there, then sshd.
      const inUnshare = ["unshare", "-m", "--propagation", "private", "--", "sh", "-c", "mount -t tmpfs tmpfs /run && mkdir /run/sshd && exec \"$0\" \"$@\""]
      const probe = yield* probeWith(prefixed("sshd", inUnshare))
      const reading = yield* probe.sshd(weak)
      if (reading._tag === "Unavailable") return assert.fail(reading.reason)
      assert.deepStrictEqual(reading.value.passwordauthentication, ["yes"])
      assert.deepStrictEqual(sshdFindings(reading.value, reading.source).map((f) => f.code), ["SSH_PASSWORD_AUTH", "SSH_ROOT_LOGIN", "SSH_X11_FORWARDING", "SSH_MAX_AUTH_TRIES"])
      const hardened = yield* probe.sshd(strong)
      if (hardened._tag === "Unavailable") return assert.fail(hardened.reason)
      assert.deepStrictEqual(sshdFindings(hardened.value, hardened.source), [])
    }))

  it.effect("without /run/sshd the live adapter reports that sshd -T could not read, and a missing sshd as not installed", () =>
    Effect.gen(function*() {
      requireTools("unshare", "/usr/sbin/sshd", "mount")
      const dir = tmp()
      writeFileSync(join(dir, "sshd_config"), "PasswordAuthentication yes\n")
      // A tmpfs on /run without /run/sshd: what a host where sshd is installed but not running looks like.
      const bare = ["unshare", "-m", "--propagation", "private", "--", "sh", "-c", "mount -t tmpfs tmpfs /run && exec \"$0\" \"$@\""]
      const probe = yield* probeWith(prefixed("sshd", bare))
      const reading = yield* probe.sshd(join(dir, "sshd_config"))
      assert.strictEqual(reading._tag, "Unavailable")
      if (reading._tag === "Unavailable") assert.match(reading.reason, /^could not read: sshd -T needs its privilege separation directory/)
      const none = yield* Effect.provide(
        Effect.flatMap(HostProbe.useSync((p) => p), (p) => p.sshd("/nonexistent")),
        HostProbeLive.layerWith({ sshd: `sshd-not-here-${process.pid}` }).pipe(Layer.provide(Layer.mergeAll(CommandRunnerLive.layer(), FilesLive.layer)))
      )
      assert.deepStrictEqual(none._tag === "Unavailable" ? none.reason : "read", "sshd is not installed")
    }))

  it.effect("a seeded host in a namespace: every seeded weakness is flagged; the hardened one gives no finding", () =>
    Effect.gen(function*() {
      const seededHost = yield* Effect.promise(() => makeNamespace("seeded"))
      cleanups.push(seededHost.close)
      const hardenedHost = yield* Effect.promise(() => makeNamespace("hardened"))
      cleanups.push(hardenedHost.close)

      const weak = yield* runAudit(yield* probeWith(seededHost.runner), seededHost.config, CHECKS)
      assert.deepStrictEqual(weak.unread, [])
      const found = new Set(weak.findings.map((f) => f.code))
      for (const code of SEEDED_CODES) assert.isTrue(found.has(code), `${code} was not flagged; findings: ${[...found].join(", ")}`)
      const telnet = weak.findings.find((f) => f.code === "LISTENER_CLEARTEXT_SERVICE")!
      assert.match(telnet.evidence.detail, /socat \(pid \d+\)/)

      const clean = yield* runAudit(yield* probeWith(hardenedHost.runner), hardenedHost.config, CHECKS)
      assert.deepStrictEqual(clean.unread, [])
      assert.deepStrictEqual(clean.findings.map((f) => `${f.code} ${f.subject}: ${f.evidence.detail}`), [])
    }), 60_000)
})

const configForProbe = () => ({
  intervalMs: 0,
  sshdConfig: "/nonexistent/sshd_config",
  smbConfig: "/nonexistent/smb.conf",
  nfsExports: "/nonexistent/exports",
  nfsExportsDir: "/nonexistent/exports.d",
  allowedPorts: [22],
  daemon: { stateDir: "/nonexistent/state", runtimeDir: "/nonexistent/run", socket: "/nonexistent/run/s", configFile: undefined, uid: 0 }
})
