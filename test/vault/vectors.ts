/**
 * The known-answer vectors' inputs. Their expected outputs live in
 * test/fixtures/vault/vectors.json, written once by
 * test/fixtures/vault/make-vectors.ts; see the README there.
 */
import { patterned } from "./support.ts"

export interface VectorInput {
  readonly name: string
  /** Labels whose SHA-256 is each recipient's X-Wing secret key (seed), in order. */
  readonly recipients: ReadonlyArray<string>
  /** Label of the seeded `random` stream. */
  readonly random: string
  readonly chunkSize: number
  readonly plaintext: () => Uint8Array
  /** Whether the fixture stores every ciphertext byte (small vectors) or only the SHA-256. */
  readonly fullHex: boolean
}

export const RECIPIENT_1 = "sigmavault/vault/kat/recipient-1"
export const RECIPIENT_2 = "sigmavault/vault/kat/recipient-2"

export const HELLO = new TextEncoder().encode("Hello from SigmaVault.\n")

export const vectorInputs: ReadonlyArray<VectorInput> = [
  {
    name: "hello",
    recipients: [RECIPIENT_1],
    random: "sigmavault/vault/kat/random-1",
    chunkSize: 65536,
    plaintext: () => HELLO,
    fullHex: true
  },
  {
    name: "empty",
    recipients: [RECIPIENT_1],
    random: "sigmavault/vault/kat/random-2",
    chunkSize: 65536,
    plaintext: () => new Uint8Array(0),
    fullHex: true
  },
  {
    name: "two-recipients-four-chunks",
    recipients: [RECIPIENT_1, RECIPIENT_2],
    random: "sigmavault/vault/kat/random-3",
    chunkSize: 65536,
    plaintext: () => patterned(200_000, 7),
    fullHex: false
  },
  {
    name: "largest-chunk-size",
    recipients: [RECIPIENT_2],
    random: "sigmavault/vault/kat/random-4",
    chunkSize: 1048576,
    plaintext: () => patterned(1048576 + 1, 3),
    fullHex: false
  }
]
