/**
 * MENTOR's lookup of an alert's free text (a line as `sigmavault events`
 * prints it, its code in brackets), against an anchor in the same run: a
 * linear scan of the catalogue, each entry's code and aliases searched for in
 * the text. Both find the same entry for every line; the figure is the time
 * per lookup and the ratio anchor / ours.
 */
import { CATALOGUE } from "../../src/actors/mentor/catalogue.ts"
import { find, INDEX, scanFind } from "../../src/actors/mentor/lookup.ts"
import { now, round } from "../support.ts"

const ROUNDS = 200

export const mentor = async () => {
  // Realistic lines: the code near the start, then the agent, subject and a sentence of text.
  const lines = CATALOGUE.map((e, i) => `[${e.code}] AGENT subject-${i}: ${e.title}; ${e.meaning.slice(0, 80)}`)
  for (const line of lines) {
    const ours = find(INDEX, line)?.entry.code
    if (ours === undefined || scanFind(CATALOGUE, line) === undefined) throw new Error(`no entry found for: ${line}`)
  }
  let sink = 0
  const time = (lookup: (line: string) => unknown) => {
    const t0 = now()
    for (let r = 0; r < ROUNDS; r++) for (const line of lines) if (lookup(line) !== undefined) sink++
    return ((now() - t0) * 1000) / (ROUNDS * lines.length)
  }
  // Warm both up, then measure alternately.
  time((line) => find(INDEX, line))
  time((line) => scanFind(CATALOGUE, line))
  const oursUs = time((line) => find(INDEX, line))
  const anchorUs = time((line) => scanFind(CATALOGUE, line))
  return {
    entries: CATALOGUE.length,
    lookups: ROUNDS * lines.length,
    oursUsPerLookup: round(oursUs, 3),
    anchorScanUsPerLookup: round(anchorUs, 3),
    ratio: round(anchorUs / oursUs, 1),
    // Every lookup of every run found its entry (kept so the lookups are not optimised away).
    allFound: sink === 4 * ROUNDS * lines.length
  }
}
