/**
 * D-Bus Ask round trip through the compiled binary, against the cheapest
 * round trip the same client can make: org.freedesktop.DBus.GetId answered by
 * the bus daemon itself. Both on a private dbus-daemon, sequential calls.
 */
import dbus from "dbus-next"
import { startPrivateBus } from "../../test/adapters/dbus/bus.ts"
import { benchBinary, removeDir, spawnSigmavault, sleep, tempDir } from "../socket/processes.ts"
import { now, round, summarise } from "../support.ts"

const CALLS = Number(process.env.BENCH_DBUS_CALLS ?? 3_000)

const measure = async (call: () => Promise<unknown>, calls: number) => {
  for (let i = 0; i < Math.min(300, calls); i++) await call() // warm-up
  const samples: Array<number> = []
  for (let i = 0; i < calls; i++) {
    const t0 = now()
    await call()
    samples.push((now() - t0) * 1000)
  }
  return summarise(samples)
}

export const dbusAsk = async () => {
  const bus = await startPrivateBus()
  const dir = tempDir("sigmavault-bench-dbus-")
  const binary = benchBinary()
  const daemon = spawnSigmavault(binary.path, dir, ["--dbus", "session", "--dbus-address", bus.address])
  const client = dbus.sessionBus({ busAddress: bus.address })
  try {
    const busDaemon = (await client.getProxyObject("org.freedesktop.DBus", "/org/freedesktop/DBus"))
      .getInterface("org.freedesktop.DBus") as unknown as {
        GetId: () => Promise<string>
        NameHasOwner: (name: string) => Promise<boolean>
      }
    const deadline = now() + 15_000
    while (!(await busDaemon.NameHasOwner("org.sigmavault.Runtime"))) {
      if (now() > deadline || daemon.hasExited()) throw new Error(`sigmavault never owned its bus name:\n${daemon.log()}`)
      await sleep(20)
    }
    const runtime = (await client.getProxyObject("org.sigmavault.Runtime", "/org/sigmavault/Runtime"))
      .getInterface("org.sigmavault.Runtime1") as unknown as { Ask: (a: string, j: string, t: number) => Promise<string> }
    const anchor = await measure(() => busDaemon.GetId(), CALLS)
    const ask = await measure(() => runtime.Ask("CORE", '{"type":"ping"}', 5_000), CALLS)
    return {
      name: "D-Bus Ask {type:ping} to CORE through the compiled binary (dbus-next client, sequential)",
      calls: CALLS,
      sigmavaultAsk: ask,
      anchorBusGetId: anchor,
      ratioP50: round(ask.p50Us / anchor.p50Us, 2),
      ratioP99: round(ask.p99Us / anchor.p99Us, 2),
      note: "GetId is answered by dbus-daemon itself: one hop. Ask goes client -> bus -> sigmavault -> agent -> bus -> client: two hops plus the agent."
    }
  } finally {
    client.disconnect()
    await daemon.stop()
    bus.stop()
    removeDir(dir)
  }
}
