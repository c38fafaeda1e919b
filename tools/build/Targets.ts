/**
 * The target matrix: what `bun build --compile` is asked for, what the
 * result must be, and what a machine of another architecture needs to run it.
 */
import { EM_AARCH64, EM_X86_64 } from "./Elf.ts"

export type Arch = "x64" | "arm64"

export interface Target {
  /** linux-x64, linux-arm64 */
  readonly name: string
  readonly arch: Arch
  /** `bun build --target=...` */
  readonly bunTarget: string
  /** file name under dist/ */
  readonly output: string
  /** the ELF e_machine the binary must carry */
  readonly elfMachine: number
  /** GNU triple: names the cross compiler (`<triple>-gcc`) and the sysroot (`/usr/<triple>`) */
  readonly triple: string
  /** node-gyp's `--arch` */
  readonly gypArch: string
  /** the user-mode emulator that runs it on a host of another architecture */
  readonly qemu: string
  /** Debian packages that hold that emulator and the target's libc (the sysroot) */
  readonly emulationPackages: ReadonlyArray<string>
  /** Debian package of the cross C++ compiler (it pulls in the sysroot too) */
  readonly crossCompilerPackage: string
}

export const TARGETS: ReadonlyArray<Target> = [
  {
    name: "linux-x64",
    arch: "x64",
    bunTarget: "bun-linux-x64",
    output: "sigmavault-linux-x64",
    elfMachine: EM_X86_64,
    triple: "x86_64-linux-gnu",
    gypArch: "x64",
    qemu: "qemu-x86_64-static",
    emulationPackages: ["qemu-user-static", "libc6-amd64-cross"],
    crossCompilerPackage: "g++-x86-64-linux-gnu"
  },
  {
    name: "linux-arm64",
    arch: "arm64",
    bunTarget: "bun-linux-arm64",
    output: "sigmavault-linux-arm64",
    elfMachine: EM_AARCH64,
    triple: "aarch64-linux-gnu",
    gypArch: "arm64",
    qemu: "qemu-aarch64-static",
    emulationPackages: ["qemu-user-static", "libc6-arm64-cross"],
    crossCompilerPackage: "g++-aarch64-linux-gnu"
  }
]

export const sysroot = (target: Target): string => `/usr/${target.triple}`

export const archOf = (nodeArch: string): Arch | undefined =>
  nodeArch === "x64" || nodeArch === "arm64" ? nodeArch : undefined

/** How to run the binary from this host: directly, or under qemu with the target's sysroot. */
export const runnerFor = (target: Target, host: Arch, binary: string): { readonly file: string; readonly prefix: ReadonlyArray<string> } =>
  target.arch === host
    ? { file: binary, prefix: [] }
    : { file: target.qemu, prefix: ["-L", sysroot(target), binary] }
