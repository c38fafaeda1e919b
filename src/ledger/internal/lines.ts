/**
 * Splits a file read in chunks into lines of raw bytes (hashes are over the
 * bytes as stored, never over decoded text). A line longer than `maxBytes` is
 * counted but not kept, so memory stays bounded whatever the file holds.
 */
const NEWLINE = 0x0a

export interface Line {
  /** 1-based. */
  readonly number: number
  /** Byte offset where the line starts. */
  readonly offset: number
  /** Bytes in the line, newline excluded. */
  readonly length: number
  /** The line's bytes, newline excluded; undefined when longer than the limit. */
  readonly bytes: Uint8Array | undefined
}

export interface LineSplitter {
  /** The lines that this chunk completes. The chunk must not be reused afterwards (lines may view it). */
  readonly push: (chunk: Uint8Array) => ReadonlyArray<Line>
  /** The bytes after the last newline, as a line without its newline; undefined when there are none. */
  readonly end: () => Line | undefined
}

export const makeLineSplitter = (maxBytes: number): LineSplitter => {
  let parts: Array<Uint8Array> = []
  let length = 0
  let tooLong = false
  let number = 0
  let offset = 0

  const take = (): Line => {
    number++
    const bytes = tooLong ? undefined : join(parts, length)
    const line: Line = { number, offset, length, bytes }
    offset += length + 1
    parts = []
    length = 0
    tooLong = false
    return line
  }

  const push = (chunk: Uint8Array): ReadonlyArray<Line> => {
    const lines: Array<Line> = []
    let from = 0
    while (from < chunk.byteLength) {
      const newline = chunk.indexOf(NEWLINE, from)
      const to = newline === -1 ? chunk.byteLength : newline
      if (!tooLong && length + (to - from) > maxBytes) {
        tooLong = true
        parts = []
      }
      if (!tooLong && to > from) parts.push(chunk.subarray(from, to))
      length += to - from
      if (newline === -1) break
      lines.push(take())
      from = newline + 1
    }
    return lines
  }

  const end = (): Line | undefined => (length === 0 ? undefined : take())

  return { push, end }
}

const join = (parts: ReadonlyArray<Uint8Array>, length: number): Uint8Array => {
  if (parts.length === 1) return parts[0]!
  const all = new Uint8Array(length)
  let at = 0
  for (const part of parts) {
    all.set(part, at)
    at += part.byteLength
  }
  return all
}
