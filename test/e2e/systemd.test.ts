/**
 * The sd_notify conversation of the real binary with a stand-in for systemd:
 * a python3 Unix datagram receiver on NOTIFY_SOCKET records what arrives.
 */
import { spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { expect, it } from "vitest"
import { startDaemon } from "./harness.ts"

const RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    data = s.recv(65536)
    print(data.decode().replace("\\n", "|"), flush=True)
`

it("tells systemd READY=1 once all 40 agents run, then STOPPING=1 on SIGTERM", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sigmavault-notify-"))
  const socket = join(dir, "notify.sock")
  const receiver = spawn("python3", ["-c", RECEIVER, socket], { stdio: ["ignore", "pipe", "inherit"] })
  const lines: Array<string> = []
  receiver.stdout.setEncoding("utf8")
  receiver.stdout.on("data", (chunk: string) => lines.push(...chunk.split("\n").filter((l) => l !== "")))
  await expect.poll(() => lines[0], { timeout: 5_000 }).toBe("bound")

  const daemon = await startDaemon({ dir, env: { NOTIFY_SOCKET: socket }, args: ["--dbus", "none"] })
  await expect.poll(() => lines.find((l) => l.includes("READY=1")), { timeout: 10_000 }).toBeDefined()
  expect(lines.find((l) => l.includes("READY=1"))).toMatch(/READY=1\|STATUS=40\/40 agents running/)

  daemon.process.kill("SIGTERM")
  expect(await daemon.exited).toBe(0)
  await expect.poll(() => lines.some((l) => l.includes("STOPPING=1")), { timeout: 5_000 }).toBe(true)
  const ready = lines.findIndex((l) => l.includes("READY=1"))
  const stopping = lines.findIndex((l) => l.includes("STOPPING=1"))
  expect(stopping).toBeGreaterThan(ready)
  receiver.kill()
})
