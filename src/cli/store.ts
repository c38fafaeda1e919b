/**
 * `sigmavault store`: the deduplicating chunk store (docs/store-format.md),
 * given as --repo DIR or $SIGMAVAULT_REPO. Chunks are compressed with the
 * same content-based strategy as `compress`.
 */
import { Effect, Exit } from "effect"
import { runFileCommand } from "../adapters/fs/StdioLive.ts"
import * as Repository from "../chunkstore/Repository.ts"
import { EXIT, flag, hasFlag, type Parsed } from "./args.ts"
import { fail, failureOf as messageOf, out } from "./output.ts"

type Env = Readonly<Record<string, string | undefined>>

const MiB = 1024 * 1024
const mb = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`

/** What each action needs after ACTION: [least, most] arguments. */
const ARITY: Readonly<Record<string, readonly [number, number, string]>> = {
  init: [0, 0, ""],
  add: [1, Infinity, "PATH..."],
  ls: [0, 0, ""],
  restore: [2, 2, "SNAPSHOT TARGET"],
  stats: [0, 0, ""],
  verify: [0, 0, ""],
  forget: [1, 1, "SNAPSHOT"],
  gc: [0, 0, ""],
  "rebuild-index": [0, 0, ""]
}

/** A progress line for `add` on a terminal. */
const addProgress = () => {
  if (!process.stderr.isTTY) return { report: (_: Repository.AddProgress) => {}, done: () => {} }
  let last = 0
  let shown = false
  return {
    report: (p: Repository.AddProgress) => {
      if (Date.now() - last < 100) return
      last = Date.now()
      shown = true
      process.stderr.write(
        `\r${p.phase === "scan" ? "scanning" : "storing"}: ${p.files}/${p.totalFiles} files, ${mb(p.bytes)} of ${mb(p.totalBytes)}, ` +
          `${p.newChunks} new / ${p.dedupChunks} known chunks\u001b[K`
      )
    },
    done: () => {
      if (shown) process.stderr.write("\r\u001b[K")
    }
  }
}

export const runStoreCommand = async (parsed: Parsed, env: Env): Promise<number> => {
  const [action = "", ...args] = parsed.positional
  const arity = ARITY[action]
  if (arity === undefined) return fail(`store needs one of ${Object.keys(ARITY).join(", ")}, got '${action}'`, EXIT.usage)
  if (args.length < arity[0] || args.length > arity[1]) return fail(`store ${action} needs ${arity[2] || "no arguments"}`, EXIT.usage)
  const repo = flag(parsed, "--repo") ?? env.SIGMAVAULT_REPO
  if (repo === undefined || repo === "") return fail("say which store: --repo DIR or SIGMAVAULT_REPO", EXIT.usage)
  const json = hasFlag(parsed, "--json")
  const codec = Repository.strategyCodec()

  if (action === "init") {
    const made = await runFileCommand(Repository.init(repo, { codec }))
    if (Exit.isFailure(made)) return fail(messageOf(made))
    out(json ? JSON.stringify(made.value.info) + "\n" : `created store ${made.value.info.id} in ${repo}\n`)
    return EXIT.ok
  }
  const opened = await runFileCommand(Repository.open(repo, { codec }))
  if (Exit.isFailure(opened)) return fail(messageOf(opened))
  const store = opened.value

  switch (action) {
    case "add": {
      const progress = addProgress()
      const added = await Effect.runPromiseExit(store.add(args, { onProgress: progress.report }))
      progress.done()
      if (Exit.isFailure(added)) return fail(messageOf(added))
      const r = added.value
      if (json) out(JSON.stringify(r) + "\n")
      else {
        process.stderr.write(
          `sigmavault: ${r.files} files, ${mb(r.bytes)}: ${r.newChunks} new chunks (${mb(r.newBytes)} -> ${mb(r.storedBytes)} stored), ` +
            `${r.dedupChunks} already stored\n`
        )
        out(`${r.snapshot}\n`)
      }
      return EXIT.ok
    }
    case "ls": {
      const listed = await Effect.runPromiseExit(store.list())
      if (Exit.isFailure(listed)) return fail(messageOf(listed))
      if (json) out(JSON.stringify(listed.value) + "\n")
      else {
        out("SNAPSHOT  TIME                      FILES      SIZE  ROOTS\n")
        for (const s of listed.value) {
          out(`${s.id.slice(0, 8).padEnd(10)}${s.time.padEnd(26)}${String(s.files).padStart(5)} ${mb(s.bytes).padStart(11)}  ${s.roots.join(" ")}\n`)
        }
      }
      return EXIT.ok
    }
    case "restore": {
      const restored = await Effect.runPromiseExit(store.restore(args[0]!, args[1]!))
      if (Exit.isFailure(restored)) return fail(messageOf(restored))
      out(json ? JSON.stringify(restored.value) + "\n" : `restored ${restored.value.files} files (${mb(restored.value.bytes)}) into ${args[1]}\n`)
      return EXIT.ok
    }
    case "stats": {
      const stats = await Effect.runPromiseExit(store.stats())
      if (Exit.isFailure(stats)) return fail(messageOf(stats))
      const s = stats.value
      out(json ? JSON.stringify(s) + "\n" : [
        `snapshots          ${s.snapshots}`,
        `logical size       ${mb(s.logicalBytes)} (${s.files} files over all snapshots)`,
        `after dedup        ${mb(s.uniqueBytes)} in ${s.chunks} chunks (dedup ratio ${s.dedupRatio.toFixed(2)})`,
        `compressed         ${mb(s.compressedBytes)} (compression ratio ${s.compressionRatio.toFixed(2)})`,
        `stored size        ${mb(s.storedBytes)} in ${s.packs} packs; ${mb(s.reclaimableBytes)} reclaimable by gc`
      ].join("\n") + "\n")
      return EXIT.ok
    }
    case "verify": {
      const report = await Effect.runPromiseExit(store.verify())
      if (Exit.isFailure(report)) return fail(messageOf(report))
      const r = report.value
      if (json) out(JSON.stringify(r) + "\n")
      else {
        out(`${r.ok ? "OK" : "DAMAGED"}: ${r.snapshots} snapshots, ${r.packs} packs, ${r.chunks} chunks (${mb(r.bytes)}) re-hashed\n`)
        for (const note of r.notes) out(`note: ${note}\n`)
        for (const file of r.damagedFiles) out(`damaged: snapshot ${file.snapshot.slice(0, 8)} ${file.path}: ${file.reasons.join("; ")}\n`)
        for (const pack of r.damagedPacks) out(`damaged pack: ${JSON.stringify(pack)}\n`)
      }
      return r.ok ? EXIT.ok : EXIT.failure
    }
    case "forget": {
      const forgotten = await Effect.runPromiseExit(store.forget(args[0]!))
      if (Exit.isFailure(forgotten)) return fail(messageOf(forgotten))
      out(json ? JSON.stringify({ forgotten: forgotten.value }) + "\n" : `forgot snapshot ${forgotten.value}; 'store gc' reclaims its chunks\n`)
      return EXIT.ok
    }
    case "gc": {
      const collected = await Effect.runPromiseExit(store.gc())
      if (Exit.isFailure(collected)) return fail(messageOf(collected))
      const g = collected.value
      out(json ? JSON.stringify(g) + "\n" : `gc: removed ${g.chunksRemoved} chunks; packs ${mb(g.bytesBefore)} -> ${mb(g.bytesAfter)}\n`)
      return EXIT.ok
    }
    default: {
      const rebuilt = await Effect.runPromiseExit(store.rebuildIndex())
      if (Exit.isFailure(rebuilt)) return fail(messageOf(rebuilt))
      out(json ? JSON.stringify(rebuilt.value) + "\n" : `index rebuilt: ${rebuilt.value.chunks} chunks in ${rebuilt.value.packs} packs\n`)
      return EXIT.ok
    }
  }
}
