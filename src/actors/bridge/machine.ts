/**
 * BRIDGE: the share database and its application. A share is checked (its
 * path exists, is a directory, and is inside the share roots and outside
 * every system tree, by its real path), rendered and checked by FORGE, then
 * — only with `confirm: true` — applied through the Shares port (registry
 * share + reload-config, or exports file + exportfs -ra) and recorded in the
 * database in the state directory. A failed step undoes what was done.
 * `shares` reads the system back and reports the drift.
 */
import { Clock, Effect, Option, Schema } from "effect"
import { Files } from "../../adapters/fs/Files.ts"
import { exportFileOf, type ShareOperation, Shares, type SharesError } from "../../adapters/shares/Shares.ts"
import { StateStore } from "../../adapters/state/StateStore.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { describeCaller } from "../../runtime/Caller.ts"
import { Forge, type Rendered, type Validated } from "../forge/messages.ts"
import { Lattice } from "../lattice/messages.ts"
import type { ShareSpec } from "../shared/fields.ts"
import { DependencyFailed, failedDependency } from "../shared/rejections.ts"
import { serviceMachine } from "../shared/serve.ts"
import { BridgeConfig } from "./config.ts"
import { driftOf } from "./drift.ts"
import {
  Bridge,
  NoSuchShare,
  PathMissing,
  PathNotAllowed,
  type ShareChange,
  ShareApplyFailed,
  ShareDatabaseFailed,
  ShareExists,
  StoredShare
} from "./messages.ts"
import { DEFAULT_SHARE_ROOTS, normalise, pathProblem, realPath } from "./paths.ts"

export const bridgeCapabilities: ReadonlyArray<Capability> = [
  {
    name: "share-management",
    available: true,
    detail: "keeps the desired SMB/NFS shares in the state directory; adds, updates and removes them with FORGE's render (registry shares through `net conf`, files in the exports directory), planned unless confirmed; reads them back (net conf showshare, smbstatus --json, exportfs -v) and reports drift"
  },
  {
    name: "service-reload",
    available: true,
    detail: "reloads Samba with `smbcontrol smbd reload-config` (never a restart) and NFS with `exportfs -ra`"
  }
]

/** The StateStore key of the share database. */
export const DATABASE_KEY = "bridge-shares"
const Database = Schema.Struct({ shares: Schema.Array(StoredShare) })
const decodeDatabase = Schema.decodeUnknownEffect(Database)

const FORGE_TIMEOUT_MS = 30_000

type Spec = typeof ShareSpec.Type
type Protocol = Spec["protocol"]

const sameName = (protocol: Protocol, a: string, b: string) => protocol === "smb" ? a.toLowerCase() === b.toLowerCase() : a === b

/** The spec as a request field set: the message's own fields without type and confirm. */
const specOf = (message: Spec & { readonly confirm?: boolean | undefined; readonly type?: string }): Spec => {
  const { confirm: _confirm, type: _type, ...spec } = message as Spec & { confirm?: boolean; type?: string }
  return spec
}

export const bridgeMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const shares = yield* Shares
  const files = yield* Files
  const store = yield* StateStore
  const config = yield* BridgeConfig

  const database = (error: { readonly message: string }) => new ShareDatabaseFailed({ reason: error.message })

  const load = store.read(DATABASE_KEY).pipe(
    Effect.flatMap((document) =>
      Option.isNone(document) ? Effect.succeed({ shares: [] as ReadonlyArray<StoredShare> }) : decodeDatabase(document.value)
    ),
    Effect.map((db) => db.shares),
    Effect.mapError(database)
  )
  const save = (list: ReadonlyArray<StoredShare>) => Effect.mapError(store.write(DATABASE_KEY, { shares: list }), database)

  /** The allowed roots, as real paths: share_roots, or /srv and the mounted data datasets LATTICE lists. */
  const roots = Effect.gen(function*() {
    const configured = config.shareRoots
    const mounted = configured !== undefined ? [] : yield* env.system.call(Lattice, { type: "datasets" }).pipe(
      Effect.map((reply) => reply.datasets.flatMap((d) => d.mounted === true && d.mountpoint !== undefined && d.mountpoint.startsWith("/") ? [d.mountpoint] : [])),
      Effect.orElseSucceed(() => [] as ReadonlyArray<string>)
    )
    const candidates = configured ?? [...DEFAULT_SHARE_ROOTS, ...mounted]
    const real = yield* Effect.forEach(candidates, (root) => Effect.option(realPath(files, root)))
    return [...new Set(real.flatMap((r) => Option.isSome(r) ? [r.value] : []))]
  })

  /** The path as it will be shared (its real path), or why it cannot be. */
  const checkPath = (path: string) =>
    Effect.gen(function*() {
      const real = yield* realPath(files, path).pipe(
        Effect.mapError((error) =>
          new PathMissing({ path, reason: error.reason === "NotFound" ? "does not exist" : `cannot be resolved: ${error.message}` })
        )
      )
      const info = yield* files.stat(real).pipe(Effect.mapError((error) => new PathMissing({ path, reason: `cannot be read: ${error.message}` })))
      if (info.type !== "directory") return yield* new PathMissing({ path, reason: `is a ${info.type}, not a directory` })
      const forbidden = yield* Effect.forEach(config.forbidden, (f) => Effect.orElseSucceed(realPath(files, f), () => normalise(f)))
      const problem = pathProblem(real, yield* roots, [...config.forbidden.map(normalise), ...forbidden])
      if (problem !== undefined) return yield* new PathNotAllowed({ path: real === normalise(path) ? path : `${path} (${real})`, reason: problem })
      return real
    })

  /** FORGE's render of the spec and its check by the real tool; FORGE's refusals pass through. */
  const render = (spec: Spec) =>
    Effect.gen(function*() {
      const rendered: Rendered = yield* failedDependency("FORGE")(
        env.system.call(Forge, { type: "render-share", ...spec }, { timeoutMs: FORGE_TIMEOUT_MS })
      )
      const file = rendered.files[0]
      if (file === undefined) return yield* new DependencyFailed({ agent: "FORGE", reason: "it rendered no file" })
      // Until FORGE's `validate` is built, the render stands on FORGE's own refusals, and the reply says so.
      const validated: Validated | undefined = yield* failedDependency("FORGE")(
        env.system.call(Forge, { type: "validate", kind: rendered.kind, text: file.text }, { timeoutMs: FORGE_TIMEOUT_MS }).pipe(
          Effect.map((v): Validated | undefined => v),
          Effect.catchTag("NotBuiltYet", () => Effect.succeed(undefined))
        )
      )
      return { rendered, validated, file }
    })

  /** What to do to put a rendered share on the system: a new one, or one that replaces the share of that name. */
  const putOperations = (spec: Spec, text: string): ReadonlyArray<ShareOperation> =>
    spec.protocol === "smb"
      ? [{ op: "smb-put", name: spec.name, text }, { op: "smb-reload" }]
      : [{ op: "nfs-write", file: exportFileOf(spec.name), text }, { op: "nfs-reload" }]

  const dropOperations = (protocol: Protocol, name: string, live: boolean): ReadonlyArray<ShareOperation> =>
    protocol === "smb"
      ? [...(live ? [{ op: "smb-remove", name } as const] : []), { op: "smb-reload" }]
      : [{ op: "nfs-remove", file: exportFileOf(name) }, { op: "nfs-reload" }]

  const inRegistry = (name: string) => Effect.map(shares.smbNames, (names) => (names ?? []).some((s) => sameName("smb", s, name)))

  /** Applies `operations`; on failure works out and runs `undo` (best effort) and fails with ShareApplyFailed. */
  const applyOrUndo = (
    spec: { readonly protocol: Protocol; readonly name: string },
    operations: ReadonlyArray<ShareOperation>,
    undo: Effect.Effect<ReadonlyArray<ShareOperation>>
  ) =>
    shares.apply(operations).pipe(
      Effect.catch((error: SharesError) =>
        Effect.gen(function*() {
          const undone = yield* Effect.exit(Effect.flatMap(undo, shares.apply))
          return yield* new ShareApplyFailed({ protocol: spec.protocol, name: spec.name, reason: error.message, undone: undone._tag === "Success" })
        })
      )
    )

  const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

  /** Add: refused when the share exists (in the database, or made by hand in the registry). */
  const absent = (asked: Spec, existing: StoredShare | undefined, live: boolean) =>
    existing !== undefined
      ? Effect.fail(new ShareExists({ protocol: asked.protocol, name: asked.name, where: "database" }))
      : live
      ? Effect.fail(new ShareExists({ protocol: asked.protocol, name: asked.name, where: "registry, made outside BRIDGE" }))
      : Effect.void
  /** Update: refused when the database has no such share. */
  const present = (asked: Spec, existing: StoredShare | undefined) =>
    existing === undefined ? Effect.fail(new NoSuchShare({ protocol: asked.protocol, name: asked.name })) : Effect.void

  const change = <E>(
    request: Spec & { readonly confirm?: boolean | undefined },
    caller: string,
    mode: "add" | "update",
    precheck: (asked: Spec, existing: StoredShare | undefined, live: boolean) => Effect.Effect<void, E>
  ) =>
    Effect.gen(function*() {
      const asked = specOf(request)
      const list = yield* load
      const existing = list.find((s) => s.spec.protocol === asked.protocol && sameName(asked.protocol, s.spec.name, asked.name))
      yield* precheck(asked, existing, false)
      // The registry is listed while the path is checked and FORGE renders and checks the share: both are only reads.
      const [live, { file, real, rendered, spec, validated }] = yield* Effect.all([
        asked.protocol === "smb" ? inRegistry(asked.name) : Effect.succeed(false),
        Effect.gen(function*() {
          const real = yield* checkPath(asked.path)
          const spec: Spec = { ...asked, path: real }
          return { ...(yield* render(spec)), real, spec }
        })
      ], { concurrency: 2 })
      yield* precheck(asked, existing, live)
      const operations = putOperations(spec, file.text)
      const notes = [
        ...(real === normalise(asked.path) ? [] : [`the path is shared as its real path ${real}`]),
        ...(validated === undefined ? ["FORGE cannot check the render with the real tool yet (its validate is not built): it stands on FORGE's own refusals"] : [])
      ]
      const undoMessage = mode === "add" ? JSON.stringify({ type: "remove-share", protocol: spec.protocol, name: spec.name, confirm: true }) : undefined
      const base = { protocol: spec.protocol, name: spec.name, rendered, ...(validated === undefined ? {} : { validated }), ...(undoMessage === undefined ? {} : { undo: undoMessage }) }
      if (request.confirm !== true) return { ...base, executed: false, steps: shares.steps(operations), notes } satisfies ShareChange
      // A put is one transaction (net conf import) or one atomic file: an add is undone by deleting what is
      // there (an import that failed left nothing), an update by putting the previous text back.
      const undo: Effect.Effect<ReadonlyArray<ShareOperation>> = mode === "add"
        ? Effect.map(spec.protocol === "smb" ? inRegistry(spec.name) : Effect.succeed(true), (there) => dropOperations(spec.protocol, spec.name, there))
        : Effect.succeed(existing?.text !== undefined ? putOperations(existing.spec, existing.text) : [])
      const applied = yield* applyOrUndo(spec, operations, undo)
      const at = yield* now
      const stored: StoredShare = {
        spec,
        created: existing?.created ?? at,
        createdBy: existing?.createdBy ?? caller,
        ...(mode === "update" ? { updated: at } : {}),
        ...(spec.protocol === "smb" ? { parameters: file.parameters ?? [] } : {}),
        text: file.text
      }
      const next = mode === "add" ? [...list, stored] : list.map((s) => (s === existing ? stored : s))
      yield* save(next).pipe(Effect.tapError(() => mode === "add" ? Effect.exit(Effect.flatMap(undo, shares.apply)) : Effect.void))
      yield* Effect.logInfo(`${mode === "add" ? "added" : "updated"} ${spec.protocol} share ${spec.name} (${spec.path}) for ${caller}`)
      return { ...base, executed: true, steps: applied.steps, notes: [...notes, ...applied.notes] } satisfies ShareChange
    })

  return yield* serviceMachine(Bridge, {
    handlers: {
      shares: (message) =>
        Effect.gen(function*() {
          const list = (yield* load).filter((s) => message.protocol === undefined || s.spec.protocol === message.protocol)
          if (message.live === false) {
            const notRead = { available: false, reason: "not read (live: false)" }
            return {
              shares: list.map((s) => ({ ...s, live: "not-read" as const })),
              smb: { ...notRead, shares: [] },
              nfs: { ...notRead, exports: [], files: [] },
              drift: [],
              inSync: false
            }
          }
          const [smb, nfs] = yield* Effect.all([shares.smb, shares.nfs], { concurrency: 2 })
          const { drift, views } = driftOf(list, smb, nfs)
          const wanted = drift.filter((d) => message.protocol === undefined || d.protocol === message.protocol)
          return { shares: views, smb, nfs, drift: wanted, inSync: wanted.length === 0 }
        }),
      "add-share": (message, { caller }) => change(message, describeCaller(caller), "add", absent),
      "update-share": (message, { caller }) => change(message, describeCaller(caller), "update", present),
      "remove-share": (message, { caller }) =>
        Effect.gen(function*() {
          const list = yield* load
          const existing = list.find((s) => s.spec.protocol === message.protocol && sameName(message.protocol, s.spec.name, message.name))
          if (existing === undefined) return yield* new NoSuchShare({ protocol: message.protocol, name: message.name })
          const name = existing.spec.name
          const operations = dropOperations(message.protocol, name, message.protocol === "smb" ? yield* inRegistry(name) : true)
          const base = { protocol: message.protocol, name }
          if (message.confirm !== true) return { ...base, executed: false, steps: shares.steps(operations), notes: [] }
          const applied = yield* applyOrUndo(existing.spec, operations, Effect.succeed([]))
          yield* save(list.filter((s) => s !== existing))
          yield* Effect.logInfo(`removed ${message.protocol} share ${name} for ${describeCaller(caller)}`)
          return { ...base, executed: true, steps: applied.steps, notes: applied.notes }
        }),
      reload: (message) =>
        Effect.gen(function*() {
          const operations: ReadonlyArray<ShareOperation> = [
            ...(message.protocol !== "nfs" ? [{ op: "smb-reload" } as const] : []),
            ...(message.protocol !== "smb" ? [{ op: "nfs-reload" } as const] : [])
          ]
          if (message.confirm !== true) return { executed: false, steps: shares.steps(operations), notes: [] }
          const applied = yield* shares.apply(operations)
          return { executed: true, steps: applied.steps, notes: applied.notes }
        })
    }
  })
})
