/** Tests that run a real tool: a missing one fails the test, naming it and its Debian package (never a silent skip). */
import { accessSync, constants } from "node:fs"
import { delimiter, isAbsolute, join } from "node:path"

/** The Debian package of each tool the real-tool tests run, where its name differs from the tool's (see .ci/run). */
const PACKAGES: Readonly<Record<string, string>> = {
  ip: "iproute2",
  ss: "iproute2",
  ping: "iputils-ping",
  wg: "wireguard-tools",
  "wg-quick": "wireguard-tools",
  smbclient: "smbclient",
  net: "samba-common-bin",
  testparm: "samba-common-bin",
  smbcontrol: "samba",
  smbstatus: "samba",
  exportfs: "nfs-kernel-server",
  "/usr/sbin/exportfs": "nfs-kernel-server",
  sshd: "openssh-server",
  "/usr/sbin/sshd": "openssh-server",
  "ssh-keygen": "openssh-client",
  nsenter: "util-linux",
  unshare: "util-linux",
  mount: "mount",
  promtool: "prometheus",
  "prometheus-node-exporter": "prometheus-node-exporter"
}

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The tools that are not installed (a name is looked up on PATH and in /usr/sbin, /sbin; a path is checked as it is). */
export const missingTools = (tools: ReadonlyArray<string>): ReadonlyArray<string> => {
  const path = (process.env.PATH ?? "").split(delimiter).concat(["/usr/sbin", "/sbin"])
  return tools.filter((tool) => !(isAbsolute(tool) ? executable(tool) : path.some((dir) => executable(join(dir, tool)))))
}

/** Throws, naming each missing tool and its Debian package. */
export const requireTools = (...tools: ReadonlyArray<string>) => {
  const missing = missingTools(tools)
  if (missing.length > 0) {
    const named = missing.map((tool) => `${tool} (Debian package ${PACKAGES[tool] ?? tool})`).join(", ")
    throw new Error(`this test runs the real tools and needs ${named}, which is not installed (see .ci/run)`)
  }
}
