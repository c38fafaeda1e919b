/**
 * Two hosts for FORTRESS's tests and benchmark, as the tools print them and
 * the files hold them: a hardened baseline (no finding) and the same host
 * with the seeded weaknesses (password auth, root login, a world-
 * writable share, guest SMB, no_root_squash, a 0666 socket, plus a stray
 * listener and telnet), each of which must be flagged.
 */
import type { FileType } from "../../src/adapters/fs/Files.ts"
import type { FindingCode } from "../../src/actors/fortress/codes.ts"
import { defaultFortressConfig, type FortressConfigShape } from "../../src/actors/fortress/config.ts"

export interface HostTexts {
  readonly ss: string
  readonly sshdConfig: string
  readonly smbConf: string
  readonly exports: string
  /** Modes of the share directories and the daemon's files, relative to a root. */
  readonly modes: {
    readonly shares: Readonly<Record<string, number>>
    readonly socket: number
    readonly stateDir: number
    readonly keysDir: number
    readonly keyFile: number
    readonly runtimeDir: number
    readonly configFile: number
  }
}

export const HARDENED_SSHD = [
  "PasswordAuthentication no",
  "PermitRootLogin prohibit-password",
  "PermitEmptyPasswords no",
  "KbdInteractiveAuthentication no",
  "UsePAM yes",
  "PermitUserEnvironment no",
  "X11Forwarding no",
  "MaxAuthTries 3",
  ""
].join("\n")

export const hardened = (root: string): HostTexts => ({
  ss: [
    `tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=501,fd=3))`,
    `tcp LISTEN 0 128 [::]:22 [::]:* users:(("sshd",pid=501,fd=4))`,
    `tcp LISTEN 0 50 0.0.0.0:445 0.0.0.0:* users:(("smbd",pid=610,fd=31))`,
    `tcp LISTEN 0 4096 127.0.0.1:631 0.0.0.0:*`,
    `udp UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:* users:(("systemd-resolve",pid=300,fd=13))`,
    ""
  ].join("\n"),
  sshdConfig: HARDENED_SSHD,
  smbConf: [
    "[global]",
    "   workgroup = WORKGROUP",
    "   map to guest = never",
    "   server min protocol = SMB2_10",
    "",
    "[data]",
    `   path = ${root}/srv/data`,
    "   read only = no",
    "   valid users = @staff",
    ""
  ].join("\n"),
  exports: `${root}/srv/data 192.168.1.0/24(rw,sync,root_squash,no_subtree_check)\n`,
  modes: {
    shares: { "srv/data": 0o2770, "srv/public": 0o755 },
    socket: 0o660,
    stateDir: 0o700,
    keysDir: 0o700,
    keyFile: 0o600,
    runtimeDir: 0o755,
    configFile: 0o644
  }
})

export const seeded = (root: string): HostTexts => {
  const base = hardened(root)
  return {
    ss: base.ss + [
      `tcp LISTEN 0 5 0.0.0.0:4444 0.0.0.0:* users:(("socat",pid=900,fd=5))`,
      `tcp LISTEN 0 5 0.0.0.0:23 0.0.0.0:*`,
      ""
    ].join("\n"),
    sshdConfig: base.sshdConfig.replace("PasswordAuthentication no", "PasswordAuthentication yes").replace(
      "PermitRootLogin prohibit-password",
      "PermitRootLogin yes"
    ),
    smbConf: base.smbConf + ["[public]", `   path = ${root}/srv/public`, "   guest ok = yes", ""].join("\n"),
    exports: `${root}/srv/data 192.168.1.0/24(rw,sync,no_root_squash,no_subtree_check)\n`,
    modes: { ...base.modes, shares: { "srv/data": 0o2770, "srv/public": 0o777 }, socket: 0o666 }
  }
}

/** What the seeded host must give, at least: every seeded weakness. */
export const SEEDED_CODES: ReadonlyArray<FindingCode> = [
  "LISTENER_ALL_INTERFACES",
  "LISTENER_CLEARTEXT_SERVICE",
  "SSH_PASSWORD_AUTH",
  "SSH_ROOT_LOGIN",
  "SMB_GUEST_OK",
  "SHARE_PATH_WORLD_WRITABLE",
  "NFS_NO_ROOT_SQUASH",
  "SOCKET_WORLD_WRITABLE"
]

/** FORTRESS's configuration for a host laid out under `root` (state, run, etc in it). */
export const configUnder = (root: string, uid = 0): FortressConfigShape => ({
  ...defaultFortressConfig,
  intervalMs: 0,
  sshdConfig: `${root}/etc/ssh/sshd_config`,
  smbConfig: `${root}/etc/samba/smb.conf`,
  nfsExports: `${root}/etc/exports`,
  nfsExportsDir: `${root}/etc/exports.d`,
  daemon: {
    stateDir: `${root}/state`,
    runtimeDir: `${root}/run`,
    socket: `${root}/run/control.sock`,
    configFile: `${root}/etc/sigmavault.conf`,
    uid
  }
})

/** The path facts of a host laid out under `root`, for the test adapter. */
export const pathTable = (root: string, texts: HostTexts): Record<string, { type: FileType; mode: number; uid: number; gid: number }> => {
  const dir = (mode: number) => ({ type: "directory" as const, mode, uid: 0, gid: 0 })
  const file = (mode: number) => ({ type: "file" as const, mode, uid: 0, gid: 0 })
  return {
    ...Object.fromEntries(Object.entries(texts.modes.shares).map(([path, mode]) => [`${root}/${path}`, { ...dir(mode), uid: 1000, gid: 1000 }])),
    [`${root}/state`]: dir(texts.modes.stateDir),
    [`${root}/state/keys`]: dir(texts.modes.keysDir),
    [`${root}/state/keys/daemon.key`]: file(texts.modes.keyFile),
    [`${root}/run`]: dir(texts.modes.runtimeDir),
    [`${root}/run/control.sock`]: { type: "socket", mode: texts.modes.socket, uid: 0, gid: 0 },
    [`${root}/etc/sigmavault.conf`]: file(texts.modes.configFile)
  }
}

export const PASSWD = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n"
export const GROUP = "root:x:0:\nalice:x:1000:\n"
