/**
 * Peer credentials of a Unix socket through getsockopt(2), called with
 * bun:ffi: Node has no API for them, and the daemon always runs under Bun
 * (the compiled binary). SOL_SOCKET, SO_PEERCRED and SO_PEERGROUPS have the
 * same values on x86-64 and arm64 (asm-generic), and struct ucred is three
 * 32-bit fields there. The caller's umask comes from /proc/PID/status, so a
 * file made on its behalf gets the permissions it would have given it.
 */
import { readFileSync } from "node:fs"
import type * as net from "node:net"
import { Effect, Layer, Result } from "effect"
import type { Caller } from "../../runtime/Caller.ts"
import { PeerCredentials, type PeerCredentialsShape, PeerUnknown } from "./PeerCredentials.ts"

const SOL_SOCKET = 1
const SO_PEERCRED = 17
const SO_PEERGROUPS = 59
/** Linux's NGROUPS_MAX. */
const MAX_GROUPS = 65_536

interface Ffi {
  readonly getsockopt: (fd: number, level: number, name: number, value: ArrayBufferView, length: ArrayBufferView) => number
}

/** The part of bun:ffi used here (the project builds without Bun's type declarations). */
interface BunFfi {
  readonly FFIType: { readonly i32: unknown; readonly ptr: unknown }
  readonly ptr: (view: ArrayBufferView) => unknown
  readonly dlopen: (
    library: string,
    symbols: Record<string, { readonly args: ReadonlyArray<unknown>; readonly returns: unknown }>
  ) => { readonly symbols: Record<string, (...args: ReadonlyArray<unknown>) => number> }
}

/** The umask of a live process, or undefined (it has exited, or the kernel is older than 4.7). */
const umaskOf = (pid: number): number | undefined => {
  const status = Result.try(() => readFileSync(`/proc/${pid}/status`, "latin1"))
  if (Result.isFailure(status)) return undefined
  const match = /^Umask:\s*([0-7]+)$/m.exec(status.success)
  return match === null ? undefined : Number.parseInt(match[1]!, 8) & 0o777
}

const make = (ffi: Ffi): PeerCredentialsShape => ({
  of: (socket: net.Socket) => {
    const fd = (socket as unknown as { readonly _handle?: { readonly fd?: unknown } })._handle?.fd
    if (typeof fd !== "number" || fd < 0) return Result.fail(new PeerUnknown({ reason: "the connection has no descriptor" }))
    const credentials = new Uint8Array(12)
    const length = new Uint32Array([credentials.byteLength])
    if (ffi.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, credentials, length) !== 0) {
      return Result.fail(new PeerUnknown({ reason: "getsockopt SO_PEERCRED failed" }))
    }
    const view = new DataView(credentials.buffer)
    const pid = view.getInt32(0, true)
    const uid = view.getUint32(4, true)
    const gid = view.getUint32(8, true)
    let groups = new Uint32Array(64)
    let groupBytes = new Uint32Array([groups.byteLength])
    while (ffi.getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, groupBytes) !== 0) {
      // Too small a buffer (ERANGE): the kernel has written back how much room the groups need.
      if (groupBytes[0]! <= groups.byteLength || groupBytes[0]! / 4 > MAX_GROUPS) {
        return Result.fail(new PeerUnknown({ reason: "getsockopt SO_PEERGROUPS failed" }))
      }
      groups = new Uint32Array(Math.ceil(groupBytes[0]! / 4))
      groupBytes = new Uint32Array([groups.byteLength])
    }
    const umask = pid > 0 ? umaskOf(pid) : undefined
    const caller: Caller = {
      uid,
      gid,
      groups: [...groups.subarray(0, groupBytes[0]! / 4)],
      via: "socket",
      ...(pid > 0 ? { pid } : {}),
      ...(umask === undefined ? {} : { umask })
    }
    return Result.succeed(caller)
  }
})

/** Needs Bun: under Node (the unit tests) the layer fails, naming why. */
export const layer: Layer.Layer<PeerCredentials, PeerUnknown> = Layer.effect(
  PeerCredentials,
  Effect.tryPromise({
    try: async () => {
      // A specifier Node's module loader never resolves: the unit tests load this file without Bun.
      const specifier = "bun:ffi"
      const ffi = (await import(specifier)) as BunFfi
      const { i32, ptr } = ffi.FFIType
      const libc = ffi.dlopen("libc.so.6", { getsockopt: { args: [i32, i32, i32, ptr, ptr], returns: i32 } })
      return make({
        getsockopt: (fd, level, name, value, length) => libc.symbols.getsockopt!(fd, level, name, ffi.ptr(value), ffi.ptr(length))
      })
    },
    catch: (error) =>
      new PeerUnknown({ reason: `peer credentials need the Bun runtime's FFI (the compiled binary): ${error instanceof Error ? error.message : String(error)}` })
  })
)
