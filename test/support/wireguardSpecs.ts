/**
 * Random WireGuard specs for FORGE's differential (test and bench): half of
 * them well-formed, half with fields `wg` itself refuses (keys that are not
 * 32 bytes of base64, prefixes or octets out of range, ports above 65535,
 * keepalives above 65535) mixed in. `wraps` names the one class FORGE refuses
 * that wg accepts: a port above 65535, which wg silently takes modulo 65536.
 */
import * as fc from "fast-check"
import type { WireguardSpec } from "../../src/actors/forge/wireguard.ts"

const KEY_A = "Hfszse6nFmK04Yy/3gCN4xpWb5mKa4UVKfDTFtiMYUk="

const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => btoa(String.fromCharCode(...b)))
const badKey = fc.constantFrom("short=", `${KEY_A.slice(0, 42)}!=`, KEY_A.slice(0, 43), `${KEY_A}A`)
const octet = fc.integer({ min: 0, max: 255 })
const v4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join("."))
const range = fc.oneof(
  fc.tuple(v4, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`),
  fc.tuple(fc.constantFrom("fd00::", "2001:db8::1", "::1", "fe80::1:2"), fc.integer({ min: 0, max: 128 })).map(([a, p]) => `${a}/${p}`)
)
const badRange = fc.oneof(
  fc.tuple(v4, fc.integer({ min: 33, max: 99 })).map(([a, p]) => `${a}/${p}`),
  fc.constantFrom("10.0.0.256/32", "fd00::/129", "10.0.0/24", "nonsense/8")
)
const endpoint = fc.tuple(v4, fc.integer({ min: 1, max: 65_535 })).map(([a, p]) => `${a}:${p}`)
const badEndpoint = fc.tuple(v4, fc.integer({ min: 65_536, max: 99_999 })).map(([a, p]) => `${a}:${p}`)

const peerSpec = (bad: boolean) =>
  fc.record({
    publicKey: bad ? fc.oneof(key, badKey) : key,
    allowedIps: fc.array(bad ? fc.oneof(range, badRange) : range, { maxLength: 3 }),
    endpoint: fc.option(bad ? fc.oneof(endpoint, badEndpoint) : endpoint, { nil: undefined }),
    persistentKeepalive: fc.option(bad ? fc.integer({ min: 0, max: 70_000 }) : fc.integer({ min: 0, max: 65_535 }), { nil: undefined })
  })

export const wireguardSpec: fc.Arbitrary<WireguardSpec> = fc.boolean().chain((bad) =>
  fc.record({
    interface: fc.constant("wg0"),
    listenPort: fc.option(bad ? fc.integer({ min: 0, max: 70_000 }) : fc.integer({ min: 0, max: 65_535 }), { nil: undefined }),
    peers: fc.uniqueArray(peerSpec(bad), { maxLength: 3, selector: (p) => p.publicKey })
  }))

/** wg accepts it but means another port: ListenPort or an endpoint's port above 65535. */
export const wraps = (text: string): boolean =>
  [...text.matchAll(/^ListenPort = ([0-9]+)$/gm), ...text.matchAll(/^Endpoint = .*:([0-9]+)$/gm)].some((m) => Number(m[1]) > 65_535)
