/**
 * `sigmavault store`: the deduplicating chunk store (docs/store-format.md),
 * given as --repo DIR or $SIGMAVAULT_REPO. Chunks are compressed with the
 * same content-based strategy as `compress`.
 *
 * Stores are encrypted: `init` encrypts to -r/-R public keys, else to the
 * keyring's default key (`<state-dir>/keys`, the daemon's keyring; made if
 * there is none, as CIPHER's `encrypt` does); an unencrypted store needs
 * --insecure-no-encryption. The other actions open an encrypted store with
 * the -i secret key files (asking for a sealed file's passphrase like
 * `decrypt`), else with the keyring's keys.
 */
import { existsSync } from "node:fs"
import { Cause, Effect, Exit, Result } from "effect"
import { runFileCommand } from "../adapters/fs/StdioLive.ts"
import * as Repository from "../chunkstore/Repository.ts"
import { keyringDirectory } from "../keys/KeyringFiles.ts"
import { openKeyring } from "../keys/KeyringLive.ts"
import { decodePublicKey } from "../keys/PublicKey.ts"
import { EXIT, flag, flagAll, hasFlag, type Parsed } from "./args.ts"
import { identitiesOf, recipientsOf } from "./encrypt.ts"
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

const stateDirOf = (parsed: Parsed, env: Env) =>
  flag(parsed, "--state-dir") ?? (env.STATE_DIRECTORY ? env.STATE_DIRECTORY.split(":")[0]! : "/var/lib/sigmavault")

/** The keyring's default public key (created if there is none), with its id. */
const defaultRecipient = async (keysDir: string): Promise<{ readonly id: string; readonly key: Uint8Array } | string> => {
  const info = await runFileCommand(Effect.flatMap(openKeyring(keysDir), (keyring) => keyring.ensureDefault))
  if (Exit.isFailure(info)) return `cannot use the keyring's default key (${keysDir}): ${messageOf(info)}; or give -r PUBKEY`
  const key = decodePublicKey(info.value.publicKey)
  return Result.isFailure(key) ? key.failure.message : { id: info.value.id, key: key.success }
}

/** Every secret key of the keyring; none when it does not exist (it is never created to open a store). */
const keyringSecretKeys = async (
  keysDir: string
): Promise<ReadonlyArray<{ readonly secretKey: Uint8Array; readonly publicKey: Uint8Array }> | string> => {
  if (!existsSync(keysDir)) return []
  const keys = await runFileCommand(Effect.flatMap(openKeyring(keysDir), (keyring) => keyring.secretKeys))
  return Exit.isFailure(keys)
    ? `cannot read the keyring ${keysDir}: ${messageOf(keys)}`
    : keys.value.map((key) => ({ secretKey: key.secretKey, publicKey: key.publicKey }))
}

const tagOf = <A, E>(exit: Exit.Exit<A, E>): string | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const error = Cause.findErrorOption(exit.cause)
  return error._tag === "Some" ? (error.value as { readonly _tag?: string })._tag : undefined
}

const init = async (parsed: Parsed, repo: string, codec: Repository.ChunkCodec, json: boolean, keysDir: string): Promise<number> => {
  const insecure = hasFlag(parsed, "--insecure-no-encryption")
  const given = await recipientsOf(parsed)
  if (typeof given === "string") return fail(given, EXIT.usage)
  if (insecure && given.length > 0) return fail("--insecure-no-encryption and -r/-R contradict each other: pick one", EXIT.usage)
  let recipients: ReadonlyArray<Uint8Array> | undefined = given.length > 0 ? given : undefined
  let note = given.length > 0 ? `encrypted to ${given.length} key${given.length === 1 ? "" : "s"}` : "UNENCRYPTED"
  if (!insecure && recipients === undefined) {
    const fallback = await defaultRecipient(keysDir)
    if (typeof fallback === "string") return fail(fallback)
    recipients = [fallback.key]
    note = `encrypted to the keyring's default key ${fallback.id} (${keysDir})`
  }
  const made = await runFileCommand(Repository.init(repo, { codec, ...(recipients === undefined ? {} : { recipients }) }))
  if (Exit.isFailure(made)) return fail(messageOf(made))
  out(json ? JSON.stringify(made.value.info) + "\n" : `created store ${made.value.info.id} in ${repo}, ${note}\n`)
  if (insecure) process.stderr.write("sigmavault: warning: this store is not encrypted; anyone who can read its files reads your data\n")
  return EXIT.ok
}

/** Opens the store: with the -i key files if given, else as it is, then (when it is encrypted) with the keyring's keys. */
const openStore = async (
  parsed: Parsed,
  env: Env,
  repo: string,
  codec: Repository.ChunkCodec,
  keysDir: string
): Promise<Repository.Repository | number> => {
  const files = flagAll(parsed, "--identity")
  let secretKeys: ReadonlyArray<Uint8Array> = []
  if (files.length > 0) {
    const keys = await identitiesOf(files, env)
    if (typeof keys === "string") return fail(keys)
    secretKeys = keys
  }
  let opened = await runFileCommand(Repository.open(repo, { codec, secretKeys }))
  if (files.length === 0 && tagOf(opened) === "StoreKeyRequired") {
    const keys = await keyringSecretKeys(keysDir)
    if (typeof keys === "string") return fail(keys)
    if (keys.length > 0) opened = await runFileCommand(Repository.open(repo, { codec, secretKeys: keys }))
  }
  if (Exit.isSuccess(opened)) return opened.value
  const hint = tagOf(opened) === "StoreKeyRequired" || tagOf(opened) === "WrongStoreKey"
    ? files.length > 0 ? "" : ` (tried the keyring in ${keysDir}; give -i KEYFILE, or --state-dir of the keyring that holds it)`
    : ""
  return fail(`${messageOf(opened)}${hint}`)
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

  const keysDir = keyringDirectory(stateDirOf(parsed, env))
  if (action === "init") return init(parsed, repo, codec, json, keysDir)
  if (hasFlag(parsed, "--insecure-no-encryption") || flagAll(parsed, "--recipient").length + flagAll(parsed, "--recipients-file").length > 0) {
    return fail("-r, -R and --insecure-no-encryption are for store init", EXIT.usage)
  }
  const store = await openStore(parsed, env, repo, codec, keysDir)
  if (typeof store === "number") return store

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
      const restored = await Effect.runPromiseExit(store.restore(args[0]!, args[1]!, { durable: hasFlag(parsed, "--sync") }))
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
