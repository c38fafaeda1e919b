import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import * as fc from "fast-check"
import { make as runnerLive } from "../../../src/adapters/command/CommandRunnerLive.ts"
import { make } from "../../../src/adapters/disks/DisksLive.ts"
import { parseLsblk } from "../../../src/adapters/disks/parse.ts"

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../../fixtures/lsblk", name), "utf8")
const ok = <A, E>(result: Result.Result<A, E>): A => {
  if (Result.isFailure(result)) throw new Error(String((result.failure as { message?: string }).message))
  return result.success
}

describe("lsblk -J -b -O", () => {
  it("the real output of this machine kind", () => {
    const devices = ok(parseLsblk(fixture("real-debian12-vm.json")))
    const vda = devices.find((d) => d.name === "vda")!
    assert.deepStrictEqual([vda.path, vda.type, vda.sizeBytes, vda.mountpoints], ["/dev/vda", "disk", 274877906944, ["/"]])
    assert.deepStrictEqual(devices.find((d) => d.name === "zram0")!.mountpoints, [])
  })

  it("a NAS: disks, partitions, ZFS members, transports, trimmed models", () => {
    const devices = ok(parseLsblk(fixture("nas-4hdd-nvme-usb.json")))
    assert.deepStrictEqual(devices.map((d) => [d.name, d.type, d.transport, d.rotational]), [
      ["sda", "disk", "sata", true],
      ["sdb", "disk", "sata", true],
      ["sdc", "disk", "sata", true],
      ["sdd", "disk", "sata", true],
      ["nvme0n1", "disk", "nvme", false],
      ["sde", "disk", "usb", true],
      ["sr0", "rom", "sata", true],
      ["loop0", "loop", undefined, false]
    ])
    const sda = devices[0]!
    assert.strictEqual(sda.model, "WDC WD40EFRX-68N32N0")
    assert.strictEqual(sda.serial, "WD-WCC7K1ABCDEF")
    assert.deepStrictEqual(sda.children.map((p) => [p.name, p.fstype, p.label]), [["sda1", "zfs_member", "tank"], ["sda9", undefined, undefined]])
    assert.isTrue(devices[5]!.removable)
    assert.deepStrictEqual(devices[4]!.children.map((p) => p.mountpoints), [["/boot/efi"], ["/"]])
  })

  it("util-linux 2.33: strings for numbers and flags, mountpoint, no path", () => {
    const devices = ok(parseLsblk(fixture("old-util-linux-2.33.json")))
    assert.deepStrictEqual(devices.map((d) => [d.path, d.sizeBytes, d.rotational]), [
      ["/dev/sda", 4000787030016, true],
      ["/dev/sdb", 4000787030016, true],
      ["/dev/nvme0n1", 256060514304, false]
    ])
    assert.deepStrictEqual(devices[2]!.children[0]!.mountpoints, ["/"])
  })

  it("names the bad field and never throws", () => {
    const doc = JSON.parse(fixture("nas-4hdd-nvme-usb.json"))
    doc.blockdevices[1].children[0].size = "big"
    const bad = parseLsblk(JSON.stringify(doc))
    assert.strictEqual(Result.isFailure(bad) && bad.failure.message, "cannot read lsblk -J -b -O output: at blockdevices.1.children.0.size: expected a number, got \"big\"")
    const text = fixture("nas-4hdd-nvme-usb.json")
    for (let cut = 0; cut < text.length; cut += 11) assert.doesNotThrow(() => parseLsblk(text.slice(0, cut)))
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      const result = parseLsblk(JSON.stringify({ blockdevices: [value] }))
      if (Result.isFailure(result)) assert.strictEqual(result.failure._tag, "DecodeError")
    }))
  })

  it.effect("runs the real lsblk here", () =>
    Effect.gen(function*() {
      const devices = yield* make(runnerLive()).list
      assert.isAbove(devices.length, 0)
      assert.isTrue(devices.every((d) => d.path.startsWith("/dev/")))
    }))
})
