/**
 * `manifest DIR -o FILE` and `verify DIR MANIFEST`: CRYPTO's jobs through the
 * daemon (docs/integrity.md). They go through the daemon because the
 * manifest is signed with its key, and the daemon reads the tree with the
 * caller's rights. Relative paths are made absolute here. While the job runs,
 * its progress is shown on stderr when stderr is a terminal (the daemon's
 * progress events for this job). `verify` exits 0 only when the tree is
 * intact (added files do not count against it), 1 when it is not.
 */
import * as path from "node:path"
import type { Crypto } from "../actors/crypto/messages.ts"
import type * as Protocol from "../runtime/Protocol.ts"
import { EXIT, flag, integerFlag, type Parsed } from "./args.ts"
import { fail } from "./output.ts"
import { type Env, withSession } from "./Session.ts"
import type { Client } from "./Client.ts"

type Reply<T extends string> = Protocol.Reply<Protocol.Typed<typeof Crypto, T>>

const MiB = 1024 * 1024

/** Shows the daemon's progress events for `job` on a terminal's stderr; nothing elsewhere. */
const showProgress = async (client: Client, job: string, verb: string) => {
  if (!process.stderr.isTTY) return () => {}
  let shown = false
  let last = 0
  client.onPush((push) => {
    if (!("event" in push)) return
    const event = push.event as { readonly _tag: string; readonly job?: string; readonly done?: number; readonly total?: number }
    if (event._tag !== "Progress" || event.job !== job || event.done === undefined) return
    const now = Date.now()
    if (now - last < 100) return
    last = now
    shown = true
    const of = event.total === undefined || event.total === 0
      ? ""
      : ` of ${(event.total / MiB).toFixed(0)} MiB (${Math.floor((100 * event.done) / event.total)}%)`
    process.stderr.write(`\r${verb}: ${(event.done / MiB).toFixed(0)} MiB${of}\u001b[K`)
  })
  // Progress is a nicety: a daemon that refuses the subscription still runs the job.
  await client.call("subscribe", { agents: ["CRYPTO"], types: ["progress"] }).catch(() => undefined)
  return () => {
    if (shown) process.stderr.write("\r\u001b[K")
  }
}

const summaryOfVerify = (report: Reply<"verify">): string => {
  const lines = [
    `${report.intact ? "intact" : "NOT INTACT"}: ${report.root} against ${report.manifest} (signed by ${report.signedBy}, made ${report.created})`,
    `${report.matched} of ${report.files} files match, ${(report.bytes / MiB).toFixed(1)} MiB hashed in ${report.seconds.toFixed(1)} s`
  ]
  const section = (title: string, count: number, items: ReadonlyArray<string>) => {
    if (count === 0) return
    lines.push(`${title} (${count}):`)
    for (const item of items) lines.push(`  ${item}`)
    if (count > items.length) lines.push(`  … and ${count - items.length} more (--json lists up to ${items.length})`)
  }
  section("BIT ROT: content changed, size and mtime did not", report.counts.bitRot, report.bitRot)
  section("changed", report.counts.changed, report.changed.map((c) => `${c.path} (${c.what.join(", ")})`))
  section("missing", report.counts.missing, report.missing)
  section("unreadable", report.counts.unreadable, report.unreadable.map((u) => `${u.path}: ${u.reason}`))
  section("added", report.counts.added, report.added)
  section("same content, other metadata", report.counts.metadataChanged, report.metadataChanged.map((m) => `${m.path} (${m.what.join(", ")})`))
  return lines.join("\n") + "\n"
}

export const runIntegrityCommand = async (parsed: Parsed, env: Env): Promise<number> => {
  const timeout = integerFlag(parsed, "--timeout", 1, 3_600_000)
  if (!timeout.ok) return fail(timeout.message, EXIT.usage)
  const timeoutMs = timeout.value ?? 3_600_000
  if (parsed.command === "manifest") {
    const output = flag(parsed, "--output")
    if (output === undefined) return fail("manifest needs -o FILE: where to write the manifest (never over an existing file)", EXIT.usage)
    const root = path.resolve(parsed.positional[0]!)
    const target = path.resolve(output)
    return withSession(parsed, env, async (session) => {
      const done = await showProgress(session.client, `manifest ${root}`, "hashing")
      const code = await session.print(
        (c) => c.ask("CRYPTO", { type: "manifest", root, output: target } as { readonly type: string }, timeoutMs) as Promise<Reply<"manifest">>,
        (r) =>
          `${r.output}: ${r.files} files, ${(r.bytes / MiB).toFixed(1)} MiB, signed by ${r.keyId} in ${r.seconds.toFixed(1)} s` +
          (r.skipped > 0 ? `; ${r.skipped} symbolic links and special files not listed` : "") +
          (r.unreadable.length > 0 ? `\nleft out, unreadable:\n${r.unreadable.map((u) => `  ${u.path}: ${u.reason}`).join("\n")}` : "") +
          "\n"
      )
      done()
      return code
    })
  }
  const root = path.resolve(parsed.positional[0]!)
  const manifest = path.resolve(parsed.positional[1]!)
  return withSession(parsed, env, async (session) => {
    const done = await showProgress(session.client, `verify ${manifest}`, "verifying")
    let intact = true
    const code = await session.print(
      (c) =>
        (c.ask("CRYPTO", { type: "verify", manifest, root } as { readonly type: string }, timeoutMs) as Promise<Reply<"verify">>).then((report) => {
          intact = report.intact
          return report
        }),
      summaryOfVerify
    )
    done()
    return code === EXIT.ok && !intact ? EXIT.failure : code
  })
}
