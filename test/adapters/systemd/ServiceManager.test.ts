import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { parseUnitState, validateUnitName } from "../../../src/adapters/systemd/ServiceManager.ts"
import * as ServiceManagerLive from "../../../src/adapters/systemd/ServiceManagerLive.ts"

describe("unit names", () => {
  it("accepts systemd unit names, a bare name meaning a service", () => {
    const accepted = (name: string) => Result.getOrThrow(validateUnitName(name))
    assert.strictEqual(accepted("smbd"), "smbd.service")
    assert.strictEqual(accepted("nfs-server.service"), "nfs-server.service")
    assert.strictEqual(accepted("zfs-import@tank.service"), "zfs-import@tank.service")
    assert.strictEqual(accepted("srv-tank.mount"), "srv-tank.mount")
    assert.strictEqual(accepted("dev-disk-by\\x2did.device"), "dev-disk-by\\x2did.device")
  })

  it("rejects hostile or malformed names, saying why", () => {
    const reasons = Object.fromEntries(
      ["-x", "--now.service", "../etc/passwd", "a/b.service", "smb d", "smbd\nrm -rf", "", "@x.service", "a@.service", "a@b@c.service", "x".repeat(250) + ".service", "$(id).service"]
        .map((name) => [name, Result.isFailure(validateUnitName(name))])
    )
    assert.isTrue(Object.values(reasons).every(Boolean), JSON.stringify(reasons))
    const error = validateUnitName("../etc/passwd")
    assert.isTrue(Result.isFailure(error) && error.failure.message.startsWith('invalid unit name "../etc/passwd"'))
  })

  it("reads the state systemctl printed; an unexpected word is unknown", () => {
    assert.strictEqual(parseUnitState("active\n"), "active")
    assert.strictEqual(parseUnitState("failed\n"), "failed")
    assert.strictEqual(parseUnitState("hibernating\n"), "unknown")
  })
})

describe("ServiceManagerLive", () => {
  const dir = mkdtempSync(join(tmpdir(), "sigmavault-systemctl-"))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  // Stands in for systemctl: records its arguments one per line, answers like is-active (exit 3 when not active).
  const fake = join(dir, "systemctl")
  writeFileSync(
    fake,
    `#!/bin/sh\nprintf '%s\\n' "$@" >> "${join(dir, "argv")}"\ncase "$3" in smbd.service) echo active; exit 0;; gone.service) exit 4;; *) echo failed; exit 3;; esac\n`
  )
  chmodSync(fake, 0o755)

  it.live("runs systemctl is-active -- <unit> with an argument array, and reads non-zero exits as states", () =>
    Effect.gen(function*() {
      const manager = ServiceManagerLive.make({ command: fake })
      assert.strictEqual(yield* manager.isActive("smbd"), "active")
      assert.strictEqual(yield* manager.isActive("nfs-server.service"), "failed")
      const silent = yield* Effect.flip(manager.isActive("gone"))
      assert.strictEqual(silent._tag, "ServiceManagerError")
      const hostile = yield* Effect.flip(manager.isActive("-x; touch pwned"))
      assert.strictEqual(hostile._tag, "InvalidUnitName")
      assert.deepStrictEqual(readFileSync(join(dir, "argv"), "utf8").trim().split("\n"), [
        "is-active", "--", "smbd.service",
        "is-active", "--", "nfs-server.service",
        "is-active", "--", "gone.service"
      ])
    }))
})
