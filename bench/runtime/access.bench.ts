/**
 * `accessGate`: what knowing the caller costs a request. The request path
 * the control socket takes (injectAskCallback with the connection's caller)
 * through three gates, in the same run, alternating rounds:
 *
 * - anchor: no checks (Gate.open), the path before access control;
 * - read: the daemon's policy deciding a read-class ask (`get`) for a
 *   member of the read role: a class lookup and a group match, nothing
 *   recorded;
 * - audited: an operate-class ask (`noop`) for an operator, appended to a
 *   real audit ledger (fdatasync per entry) before it is delivered.
 *
 * Goal: read p50 within 10% of the anchor. The audited figure is the price
 * of writing each change down durably, reported for what it is.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Exit, Layer } from "effect"
import { makeGate } from "../../src/access/Gate.ts"
import { makePolicy } from "../../src/access/Policy.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as KeyringTest from "../../src/keys/KeyringTest.ts"
import { Keyring } from "../../src/keys/Keyring.ts"
import { openLedger } from "../../src/ledger/index.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import type { Caller } from "../../src/runtime/Caller.ts"
import * as Gate from "../../src/runtime/Gate.ts"
import { now, round, summarise } from "../support.ts"
import { benchTree, noopAgent } from "./fixtures.ts"

const READER: Caller = { uid: 1001, gid: 100, groups: [4, 24, 27], via: "socket", pid: 4242 }
const OPERATOR: Caller = { uid: 1002, gid: 1002, groups: [100, 200], via: "socket", pid: 4243 }
const policy = makePolicy({
  read: [{ name: "sigmavault", gid: 100 }],
  operate: [{ name: "operators", gid: 200 }],
  admin: [{ name: "admins", gid: 300 }]
})

/** `rounds` asks of `type` as `caller`, one after another, each timed from injection to answer. */
const timedAsks = (system: ActorSystem.ActorSystem, caller: Caller, type: string, rounds: number) =>
  Effect.promise(() =>
    new Promise<Array<number>>((resolve, reject) => {
      const samples: Array<number> = []
      const message = { type }
      const one = () => {
        const t0 = now()
        system.injectAskCallback(caller, "NOOP", message, 5_000, (exit) => {
          if (Exit.isFailure(exit)) return reject(new Error(`ask failed: ${String(exit.cause)}`))
          samples.push((now() - t0) * 1000)
          if (samples.length === rounds) resolve(samples)
          // Off the stack now and then, as socket reads would be.
          else if (samples.length % 1000 === 0) setImmediate(one)
          else one()
        })
      }
      one()
    })
  )

const withGate = <A>(gate: Gate.Gate, f: (system: ActorSystem.ActorSystem) => Effect.Effect<A, unknown>) =>
  Effect.scoped(Effect.flatMap(ActorSystem.make({ root: benchTree([noopAgent("NOOP")]), inspectionBuffer: 64, gate }), f))

export const accessGate = async () => {
  const rounds = 20_000
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "sigmavault-bench-access-"))
  try {
    return await Effect.runPromise(Effect.gen(function*() {
      const keyring = yield* Keyring
      const key = yield* Effect.orDie(keyring.signingKey)
      const ledger = yield* Effect.orDie(openLedger(dir, { signer: { keyId: key.id, sign: key.sign } }))
      const gate = makeGate(policy, ledger)
      const open: Array<number> = []
      const read: Array<number> = []
      // Alternating rounds, so both see the same machine load.
      for (let round = 0; round < 5; round++) {
        open.push(...(yield* withGate(Gate.open, (system) => timedAsks(system, READER, "get", rounds))).slice(rounds / 10))
        read.push(...(yield* withGate(gate, (system) => timedAsks(system, READER, "get", rounds))).slice(rounds / 10))
      }
      const audited = yield* withGate(gate, (system) => timedAsks(system, OPERATOR, "noop", 500))
      const anchor = summarise(open)
      const checked = summarise(read)
      return {
        name: "access control on the request path",
        anchorOpenGate: anchor,
        readChecked: checked,
        ratioP50: round(checked.p50Us / Math.max(anchor.p50Us, 0.01), 2),
        ratioP99: round(checked.p99Us / Math.max(anchor.p99Us, 0.01), 2),
        auditedOperate: summarise(audited.slice(50)),
        goal: "read-class p50 within 10% of no checks (ratioP50 <= 1.10)"
      }
    }).pipe(Effect.scoped, Effect.provide(Layer.merge(KeyringTest.layer(), FilesLive.layer))))
  } finally {
    await fs.rm(dir, { recursive: true, force: true })
  }
}
