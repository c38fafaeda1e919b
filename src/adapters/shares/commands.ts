/**
 * The exact steps of each share operation, shared by the live adapter (which
 * does them) and the test adapter (which plans them the same way).
 */
import { join } from "node:path"
import { display } from "../zfs/commands.ts"
import type { ShareOperation, ShareStep } from "./Shares.ts"

export interface ShareCommands {
  /** smb.conf for `net -s` and `smbcontrol -s`; undefined: the system's. */
  readonly smbConf?: string | undefined
  /** Where NFS export files go. */
  readonly exportsDir: string
  /** Where a share's stanza waits for `net conf import` (the daemon's runtime directory); removed right after. */
  readonly stagingDir: string
  /** How exportfs is run (argv prefix); default ["exportfs"]. Tests enter a mount namespace with it. */
  readonly exportfs?: ReadonlyArray<string> | undefined
}

const run = (command: ReadonlyArray<string>): ShareStep => ({ kind: "run", command, display: display(command) })

export const netArgv = (c: ShareCommands, ...args: ReadonlyArray<string>) => ["net", ...(c.smbConf === undefined ? [] : ["-s", c.smbConf]), ...args]
export const smbcontrolArgv = (c: ShareCommands, ...args: ReadonlyArray<string>) =>
  ["smbcontrol", ...(c.smbConf === undefined ? [] : ["-s", c.smbConf]), ...args]
export const smbstatusArgv = (c: ShareCommands) => ["smbstatus", ...(c.smbConf === undefined ? [] : ["-s", c.smbConf]), "--json"]
export const exportfsArgv = (c: ShareCommands, ...args: ReadonlyArray<string>) => [...(c.exportfs ?? ["exportfs"]), ...args]

/** The registry key of a parameter as smb.conf spells it, for comparison: "Read Only" → "read only". */
export const parameterKey = (key: string) => key.trim().toLowerCase().replace(/[\s_]+/g, " ")

export const stepsOf = (c: ShareCommands, operation: ShareOperation): ReadonlyArray<ShareStep> => {
  switch (operation.op) {
    case "smb-put": {
      const staged = join(c.stagingDir, `smb-${operation.name}.conf`)
      return [
        { kind: "write", path: staged, text: operation.text },
        run(netArgv(c, "conf", "import", staged, operation.name)),
        { kind: "remove", path: staged }
      ]
    }
    case "smb-remove":
      return [run(netArgv(c, "conf", "delshare", operation.name))]
    case "smb-reload":
      return [run(smbcontrolArgv(c, "smbd", "reload-config"))]
    case "nfs-write":
      return [{ kind: "write", path: join(c.exportsDir, operation.file), text: operation.text }]
    case "nfs-remove":
      return [{ kind: "remove", path: join(c.exportsDir, operation.file) }]
    case "nfs-reload":
      return [run(exportfsArgv(c, "-ra"))]
  }
}
