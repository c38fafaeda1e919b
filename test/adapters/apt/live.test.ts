/**
 * The live Apt adapter against real apt-get, apt-mark and apt-config on a
 * hermetic apt (test/support/aptSandbox.ts): a private file: repository with
 * an ordinary and a security suite, private lists, cache and dpkg status,
 * reached through APT_CONFIG only. The host's apt state is checked unchanged
 * at the end. A confirmed upgrade really runs, with real .debs (dpkg-deb),
 * dpkg sent to the sandbox's own root and database. Needs apt (apt-get,
 * apt-mark, apt-config), dpkg-deb and, for the lock test, python3 (to hold
 * apt's fcntl lock): a missing one fails, named.
 */
import { spawn, spawnSync } from "node:child_process"
import { readFileSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { afterAll, beforeAll } from "vitest"
import { Effect, Exit } from "effect"
import * as CommandRunnerLive from "../../../src/adapters/command/CommandRunnerLive.ts"
import * as CommandRunnerTest from "../../../src/adapters/command/CommandRunnerTest.ts"
import * as AptLive from "../../../src/adapters/apt/AptLive.ts"
import { type AptSandbox, makeAptSandbox } from "../../support/aptSandbox.ts"

const requireTool = (tool: string) => {
  const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" })
  if (found.status !== 0) throw new Error(`this test needs ${tool}, which is not installed`)
}

const HOST_STATE = ["/var/lib/apt/lists", "/var/lib/apt/lists/partial", "/var/cache/apt", "/var/lib/dpkg/status"]
const mtimes = () => HOST_STATE.map((path) => { try { return `${path} ${statSync(path).mtimeMs}` } catch { return `${path} absent` } })

let sandbox: AptSandbox
let hostBefore: ReadonlyArray<string>

beforeAll(() => {
  for (const tool of ["apt-get", "apt-mark", "apt-config", "dpkg-deb", "python3"]) requireTool(tool)
  hostBefore = mtimes()
  sandbox = makeAptSandbox()
})

afterAll(() => {
  sandbox?.close()
})

const live = (settings: Partial<AptLive.AptSettings> = {}) =>
  AptLive.make(CommandRunnerLive.make(), { aptConfig: sandbox.aptConfig, rebootRequired: sandbox.rebootRequired, bootDir: sandbox.bootDir, ...settings })

describe("the live Apt adapter on a hermetic apt", () => {
  it.effect("before any refresh the index is empty and says so; after it, dist-upgrade is read with security flagged", () =>
    Effect.gen(function*() {
      const apt = live()
      const empty = yield* apt.index
      assert.deepStrictEqual([empty.lists, empty.refreshedAt], [0, null])
      assert.isString(empty.statusStamp)
      const before = yield* apt.simulate()
      assert.deepStrictEqual(before.summary, { upgraded: 0, newlyInstalled: 0, removed: 0, notUpgraded: 0 })

      const refreshed = yield* apt.refresh
      assert.deepStrictEqual(refreshed.warnings, [])
      const index = yield* apt.index
      assert.strictEqual(index.lists, 2)
      assert.isNotNull(index.refreshedAt)

      const simulation = yield* apt.simulate()
      assert.deepStrictEqual(simulation.summary, { upgraded: 6, newlyInstalled: 1, removed: 1, notUpgraded: 2 })
      assert.deepStrictEqual(simulation.upgrades.filter((p) => p.security).map((p) => p.name), ["sv-kernel", "sv-libfoo", "sv-openssl"])
      assert.deepStrictEqual(simulation.upgrades.find((p) => p.name === "sv-openssl")?.suites, ["stable-security"])
      assert.deepStrictEqual(simulation.keptBack.map((k) => k.name), ["sv-held", "sv-tool"])
      assert.deepStrictEqual(yield* apt.holds, ["sv-held"])

      // Only the security updates: apt's simulation of exactly that command.
      const security = yield* apt.simulate(["sv-kernel", "sv-libfoo", "sv-openssl"])
      assert.deepStrictEqual(security.upgrades.map((p) => p.name).sort(), ["sv-kernel", "sv-libfoo", "sv-openssl"])
      assert.deepStrictEqual([security.installs, security.removals], [[], []])
    }))

  it.effect("a confirmed upgrade really runs, non-interactively, inside the sandbox: its dpkg database and root change, the host's do not", () =>
    Effect.gen(function*() {
      const real = makeAptSandbox({ debs: true })
      try {
        const apt = live({ aptConfig: real.aptConfig })
        yield* apt.refresh
        const before = (yield* apt.index).statusStamp
        const security = (yield* apt.simulate()).upgrades.filter((p) => p.security).map((p) => p.name)
        assert.deepStrictEqual(security, ["sv-kernel", "sv-libfoo", "sv-openssl"])
        const done = yield* apt.upgrade(security)
        assert.deepStrictEqual(done.command.slice(-5), ["install", "--only-upgrade", "sv-kernel", "sv-libfoo", "sv-openssl"])
        assert.match(done.output, /Setting up sv-openssl \(3\.0\.11-1~deb12u2\)/)
        assert.strictEqual(readFileSync(join(real.root, "usr/share/doc/sv-openssl/VERSION"), "utf8"), "sv-openssl 3.0.11-1~deb12u2\n")
        assert.include(readFileSync(real.status, "utf8"), "Version: 3.0.11-1~deb12u2")
        // What VANGUARD keys its reuse of a simulation on has changed with the upgrade.
        assert.notStrictEqual((yield* apt.index).statusStamp, before)
        const after = yield* apt.simulate()
        assert.deepStrictEqual(after.upgrades.filter((p) => p.security), [])
        // The rest: dist-upgrade installs sv-newdep, removes sv-legacy, keeps the held and the unsatisfiable back.
        const all = yield* apt.upgrade()
        assert.match(all.output, /Removing sv-legacy/)
        const final = yield* apt.simulate()
        assert.deepStrictEqual([final.upgrades, final.installs, final.removals, final.keptBack.map((k) => k.name)], [[], [], [], ["sv-held", "sv-tool"]])
      } finally {
        real.close()
      }
    }))

  it.effect("a source that does not exist: AptFailed with apt's E: lines (exit 100)", () =>
    Effect.gen(function*() {
      const broken = makeAptSandbox()
      try {
        writeFileSync(join(broken.dir, "state/etc/apt/sources.list.d/missing.list"), `deb [trusted=yes] file:${broken.dir}/repo nosuch main\n`)
        const failed = yield* Effect.flip(live({ aptConfig: broken.aptConfig }).refresh)
        assert.strictEqual(failed._tag, "AptFailed")
        if (failed._tag === "AptFailed") {
          assert.strictEqual(failed.exitCode, 100)
          assert.match(failed.output, /nosuch/)
        }
      } finally {
        broken.close()
      }
    }))

  it.live("another package manager holding the lock: PackageManagerBusy naming the lock and its holder", () =>
    Effect.gen(function*() {
      const locked = makeAptSandbox({ locking: true })
      // apt locks with fcntl (F_SETLK); python's lockf is the same kind of lock.
      const holder = spawn("python3", ["-c", "import fcntl,sys,time\nf=open(sys.argv[1],'w')\nfcntl.lockf(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(60)", join(locked.lists, "lock")], { stdio: ["ignore", "pipe", "inherit"] })
      try {
        yield* Effect.promise(() => new Promise<void>((resolve) => holder.stdout!.once("data", () => resolve())))
        const busy = yield* Effect.flip(live({ aptConfig: locked.aptConfig }).refresh)
        assert.strictEqual(busy._tag, "PackageManagerBusy")
        if (busy._tag === "PackageManagerBusy") {
          assert.strictEqual(busy.lock, join(locked.lists, "lock"))
          assert.strictEqual(busy.holder, `process ${holder.pid} (python3)`)
          assert.match(busy.message, /the package manager is busy/)
        }
      } finally {
        holder.kill("SIGKILL")
        locked.close()
      }
    }))

  it.effect("reboot-required: absent, then the flag with its packages (trimmed, deduplicated)", () =>
    Effect.gen(function*() {
      const apt = live()
      assert.deepStrictEqual(yield* apt.rebootFlag, { required: false, since: null, packages: [] })
      writeFileSync(sandbox.rebootRequired, "")
      writeFileSync(`${sandbox.rebootRequired}.pkgs`, "linux-image-6.1.0-28-amd64\ndbus\n\n  dbus")
      const flag = yield* apt.rebootFlag
      assert.isTrue(flag.required)
      assert.isNotNull(flag.since)
      assert.deepStrictEqual(flag.packages, ["linux-image-6.1.0-28-amd64", "dbus"])
    }))

  it.effect("kernels: a newer one installed, the running one replaced after boot, the running one not managed here", () =>
    Effect.gen(function*() {
      writeFileSync(join(sandbox.bootDir, "vmlinuz-6.1.0-28-amd64"), "")
      const old = Date.now() / 1000 - 10 * 365 * 86_400
      utimesSync(join(sandbox.bootDir, "vmlinuz-6.1.0-28-amd64"), old, old)
      assert.deepStrictEqual(yield* live({ runningKernel: "6.1.0-28-amd64" }).kernel, {
        running: "6.1.0-28-amd64",
        newestInstalled: "6.1.0-28-amd64",
        managed: true,
        rebootRequired: false,
        reason: "the newest installed kernel (6.1.0-28-amd64) is running"
      })
      writeFileSync(join(sandbox.bootDir, "vmlinuz-6.1.0-30-amd64"), "")
      const newer = yield* live({ runningKernel: "6.1.0-28-amd64" }).kernel
      assert.deepStrictEqual([newer.rebootRequired, newer.newestInstalled, newer.reason], [true, "6.1.0-30-amd64", "kernel 6.1.0-30-amd64 is installed; 6.1.0-28-amd64 is running"])
      // Same ABI, new build: the image of the running kernel is newer than the boot.
      const replaced = yield* live({ runningKernel: "6.1.0-30-amd64" }).kernel
      assert.deepStrictEqual([replaced.rebootRequired, replaced.reason], [true, "the image of the running kernel 6.1.0-30-amd64 was replaced after boot"])
      const external = yield* live({ runningKernel: "6.18.44-fc" }).kernel
      assert.deepStrictEqual([external.managed, external.rebootRequired], [false, false])
      assert.match(external.reason, /not managed here/)
    }))

  it.effect("a package name that could be an option never reaches apt; the upgrade's argv and environment", () =>
    Effect.gen(function*() {
      const runner = CommandRunnerTest.make({ "apt-get -s -V dist-upgrade": { stdout: "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n" } })
      const apt = AptLive.make(runner.service, { aptConfig: "/srv/apt.conf" })
      for (const hostile of ["-oAPT::Get::Trivial-Only=false", "sv-app;reboot", "Sv-App", "../x"]) {
        const refused = yield* Effect.exit(apt.simulate([hostile]))
        assert.isTrue(Exit.isFailure(refused), hostile)
        const upgrade = yield* Effect.flip(apt.upgrade([hostile]))
        assert.strictEqual(upgrade._tag, "InvalidPackageName")
      }
      assert.deepStrictEqual(runner.calls, [])
      assert.deepStrictEqual(apt.upgradeCommand(["sv-openssl"]), {
        command: ["apt-get", "-y", "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold", "install", "--only-upgrade", "sv-openssl"],
        env: { LC_ALL: "C", LANG: "C", APT_CONFIG: "/srv/apt.conf", DEBIAN_FRONTEND: "noninteractive", APT_LISTCHANGES_FRONTEND: "none" }
      })
      assert.deepStrictEqual(apt.upgradeCommand().command.slice(-1), ["dist-upgrade"])
    }))

  it.effect("without apt-get: AptNotInstalled, said plainly", () =>
    Effect.gen(function*() {
      const apt = AptLive.make(CommandRunnerLive.make({ path: "/nonexistent" }), { aptConfig: sandbox.aptConfig })
      const missing = yield* Effect.flip(apt.simulate())
      assert.strictEqual(missing._tag, "AptNotInstalled")
      assert.match(missing.message, /apt-get is not installed/)
    }))

  it("the host's apt state was not touched", () => {
    assert.deepStrictEqual(mtimes(), hostBefore)
  })
})
