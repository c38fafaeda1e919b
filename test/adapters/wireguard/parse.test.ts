/** `wg show INTERFACE dump`: its interface line's private key, and peers' preshared keys, never come out of the parser. */
import * as fc from "fast-check"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { parseDump } from "../../../src/adapters/wireguard/parse.ts"
import { scrubSecrets } from "../../../src/adapters/wireguard/WireGuardLive.ts"

const PRIVATE = "8NwAoM1OC9w2Oznp2mIRTsRRcDGgQ6QzLiJ8hx0/t1A="
const PUBLIC = "Hfszse6nFmK04Yy/3gCN4xpWb5mKa4UVKfDTFtiMYUk="
const PEER = "jY+usT1vLC5NhU1LxK+KaK1YGVXdvy1LBNWdr2kd2Ak="
const PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="

const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => btoa(String.fromCharCode(...b)))

describe("wg show dump", () => {
  it("reads the interface and its peers, and drops the private key", () => {
    const dump = [
      `${PRIVATE}\t${PUBLIC}\t51820\toff`,
      `${PEER}\t${PSK}\t203.0.113.7:40000\t10.8.0.2/32,192.168.1.0/24\t1733572800\t1234\t5678\t25`,
      `${PUBLIC}\t(none)\t(none)\t(none)\t0\t0\t0\toff`
    ].join("\n") + "\n"
    const parsed = Result.getOrThrow(parseDump("wg0", dump))
    expect(parsed).toEqual({
      interface: "wg0",
      publicKey: PUBLIC,
      listenPort: 51820,
      peers: [
        {
          publicKey: PEER,
          hasPresharedKey: true,
          endpoint: "203.0.113.7:40000",
          allowedIps: ["10.8.0.2/32", "192.168.1.0/24"],
          latestHandshake: 1733572800,
          transferRx: 1234,
          transferTx: 5678,
          persistentKeepalive: 25
        },
        { publicKey: PUBLIC, hasPresharedKey: false, endpoint: null, allowedIps: [], latestHandshake: null, transferRx: 0, transferTx: 0, persistentKeepalive: null }
      ]
    })
    expect(JSON.stringify(parsed)).not.toContain(PRIVATE)
    expect(JSON.stringify(parsed)).not.toContain(PSK)
  })

  it("an interface without a key yet", () => {
    expect(Result.getOrThrow(parseDump("wg1", "(none)\t(none)\t0\toff\n"))).toEqual({ interface: "wg1", publicKey: null, listenPort: 0, peers: [] })
  })

  it("property: no result and no error ever holds the private key or a preshared key, whatever the dump", () => {
    fc.assert(fc.property(
      key,
      key,
      fc.array(fc.tuple(key, fc.option(key), fc.boolean(), fc.nat(), fc.nat()), { maxLength: 6 }),
      fc.integer({ min: 0, max: 5 }),
      (secret, pub, peers, mangle) => {
        const lines = [`${secret}\t${pub}\t51820\toff`, ...peers.map(([p, psk, seen, rx, tx]) =>
          `${p}\t${psk ?? "(none)"}\t${seen ? "198.51.100.1:1" : "(none)"}\t10.0.0.1/32\t${seen ? 1_700_000_000 : 0}\t${rx}\t${tx}\toff`)]
        // Some dumps are mangled (a field lost, a line cut), so errors are held to the same rule.
        if (mangle === 1) lines[0] = lines[0]!.replace("\t", "")
        if (mangle === 2 && lines.length > 1) lines[1] = lines[1]!.split("\t").slice(0, 5).join("\t")
        if (mangle === 3 && lines.length > 1) lines[1] = lines[1]!.replace(/\t[0-9]+\t/, "\tx\t")
        const out = parseDump("wg0", lines.join("\n"))
        const text = Result.isSuccess(out) ? JSON.stringify(out.success) : out.failure
        const secrets = [secret, ...peers.flatMap(([, psk]) => (psk === null ? [] : [psk]))].filter((s) => !peers.some(([p]) => p === s) && s !== pub)
        for (const s of secrets) expect(text).not.toContain(s)
      }
    ), { numRuns: 500 })
  })

  it("wg's words about a refused config are scrubbed of the config's keys", () => {
    const config = `[Interface]\nPrivateKey = ${PRIVATE}\n\n[Peer]\nPublicKey = ${PEER}\nPresharedKey = ${PSK}\n`
    expect(scrubSecrets(`Key is not the correct length or format: \`${PRIVATE}' / ${PSK}`, config)).toBe(
      "Key is not the correct length or format: `(secret)' / (secret)"
    )
  })
})
