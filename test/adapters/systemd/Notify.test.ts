/**
 * sd_notify against a real Unix datagram socket: a python3 receiver stands in
 * for systemd (binds the socket, acknowledges systemd-notify's BARRIER=1 by
 * closing the file descriptors it passes, prints each datagram as a JSON line).
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import {
  Notify,
  notificationLines,
  ready,
  status,
  statusText,
  stopping,
  watchdog,
  watchdogIntervalMs
} from "../../../src/adapters/systemd/Notify.ts"
import * as NotifyLive from "../../../src/adapters/systemd/NotifyLive.ts"
import * as NotifyTest from "../../../src/adapters/systemd/NotifyTest.ts"

const RECEIVER = `
import array, json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    data, ancillary, _flags, _addr = s.recvmsg(65536, socket.CMSG_SPACE(64 * 4))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
            for fd in fds:
                os.close(fd)
    print(json.dumps(data.decode()), flush=True)
`

/** A listener on a fresh socket; `next(n)` resolves with the next n datagrams. */
const receiver = Effect.acquireRelease(
  Effect.promise(async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "sigmavault-notify-"))
    const socket = path.join(dir, "notify.sock")
    const child: ChildProcess = spawn("python3", ["-c", RECEIVER, socket], { stdio: ["ignore", "pipe", "inherit"] })
    const lines: Array<string> = []
    let waiting: (() => void) | undefined
    let buffered = ""
    child.stdout!.setEncoding("utf8")
    child.stdout!.on("data", (chunk: string) => {
      buffered += chunk
      const parts = buffered.split("\n")
      buffered = parts.pop()!
      lines.push(...parts)
      waiting?.()
    })
    const until = (count: number) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (lines.length >= count) resolve()
        }
        waiting = check
        child.once("exit", (code) => reject(new Error(`receiver exited with ${code}`)))
        check()
      })
    await until(1)
    assert.strictEqual(lines.shift(), "bound")
    const next = async (count: number): Promise<Array<string>> => {
      await until(count)
      return lines.splice(0, count).map((line) => JSON.parse(line) as string)
    }
    return { dir, socket, child, next }
  }),
  ({ child, dir }) =>
    Effect.promise(async () => {
      child.kill("SIGKILL")
      await fs.rm(dir, { recursive: true, force: true })
    })
)

describe("the sd_notify messages", () => {
  const all = { agents: 40, running: 40, restarting: 0, failed: 0, stopped: 0 }

  it("says how many agents run, and what is wrong when not all do", () => {
    assert.strictEqual(statusText(all), "40/40 agents running")
    assert.strictEqual(statusText({ ...all, running: 38, restarting: 2 }), "degraded: 38/40 running, 2 restarting")
    assert.strictEqual(
      statusText({ ...all, running: 37, restarting: 1, failed: 1, stopped: 1 }),
      "degraded: 37/40 running, 1 restarting, 1 failed, 1 stopped"
    )
    assert.deepStrictEqual(ready(all), { READY: "1", STATUS: "40/40 agents running" })
    assert.deepStrictEqual(status({ ...all, running: 38, restarting: 2 }), {
      STATUS: "degraded: 38/40 running, 2 restarting"
    })
    assert.deepStrictEqual(stopping(), { STOPPING: "1" })
    assert.deepStrictEqual(watchdog(), { WATCHDOG: "1" })
  })

  it("pings at half of WATCHDOG_USEC, only when it is meant for this process", () => {
    assert.strictEqual(watchdogIntervalMs({ WATCHDOG_USEC: "30000000" }, 42), 15_000)
    assert.strictEqual(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "42" }, 42), 15_000)
    assert.strictEqual(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "43" }, 42), undefined)
    assert.strictEqual(watchdogIntervalMs({}, 42), undefined)
    for (const bad of ["", "0", "-5", "1e6", "abc", "30s"]) {
      assert.strictEqual(watchdogIntervalMs({ WATCHDOG_USEC: bad }, 42), undefined, bad)
    }
  })

  it("refuses a field that would inject another variable or is not a variable name", () => {
    for (const fields of [{ STATUS: "ok\nREADY=1" }, { "READY=1\nX": "1" }, { "--pid": "1" }, { status: "x" }, {}]) {
      const result = notificationLines(fields)
      assert.isTrue(Result.isFailure(result), JSON.stringify(fields))
    }
  })
})

describe("NotifyLive", () => {
  it.live("sends READY, STATUS, WATCHDOG and STOPPING to the socket systemd named", () =>
    Effect.gen(function*() {
      const listener = yield* receiver
      const notify = NotifyLive.make({ socket: listener.socket, pid: 4242 })
      yield* notify.notify(ready({ agents: 40, running: 40, restarting: 0, failed: 0, stopped: 0 }))
      yield* notify.notify(status({ agents: 40, running: 38, restarting: 2, failed: 0, stopped: 0 }))
      yield* notify.notify(watchdog())
      yield* notify.notify(stopping())
      // systemd-notify follows each message with a barrier, which it waited for: all 8 datagrams are there.
      const datagrams = yield* Effect.promise(() => listener.next(8))
      assert.deepStrictEqual(datagrams.filter((d) => d !== "BARRIER=1"), [
        "MAINPID=4242\nREADY=1\nSTATUS=40/40 agents running",
        "MAINPID=4242\nSTATUS=degraded: 38/40 running, 2 restarting",
        "MAINPID=4242\nWATCHDOG=1",
        "MAINPID=4242\nSTOPPING=1"
      ])
    }).pipe(Effect.scoped))

  it.live("does nothing without NOTIFY_SOCKET, without even starting the helper", () =>
    Effect.gen(function*() {
      const notify = NotifyLive.make({ socket: undefined, pid: 1, command: "/nonexistent/systemd-notify" })
      yield* notify.notify(watchdog())
      // The same settings with a socket do try the helper, so the no-op above is the missing socket's doing.
      const error = yield* Effect.flip(
        NotifyLive.make({ socket: "/tmp/x.sock", pid: 1, command: "/nonexistent/systemd-notify" }).notify(watchdog())
      )
      assert.include(error.message, "/nonexistent/systemd-notify")
    }))

  it.live("fails with NotifyError when nobody listens on the socket", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "sigmavault-notify-")))
      const error = yield* Effect.flip(NotifyLive.make({ socket: path.join(dir, "absent.sock"), pid: 1 }).notify(watchdog()))
      yield* Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
      assert.strictEqual(error._tag, "NotifyError")
    }))

  it.live("refuses a hostile value before spawning anything", () =>
    Effect.gen(function*() {
      const notify = NotifyLive.make({ socket: "/tmp/x.sock", pid: 1, command: "/nonexistent/systemd-notify" })
      const error = yield* Effect.flip(notify.notify({ STATUS: "fine\nREADY=1" }))
      assert.include(error.message, "newline")
    }))
})

describe("NotifyTest", () => {
  it.effect("records what was sent, and fails when told to", () =>
    Effect.gen(function*() {
      const recorder = NotifyTest.make()
      const service = yield* Effect.provide(Effect.service(Notify), recorder.layer)
      yield* service.notify(watchdog())
      recorder.failWith = "socket gone"
      const error = yield* Effect.flip(service.notify(watchdog()))
      assert.deepStrictEqual(recorder.sent, [{ WATCHDOG: "1" }])
      assert.include(error.message, "socket gone")
    }))
})
