/**
 * Text in XML: whatever a label value holds (quotes, angle brackets,
 * ampersands, control characters, lone surrogates), the result is character
 * data a strict parser accepts and shows as the same text. Pure.
 */

/** Characters XML 1.0 does not allow at all (C0 controls but tab/newline/return, lone surrogates, U+FFFE/U+FFFF). */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

const ENTITIES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&apos;" }

/** Text for an element's content or an attribute's value: disallowed characters become U+FFFD, markup characters entities. */
export const escapeXml = (text: string): string => text.replace(NOT_XML, "\uFFFD").replace(/[&<>"']/g, (c) => ENTITIES[c]!)

/** At most `max` characters (code points, so a pair is never split), "…" marking a cut. */
export const truncate = (text: string, max: number): string => {
  const chars = Array.from(text)
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join("")}…`
}
