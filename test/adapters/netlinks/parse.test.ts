import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import { OPERSTATES } from "../../../src/adapters/netlinks/NetLinks.ts"
import * as NetLinksLive from "../../../src/adapters/netlinks/NetLinksLive.ts"
import {
  parseAddress,
  parseAdminUp,
  parseCarrier,
  parseCounter,
  parseInteger,
  parseLink,
  parseNetDev,
  parseOperstate,
  parseSpeed
} from "../../../src/adapters/netlinks/parse.ts"

/** Text the kernel might print, and text it never would. */
const anyText = fc.option(fc.oneof(fc.string(), fc.stringMatching(/^-?\d{0,25}\n?$/), fc.constantFrom("0x1003\n", "up\n", "-1\n")), { nil: undefined })

describe("the /sys/class/net parsers", () => {
  it("read what the kernel prints", () => {
    assert.strictEqual(parseCounter("1479957291\n"), 1479957291)
    assert.strictEqual(parseCounter("18446744073709551615\n"), 18446744073709551615)
    assert.strictEqual(parseOperstate("lowerlayerdown\n"), "lowerlayerdown")
    assert.strictEqual(parseCarrier("1\n"), true)
    assert.strictEqual(parseCarrier("0\n"), false)
    assert.strictEqual(parseSpeed("10000\n"), 10000)
    assert.strictEqual(parseAdminUp("0x1003\n"), true)
    assert.strictEqual(parseAdminUp("0x1002\n"), false)
    assert.strictEqual(parseAddress("92:DC:67:1d:09:aa\n"), "92:dc:67:1d:09:aa")
    assert.strictEqual(parseInteger("65536\n"), 65536)
  })

  it("take an unreadable file (EINVAL on a down link) or an unknown value as unknown, not as an error", () => {
    assert.strictEqual(parseCarrier(undefined), null)
    assert.strictEqual(parseSpeed(undefined), null)
    // SPEED_UNKNOWN, as a signed and as an unsigned 32-bit value.
    assert.strictEqual(parseSpeed("-1\n"), null)
    assert.strictEqual(parseSpeed("4294967295\n"), null)
    assert.strictEqual(parseOperstate("sideways\n"), "unknown")
    assert.strictEqual(parseAddress("\n"), null)
    assert.strictEqual(parseCounter("-5"), null)
  })

  it("property: every parser is total, and each answer is a value of its type", () => {
    fc.assert(fc.property(anyText, (text) => {
      const counter = parseCounter(text)
      assert.isTrue(counter === null || (Number.isFinite(counter) && counter >= 0))
      const integer = parseInteger(text)
      assert.isTrue(integer === null || Number.isSafeInteger(integer))
      assert.include(OPERSTATES, parseOperstate(text))
      assert.include([true, false, null], parseCarrier(text))
      assert.include([true, false, null], parseAdminUp(text))
      const speed = parseSpeed(text)
      assert.isTrue(speed === null || (Number.isInteger(speed) && speed > 0))
      const address = parseAddress(text)
      assert.isTrue(address === null || /^[0-9a-f:]+$/.test(address))
    }), { numRuns: 2_000 })
  })

  it("property: a whole link parses from any files, readable or not", () => {
    fc.assert(fc.property(fc.dictionary(fc.constantFrom("operstate", "carrier", "speed", "flags", "statistics/rx_bytes", "mtu"), anyText), (files) => {
      const link = parseLink("eth0", (file) => files[file], false)
      assert.strictEqual(link.name, "eth0")
      assert.include(OPERSTATES, link.operstate)
      assert.isTrue(link.counters.txBytes === null || link.counters.txBytes >= 0)
    }))
  })

  it("read every link's counters from /proc/net/dev", () => {
    const text = [
      "Inter-|   Receive                                                |  Transmit",
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed",
      "    lo:  710499    4302    0    0    0     0          0         0   710499    4302    0    0    0     0       0          0",
      "  eth0: 1479957291   38851    7    3    0     0          0         0  2521198   26375    1    2    0     0       0          0",
      "  bad0: 12 x",
      ""
    ].join("\n")
    const counters = parseNetDev(text)
    assert.deepStrictEqual([...counters.keys()], ["lo", "eth0"])
    assert.deepStrictEqual(counters.get("eth0"), {
      rxBytes: 1479957291, rxPackets: 38851, rxErrors: 7, rxDropped: 3, txBytes: 2521198, txPackets: 26375, txErrors: 1, txDropped: 2
    })
  })

  it("property: /proc/net/dev parses from any text, and every counter it gives is a count", () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.string(), fc.stringMatching(/^ *[a-z0-9]{1,6}:( +\d{1,12}){14,17}$/))), (lines) => {
      for (const counters of parseNetDev(lines.join("\n")).values()) {
        for (const value of Object.values(counters)) assert.isTrue(value === null || (Number.isFinite(value) && value >= 0))
      }
    }))
  })

  it("property: a counter round-trips through its decimal text", () => {
    fc.assert(fc.property(fc.maxSafeNat(), (value) => {
      assert.strictEqual(parseCounter(`${value}\n`), value)
    }))
  })
})

describe("NetLinksLive on a sysfs tree", () => {
  it.effect("reads every link, keeps unreadable attributes unknown, and skips what is not a link", () =>
    Effect.gen(function*() {
      const root = mkdtempSync(join(tmpdir(), `photon-sysfs-${process.pid}-`))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(root, { recursive: true, force: true })))
      const device = (path: string, files: Record<string, string>) => {
        mkdirSync(join(root, path, "statistics"), { recursive: true })
        for (const [file, text] of Object.entries(files)) writeFileSync(join(root, path, file), text)
      }
      mkdirSync(join(root, "class/net"), { recursive: true })
      device("devices/pci0000:00/0000:00:03.0/net/eth0", {
        operstate: "up\n", carrier: "1\n", speed: "1000\n", flags: "0x1003\n", mtu: "1500\n",
        "statistics/rx_bytes": "999\n", carrier_changes: "2\n"
      })
      // Down: carrier and speed are absent here, as unreadable as EINVAL makes them.
      device("devices/virtual/net/veth9", { operstate: "down\n", flags: "0x1002\n" })
      symlinkSync("../../devices/pci0000:00/0000:00:03.0/net/eth0", join(root, "class/net/eth0"))
      symlinkSync("../../devices/virtual/net/veth9", join(root, "class/net/veth9"))
      writeFileSync(join(root, "class/net/bonding_masters"), "\n")
      // /proc/net/dev lists eth0 only: veth9's counters come from its (absent) statistics files.
      writeFileSync(join(root, "net-dev"), "Inter-|\n face |\n  eth0: 123 0 0 0 0 0 0 0 0 0 4 0 0 0 0 0\n")
      const sample = yield* NetLinksLive.make({ sysfs: root, netDev: join(root, "net-dev") }).sample
      assert.deepStrictEqual(sample.links.map((l) => [l.name, l.virtual, l.operstate, l.adminUp, l.carrier, l.speedMbps]), [
        ["eth0", false, "up", true, true, 1000],
        ["veth9", true, "down", false, null, null]
      ])
      assert.deepStrictEqual(sample.links[0]!.counters, {
        rxBytes: 123, txBytes: 0, rxPackets: 0, txPackets: 0, rxErrors: 0, txErrors: 4, rxDropped: 0, txDropped: 0
      })
      assert.deepStrictEqual(Object.values(sample.links[1]!.counters), Array(8).fill(null))
      // Without /proc/net/dev, the statistics files.
      const fromFiles = yield* NetLinksLive.make({ sysfs: root, netDev: join(root, "absent") }).sample
      assert.strictEqual(fromFiles.links[0]!.counters.rxBytes, 999)
      assert.strictEqual(sample.links[0]!.carrierChanges, 2)
    }).pipe(Effect.scoped))

  it.effect("a missing /sys/class/net is an error naming it", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(NetLinksLive.make({ sysfs: `/nonexistent-${process.pid}`, netDev: "/proc/net/dev" }).sample)
      assert.strictEqual(error.message, `/nonexistent-${process.pid}/class/net: cannot list: ENOENT`)
    }))

  it.effect("the host's own links include lo", () =>
    Effect.gen(function*() {
      const sample = yield* NetLinksLive.make(NetLinksLive.host).sample
      const lo = sample.links.find((link) => link.name === "lo")
      assert.isDefined(lo)
      assert.strictEqual(lo!.type, 772)
      assert.isTrue(lo!.virtual)
    }))
})
