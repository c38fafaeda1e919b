/**
 * PHANTOM in the compiled binary, against real WireGuard: the daemon is told
 * (configuration file) to manage a wireguard-go interface in a network
 * namespace; an administrator adds a peer through `sigmavault ask` (planned,
 * then confirmed), applies, and sets up the client from `peer-config`; the
 * handshake happens, a ping passes, `peers` shows it. The private keys are in
 * the state directory (0600) and in no other file the daemon wrote, nor in
 * any answer but `peer-config`.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeWgNet, requireTools, sh, type WgNet } from "../support/wgnet.ts"
import { binary, cli, type Daemon, startDaemon } from "./harness.ts"

let daemon: Daemon
let net: WgNet
let dir: string
const answers: Array<string> = []

const ask = async (message: unknown) => {
  const result = await cli(["ask", "PHANTOM", JSON.stringify(message), "--json", "--socket", daemon.socket])
  answers.push(result.stdout, result.stderr)
  return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : undefined }
}

const walk = (root: string): Array<string> =>
  readdirSync(root, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(root, e.name)) : e.isFile() ? [join(root, e.name)] : []))

describe("PHANTOM in the binary, over real WireGuard", () => {
  beforeAll(async () => {
    requireTools("wg", "wg-quick", "qrencode")
    net = await makeWgNet("e")
    dir = mkdtempSync(join(tmpdir(), `sigmavault-e2e-vpn-${process.pid}-`))
    const config = join(dir, "vpn.conf")
    writeFileSync(config, [
      `file_roots = ${tmpdir()}`,
      `wireguard_interface = ${net.serverIf}`,
      `wireguard_listen_port = ${21_000 + (process.pid % 20_000)}`,
      "wireguard_subnet = 10.202.0.0/24",
      `wireguard_endpoint = ${net.serverUnderlay}`,
      ""
    ].join("\n"))
    daemon = await startDaemon({ dir, args: ["--config", config] })
  }, 30_000)
  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    net?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it("add-peer is planned, then confirmed; apply configures the interface; the peer's config brings up a working tunnel", async () => {
    const plan = await ask({ type: "add-peer", name: "laptop" })
    expect(plan.json).toMatchObject({ executed: false, peer: { name: "laptop", publicKey: null, address: "10.202.0.2/32" } })
    const added = await ask({ type: "add-peer", name: "laptop", confirm: true })
    expect(added.json.executed).toBe(true)
    const hostile = await ask({ type: "add-peer", name: "x\nPostUp = reboot", confirm: true })
    expect(hostile.code).not.toBe(0)
    expect(hostile.stderr).toMatch(/name/)

    const applyPlan = await ask({ type: "apply" })
    expect(applyPlan.json.config).toContain("PrivateKey = (hidden)")
    expect(applyPlan.json.adding).toEqual([added.json.peer.publicKey])
    const applied = await ask({ type: "apply", confirm: true })
    expect(applied.json.executed).toBe(true)
    const server = await ask({ type: "server" })
    expect(server.json).toMatchObject({ interface: net.serverIf, up: true, keyApplied: true, address: "10.202.0.1/24" })
    net.up(net.serverNs, net.serverIf, server.json.address)

    const peerConfig = await ask({ type: "peer-config", name: "laptop", qr: true })
    const text: string = peerConfig.json.config
    expect(peerConfig.json.qr).toContain("█")
    const file = join(dir, `${net.clientIf}.conf`)
    writeFileSync(file, text, { mode: 0o600 })
    writeFileSync(join(dir, "client.conf"), sh("wg-quick", ["strip", file]), { mode: 0o600 })
    sh("wg", ["setconf", net.clientIf, join(dir, "client.conf")])
    rmSync(file)
    rmSync(join(dir, "client.conf"))
    net.up(net.clientNs, net.clientIf, /Address = (\S+)/.exec(text)![1]!)

    let answered = false
    for (let i = 0; i < 10 && !answered; i++) answered = net.ping("10.202.0.1")
    expect(answered).toBe(true)
    const peers = await ask({ type: "peers" })
    expect(peers.json.peers[0]).toMatchObject({ name: "laptop", applied: true, enabled: true })
    expect(peers.json.peers[0].latestHandshake).not.toBeNull()

    // The keys: 0600 in the state directory, and nowhere else the daemon wrote, nor in any other answer.
    const stateFile = join(daemon.dir, "state", "phantom.json")
    expect(statSync(stateFile).mode & 0o777).toBe(0o600)
    const stored = JSON.parse(readFileSync(stateFile, "utf8")).data
    const secrets = [stored.server.privateKey, stored.peers[0].privateKey]
    expect(text).toContain(stored.peers[0].privateKey)
    const others = answers.filter((a) => a !== peerConfig.stdout)
    for (const secret of secrets) {
      for (const answer of others) expect(answer).not.toContain(secret)
      expect(daemon.log()).not.toContain(secret)
      for (const path of walk(join(daemon.dir, "state")).filter((p) => p !== stateFile)) {
        expect(readFileSync(path).toString("latin1"), path).not.toContain(secret)
      }
    }
    // The ledger has the admin's requests, with the caller; the ledger is among the files checked above.
    const tail = spawnSync(binary(), ["audit", "tail", "--state-dir", join(daemon.dir, "state"), "-n", "200", "--json"], { encoding: "utf8" })
    const entries = tail.stdout.trim().split("\n").map((line) => JSON.parse(line) as { actor: string; action: string; detail: { agent?: string; message?: { type?: string } } })
    const admitted = entries.filter((e) => e.action === "request.admitted" && e.detail.agent === "PHANTOM")
    expect(admitted.map((e) => e.detail.message?.type)).toEqual(expect.arrayContaining(["add-peer", "apply", "peer-config"]))
    expect(admitted.every((e) => e.actor === `uid:${process.getuid!()}`)).toBe(true)
  })

  it("disable-peer and apply take the peer off the interface", async () => {
    await ask({ type: "disable-peer", name: "laptop", confirm: true })
    const applied = await ask({ type: "apply", confirm: true })
    expect(applied.json.removing).toHaveLength(1)
    const peers = await ask({ type: "peers" })
    expect(peers.json.peers[0]).toMatchObject({ applied: false, enabled: false })
    expect(net.ping("10.202.0.1")).toBe(false)
    const removed = await ask({ type: "remove-peer", name: "laptop", confirm: true })
    expect(removed.json.executed).toBe(true)
    const gone = await ask({ type: "peer-config", name: "laptop" })
    expect(gone.stderr).toMatch(/no WireGuard peer named 'laptop'/)
  })
})
