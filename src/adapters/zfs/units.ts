/**
 * ZFS's human numbers, as libzutil's zfs_nicenum_format writes them: base
 * 1024, one-letter suffixes K M G T P E, "B" on bytes below 1 KiB ("512B"),
 * no decimals on exact multiples ("4K"), otherwise as many decimals as fit in
 * five characters ("1.50K", "12.7T", "100G"). Counters use the same scale
 * without the "B" ("0", "1.21K").
 */

const SUFFIXES = ["", "K", "M", "G", "T", "P", "E"] as const
const SCALE: Readonly<Record<string, number>> = { "": 0, K: 1, M: 2, G: 3, T: 4, P: 5, E: 6 }

/**
 * The number a human ZFS value stands for ("12.7T" → 13963596444057), or
 * undefined when the text is not one. Rounded to whole units, so the result
 * is as exact as the text (three significant digits) allows.
 */
export const fromNice = (text: string): number | undefined => {
  // Lower case and "KiB"/"KB" are not what zfs prints, but what a person types; they cost nothing to accept.
  const match = /^(\d+(?:\.\d+)?)([KMGTPE]?)(?:i?B)?$/i.exec(text.trim())
  if (match === null) return undefined
  return Math.round(Number(match[1]) * 1024 ** SCALE[match[2]!.toUpperCase()]!)
}

/** `n` as zfs prints it: "bytes" adds the "B" below 1 KiB, as zfs_nicebytes does; "count" is zfs_nicenum. */
export const toNice = (n: number, format: "bytes" | "count"): string => {
  let whole = Math.floor(n)
  let index = 0
  while (whole >= 1024 && index < SUFFIXES.length - 1) {
    whole = Math.floor(whole / 1024)
    index++
  }
  const suffix = index === 0 && format === "bytes" ? "B" : SUFFIXES[index]!
  const unit = 1024 ** index
  if (index === 0 || n % unit === 0) return `${whole}${suffix}`
  let text = ""
  for (let decimals = 2; decimals >= 0; decimals--) {
    text = `${(n / unit).toFixed(decimals)}${suffix}`
    if (text.length <= 5) break
  }
  return text
}
