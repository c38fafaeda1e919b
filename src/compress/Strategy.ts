/**
 * The strategy table: plain data that maps what a file holds to a codec and
 * level. A caller may pass its own table; the first rule whose `kind` names
 * the detection's format ("png", "json") or its kind ("text",
 * "already-compressed") wins, and "*" matches anything. Every result carries
 * the rule it came from and why, so a user can see what was chosen.
 */
import { type Codec, CODECS, isCodec, levelProblem } from "./Codecs.ts"
import type { Detection } from "./Detect.ts"

export interface StrategyRule {
  /** A detection format ("png", "json", "log", "elf"), a kind ("already-compressed", "text", "high-entropy", "other", "empty"), or "*". */
  readonly kind: string
  readonly codec: Codec
  readonly level: number
  /** Why this choice fits, for the report: "already compressed". */
  readonly why: string
}

export type StrategyTable = ReadonlyArray<StrategyRule>

export interface Strategy {
  /** The detected format. */
  readonly detected: string
  /** The `kind` of the rule that matched, "override" when the caller named the codec, "fallback" when no rule matched. */
  readonly rule: string
  readonly codec: Codec
  readonly level: number
  /** "PNG image (magic 89 50 4E 47): already compressed". */
  readonly reason: string
}

export interface StrategyOverrides {
  /** Use this codec whatever was detected (at `level`, or the codec's default level). */
  readonly codec?: Codec
  /** The level for the chosen codec; ignored when the rule stores. */
  readonly level?: number
}

/**
 * zstd 3 for text and other data, as `zstd -3`. Measured under Bun 1.4 on
 * the mixed corpus of bench/compress (32 MiB of source code, logs and JSON
 * lines): zstd 3 in 4 MiB blocks gives ratio 5.44 where `zstd -3` on each
 * whole file gives 5.43, in the same CPU time; zstd 5 gave 5.67 (2 MiB
 * blocks) but took 2.4 times the CPU, more than the ratio was worth when a
 * command compresses a directory file by file. zstd 4 is no better than 3
 * on this text. Other data at zstd 3 matches `zstd -3`'s ratio file by file.
 */
export const DEFAULT_STRATEGY: StrategyTable = [
  { kind: "empty", codec: "store", level: 0, why: "nothing to compress" },
  { kind: "already-compressed", codec: "store", level: 0, why: "already compressed" },
  { kind: "high-entropy", codec: "store", level: 0, why: "looks random or encrypted: compression would not shrink it" },
  { kind: "text", codec: "zstd", level: 3, why: "text: zstd's default level compresses it several times" },
  { kind: "other", codec: "zstd", level: 3, why: "balanced default" }
]

const describe = (detection: Detection): string => `${detection.label} (${detection.evidence})`

/** Why `table` is not usable, or undefined when every rule is well formed. */
export const tableProblem = (table: StrategyTable): string | undefined => {
  for (const [index, rule] of table.entries()) {
    const name = `rule ${index} (${JSON.stringify(rule.kind)})`
    if (typeof rule.kind !== "string" || rule.kind === "") return `${name}: kind must be a non-empty string`
    if (!isCodec(rule.codec)) return `${name}: ${JSON.stringify(rule.codec)} is not a codec`
    const problem = levelProblem(rule.codec, rule.level)
    if (problem !== undefined) return `${name}: ${problem}`
  }
  return undefined
}

/**
 * The codec and level for `detection`: the first rule of `table` that
 * matches, adjusted by `overrides`. With no match the data is stored.
 * Pure and total; compressFile checks the table and the overrides first.
 */
export const chooseStrategy = (
  detection: Detection,
  table: StrategyTable = DEFAULT_STRATEGY,
  overrides: StrategyOverrides = {}
): Strategy => {
  const detected = detection.format
  if (overrides.codec !== undefined) {
    const level = overrides.level ?? CODECS[overrides.codec].defaultLevel
    return { detected, rule: "override", codec: overrides.codec, level, reason: `${describe(detection)}: ${overrides.codec} level ${level} as asked` }
  }
  const rule = table.find((candidate) => candidate.kind === detection.format || candidate.kind === detection.kind || candidate.kind === "*")
  if (rule === undefined) {
    return { detected, rule: "fallback", codec: "store", level: 0, reason: `${describe(detection)}: no rule of the strategy table matches, so stored` }
  }
  const reason = `${describe(detection)}: ${rule.why}`
  if (overrides.level === undefined) return { detected, rule: rule.kind, codec: rule.codec, level: rule.level, reason }
  if (rule.codec === "store") {
    return { detected, rule: rule.kind, codec: "store", level: 0, reason: `${reason}; level ${overrides.level} not used (name a codec to force compression)` }
  }
  return { detected, rule: rule.kind, codec: rule.codec, level: overrides.level, reason: `${reason}; level ${overrides.level} as asked` }
}
