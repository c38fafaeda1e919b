/**
 * Every finding FORTRESS can report: a stable code, its severity (fixed per
 * code), the check that finds it, what it means and how to fix it. The codes
 * are an interface (MENTOR and SCRIBE will key on them; docs/audit.md lists
 * them): never rename one, add a new one instead. Pure data: loaded with the
 * protocol.
 */
import { type FindingCode as Finding, findingCode } from "../shared/findings.ts"

export type Severity = "info" | "low" | "medium" | "high" | "critical"
export const SEVERITIES: ReadonlyArray<Severity> = ["info", "low", "medium", "high", "critical"]
export const severityRank = (severity: Severity) => SEVERITIES.indexOf(severity)

export const CHECKS = ["sockets", "sshd", "shares", "permissions"] as const
export type Check = (typeof CHECKS)[number]

export interface CodeSpec {
  readonly severity: Severity
  readonly check: Check
  /** What it means, one line. */
  readonly title: string
  /** How to fix it (and so how to undo it). */
  readonly fix: string
}

export const CODES = {
  LISTENER_ALL_INTERFACES: {
    severity: "medium",
    check: "sockets",
    title: "a service listens on every interface on a port that is not in audit_allowed_ports",
    fix: "bind the service to the addresses that need it (or 127.0.0.1), stop it, or add the port to audit_allowed_ports if it is meant to be reachable"
  },
  LISTENER_CLEARTEXT_SERVICE: {
    severity: "high",
    check: "sockets",
    title: "a cleartext remote-login or file-transfer service (telnet, ftp, tftp, rsh, rlogin, rexec) is reachable from the network",
    fix: "stop and disable the service (systemctl disable --now UNIT); use ssh/sftp instead"
  },
  SSH_PASSWORD_AUTH: {
    severity: "high",
    check: "sshd",
    title: "sshd accepts passwords (PasswordAuthentication yes): guessable over the network",
    fix: "set PasswordAuthentication no in sshd_config (after installing a key), then systemctl reload ssh"
  },
  SSH_ROOT_LOGIN: {
    severity: "high",
    check: "sshd",
    title: "sshd lets root log in (PermitRootLogin yes)",
    fix: "set PermitRootLogin no (or prohibit-password) in sshd_config, then systemctl reload ssh"
  },
  SSH_EMPTY_PASSWORDS: {
    severity: "critical",
    check: "sshd",
    title: "sshd lets accounts with an empty password log in (PermitEmptyPasswords yes)",
    fix: "set PermitEmptyPasswords no in sshd_config, then systemctl reload ssh"
  },
  SSH_KBD_INTERACTIVE_PAM: {
    severity: "medium",
    check: "sshd",
    title: "sshd accepts keyboard-interactive logins through PAM: passwords by another name",
    fix: "set KbdInteractiveAuthentication no in sshd_config, then systemctl reload ssh"
  },
  SSH_USER_ENVIRONMENT: {
    severity: "medium",
    check: "sshd",
    title: "sshd reads users' ~/.ssh/environment (PermitUserEnvironment), which can bypass restrictions",
    fix: "set PermitUserEnvironment no in sshd_config, then systemctl reload ssh"
  },
  SSH_X11_FORWARDING: {
    severity: "low",
    check: "sshd",
    title: "sshd forwards X11, which a NAS does not need",
    fix: "set X11Forwarding no in sshd_config, then systemctl reload ssh"
  },
  SSH_MAX_AUTH_TRIES: {
    severity: "low",
    check: "sshd",
    title: "sshd allows more than 4 authentication attempts per connection (MaxAuthTries)",
    fix: "set MaxAuthTries 3 in sshd_config, then systemctl reload ssh"
  },
  SHARE_PATH_WORLD_WRITABLE: {
    severity: "high",
    check: "shares",
    title: "a shared directory is writable by every local user (o+w)",
    fix: "chmod o-w PATH, and give write access through the share's users or a group instead"
  },
  SHARE_PATH_UNOWNED: {
    severity: "medium",
    check: "shares",
    title: "a shared directory is owned by a uid or gid that names no account (left over from a deleted user, or an import)",
    fix: "chown OWNER:GROUP PATH with an account that should own the data"
  },
  SHARE_PATH_SYSTEM: {
    severity: "high",
    check: "shares",
    title: "a share exports a system directory (/, /etc, /root, /boot, /usr, /var, /proc, /sys, /dev, /run, /bin, /sbin, /lib)",
    fix: "remove the share, or point it at a dataset or a directory under /srv"
  },
  SHARE_PATH_MISSING: {
    severity: "low",
    check: "shares",
    title: "a share names a directory that does not exist (clients see an error; a later mkdir may expose the wrong thing)",
    fix: "create the directory with the intended owner and mode, or remove the share"
  },
  SMB_GUEST_OK: {
    severity: "high",
    check: "shares",
    title: "an SMB share lets anyone in without a password (guest ok / public = yes)",
    fix: "set guest ok = no on the share (net conf setparm SHARE 'guest ok' no, or edit smb.conf), then smbcontrol smbd reload-config"
  },
  SMB_GUEST_WRITABLE: {
    severity: "critical",
    check: "shares",
    title: "an SMB share lets anyone in without a password and write (guest ok with read only = no)",
    fix: "set guest ok = no, or read only = yes, on the share, then smbcontrol smbd reload-config"
  },
  SMB1_ENABLED: {
    severity: "high",
    check: "shares",
    title: "Samba accepts SMB1 (server min protocol below SMB2), the protocol WannaCry spread through",
    fix: "remove server min protocol from [global] (the default is SMB2_02) or set it to SMB2_10 or later, then restart smbd"
  },
  SMB_NTLMV1: {
    severity: "high",
    check: "shares",
    title: "Samba accepts NTLMv1 authentication (ntlm auth = yes / ntlmv1-permitted), whose hashes crack offline",
    fix: "set ntlm auth = ntlmv2-only (the default) in [global], then smbcontrol smbd reload-config"
  },
  NFS_NO_ROOT_SQUASH: {
    severity: "high",
    check: "shares",
    title: "an NFS export trusts root on the client as root on the server (no_root_squash)",
    fix: "remove no_root_squash from the export's options (root_squash is the default), then exportfs -ra"
  },
  NFS_INSECURE: {
    severity: "medium",
    check: "shares",
    title: "an NFS export accepts requests from unprivileged client ports (insecure), so any client user can speak NFS directly",
    fix: "remove insecure from the export's options (secure is the default), then exportfs -ra"
  },
  NFS_EXPORT_TO_ALL: {
    severity: "medium",
    check: "shares",
    title: "an NFS export is open to every host (client * or none named)",
    fix: "name the clients (a host or a network such as 192.168.1.0/24) on the export line, then exportfs -ra"
  },
  SOCKET_WORLD_WRITABLE: {
    severity: "high",
    check: "permissions",
    title: "SigmaVault's control socket can be connected to by every local user (o+w)",
    fix: "set socket_mode to 0660 in sigmavault.conf (the daemon refuses modes with other bits) and restart; or chmod o-rwx the socket"
  },
  RUNTIME_DIR_WRITABLE: {
    severity: "high",
    check: "permissions",
    title: "SigmaVault's runtime directory is writable by other users, who could replace the control socket",
    fix: "chmod o-w,g-w the runtime directory (systemd's RuntimeDirectory creates it 0755)"
  },
  STATE_DIR_OPEN: {
    severity: "high",
    check: "permissions",
    title: "SigmaVault's state directory (keys, ledger, memory) can be read or entered by other users",
    fix: "chmod 0700 the state directory"
  },
  KEY_FILE_EXPOSED: {
    severity: "critical",
    check: "permissions",
    title: "a SigmaVault key file or the key directory is readable or writable by group or others",
    fix: "chmod 0600 the key files and 0700 the keys directory; rotate the keys if others could have read them"
  },
  CONFIG_FILE_WRITABLE: {
    severity: "high",
    check: "permissions",
    title: "SigmaVault's configuration file is writable by group or others, who could change roles or file roots",
    fix: "chmod go-w the configuration file (0644 or 0640)"
  },
  OWN_PATH_OWNER: {
    severity: "medium",
    check: "permissions",
    title: "a SigmaVault file or directory is owned by neither root nor the daemon's user",
    fix: "chown it to the daemon's user (or root)"
  }
} as const satisfies Readonly<Record<string, CodeSpec>>

export type FindingCode = keyof typeof CODES
export const FINDING_CODES = Object.keys(CODES) as ReadonlyArray<FindingCode>

/**
 * A finding's code on its alert and in MENTOR's catalogue: the FORTRESS code
 * in the shared finding-code form (SSH_ROOT_LOGIN → FORTRESS-SSH-ROOT-LOGIN).
 * The codes above stay as they are in FORTRESS's own replies.
 */
export const alertCode = (code: FindingCode): string => `FORTRESS-${code.replaceAll("_", "-")}`

export const codes: ReadonlyArray<Finding> = FINDING_CODES.map((code) => findingCode(alertCode(code), "fortress", CODES[code].title))
