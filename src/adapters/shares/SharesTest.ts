/**
 * Shares in memory, for tests: a registry, an exports directory and an
 * export table a test can read and change (a share added by hand is drift).
 * Plans are the live adapter's steps; applying records every step and
 * changes the model; `failOn` makes a step fail the way the tool would.
 */
import { Effect, Layer } from "effect"
import { CommandExited } from "../command/Command.ts"
import { type ShareCommands, stepsOf } from "./commands.ts"
import { parseShowShare } from "./parse.ts"
import { type NfsExportLive, type Parameter, type ShareOperation, Shares, type ShareStep } from "./Shares.ts"

export interface SharesModel {
  /** Registry shares: name → parameters (path first). */
  readonly registry: Map<string, Array<Parameter>>
  /** Files in the exports directory, by name. */
  readonly exportFiles: Map<string, string>
  /** What exportfs -v would list; `exportfs -ra` rebuilds it from the files. */
  exports: Array<NfsExportLive>
  smbdRunning: boolean
  /** Sessions and connections smbstatus reports. */
  connections: Record<string, number>
  /** Every step applied, in order. */
  readonly applied: Array<ShareStep>
  /** A step whose display matches fails with exit 255 and this stderr. */
  failOn?: { readonly match: RegExp; readonly stderr: string } | undefined
}

export const model = (initial: Partial<Omit<SharesModel, "applied">> = {}): SharesModel => ({
  registry: initial.registry ?? new Map(),
  exportFiles: initial.exportFiles ?? new Map(),
  exports: initial.exports ?? [],
  smbdRunning: initial.smbdRunning ?? true,
  connections: initial.connections ?? {},
  applied: [],
  failOn: initial.failOn
})

export const COMMANDS: ShareCommands = { exportsDir: "/etc/exports.d", stagingDir: "/run/sigmavault/shares" }

/** The export lines of a file: "PATH CLIENT(opts) …". */
const exportsOf = (text: string): Array<NfsExportLive> =>
  text.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#")).flatMap((line) => {
    const [path, ...clients] = line.trim().split(/\s+/)
    return clients.map((c) => {
      const m = /^([^()]*)\((.*)\)$/.exec(c)
      return { path: path!, client: m?.[1] || "<world>", options: (m?.[2] ?? "").split(",").filter((o) => o !== "") }
    })
  })

const fail = (step: ShareStep, stderr: string) =>
  step.kind === "run"
    ? new CommandExited({ tool: step.command[0]!, args: step.command.slice(1), exitCode: 255, stderr })
    : new CommandExited({ tool: step.kind, args: [step.path], exitCode: 1, stderr })

export const make = (m: SharesModel, commands: ShareCommands = COMMANDS): Shares["Service"] => {
  const steps = (operations: ReadonlyArray<ShareOperation>) => operations.flatMap((o) => stepsOf(commands, o))
  const applyOne = (operation: ShareOperation): Effect.Effect<ReadonlyArray<string>, CommandExited> =>
    Effect.gen(function*() {
      for (const step of stepsOf(commands, operation)) {
        const shown = step.kind === "run" ? step.display : `${step.kind} ${step.path}`
        if (m.failOn !== undefined && m.failOn.match.test(shown)) return yield* Effect.fail(fail(step, m.failOn.stderr))
        m.applied.push(step)
      }
      switch (operation.op) {
        case "smb-put":
          m.registry.set(operation.name, [...parseShowShare(operation.text)])
          return []
        case "smb-remove":
          m.registry.delete(operation.name)
          return []
        case "smb-reload":
          return m.smbdRunning ? [] : ["smbd is not running: the registry holds the change, and smbd loads it when it starts"]
        case "nfs-write":
          m.exportFiles.set(operation.file, operation.text)
          return []
        case "nfs-remove":
          m.exportFiles.delete(operation.file)
          return []
        case "nfs-reload":
          m.exports = [...m.exportFiles.values()].flatMap(exportsOf)
          return []
      }
    })
  return Shares.of({
    steps,
    apply: (operations) =>
      Effect.map(Effect.forEach(operations, applyOne), (notes) => ({ steps: steps(operations), notes: notes.flat() })),
    smb: Effect.sync(() => ({
      available: true,
      shares: [...m.registry].map(([name, parameters]) => ({ name, parameters })),
      ...(m.smbdRunning
        ? { sessions: Object.keys(m.connections).length, connections: { ...m.connections }, openFiles: 0 }
        : { statusNote: "smbd is not running" })
    })),
    smbNames: Effect.sync(() => [...m.registry.keys()]),
    nfs: Effect.sync(() => ({
      available: true,
      exports: [...m.exports],
      files: [...m.exportFiles].map(([file, text]) => ({ file, text }))
    }))
  })
}

export const layer = (m: SharesModel = model(), commands: ShareCommands = COMMANDS): Layer.Layer<Shares> => Layer.succeed(Shares, make(m, commands))
