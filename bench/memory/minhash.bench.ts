/**
 * Near-duplicate search over 50k seeded documents (some of them edited copies
 * of others) at Jaccard 0.8: MinHash LSH (shingle the query, sign it, look up
 * candidates, verify each with the exact Jaccard) against its anchor, an
 * exact Jaccard scan over every document, in the same run. The scan takes
 * about 0.1 s a query, so it runs on a sample of 100 queries; precision
 * and recall of LSH are measured against it on that sample, and recall also
 * on every planted copy, whose similarity to its original is known exactly.
 */
import * as Random from "../../src/memory/internal/Random.ts"
import { jaccard, lshParameters, MinHasher, MinHashLsh, shingles } from "../../src/memory/MinHash.ts"
import { collectGarbage, now, round, summarise } from "../support.ts"

const DOCUMENTS = Number(process.env.BENCH_MINHASH_DOCUMENTS ?? 50_000)
const COPIES = Math.round(DOCUMENTS / 10)
const THRESHOLD = 0.8
const PERMUTATIONS = 128
const LSH_QUERIES = 2_000
const SCAN_QUERIES = Number(process.env.BENCH_MINHASH_SCAN_QUERIES ?? 100)

/**
 * Texts of 12 to 30 words from a 20k-word made-up vocabulary, then copies of
 * random originals with one to three edits (a letter changed, dropped or
 * inserted, or a word appended) and their case and spacing changed.
 */
const corpus = (seed: number) => {
  const random = Random.make(seed)
  const letters = "abcdefghijklmnopqrstuvwxyz"
  const word = () => Array.from({ length: 2 + random.nextInt(9) }, () => letters[random.nextInt(26)]!).join("")
  const vocabulary = Array.from({ length: 20_000 }, word)
  const originals = DOCUMENTS - COPIES
  const texts = Array.from({ length: originals }, () =>
    Array.from({ length: 12 + random.nextInt(19) }, () => vocabulary[random.nextInt(vocabulary.length)]!).join(" "))
  const edit = (text: string) => {
    const at = random.nextInt(text.length)
    switch (random.nextInt(4)) {
      case 0: return text.slice(0, at) + letters[random.nextInt(26)] + text.slice(at + 1)
      case 1: return text.slice(0, at) + text.slice(at + 1)
      case 2: return text.slice(0, at) + letters[random.nextInt(26)] + text.slice(at)
      default: return `${text} ${vocabulary[random.nextInt(vocabulary.length)]}`
    }
  }
  const originalOf: Array<number> = []
  for (let i = 0; i < COPIES; i++) {
    const original = random.nextInt(originals)
    let copy = texts[original]!
    for (let edits = 1 + random.nextInt(3); edits > 0; edits--) copy = edit(copy)
    texts.push(random.nextInt(2) === 0 ? copy.toUpperCase() : copy.replace(/ /g, "  "))
    originalOf.push(original)
  }
  return { texts, originalOf, originals, random }
}

export const minhash = async () => {
  const { texts, originalOf, originals, random } = corpus(50_000)
  const hasher = new MinHasher({ permutations: PERMUTATIONS, seed: 1 })
  const lsh = new MinHashLsh<number>({ threshold: THRESHOLD, permutations: PERMUTATIONS })

  let t0 = now()
  const sets = texts.map((text) => shingles(text))
  const shingleMs = now() - t0
  t0 = now()
  const signatures = sets.map((set) => hasher.signature(set))
  const signMs = now() - t0
  t0 = now()
  signatures.forEach((signature, id) => lsh.insert(id, signature))
  const insertMs = now() - t0

  /** Everything a caller does for one query: shingle, sign, look up, verify. */
  const lshQuery = (text: string, self: number) => {
    const set = shingles(text)
    const candidates = lsh.candidates(hasher.signature(set))
    const matches: Array<number> = []
    for (const id of candidates) if (id !== self && jaccard(set, sets[id]!) >= THRESHOLD) matches.push(id)
    return { matches, candidates: candidates.size }
  }
  const scanQuery = (text: string, self: number) => {
    const set = shingles(text)
    const matches: Array<number> = []
    for (let id = 0; id < sets.length; id++) if (id !== self && jaccard(set, sets[id]!) >= THRESHOLD) matches.push(id)
    return matches
  }

  // Half the queries are planted copies (which have a near-duplicate), half are any document; the scan
  // sample takes the first SCAN_QUERIES, so it holds as many pairs as the LSH queries do.
  const queryIds = Array.from({ length: LSH_QUERIES }, (_, i) =>
    i % 2 === 0 ? originals + random.nextInt(texts.length - originals) : random.nextInt(texts.length))
  for (const id of queryIds.slice(0, 200)) lshQuery(texts[id]!, id) // warm-up
  collectGarbage()
  const lshSamples: Array<number> = []
  let candidateTotal = 0
  const lshMatches = new Map<number, Array<number>>()
  for (const id of queryIds) {
    const start = now()
    const { matches, candidates } = lshQuery(texts[id]!, id)
    lshSamples.push((now() - start) * 1000)
    candidateTotal += candidates
    lshMatches.set(id, matches)
  }

  const scanSamples: Array<number> = []
  let truePairs = 0
  let found = 0
  let reported = 0
  for (const id of queryIds.slice(0, SCAN_QUERIES)) {
    const start = now()
    const truth = new Set(scanQuery(texts[id]!, id))
    scanSamples.push((now() - start) * 1000)
    const matches = lshMatches.get(id)!
    truePairs += truth.size
    reported += matches.length
    found += matches.filter((match) => truth.has(match)).length
  }

  // Recall on every planted copy whose exact similarity to its original reaches the threshold.
  let plantedPairs = 0
  let plantedFound = 0
  originalOf.forEach((original, i) => {
    const copy = originals + i
    if (jaccard(sets[copy]!, sets[original]!) < THRESHOLD) return
    plantedPairs++
    if (lsh.candidates(signatures[copy]!).has(original)) plantedFound++
  })

  const lshLatency = summarise(lshSamples)
  const scanLatency = summarise(scanSamples)
  const precision = reported === 0 ? 1 : found / reported
  const recall = truePairs === 0 ? 1 : found / truePairs
  const plantedRecall = plantedPairs === 0 ? 1 : plantedFound / plantedPairs
  const speedupP50 = scanLatency.p50Us / lshLatency.p50Us
  return {
    name: "near-duplicate text search at Jaccard 0.8: MinHash LSH + verification vs exact Jaccard scan",
    documents: texts.length,
    plantedCopies: COPIES,
    permutations: PERMUTATIONS,
    ...lshParameters(THRESHOLD, PERMUTATIONS),
    meanShingles: round(sets.reduce((sum, set) => sum + set.size, 0) / sets.length, 1),
    build: {
      shinglesPerDocUs: round(shingleMs * 1000 / texts.length),
      signaturePerDocUs: round(signMs * 1000 / texts.length),
      insertPerDocUs: round(insertMs * 1000 / texts.length),
      docsPerSec: Math.round(texts.length / (shingleMs + signMs + insertMs) * 1000)
    },
    lsh: { queries: LSH_QUERIES, ...lshLatency, meanCandidates: round(candidateTotal / LSH_QUERIES, 2) },
    scan: { queries: SCAN_QUERIES, ...scanLatency },
    speedup: { p50: round(speedupP50, 1), p99: round(scanLatency.p99Us / lshLatency.p99Us, 1) },
    vsScan: { truePairs, found, reported, precision: round(precision, 4), recall: round(recall, 4) },
    planted: { pairsAtThreshold: plantedPairs, found: plantedFound, recall: round(plantedRecall, 4) },
    goal: {
      text: "recall >= 0.9 and precision 1 against the exact scan (also recall >= 0.9 on planted copies); LSH p50 >= 10x faster than the scan",
      met: recall >= 0.9 && precision === 1 && plantedRecall >= 0.9 && speedupP50 >= 10
    },
    note: `LSH latency covers the whole query (shingles, signature, candidates, exact verification) over ${LSH_QUERIES} queries, ` +
      `half planted copies; the scan (shingles + exact Jaccard against all ${texts.length}) runs on the first ${SCAN_QUERIES} of them, ` +
      "where precision and recall are measured. Planted recall asks whether each copy's original is among its candidates."
  }
}
