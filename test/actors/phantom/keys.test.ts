/** PHANTOM's keys are WireGuard's: `wg pubkey` (the real one) derives the same public key from a private key made here. */
import { execFileSync } from "node:child_process"
import { describe, expect, it } from "vitest"
import { clamp, generateKeyPair, generatePrivateKey, publicKeyOf } from "../../../src/actors/phantom/keys.ts"
import { KEY } from "../../../src/actors/forge/wireguard.ts"
import { nextFree, parseSubnet, serverAddress, type Subnet } from "../../../src/actors/phantom/subnet.ts"

const wg = (args: ReadonlyArray<string>, input?: string): string => {
  try {
    return execFileSync("wg", args, { input, encoding: "utf8" }).trim()
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") throw new Error("this test needs wg (Debian package wireguard-tools), which is not installed")
    throw cause
  }
}

describe("PHANTOM keys", () => {
  it("a key pair made here is one wg agrees with: wg pubkey derives the same public key", () => {
    for (let i = 0; i < 20; i++) {
      const { privateKey, publicKey } = generateKeyPair()
      expect(privateKey).toMatch(KEY)
      expect(publicKey).toMatch(KEY)
      expect(wg(["pubkey"], `${privateKey}\n`)).toBe(publicKey)
    }
  })

  it("derives wg genkey's keys as wg pubkey does", () => {
    for (let i = 0; i < 5; i++) {
      const secret = wg(["genkey"])
      expect(publicKeyOf(secret)).toBe(wg(["pubkey"], `${secret}\n`))
    }
  })

  it("private keys are clamped like wg genkey's, and differ each time", () => {
    const keys = Array.from({ length: 50 }, generatePrivateKey)
    expect(new Set(keys).size).toBe(50)
    for (const key of keys) {
      const bytes = Uint8Array.from(atob(key), (c) => c.charCodeAt(0))
      expect(bytes.length).toBe(32)
      expect(clamp(bytes)).toEqual(bytes)
    }
  })
})

describe("PHANTOM subnet", () => {
  it("the server takes the first address; peers the next free ones; a full subnet has none", () => {
    const subnet = parseSubnet("10.8.0.0/24") as Subnet
    expect(serverAddress(subnet)).toBe("10.8.0.1")
    expect(nextFree(subnet, new Set())).toBe("10.8.0.2")
    expect(nextFree(subnet, new Set(["10.8.0.2", "10.8.0.4"]))).toBe("10.8.0.3")
    const tiny = parseSubnet("10.9.0.0/30") as Subnet
    expect(nextFree(tiny, new Set(["10.9.0.2"]))).toBeUndefined()
    expect(parseSubnet("10.8.0.7/24")).toEqual(subnet)
  })

  it("refuses what is not an IPv4 subnet it can use", () => {
    for (const bad of ["10.8.0.0", "10.8.0.0/31", "10.8.0.0/7", "fd00::/64", "10.8.0.256/24", "10.8.0.0/24/1", "010.8.0.0/24"]) {
      expect(typeof parseSubnet(bad)).toBe("string")
    }
  })
})
