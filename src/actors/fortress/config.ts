/**
 * FORTRESS's configuration. The daemon's composition root provides it from
 * the configuration file (audit_interval_hours, audit_sshd_config,
 * audit_smb_config, audit_nfs_exports, audit_nfs_exports_dir,
 * audit_allowed_ports: docs/configuration.md) and from its own settings (the
 * state and runtime directories, the socket, the configuration file and the
 * daemon's uid, whose modes the audit checks). A Context.Reference: tests and
 * `selftest` get these defaults, which are the file's defaults too.
 */
import { Context } from "effect"

export interface DaemonPaths {
  readonly stateDir: string
  readonly runtimeDir: string
  readonly socket: string
  /** The configuration file the daemon read; undefined when it runs without one. */
  readonly configFile: string | undefined
  /** The daemon's own uid: its files may belong to it or to root. */
  readonly uid: number
}

export interface FortressConfigShape {
  /** How often the whole audit runs; 0: only on request. */
  readonly intervalMs: number
  readonly sshdConfig: string
  readonly smbConfig: string
  readonly nfsExports: string
  readonly nfsExportsDir: string
  /** Ports a service may listen on every interface without a finding. */
  readonly allowedPorts: ReadonlyArray<number>
  readonly daemon: DaemonPaths
}

export const defaultFortressConfig: FortressConfigShape = {
  intervalMs: 24 * 3_600_000,
  sshdConfig: "/etc/ssh/sshd_config",
  smbConfig: "/etc/samba/smb.conf",
  nfsExports: "/etc/exports",
  nfsExportsDir: "/etc/exports.d",
  // ssh, rpcbind, netbios-ssn, microsoft-ds, nfs, WireGuard (PHANTOM's default).
  allowedPorts: [22, 111, 139, 445, 2049, 51820],
  daemon: {
    stateDir: "/var/lib/sigmavault",
    runtimeDir: "/run/sigmavault",
    socket: "/run/sigmavault/control.sock",
    configFile: undefined,
    uid: 0
  }
}

export const FortressConfig = Context.Reference<FortressConfigShape>("sigmavault/actors/fortress/FortressConfig", {
  defaultValue: () => defaultFortressConfig
})
