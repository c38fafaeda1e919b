/**
 * The helpers of tools/build.ts. Nothing here runs `bun build`: `npm run build`
 * itself is the test of the whole.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import * as DebianPackages from "../../tools/build/DebianPackages.ts"
import * as Elf from "../../tools/build/Elf.ts"
import * as GitCommit from "../../tools/build/GitCommit.ts"
import * as NativeAddons from "../../tools/build/NativeAddons.ts"
import { parseOptions } from "../../tools/build/Options.ts"
import * as Smoke from "../../tools/build/Smoke.ts"
import { runnerFor, TARGETS } from "../../tools/build/Targets.ts"

const temps: Array<string> = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "sv-build-test-"))
  temps.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true })
})
const touch = (path: string, content = "") => {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, content)
}

/** The first 20 bytes of a 64-bit ELF header with the given e_machine. */
const elfHeader = (machine: number, { littleEndian = true, elfClass = 2 } = {}) => {
  const header = new Uint8Array(64)
  header.set([0x7f, 0x45, 0x4c, 0x46, elfClass, littleEndian ? 1 : 2, 1])
  new DataView(header.buffer).setUint16(18, machine, littleEndian)
  return header
}

describe("ELF machine", () => {
  it("reads x86-64 and aarch64 from little-endian headers", () => {
    expect(Elf.machineOf(elfHeader(0x3e))).toEqual({ ok: true, machine: Elf.EM_X86_64 })
    expect(Elf.machineOf(elfHeader(0xb7))).toEqual({ ok: true, machine: Elf.EM_AARCH64 })
    expect(Elf.machineName(Elf.EM_AARCH64)).toBe("aarch64")
    expect(Elf.machineName(0x99)).toBe("0x99")
  })

  it("honours big-endian headers", () => {
    expect(Elf.machineOf(elfHeader(0x15, { littleEndian: false }))).toEqual({ ok: true, machine: 0x15 })
  })

  it("rejects what is not a 64-bit ELF", () => {
    expect(Elf.machineOf(new TextEncoder().encode("#!/bin/sh\necho not an ELF\n"))).toMatchObject({ ok: false, reason: expect.stringMatching(/not an ELF/) })
    expect(Elf.machineOf(elfHeader(0x03, { elfClass: 1 }))).toMatchObject({ ok: false, reason: expect.stringMatching(/64-bit/) })
    expect(Elf.machineOf(elfHeader(0x3e).subarray(0, 10))).toMatchObject({ ok: false, reason: expect.stringMatching(/too short/) })
  })

  it("reads the header of the running executable as this host's CPU", () => {
    const expected = process.arch === "arm64" ? Elf.EM_AARCH64 : Elf.EM_X86_64
    expect(Elf.machineOfFile(process.execPath)).toEqual({ ok: true, machine: expected })
  })
})

describe("commit string", () => {
  it("is the short hash, with -dirty when the tree has changes", () => {
    expect(GitCommit.formatCommit("672b5af\n", "")).toBe("672b5af")
    expect(GitCommit.formatCommit("672b5af", " M src/index.ts\n?? tools/build.ts\n")).toBe("672b5af-dirty")
  })

  it("is dirty when the status could not be read", () => {
    expect(GitCommit.formatCommit("672b5af", undefined)).toBe("672b5af-dirty")
  })

  it("is unknown without a hash", () => {
    expect(GitCommit.formatCommit(undefined, "")).toBe("unknown")
    expect(GitCommit.formatCommit("fatal: not a git repository", "")).toBe("unknown")
  })

  it("is unknown outside a git checkout", () => {
    expect(GitCommit.currentCommit(tempDir())).toBe("unknown")
  })
})

describe("Debian packages", () => {
  const dpkgOutput = "qemu-user-static\tinstalled\nlibc6-arm64-cross\tconfig-files\ng++-aarch64-linux-gnu\tnot-installed\n"

  it("counts only packages dpkg reports installed", () => {
    expect([...DebianPackages.parseInstalled(dpkgOutput)]).toEqual(["qemu-user-static"])
  })

  it("names the missing ones in one apt-get command", () => {
    const required = ["qemu-user-static", "libc6-arm64-cross", "qemu-user-static", "g++-aarch64-linux-gnu"]
    const missing = DebianPackages.missingFrom(required, DebianPackages.parseInstalled(dpkgOutput))
    expect(missing).toEqual(["libc6-arm64-cross", "g++-aarch64-linux-gnu"])
    expect(DebianPackages.installCommandLine(missing)).toBe("apt-get install -y libc6-arm64-cross g++-aarch64-linux-gnu")
  })
})

describe("build options", () => {
  it("defaults to every target with smoke tests", () => {
    expect(parseOptions([])).toEqual({ ok: true, options: { hostOnly: false, smoke: true, installDeps: false, help: false } })
  })

  it("reads each flag", () => {
    expect(parseOptions(["--host-only", "--no-smoke", "--install-deps"])).toMatchObject({
      ok: true,
      options: { hostOnly: true, smoke: false, installDeps: true }
    })
    expect(parseOptions(["-h"])).toMatchObject({ ok: true, options: { help: true } })
  })

  it("refuses an unknown option, naming it", () => {
    expect(parseOptions(["--arm"])).toEqual({ ok: false, message: expect.stringContaining("'--arm'") })
  })
})

describe("targets", () => {
  const [x64, arm64] = TARGETS
  it("runs the host's own binary directly and a foreign one under qemu with its sysroot", () => {
    expect(runnerFor(x64!, "x64", "dist/a")).toEqual({ file: "dist/a", prefix: [] })
    expect(runnerFor(arm64!, "x64", "dist/b")).toEqual({ file: "qemu-aarch64-static", prefix: ["-L", "/usr/aarch64-linux-gnu", "dist/b"] })
  })
})

describe("native addon scan", () => {
  const project = () => {
    const root = tempDir()
    const modules = join(root, "node_modules")
    touch(join(modules, "plain/index.js"))
    touch(join(modules, "hnswlib-node/build/Release/addon.node"))
    touch(join(modules, "hnswlib-node/build/Release/obj.target/addon/src/addon.o"))
    touch(join(modules, "@scope/fast/prebuilds/linux-x64/fast.node"))
    touch(join(modules, "outer/node_modules/inner/build/Release/inner.node"))
    // Not where addons are looked for: a toolchain's own binary, a Debug build, the build's cache.
    touch(join(modules, "lightningcss-linux-x64-gnu/lightningcss.linux-x64-gnu.node"))
    touch(join(modules, "debugged/build/Debug/debugged.node"))
    touch(join(modules, ".cache/sigmavault-native/arm64/hnswlib-node/build/Release/addon.node"))
    // A file: dependency (a symlink) is followed, except into the skipped stub folder.
    touch(join(root, "tools/stubs/msgpackr-extract/build/Release/stub.node"))
    symlinkSync(join(root, "tools/stubs/msgpackr-extract"), join(modules, "msgpackr-extract"))
    touch(join(root, "vendor/linked/build/Release/linked.node"))
    symlinkSync(join(root, "vendor/linked"), join(modules, "linked"))
    return root
  }

  it("finds addons under build/Release and prebuilds, each with its package", () => {
    const root = project()
    expect(NativeAddons.findAddons(root, [join(root, "tools/stubs")])).toEqual([
      { package: "@scope/fast", path: "node_modules/@scope/fast/prebuilds/linux-x64/fast.node" },
      { package: "hnswlib-node", path: "node_modules/hnswlib-node/build/Release/addon.node" },
      { package: "linked", path: "node_modules/linked/build/Release/linked.node" },
      { package: "inner", path: "node_modules/outer/node_modules/inner/build/Release/inner.node" }
    ])
  })

  it("reports the stub too when it is not skipped", () => {
    const root = project()
    expect(NativeAddons.findAddons(root).map((a) => a.package)).toContain("msgpackr-extract")
  })

  it("lets through only packages in the table", () => {
    const root = project()
    const table: ReadonlyArray<NativeAddons.NativeAddon> = [{
      package: "hnswlib-node",
      file: "build/Release/addon.node",
      build: {
        x64: { _tag: "AsInstalled" },
        arm64: { _tag: "NodeGypCross", cc: "aarch64-linux-gnu-gcc", cxx: "aarch64-linux-gnu-g++", arch: "arm64" }
      }
    }]
    const strangers = NativeAddons.unlisted(NativeAddons.findAddons(root, [join(root, "tools/stubs")]), table)
    expect(strangers.map((a) => a.package)).toEqual(["@scope/fast", "linked", "inner"])
  })

  it("finds nothing without node_modules", () => {
    expect(NativeAddons.findAddons(tempDir())).toEqual([])
  })
})

describe("native addon placement", () => {
  const addon: NativeAddons.NativeAddon = {
    package: "hnswlib-node",
    file: "build/Release/addon.node",
    build: {
      x64: { _tag: "AsInstalled" },
      arm64: { _tag: "NodeGypCross", cc: "aarch64-linux-gnu-gcc", cxx: "aarch64-linux-gnu-g++", arch: "arm64" }
    }
  }

  it("puts the cross-built addon at the imported path while compiling, then the installed one back", () => {
    const root = tempDir()
    const installed = NativeAddons.installedPath(root, addon)
    touch(installed, "x64 addon")
    touch(join(root, "node_modules/hnswlib-node/binding.gyp"), "{}")
    const copy = NativeAddons.copyPackageForCrossBuild(root, "arm64", addon)
    expect(readFileSync(join(copy, "binding.gyp"), "utf8")).toBe("{}")
    expect(() => readFileSync(join(copy, addon.file))).toThrow() // the host build is not copied
    const built = join(copy, addon.file)
    touch(built, "arm64 addon")

    NativeAddons.putInPlace(root, [{ installed, built }])
    expect(readFileSync(installed, "utf8")).toBe("arm64 addon")
    // A second placement (an interrupted build retried) must not back up the arm64 file.
    NativeAddons.putInPlace(root, [{ installed, built }])
    expect(NativeAddons.restoreInstalled(root)).toEqual(["node_modules/hnswlib-node/build/Release/addon.node"])
    expect(readFileSync(installed, "utf8")).toBe("x64 addon")
    expect(NativeAddons.restoreInstalled(root)).toEqual([])
  })

  it("runs npm's node-gyp when npm started the build, else node-gyp from PATH, with the cross compiler", () => {
    const recipe = addon.build.arm64 as Extract<NativeAddons.Recipe, { _tag: "NodeGypCross" }>
    expect(NativeAddons.nodeGypCommand(recipe, { npm_config_node_gyp: "/npm/node-gyp.js", npm_node_execpath: "/usr/bin/node" })).toEqual({
      file: "/usr/bin/node",
      args: ["/npm/node-gyp.js", "rebuild", "--arch=arm64"],
      env: { CC: "aarch64-linux-gnu-gcc", CXX: "aarch64-linux-gnu-g++" }
    })
    expect(NativeAddons.nodeGypCommand(recipe, {})).toMatchObject({ file: "node-gyp", args: ["rebuild", "--arch=arm64"] })
  })
})

describe("smoke verdicts", () => {
  const ran = (overrides: Partial<Smoke.RunResult>): Smoke.RunResult => ({
    status: 0,
    signal: null,
    stdout: "",
    stderr: "",
    timedOut: false,
    ...overrides
  })

  it("--version must print exactly the embedded line", () => {
    expect(Smoke.judgeVersion(ran({ stdout: "sigmavault 0.1.0 (abc1234)\n" }), "sigmavault 0.1.0 (abc1234)")._tag).toBe("Passed")
    const wrong = Smoke.judgeVersion(ran({ stdout: "sigmavault 0.1.0 (source)\n" }), "sigmavault 0.1.0 (abc1234)")
    expect(wrong).toMatchObject({ _tag: "Failed", detail: expect.stringContaining("(source)") })
  })

  const report = (agents: number, running: number) =>
    JSON.stringify({ agents, running, facts: { kernel: { arch: "aarch64" } } })

  it("selftest passes with every agent running and CORE's facts", () => {
    expect(Smoke.judgeSelftest(ran({ stdout: `starting\n${report(40, 40)}\n` }))).toEqual({
      _tag: "Passed",
      detail: "40/40 agents running, CORE reports aarch64"
    })
  })

  it("selftest fails when an agent is not running, the output is not the report, or the run fails", () => {
    expect(Smoke.judgeSelftest(ran({ status: 1, stdout: report(40, 39) }))).toMatchObject({ _tag: "Failed" })
    expect(Smoke.judgeSelftest(ran({ stdout: report(40, 39) }))).toMatchObject({ _tag: "Failed", detail: expect.stringContaining("39 of 40") })
    expect(Smoke.judgeSelftest(ran({}))).toMatchObject({ _tag: "Failed", detail: expect.stringContaining("not JSON") })
    expect(Smoke.judgeSelftest(ran({ stdout: "{\"agents\":40}" }))).toMatchObject({ _tag: "Failed" })
    expect(Smoke.judgeSelftest(ran({ status: null, timedOut: true, stderr: "qemu: slow" }))).toMatchObject({
      _tag: "Failed",
      detail: expect.stringMatching(/timed out[\s\S]*qemu: slow/)
    })
  })
})
