/**
 * Units for people: a catalogue unit ("bytes", "seconds", "ratio", ...) and a
 * magnitude become a scale (bytes in KiB/MiB/GiB, seconds in µs/ms/s/min/h,
 * ratios in %, other counts with k/M/G), and numbers are written with as many
 * decimals as their step needs. Pure.
 */

export interface Scale {
  /** divide a value in the base unit by this to get the shown number */
  readonly divisor: number
  /** the unit of the shown number, e.g. "MiB", "ms", "messages/s" */
  readonly label: string
}

const BINARY = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"] as const
const SI = ["", "k", "M", "G", "T", "P"] as const

/** The unit a series is drawn in: the catalogue's, per second when a counter is drawn as a rate. */
export const displayUnit = (unit: string, rate: boolean): string => (rate ? `${unit}/s` : unit)

/** The scale for values up to `magnitude` (the largest absolute value shown) of `unit` (a catalogue unit, "/s" when a rate). */
export const scaleFor = (unit: string, magnitude: number): Scale => {
  const perSecond = unit.endsWith("/s")
  const base = perSecond ? unit.slice(0, -2) : unit
  const per = perSecond ? "/s" : ""
  const m = Number.isFinite(magnitude) ? Math.abs(magnitude) : 0
  switch (base) {
    case "bytes": {
      let i = 0
      while (i < BINARY.length - 1 && m >= 1024 ** (i + 1)) i++
      return { divisor: 1024 ** i, label: `${BINARY[i]}${per}` }
    }
    case "seconds": {
      if (perSecond) return { divisor: 1, label: "s/s" }
      if (m === 0 || m >= 7_200 * 24) return m === 0 ? { divisor: 1, label: "s" } : { divisor: 86_400, label: "d" }
      if (m >= 7_200) return { divisor: 3_600, label: "h" }
      if (m >= 120) return { divisor: 60, label: "min" }
      if (m >= 1) return { divisor: 1, label: "s" }
      if (m >= 1e-3) return { divisor: 1e-3, label: "ms" }
      return { divisor: 1e-6, label: "µs" }
    }
    case "ratio":
      return { divisor: 0.01, label: `%${per}` }
    case "celsius":
      return { divisor: 1, label: `°C${per}` }
    case "boolean":
    case "":
      return { divisor: 1, label: per === "" ? "" : "/s" }
    default: {
      let i = 0
      while (i < SI.length - 1 && m >= 1000 ** (i + 1)) i++
      return { divisor: 1000 ** i, label: `${SI[i]}${SI[i] === "" ? "" : " "}${base}${per}` }
    }
  }
}

/** Decimals that tell apart numbers `step` apart (0 for steps of 1 and more, at most 6). */
export const decimalsFor = (step: number): number =>
  !Number.isFinite(step) || step <= 0 || step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step) - 1e-9))

/** A number with three significant digits at most, without trailing zeros: 1.23, 12.3, 123, 1234. */
export const shortNumber = (n: number): string => {
  if (!Number.isFinite(n)) return String(n)
  const a = Math.abs(n)
  const text = a >= 100 || a === 0 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : a >= 1 ? n.toFixed(2) : n.toPrecision(3)
  const trimmed = text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text
  return trimmed === "-0" ? "0" : trimmed
}

/** One value with its own scale, e.g. "1.5 GiB", "230 ms", "3.2 messages/s", "42 %". */
export const formatValue = (value: number, unit: string): string => {
  const scale = scaleFor(unit, value)
  const number = shortNumber(value / scale.divisor)
  return scale.label === "" ? number : `${number} ${scale.label}`
}

const NICE = [1, 2, 2.5, 5, 10] as const

/** The smallest of 1, 2, 2.5, 5 × 10^k that is at least `rough`. */
export const niceStep = (rough: number): number => {
  if (!(rough > 0) || !Number.isFinite(rough)) return 1
  const power = 10 ** Math.floor(Math.log10(rough))
  for (const n of NICE) if (n * power >= rough * (1 - 1e-9)) return n * power
  return 10 * power
}

/** Ticks covering [low, high] (in shown units): about `count` of them at a nice step. */
export const valueTicks = (low: number, high: number, count: number): { readonly low: number; readonly high: number; readonly step: number; readonly ticks: ReadonlyArray<number> } => {
  // A range too narrow to divide (equal ends, or denormal numbers) is drawn as a flat line.
  const flat = !(high - low > 1e-9 * Math.max(1, Math.abs(high), Math.abs(low)))
  const span = flat ? Math.max(1, Math.abs(high)) : high - low
  const top = flat ? low + span : high
  const step = niceStep(span / Math.max(1, count))
  const first = Math.floor(low / step + 1e-9) * step
  const last = Math.ceil(top / step - 1e-9) * step
  const ticks: Array<number> = []
  for (let i = 0; first + i * step <= last + step * 1e-9 && i < 100; i++) ticks.push(Number((first + i * step).toPrecision(12)))
  return { low: first, high: last, step, ticks }
}
