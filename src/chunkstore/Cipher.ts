/**
 * The encryption seam: every byte of a pack, the index and a snapshot that
 * is not framing passes through one `RepoCipher` on its way to and from the
 * disk (docs/store-format.md §10). Two ciphers exist: the identity cipher
 * below (unencrypted stores) and `vault-v1` (VaultCipher.ts: AES-256-GCM
 * under a master key wrapped to X-Wing recipients).
 *
 * A cipher seals each piece on its own, with the piece's kind as context,
 * so a sealed chunk copied from one pack into another (gc does that) still
 * opens, while a sealed chunk header cannot pass for a snapshot.
 */
import { Result } from "effect"

/** What a sealed piece is; vault-v1 binds it (and the store id) as associated data. */
export type SealedKind = "chunk-header" | "chunk" | "pack-trailer" | "index" | "snapshot"

export interface RepoCipher {
  /** Recorded in the store's config at init; the store opens only with the cipher it names. */
  readonly name: string
  /** Bytes `seal` adds to every piece: sealed length = plain length + overhead, always. */
  readonly overhead: number
  readonly seal: (kind: SealedKind, plaintext: Uint8Array) => Uint8Array
  /** The plaintext, or why it does not open (damaged, or sealed as another kind or key). */
  readonly open: (kind: SealedKind, sealed: Uint8Array) => Result.Result<Uint8Array, string>
}

/** No encryption: the pieces are stored as they are. Integrity comes from the store's own hashes. */
export const identityCipher: RepoCipher = {
  name: "identity",
  overhead: 0,
  seal: (_kind, plaintext) => plaintext,
  open: (_kind, sealed) => Result.succeed(sealed)
}
