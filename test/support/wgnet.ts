/**
 * Two network namespaces joined by a veth pair, with a wireguard-go
 * interface in each: a WireGuard server and a client that never touch the
 * host's network (addresses exist only inside the namespaces). Names hold
 * the process id and a tag (wireguard-go's control sockets in
 * /var/run/wireguard are global); `close` kills the wireguard-go processes by
 * pid and deletes the namespaces (their links go with them), whatever state
 * setup reached. Needs root, ip (iproute2), wireguard-go, wg and ping: a
 * missing one fails naming it.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { existsSync, rmSync } from "node:fs"
import { requireTools } from "./tools.ts"

export { requireTools }

export const sh = (tool: string, args: ReadonlyArray<string>, input?: string): string => {
  const out = spawnSync(tool, args, { encoding: "utf8", ...(input === undefined ? {} : { input }) })
  if (out.error !== undefined) throw new Error(`${tool} ${args.join(" ")}: ${out.error.message}`)
  if (out.status !== 0) throw new Error(`${tool} ${args.join(" ")} exited ${out.status}: ${out.stderr.trim()}`)
  return out.stdout
}

export interface WgNet {
  readonly serverNs: string
  readonly clientNs: string
  readonly serverIf: string
  readonly clientIf: string
  /** The server's veth address (inside serverNs), which the client reaches it at. */
  readonly serverUnderlay: string
  /** Runs a tool inside a namespace. */
  readonly inNs: (ns: string, tool: string, args: ReadonlyArray<string>) => string
  /** Gives a WireGuard interface its tunnel address and brings it up. */
  readonly up: (ns: string, iface: string, cidr: string) => void
  /** One ping through the tunnel from the client, true when answered within 1 s. */
  readonly ping: (address: string) => boolean
  readonly close: () => void
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export const makeWgNet = async (tag: string): Promise<WgNet> => {
  requireTools("ip", "wireguard-go", "wg", "ping")
  const id = `${process.pid}${tag}`
  const serverNs = `sv-wg-s-${id}`
  const clientNs = `sv-wg-c-${id}`
  const serverIf = `wgs${id}`.slice(0, 15)
  const clientIf = `wgc${id}`.slice(0, 15)
  const vethS = `vws${id}`.slice(0, 15)
  const vethC = `vwc${id}`.slice(0, 15)
  const children: Array<ChildProcess> = []
  const close = () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(child.pid, "SIGTERM")
        } catch {}
      }
    }
    for (const ns of [serverNs, clientNs]) spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" })
    // The veth pair goes with its namespaces; this catches a setup that stopped before moving it.
    spawnSync("ip", ["link", "del", vethS], { stdio: "ignore" })
    for (const iface of [serverIf, clientIf]) rmSync(`/var/run/wireguard/${iface}.sock`, { force: true })
  }
  try {
    const serverUnderlay = "192.168.231.1"
    sh("ip", ["netns", "add", serverNs])
    sh("ip", ["netns", "add", clientNs])
    sh("ip", ["link", "add", vethS, "type", "veth", "peer", "name", vethC])
    sh("ip", ["link", "set", vethS, "netns", serverNs])
    sh("ip", ["link", "set", vethC, "netns", clientNs])
    sh("ip", ["-n", serverNs, "addr", "add", `${serverUnderlay}/24`, "dev", vethS])
    sh("ip", ["-n", clientNs, "addr", "add", "192.168.231.2/24", "dev", vethC])
    for (const [ns, veth] of [[serverNs, vethS], [clientNs, vethC]] as const) {
      sh("ip", ["-n", ns, "link", "set", veth, "up"])
      sh("ip", ["-n", ns, "link", "set", "lo", "up"])
    }
    for (const [ns, iface] of [[serverNs, serverIf], [clientNs, clientIf]] as const) {
      // `ip netns exec` execs wireguard-go, so this pid is wireguard-go's; -f keeps it in the foreground.
      const child = spawn("ip", ["netns", "exec", ns, "wireguard-go", "-f", iface], { stdio: "ignore" })
      children.push(child)
      const deadline = Date.now() + 5_000
      while (!existsSync(`/var/run/wireguard/${iface}.sock`)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`wireguard-go ${iface} did not start in ${ns}`)
        await sleep(20)
      }
    }
    const inNs = (ns: string, tool: string, args: ReadonlyArray<string>) => sh("ip", ["netns", "exec", ns, tool, ...args])
    return {
      serverNs,
      clientNs,
      serverIf,
      clientIf,
      serverUnderlay,
      inNs,
      up: (ns, iface, cidr) => {
        sh("ip", ["-n", ns, "addr", "add", cidr, "dev", iface])
        sh("ip", ["-n", ns, "link", "set", iface, "up"])
      },
      ping: (address) => spawnSync("ip", ["netns", "exec", clientNs, "ping", "-c", "1", "-W", "1", address], { stdio: "ignore" }).status === 0,
      close
    }
  } catch (error) {
    close()
    throw error
  }
}
