/**
 * The manifest format: any path's bytes round-trip in exactly one spelling,
 * the parser is strict (a cut, moved or edited line is named), and the
 * signature covers every byte of the body.
 */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import * as fc from "fast-check"
import {
  comparePaths,
  decodePath,
  encodeBody,
  encodePath,
  type ManifestEntry,
  parseManifest,
  relativePathProblem,
  signatureLine
} from "../../src/integrity/Manifest.ts"
import { signatureProblem, sha256Hex, signedMessage } from "../../src/integrity/Tree.ts"
import { generateSigningKeyPair, signMessage } from "../../src/keys/KeyPair.ts"
import { keyIdOf } from "../../src/keys/PublicKey.ts"

const bytes = (text: string) => new TextEncoder().encode(text)
const concat = (...parts: ReadonlyArray<Uint8Array>) => Uint8Array.from(parts.flatMap((p) => [...p]))

/** A relative path of 1–4 segments of any bytes but '/' and NUL, none '.' or '..'. */
const segment = fc.uint8Array({ minLength: 1, maxLength: 12 })
  .map((s) => s.map((b) => (b === 0 || b === 47 ? 0x41 : b)))
  .filter((s) => !(s.length === 1 && s[0] === 46) && !(s.length === 2 && s[0] === 46 && s[1] === 46))
const relativePath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => {
  const out: Array<number> = []
  segments.forEach((s, i) => {
    if (i > 0) out.push(47)
    out.push(...s)
  })
  return Uint8Array.from(out)
})

const entry = fc.record({
  path: relativePath,
  sha256: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex")),
  size: fc.nat({ max: 2 ** 40 }),
  modifiedNs: fc.bigInt({ min: 0n, max: 2n ** 63n }),
  mode: fc.nat({ max: 0o7777 })
})

const uniqueEntries = fc.uniqueArray(entry, { maxLength: 30, selector: (e) => Buffer.from(e.path).toString("hex") })

const HOSTILE: ReadonlyArray<Uint8Array> = [
  bytes("line\nbreak"),
  bytes("tab\there"),
  bytes("-rf"),
  bytes("--manifest=/etc/passwd"),
  Uint8Array.from([0xff, 0xfe, 0x80, 0x2f, 0xc3]),
  bytes("a b/ c %41 %%"),
  bytes("f 0000 1 2 0644 x"),
  bytes("\r\u001b[31mred"),
  bytes("signature ml-dsa-65 0011223344556677 AAAA")
]

describe("manifest paths", () => {
  it("property: every relative path's bytes round-trip, and the spelling has no space, line break or non-ASCII", () =>
    fc.assert(fc.property(relativePath, (path) => {
      const text = encodePath(path)
      assert.match(text, /^[\x21-\x7e]+$/)
      assert.deepStrictEqual(Result.getOrThrow(decodePath(text)), path)
      assert.isUndefined(relativePathProblem(path))
    }), { numRuns: 2000 }))

  it("property: a spelling decodes only if it is the canonical one (one path, one spelling)", () =>
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom("a", "%", "4", "1", "F", "f", "/", " ", "é", "0") }), (text) => {
      const decoded = decodePath(text)
      if (Result.isSuccess(decoded)) assert.strictEqual(encodePath(decoded.success), text)
    }), { numRuns: 3000 }))

  it("hostile names: line breaks, tabs, leading dashes, non-UTF-8 bytes and look-alike lines stay one field", () => {
    for (const name of HOSTILE) {
      const spelled = encodePath(name)
      assert.notMatch(spelled, /[\s]/, spelled)
      assert.deepStrictEqual(Result.getOrThrow(decodePath(spelled)), name)
    }
    assert.strictEqual(encodePath(bytes("-rf")), "-rf", "a leading dash is harmless: the path is the last field, never an option")
    assert.strictEqual(encodePath(bytes("a\nb")), "a%0Ab")
    assert.isTrue(Result.isFailure(decodePath("a%0ab")), "lowercase hex is not canonical")
    assert.isTrue(Result.isFailure(decodePath("%41")), "a safe byte spelled as %XX is not canonical")
    assert.isTrue(Result.isFailure(decodePath("a b")), "a space must be spelled %20")
  })

  it("refuses paths that are not relative paths of plain names", () => {
    for (const [path, why] of [["/etc/passwd", "absolute"], ["a/../b", "'..'"], ["a//b", "empty"], ["./a", "'.'"], ["", "empty"]] as const) {
      assert.include(relativePathProblem(bytes(path)) ?? "", why, path)
    }
    assert.include(relativePathProblem(Uint8Array.from([0x61, 0, 0x62])) ?? "", "NUL")
  })
})

describe("manifest bodies", () => {
  it("property: a body round-trips: entries sorted by path bytes, counts and sums checked", () =>
    fc.assert(fc.property(uniqueEntries, (entries) => {
      const body = encodeBody({ root: bytes("/srv/photos"), created: "2026-12-07T14:40:00.000Z", entries })
      const parsed = Result.getOrThrow(parseManifest(body))
      const sorted = [...entries].sort((a, b) => comparePaths(a.path, b.path))
      assert.deepStrictEqual(parsed.entries, sorted)
      assert.deepStrictEqual(parsed.bodyBytes, body)
      assert.isUndefined(parsed.signature)
    }), { numRuns: 300 }))

  it("hostile names round-trip through a whole manifest, each on its own line", () => {
    const entries: Array<ManifestEntry> = HOSTILE.map((path, i) => ({ path, sha256: "ab".repeat(32), size: i, modifiedNs: BigInt(i) * 1_000_000_007n, mode: 0o644 }))
    const body = encodeBody({ root: bytes("/srv/odd names\n"), created: "2026-12-07T14:40:00Z", entries })
    const lines = new TextDecoder().decode(body).trimEnd().split("\n")
    assert.strictEqual(lines.length, 6 + HOSTILE.length)
    const parsed = Result.getOrThrow(parseManifest(body))
    assert.deepStrictEqual(new Set(parsed.entries.map((e) => encodePath(e.path))), new Set(HOSTILE.map(encodePath)))
    assert.deepStrictEqual(parsed.root, bytes("/srv/odd names\n"))
  })

  it("property: random bytes never crash the parser; it answers with a manifest or a problem", () =>
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (input) => {
      const parsed = parseManifest(input)
      if (Result.isFailure(parsed)) assert.isString(parsed.failure.reason)
    }), { numRuns: 2000 }))

  it("names the line of a cut, moved or edited manifest", () => {
    const entries: Array<ManifestEntry> = ["a", "b", "c"].map((p) => ({ path: bytes(p), sha256: "00".repeat(32), size: 1, modifiedNs: 1n, mode: 0o644 }))
    const text = new TextDecoder().decode(encodeBody({ root: bytes("/srv"), created: "2026-12-07T14:40:00Z", entries }))
    const lines = text.trimEnd().split("\n")
    const problem = (t: string) => {
      const parsed = parseManifest(bytes(t))
      assert.isTrue(Result.isFailure(parsed), t)
      return (parsed as Result.Failure<unknown, { line: number; reason: string }>).failure
    }
    assert.include(problem(text.slice(0, -1)).reason, "line break")
    assert.include(problem([...lines.slice(0, 8), ""].join("\n")).reason, "the header says 3 files")
    assert.deepStrictEqual(problem([...lines.slice(0, 6), lines[7], lines[6], lines[8], ""].join("\n")).line, 8)
    assert.include(problem(text.replace("sigmavault-manifest 1", "sigmavault-manifest 2")).reason, "not a SigmaVault manifest")
    assert.include(problem(text + "extra line\n").reason, "expected an entry")
    assert.include(problem(text.replace(" 0644 a", " 0644 ../a")).reason, "'..'")
  })
})

describe("manifest signatures", () => {
  const key = generateSigningKeyPair(new Uint8Array(32).fill(7))
  const id = keyIdOf(key.publicKey)
  const entries: Array<ManifestEntry> = [{ path: bytes("photo.jpg"), sha256: "11".repeat(32), size: 10, modifiedNs: 5n, mode: 0o644 }]
  const body = encodeBody({ root: bytes("/srv"), created: "2026-12-07T14:40:00Z", entries })
  const sign = (b: Uint8Array) => signMessage(key.secretKey, signedMessage(sha256Hex(b)))
  const signed = concat(body, signatureLine({ keyId: id, signature: sign(body) }))
  const problemOf = (manifest: Uint8Array) =>
    signatureProblem(Result.getOrThrow(parseManifest(manifest)), { id, publicKey: key.publicKey })

  it("a signed manifest holds; an unsigned one, another key's, or one changed after signing is refused, saying why", () => {
    assert.isUndefined(problemOf(signed))
    assert.include(problemOf(body) ?? "", "no signature")
    const other = generateSigningKeyPair(new Uint8Array(32).fill(8))
    const byOther = concat(body, signatureLine({ keyId: keyIdOf(other.publicKey), signature: signMessage(other.secretKey, signedMessage(sha256Hex(body))) }))
    assert.include(problemOf(byOther) ?? "", "not by this daemon's signing key")
    const edited = new TextDecoder().decode(signed).replace("11".repeat(32), "12" + "11".repeat(31))
    assert.include(problemOf(bytes(edited)) ?? "", "changed after it was signed")
  })

  it("property: flipping any bit of a signed manifest makes it unparseable or refused, never accepted", () =>
    fc.assert(fc.property(fc.nat({ max: signed.byteLength * 8 - 1 }), (bit) => {
      const flipped = signed.slice()
      flipped[bit >> 3]! ^= 1 << (bit & 7)
      const parsed = parseManifest(flipped)
      if (Result.isSuccess(parsed)) assert.isDefined(signatureProblem(parsed.success, { id, publicKey: key.publicKey }), `bit ${bit}`)
    }), { numRuns: 300 }))

  it("a signature made for the ledger's domain does not verify as a manifest's", () => {
    const ledgerStyle = signMessage(key.secretKey, bytes(`sigmavault/ledger/checkpoint/v1\n${sha256Hex(body)}`))
    assert.include(problemOf(concat(body, signatureLine({ keyId: id, signature: ledgerStyle }))) ?? "", "changed after it was signed")
  })
})
