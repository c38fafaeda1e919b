/**
 * `wireguardDifferential`: FORGE's WireGuard render against the real tools on
 * 1,000 random specs (a fixed seed): every spec FORGE renders must pass
 * `wg-quick strip` and `wg setconf` (on one scratch wireguard-go interface in
 * a private network namespace), every spec it refuses, rendered anyway, must
 * fail them — except the documented class wg accepts and misreads (a port
 * above 65535, taken modulo 65536). The anchor is the real tools' time on
 * the same specs: FORGE decides in a fraction of it, before any tool runs.
 */
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit } from "effect"
import * as fc from "fast-check"
import { renderWireguard, renderWireguardText } from "../../src/actors/forge/wireguard.ts"
import { requireTools } from "../../test/support/wgnet.ts"
import { wireguardSpec, wraps } from "../../test/support/wireguardSpecs.ts"
import { now, round } from "../support.ts"

const SPECS = Number(process.env.BENCH_WG_SPECS ?? 1_000)

export const wireguardDifferential = async () => {
  requireTools("wg", "wg-quick", "wireguard-go", "ip")
  const ns = `sv-wg-d-${process.pid}`
  const iface = `wgd${process.pid}`.slice(0, 15)
  const dir = mkdtempSync(join(tmpdir(), `sv-bench-wgdiff-${process.pid}-`))
  let child: ReturnType<typeof spawn> | undefined
  try {
    spawnSync("ip", ["netns", "add", ns])
    child = spawn("ip", ["netns", "exec", ns, "wireguard-go", "-f", iface], { stdio: "ignore" })
    const deadline = Date.now() + 5_000
    while (!existsSync(`/var/run/wireguard/${iface}.sock`)) {
      if (Date.now() > deadline) throw new Error(`wireguard-go ${iface} did not start`)
      await new Promise((r) => setTimeout(r, 20))
    }
    const specs = fc.sample(wireguardSpec, { numRuns: SPECS, seed: 17 })
    const outcome = { bothAccept: 0, bothRefuse: 0, stricterThanWg: 0, forgeAcceptedWgRefused: 0, forgeRefusedWgAccepted: 0 }
    let forgeMs = 0
    let toolMs = 0
    const file = join(dir, "wg0.conf")
    const stripped = join(dir, "stripped.conf")
    for (const spec of specs) {
      let t0 = now()
      const forge = Effect.runSyncExit(renderWireguard(spec))
      forgeMs += now() - t0
      const text = Exit.isSuccess(forge) ? forge.value.files[0]!.text : renderWireguardText(spec)
      t0 = now()
      writeFileSync(file, text, { mode: 0o600 })
      const strip = spawnSync("wg-quick", ["strip", file], { encoding: "utf8" })
      let accepted = strip.status === 0
      if (accepted) {
        // Any valid port becomes 0: the scratch interface must not take a real one.
        writeFileSync(stripped, strip.stdout.replace(/^(ListenPort = )([0-9]{1,5})$/m, (line, head: string, port: string) => (Number(port) <= 65_535 ? `${head}0` : line)))
        accepted = spawnSync("wg", ["setconf", iface, stripped], { stdio: "ignore" }).status === 0
      }
      toolMs += now() - t0
      if (Exit.isSuccess(forge) && accepted) outcome.bothAccept++
      else if (Exit.isFailure(forge) && !accepted) outcome.bothRefuse++
      else if (Exit.isFailure(forge) && wraps(text)) outcome.stricterThanWg++
      else if (Exit.isSuccess(forge)) outcome.forgeAcceptedWgRefused++
      else outcome.forgeRefusedWgAccepted++
    }
    const forgeUs = round((forgeMs * 1000) / SPECS)
    const toolUs = round((toolMs * 1000) / SPECS)
    const agreed = outcome.forgeAcceptedWgRefused === 0 && outcome.forgeRefusedWgAccepted === 0
    process.stderr.write(
      `wireguardDifferential: ${SPECS} specs, ${JSON.stringify(outcome)}; FORGE ${forgeUs} µs/spec vs wg-quick strip + wg setconf ${toolUs} µs/spec, ratio ${round(forgeUs / toolUs, 5)}\n`
    )
    return { specs: SPECS, ...outcome, agreed, forgeUsPerSpec: forgeUs, toolsUsPerSpec: toolUs, ratio: round(forgeUs / toolUs, 5) }
  } finally {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGTERM")
    spawnSync("ip", ["netns", "del", ns])
    rmSync(`/var/run/wireguard/${iface}.sock`, { force: true })
    rmSync(dir, { recursive: true, force: true })
  }
}
