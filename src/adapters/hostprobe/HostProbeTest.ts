/**
 * HostProbe from tables, for tests: listeners, sshd settings, path facts,
 * Samba sections, exports and accounts as given (a test may change them
 * between audits). A table left out reads as the live adapter would on a
 * machine without the thing: no sshd ("sshd is not installed"), no smb.conf,
 * no exports. `fromTexts` builds the tables from the texts the tools print
 * and the files hold, through the live adapter's parsers.
 */
import { Effect, Layer } from "effect"
import {
  type Accounts,
  HostProbe,
  type HostProbeShape,
  type Listener,
  type NfsExport,
  type PathFacts,
  read,
  type SmbConfig,
  type SshdSettings,
  unavailable
} from "./HostProbe.ts"
import { idsIn, parseExports, parseSmbText, parseSs, parseSshdT, smbSections } from "./parse.ts"

export interface HostTables {
  listeners?: ReadonlyArray<Listener> | { readonly unavailable: string }
  sshd?: SshdSettings | { readonly unavailable: string }
  /** By path. */
  paths?: Readonly<Record<string, Omit<PathFacts, "path">>>
  smb?: SmbConfig
  nfs?: ReadonlyArray<NfsExport>
  accounts?: Accounts
}

const isUnavailable = (value: unknown): value is { readonly unavailable: string } =>
  typeof value === "object" && value !== null && "unavailable" in value && typeof (value as { unavailable: unknown }).unavailable === "string"

export interface HostProbeTest {
  readonly tables: HostTables
  readonly service: HostProbeShape
  readonly layer: Layer.Layer<HostProbe>
}

export const make = (tables: HostTables = {}): HostProbeTest => {
  const service = HostProbe.of({
    listeners: Effect.sync(() => {
      const listeners = tables.listeners
      if (listeners === undefined) return unavailable("ss -H -tulnp", "ss is not installed")
      return isUnavailable(listeners) ? unavailable("ss -H -tulnp", listeners.unavailable) : read("ss -H -tulnp", listeners)
    }),
    sshd: (configFile) =>
      Effect.sync(() => {
        const source = `sshd -T -f ${configFile}`
        const sshd = tables.sshd
        if (sshd === undefined) return unavailable(source, "sshd is not installed")
        return isUnavailable(sshd) ? unavailable(source, sshd.unavailable) : read(source, sshd as SshdSettings)
      }),
    stat: (path) =>
      Effect.sync(() => {
        const facts = tables.paths?.[path]
        return read(`stat ${path}`, facts === undefined ? undefined : { path, ...facts })
      }),
    entries: (dir) =>
      Effect.sync(() => {
        const paths = tables.paths ?? {}
        if (paths[dir] === undefined) return read(`ls -l ${dir}`, undefined)
        const inside = Object.entries(paths).filter(([path]) => path.startsWith(`${dir}/`) && !path.slice(dir.length + 1).includes("/"))
        return read(`ls -l ${dir}`, inside.map(([path, facts]) => ({ path, ...facts })))
      }),
    smb: (configFile) => Effect.sync(() => read(configFile, tables.smb)),
    nfs: (exportsFile, exportsDir) => Effect.sync(() => read(`${exportsFile}, ${exportsDir}/*.exports`, tables.nfs ?? [])),
    accounts: Effect.sync(() =>
      read("/etc/passwd, /etc/group", tables.accounts ?? { uids: new Set([0]), gids: new Set([0]) })
    )
  })
  return { tables, service, layer: Layer.succeed(HostProbe, service) }
}

/** Tables from texts: `ss -H -tulnp` output, `sshd -T` output, smb.conf, exports, passwd and group. */
export const fromTexts = (texts: {
  readonly ss?: string
  readonly sshdT?: string
  readonly smbConf?: { readonly path: string; readonly text: string }
  readonly exports?: { readonly path: string; readonly text: string }
  readonly passwd?: string
  readonly group?: string
  readonly paths?: HostTables["paths"]
}): HostTables => ({
  ...(texts.ss === undefined ? {} : { listeners: parseSs(texts.ss) }),
  ...(texts.sshdT === undefined ? {} : { sshd: parseSshdT(texts.sshdT) }),
  ...(texts.smbConf === undefined ? {} : { smb: { sections: smbSections(parseSmbText(texts.smbConf.text, texts.smbConf.path)), unread: [] } }),
  ...(texts.exports === undefined ? {} : { nfs: parseExports(texts.exports.text, texts.exports.path) }),
  ...(texts.passwd === undefined && texts.group === undefined
    ? {}
    : { accounts: { uids: idsIn(texts.passwd ?? ""), gids: idsIn(texts.group ?? "") } }),
  ...(texts.paths === undefined ? {} : { paths: texts.paths })
})

export const layer = (tables: HostTables = {}): Layer.Layer<HostProbe> => make(tables).layer
