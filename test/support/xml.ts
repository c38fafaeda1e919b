/**
 * A strict XML 1.0 well-formedness check (xmllint is not installed here):
 * one root element, properly nested tags, unique quoted attributes, only the
 * five predefined entities and character references, no '<' or stray '&' in
 * text or attribute values, only characters XML allows. It returns the
 * element tree (text decoded) or the first error with its offset.
 */

export interface XmlElement {
  readonly name: string
  readonly attributes: ReadonlyMap<string, string>
  readonly children: ReadonlyArray<XmlElement | string>
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/
const ALLOWED = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u
const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'" }

export class XmlError extends Error {}

const decode = (raw: string, at: number): string =>
  raw.replace(/&([^;]*);|&/g, (whole, body: string | undefined) => {
    if (body === undefined) throw new XmlError(`a bare '&' near offset ${at}`)
    if (body in ENTITIES) return ENTITIES[body]!
    const numeric = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(body)
    if (numeric === null) throw new XmlError(`unknown entity '&${body};' near offset ${at}`)
    const code = numeric[1] !== undefined ? parseInt(numeric[1], 16) : parseInt(numeric[2]!, 10)
    const char = code <= 0x10ffff ? String.fromCodePoint(code) : ""
    if (char === "" || !ALLOWED.test(char)) throw new XmlError(`character reference '&${body};' is not an XML character`)
    return char
  })

export const parseXml = (text: string): XmlElement => {
  if (!ALLOWED.test(text)) throw new XmlError("the document holds a character XML does not allow")
  let i = 0
  const skipSpace = () => {
    while (i < text.length && /[ \t\r\n]/.test(text[i]!)) i++
  }
  const misc = () => {
    for (;;) {
      skipSpace()
      if (text.startsWith("<!--", i)) {
        const end = text.indexOf("-->", i + 4)
        if (end < 0 || text.slice(i + 4, end).includes("--")) throw new XmlError(`a bad comment at ${i}`)
        i = end + 3
      } else if (text.startsWith("<?", i) && !text.startsWith("<?xml", i)) {
        const end = text.indexOf("?>", i)
        if (end < 0) throw new XmlError(`an unclosed processing instruction at ${i}`)
        i = end + 2
      } else return
    }
  }
  if (text.startsWith("<?xml")) {
    const end = text.indexOf("?>")
    if (end < 0 || !/^<\?xml version="1\.[0-9]"( encoding="[A-Za-z][A-Za-z0-9._-]*")?( standalone="(yes|no)")?\s*\?>$/.test(text.slice(0, end + 2))) {
      throw new XmlError("a bad XML declaration")
    }
    i = end + 2
  }
  misc()
  if (text.startsWith("<!DOCTYPE", i)) throw new XmlError("a DOCTYPE (not expected in a chart)")
  const element = (): XmlElement => {
    if (text[i] !== "<") throw new XmlError(`expected '<' at ${i}`)
    i++
    const name = NAME.exec(text.slice(i))?.[0]
    if (name === undefined) throw new XmlError(`expected an element name at ${i}`)
    i += name.length
    const attributes = new Map<string, string>()
    for (;;) {
      const before = i
      skipSpace()
      if (text.startsWith("/>", i)) {
        i += 2
        return { name, attributes, children: [] }
      }
      if (text[i] === ">") {
        i++
        break
      }
      if (i === before) throw new XmlError(`expected a space, '>' or '/>' in <${name}> at ${i}`)
      const attribute = NAME.exec(text.slice(i))?.[0]
      if (attribute === undefined) throw new XmlError(`expected an attribute name in <${name}> at ${i}`)
      i += attribute.length
      skipSpace()
      if (text[i] !== "=") throw new XmlError(`expected '=' after ${attribute} at ${i}`)
      i++
      skipSpace()
      const quote = text[i]
      if (quote !== "\"" && quote !== "'") throw new XmlError(`expected a quoted value for ${attribute} at ${i}`)
      const end = text.indexOf(quote, i + 1)
      if (end < 0) throw new XmlError(`an unclosed value of ${attribute}`)
      const raw = text.slice(i + 1, end)
      if (raw.includes("<")) throw new XmlError(`'<' in the value of ${attribute} at ${i}`)
      if (attributes.has(attribute)) throw new XmlError(`attribute ${attribute} twice in <${name}>`)
      attributes.set(attribute, decode(raw, i))
      i = end + 1
    }
    const children: Array<XmlElement | string> = []
    for (;;) {
      if (i >= text.length) throw new XmlError(`<${name}> is never closed`)
      if (text.startsWith("</", i)) {
        i += 2
        const closing = NAME.exec(text.slice(i))?.[0]
        if (closing !== name) throw new XmlError(`</${closing ?? "?"}> closes <${name}> at ${i}`)
        i += closing.length
        skipSpace()
        if (text[i] !== ">") throw new XmlError(`expected '>' at ${i}`)
        i++
        return { name, attributes, children }
      }
      if (text.startsWith("<!--", i)) {
        misc()
        continue
      }
      if (text.startsWith("<![CDATA[", i)) {
        const end = text.indexOf("]]>", i)
        if (end < 0) throw new XmlError("an unclosed CDATA section")
        children.push(text.slice(i + 9, end))
        i = end + 3
        continue
      }
      if (text[i] === "<") {
        children.push(element())
        continue
      }
      const next = text.indexOf("<", i)
      const raw = text.slice(i, next < 0 ? text.length : next)
      if (raw.includes("]]>")) throw new XmlError(`']]>' in text at ${i}`)
      children.push(decode(raw, i))
      i = next < 0 ? text.length : next
    }
  }
  const root = element()
  misc()
  if (i !== text.length) throw new XmlError(`content after the root element at ${i}`)
  return root
}

/** Every element of a tree, depth first. */
export const elementsOf = (root: XmlElement): Array<XmlElement> => [
  root,
  ...root.children.flatMap((c) => (typeof c === "string" ? [] : elementsOf(c)))
]

/** The text of an element and its descendants. */
export const textOf = (element: XmlElement): string => element.children.map((c) => (typeof c === "string" ? c : textOf(c))).join("")
