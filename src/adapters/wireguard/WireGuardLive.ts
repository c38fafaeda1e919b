/**
 * WireGuard through `wg` and `wg-quick`, spawned with argument arrays by the
 * CommandRunner. A config reaches `wg` as a file in a fresh 0700 temporary
 * directory, written 0600, removed whatever happens. Whatever `wg` says about
 * a config is scrubbed of the config's private and preshared keys before it
 * becomes an error.
 */
import { chmod, mkdtemp, readdir, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, Result } from "effect"
import { CommandRunner, requireSuccess } from "../command/Command.ts"
import { parseDump, rejectionOf } from "./parse.ts"
import {
  checkInterfaceName,
  InterfaceDown,
  WireGuard,
  WireguardRejected,
  WireguardTempFile,
  WireguardUnreadable
} from "./WireGuard.ts"

const TIMEOUT_MS = 10_000
const SECRET_LINE = /^\s*(PrivateKey|PresharedKey)\s*=\s*(\S+)\s*$/gim

/** Removes every private or preshared key the config holds from `text`. */
export const scrubSecrets = (text: string, config: string): string => {
  let out = text
  for (const match of config.matchAll(SECRET_LINE)) out = out.split(match[2]!).join("(secret)")
  return out
}

/** Runs `use` with `config` written to DIR/NAME.conf (0600 in a 0700 directory); the directory is removed afterwards. */
const withConfigFile = <A, E, R>(name: string, config: string, use: (file: string) => Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.tryPromise({
      try: async () => {
        const dir = await mkdtemp(join(tmpdir(), `sigmavault-wg-${process.pid}-`))
        await chmod(dir, 0o700)
        const file = join(dir, `${name}.conf`)
        await writeFile(file, config, { mode: 0o600, flag: "wx" })
        return { dir, file }
      },
      catch: (cause) => new WireguardTempFile({ reason: cause instanceof Error ? cause.message : String(cause) })
    }),
    ({ file }) => use(file),
    ({ dir }) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  )

const DOWN = /No such device|Unable to access interface|does not exist|Protocol not supported/i

export const make = (runner: CommandRunner["Service"]): WireGuard["Service"] => {
  const run = (tool: string, args: ReadonlyArray<string>) => runner.run(tool, args, { timeoutMs: TIMEOUT_MS })

  const show = (iface: string) =>
    Effect.gen(function*() {
      yield* checkInterfaceName(iface)
      const output = yield* run("wg", ["show", iface, "dump"])
      if (output.exitCode !== 0) {
        // stderr of `wg show` names the interface, never a key.
        const reason = output.stderr.trim().split("\n")[0] ?? ""
        return yield* (DOWN.test(output.stderr)
          ? Effect.fail(new InterfaceDown({ interface: iface, reason }))
          : Effect.fail(new WireguardUnreadable({ interface: iface, reason: `wg exited ${output.exitCode}: ${reason}` })))
      }
      const parsed = parseDump(iface, output.stdout)
      return Result.isSuccess(parsed)
        ? parsed.success
        : yield* Effect.fail(new WireguardUnreadable({ interface: iface, reason: parsed.failure }))
    })

  const refused = (tool: string, config: string, stderr: string) => {
    const { reason } = rejectionOf(scrubSecrets(stderr, config))
    return new WireguardRejected({ tool, reason })
  }

  const syncconf = (iface: string, config: string) =>
    Effect.gen(function*() {
      yield* checkInterfaceName(iface)
      yield* withConfigFile(iface, config, (file) =>
        Effect.gen(function*() {
          const output = yield* run("wg", ["syncconf", iface, file])
          if (output.exitCode === 0) return
          if (DOWN.test(output.stderr)) return yield* Effect.fail(new InterfaceDown({ interface: iface, reason: scrubSecrets(output.stderr.trim(), config) }))
          return yield* Effect.fail(refused("wg syncconf", config, output.stderr))
        }))
    })

  const strip = (config: string) =>
    withConfigFile("wgcheck", config, (file) =>
      Effect.gen(function*() {
        const output = yield* run("wg-quick", ["strip", file])
        if (output.exitCode !== 0) return yield* Effect.fail(refused("wg-quick strip", config, output.stderr))
        return output.stdout
      }))

  /** A scratch interface for `wg setconf`: wireguard-go daemonizes itself; deleting the link ends it. */
  const scratch = `svchk${process.pid}`.slice(0, 15)
  /** Scratch interfaces a killed checker left (its pid is gone, or it is ours from before), deleted before a new one is made. */
  const sweep = Effect.gen(function*() {
    const names = yield* Effect.promise(() => readdir("/var/run/wireguard").catch(() => [] as Array<string>))
    for (const name of names) {
      const pid = /^svchk([0-9]+)\.sock$/.exec(name)?.[1]
      if (pid === undefined) continue
      let alive = Number(pid) !== process.pid
      if (alive) {
        try {
          process.kill(Number(pid), 0)
        } catch (error) {
          alive = (error as NodeJS.ErrnoException).code !== "ESRCH"
        }
      }
      if (!alive) yield* Effect.ignore(run("ip", ["link", "del", `svchk${pid}`]))
    }
  })
  const check = (config: string) =>
    Effect.gen(function*() {
      const stripped = yield* strip(config)
      const warnings: Array<string> = []
      // The scratch interface must not take a port the real one holds: any valid port becomes 0 (random).
      const portless = stripped.replace(/^(\s*ListenPort\s*=\s*)([0-9]{1,5})\s*$/gim, (line, head: string, port: string) =>
        Number(port) <= 65_535 ? `${head}0` : line)
      yield* sweep
      const started = yield* Effect.result(Effect.flatMap(run("wireguard-go", [scratch]), requireSuccess))
      if (Result.isFailure(started)) {
        warnings.push(`checked with wg-quick strip only: no scratch interface (${started.failure.message.split("\n")[0]})`)
        return { tools: ["wg-quick strip"], warnings }
      }
      return yield* withConfigFile(scratch, portless, (file) =>
        Effect.gen(function*() {
          const output = yield* run("wg", ["setconf", scratch, file])
          if (output.exitCode !== 0) return yield* Effect.fail(refused("wg setconf", portless, output.stderr))
          return { tools: ["wg-quick strip", "wg setconf"], warnings }
        })).pipe(Effect.ensuring(Effect.ignore(run("ip", ["link", "del", scratch]))))
    })

  const qr = (text: string) =>
    Effect.map(Effect.flatMap(runner.run("qrencode", ["-t", "ansiutf8"], { timeoutMs: TIMEOUT_MS, stdin: text }), requireSuccess), (o) => o.stdout)

  return WireGuard.of({ show, syncconf, strip, check, qr })
}

export const layer: Layer.Layer<WireGuard, never, CommandRunner> = Layer.effect(WireGuard, Effect.map(CommandRunner, make))
