/**
 * The acceptor reads XState's internal `_nodes` (see internal/Acceptor.ts):
 * pinned here to the installed xstate, and held against XState's own public
 * `snapshot.can` on machines without guards, where the two must agree.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { createActor, setup } from "xstate"
import { accepts } from "../../src/runtime/internal/Acceptor.ts"

const root = join(import.meta.dirname, "../..")
const installed = JSON.parse(readFileSync(join(root, "node_modules/xstate/package.json"), "utf8")).version as string
const pinned = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).dependencies.xstate as string

const machine = setup({ types: { events: {} as { type: string } } }).createMachine({
  id: "acceptor",
  type: "parallel",
  states: {
    work: {
      initial: "idle",
      states: {
        idle: { on: { start: "busy", "job.*": {} } },
        busy: { on: { stop: "idle", "*": {} } }
      }
    },
    mode: {
      initial: "normal",
      on: { reset: ".normal" },
      states: { normal: { on: { pause: "paused" } }, paused: { on: { resume: "normal" } } }
    }
  }
})

const TYPES = ["start", "stop", "job.run", "job", "jobs.run", "reset", "pause", "resume", "other"]

describe("the acceptor", () => {
  it("is pinned to the xstate it was written against: a new xstate means re-reading its internals", () => {
    expect(installed).toBe(pinned)
    const snapshot = createActor(machine).start().getSnapshot() as unknown as { _nodes?: unknown }
    expect(Array.isArray(snapshot._nodes)).toBe(true)
  })

  it("agrees with XState's snapshot.can in every configuration, for exact, wildcard and prefix transitions", () => {
    const actor = createActor(machine).start()
    for (const drive of [[], ["start"], ["pause"], ["start", "pause"], ["start", "stop", "pause", "resume"]]) {
      const run = createActor(machine).start()
      for (const type of drive) run.send({ type })
      const snapshot = run.getSnapshot()
      for (const type of TYPES) {
        expect(accepts(snapshot, type), `${type} after ${drive.join(",") || "start"}`).toBe(snapshot.can({ type }))
      }
      run.stop()
    }
    actor.stop()
  })

  it("answers from XState's public API when the internal field is missing", () => {
    const snapshot = createActor(machine).start().getSnapshot()
    const without = Object.assign(Object.create(Object.getPrototypeOf(snapshot)), snapshot, { _nodes: undefined })
    expect(accepts(without, "start")).toBe(true)
    expect(accepts(without, "resume")).toBe(false)
  })
})
