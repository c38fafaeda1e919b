/** What every store operation needs: the opened store's directory, config and ports. */
import * as path from "node:path"
import type { Effect } from "effect"
import type { Cutter } from "../Chunker.ts"
import type { RepoCipher } from "../Cipher.ts"
import type { ChunkCodec } from "../Codec.ts"
import type { RepoConfig } from "../Config.ts"
import { PACKS_DIR } from "../Index.ts"
import { SNAPSHOTS_DIR } from "../Snapshots.ts"

export interface Repo {
  readonly dir: string
  readonly config: RepoConfig
  readonly cipher: RepoCipher
  readonly codec: ChunkCodec
  readonly cutter: Cutter
  /** A pack is closed once it reaches this many bytes. */
  readonly packSize: number
  /** How many chunks are compressed at once (the codecs run on the thread pool). */
  readonly compressConcurrency: number
  readonly now: () => Date
  readonly host: string
}

export const packsDirOf = (repo: Repo): string => path.join(repo.dir, PACKS_DIR)
export const snapshotsDirOf = (repo: Repo): string => path.join(repo.dir, SNAPSHOTS_DIR)

/**
 * Called after each durable step of add and gc with the step's name. It
 * exists for crash tests: failing or interrupting there leaves the store as
 * a crash at that point would (less what the crash would not have cleaned
 * up: temporary files and the lock, which the tests leave behind by hand).
 */
export type Checkpoint = (step: string) => Effect.Effect<void>
