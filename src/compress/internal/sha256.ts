/**
 * SHA-256 of a whole compressed file's original bytes, fed block by block.
 * Bun's own hasher is taken first: it is the same BoringSSL code as Bun's
 * node:crypto, without evaluating that module's JavaScript (about 1 ms of a
 * command's start-up). Node, where the unit tests run, uses node:crypto,
 * loaded on first use.
 */
export interface Sha256 {
  readonly update: (bytes: Uint8Array) => void
  readonly digest: () => Uint8Array
}

interface BunHasher {
  update(bytes: Uint8Array): unknown
  digest(): Uint8Array
}

const BunCryptoHasher = (globalThis as { readonly Bun?: { readonly CryptoHasher?: new(algorithm: "sha256") => BunHasher } }).Bun?.CryptoHasher

export const sha256 = (): Sha256 => {
  const hasher: BunHasher = BunCryptoHasher === undefined ? process.getBuiltinModule("node:crypto").createHash("sha256") : new BunCryptoHasher("sha256")
  return {
    update: (bytes) => {
      hasher.update(bytes)
    },
    digest: () => {
      const digest = hasher.digest()
      return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
    }
  }
}
