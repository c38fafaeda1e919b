/**
 * Which CPU an executable is for, from its ELF header, so a build can prove
 * that `--target=bun-linux-arm64` really produced an aarch64 binary.
 */
import { closeSync, openSync, readSync } from "node:fs"

export const EM_X86_64 = 0x3e
export const EM_AARCH64 = 0xb7

const NAMES: Readonly<Record<number, string>> = {
  0x03: "i386",
  0x28: "arm",
  [EM_X86_64]: "x86-64",
  [EM_AARCH64]: "aarch64"
}

export const machineName = (machine: number): string =>
  NAMES[machine] ?? `0x${machine.toString(16).padStart(2, "0")}`

export type MachineResult =
  | { readonly ok: true; readonly machine: number }
  | { readonly ok: false; readonly reason: string }

/** e_machine of a 64-bit ELF header (the first 20 bytes are enough). */
export const machineOf = (header: Uint8Array): MachineResult => {
  if (header.length < 20) return { ok: false, reason: `too short for an ELF header (${header.length} bytes)` }
  if (header[0] !== 0x7f || header[1] !== 0x45 || header[2] !== 0x4c || header[3] !== 0x46) {
    return { ok: false, reason: "not an ELF file (no \\x7fELF magic)" }
  }
  if (header[4] !== 2) return { ok: false, reason: `not a 64-bit ELF (EI_CLASS ${header[4]})` }
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength)
  switch (header[5]) {
    case 1:
      return { ok: true, machine: view.getUint16(18, true) }
    case 2:
      return { ok: true, machine: view.getUint16(18, false) }
    default:
      return { ok: false, reason: `unknown ELF byte order (EI_DATA ${header[5]})` }
  }
}

export const machineOfFile = (path: string): MachineResult => {
  const header = new Uint8Array(64)
  const fd = openSync(path, "r")
  try {
    return machineOf(header.subarray(0, readSync(fd, header, 0, header.length, 0)))
  } finally {
    closeSync(fd)
  }
}
