/**
 * `wg show INTERFACE dump`: tab-separated, one interface line (private key,
 * public key, listen port, fwmark) then one line per peer (public key,
 * preshared key, endpoint, allowed IPs, latest handshake, bytes received,
 * bytes sent, persistent keepalive). The interface line's first field is the
 * **private key**, and a peer's second field a preshared key: both are
 * dropped here and never copied into a result or an error message (errors
 * name line numbers and field counts, never the text).
 */
import { Result } from "effect"
import type { LiveInterface, LivePeer } from "./WireGuard.ts"

const none = (field: string): string | null => (field === "(none)" || field === "" ? null : field)

const whole = (field: string): number | undefined => (/^[0-9]+$/.test(field) ? Number(field) : undefined)

export const parseDump = (iface: string, text: string): Result.Result<LiveInterface, string> => {
  const lines = text.split("\n").filter((line) => line !== "")
  if (lines.length === 0) return Result.fail("empty output")
  const head = lines[0]!.split("\t")
  if (head.length !== 4) return Result.fail(`line 1 has ${head.length} fields, expected 4`)
  // head[0] is the private key: not read, not kept.
  const listenPort = whole(head[2]!)
  const peers: Array<LivePeer> = []
  for (let index = 1; index < lines.length; index++) {
    const fields = lines[index]!.split("\t")
    if (fields.length !== 8) return Result.fail(`line ${index + 1} has ${fields.length} fields, expected 8`)
    const [publicKey, preshared, endpoint, allowed, handshake, rx, tx, keepalive] = fields as [string, string, string, string, string, string, string, string]
    const numbers = [whole(handshake), whole(rx), whole(tx)]
    if (numbers.some((n) => n === undefined)) return Result.fail(`line ${index + 1}: handshake or transfer is not a number`)
    const [latest, received, sent] = numbers as [number, number, number]
    peers.push({
      publicKey,
      hasPresharedKey: none(preshared) !== null,
      endpoint: none(endpoint),
      allowedIps: none(allowed) === null ? [] : allowed.split(","),
      latestHandshake: latest === 0 ? null : latest,
      transferRx: received,
      transferTx: sent,
      persistentKeepalive: keepalive === "off" ? null : whole(keepalive) ?? null
    })
  }
  return Result.succeed({ interface: iface, publicKey: none(head[1]!), listenPort: listenPort ?? null, peers })
}

/** `wg`'s own words about a config it refused: "Line unrecognized: `Foo=bar'" and "Configuration parsing error"; a line number when it gives one. */
export const rejectionOf = (stderr: string): { readonly reason: string; readonly line?: number } => {
  const reason = stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "").join("; ").slice(0, 1000) || "refused without a message"
  return { reason }
}
