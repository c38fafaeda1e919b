/**
 * Control-socket framing: a 4-byte big-endian length, then that many bytes of
 * msgpack. The decoder is incremental (feed it whatever the socket read) and
 * refuses a frame whose announced length exceeds the maximum before reading
 * its body, so a hostile length costs nothing.
 */
import { Result } from "effect"
import { Packr, Unpackr } from "msgpackr"

export const HEADER_BYTES = 4
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024

// Plain maps and no msgpackr records/extensions, so any msgpack library can speak the protocol.
// An undefined field is left out (as JSON leaves it out) rather than sent as msgpackr's
// "undefined" extension, which other msgpack libraries do not know.
const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  variableMapSize: true,
  encodeUndefinedAsNil: true,
  // In msgpackr 2.x, though missing from its typings.
  ...({ skipValues: [undefined] } as {})
})
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true })

export const encodeFrame = (value: unknown): Buffer => {
  const body = packr.pack(value)
  const frame = Buffer.allocUnsafe(HEADER_BYTES + body.length)
  frame.writeUInt32BE(body.length, 0)
  body.copy(frame, HEADER_BYTES)
  return frame
}

/**
 * Frames laid one after another in one buffer, for one write: replies made in
 * one turn of the event loop cost one allocation and one syscall, not one per
 * frame plus a concatenation.
 */
export class FrameBatch {
  private buffer: Buffer | undefined = undefined
  private used = 0

  /** Bytes of the frames added since the last `take`. */
  get bytes(): number {
    return this.used
  }

  /**
   * Appends `value` as a frame; returns the frame's size in bytes. Replies are
   * packed straight into the batch while they hold only nil, booleans,
   * numbers, ASCII strings, arrays and plain objects (the bytes msgpackr
   * would write, undefined fields left out as it leaves them out); anything
   * else is packed by msgpackr.
   */
  add(value: unknown): number {
    const start = this.reserve(HEADER_BYTES)
    if (this.common(value, 0)) {
      const length = this.used - start - HEADER_BYTES
      this.buffer!.writeUInt32BE(length, start)
      return HEADER_BYTES + length
    }
    this.used = start
    const body = packr.pack(value)
    const at = this.reserve(HEADER_BYTES + body.length)
    this.buffer!.writeUInt32BE(body.length, at)
    this.buffer!.set(body, at + HEADER_BYTES)
    return HEADER_BYTES + body.length
  }

  /** Takes back the last frame added, `size` bytes (it would break a bound). */
  removeLast(size: number): void {
    this.used -= size
  }

  /** Appends a frame already encoded (`encodeFrame`). */
  addFrame(frame: Uint8Array): void {
    const at = this.reserve(frame.length)
    this.buffer!.set(frame, at)
  }

  /** The frames added so far, as one buffer the batch no longer touches; the batch starts empty again. */
  take(): Buffer {
    const out = this.buffer === undefined ? Buffer.alloc(0) : this.buffer.subarray(0, this.used)
    this.buffer = undefined
    this.used = 0
    return out
  }

  /** Packs a value of the common kinds at the end; false (and bytes to discard) at anything else. */
  private common(value: unknown, depth: number): boolean {
    if (value === null || value === undefined) return this.byte(0xc0)
    switch (typeof value) {
      case "boolean":
        return this.byte(value ? 0xc3 : 0xc2)
      case "number":
        return this.number(value)
      case "string":
        return this.ascii(value)
      case "object": {
        if (depth >= MAX_DEPTH) return false
        if (Array.isArray(value)) {
          if (!this.count(value.length, 0x90, 0xdc)) return false
          for (const item of value) if (!this.common(item, depth + 1)) return false
          return true
        }
        const prototype = Object.getPrototypeOf(value)
        if (prototype !== Object.prototype && prototype !== null) return false
        const object = value as Record<string, unknown>
        let size = 0
        for (const key in object) if (object[key] !== undefined) size++
        if (!this.count(size, 0x80, 0xde)) return false
        for (const key in object) {
          const item = object[key]
          if (item === undefined) continue
          if (!this.ascii(key) || !this.common(item, depth + 1)) return false
        }
        return true
      }
      default:
        return false
    }
  }

  private byte(b: number): true {
    const at = this.reserve(1)
    this.buffer![at] = b
    return true
  }

  private number(n: number): boolean {
    if (n >>> 0 === n) {
      if (n <= 0x7f) return this.byte(n)
      if (n <= 0xff) return (this.byte(0xcc), this.byte(n))
      const at = n <= 0xffff ? this.reserve(3) : this.reserve(5)
      const buffer = this.buffer!
      if (n <= 0xffff) (buffer[at] = 0xcd, buffer.writeUInt16BE(n, at + 1))
      else (buffer[at] = 0xce, buffer.writeUInt32BE(n, at + 1))
      return true
    }
    if (n >> 0 === n) {
      if (n >= -0x20) return this.byte(n & 0xff)
      if (n >= -0x80) return (this.byte(0xd0), this.byte(n & 0xff))
      const at = n >= -0x8000 ? this.reserve(3) : this.reserve(5)
      const buffer = this.buffer!
      if (n >= -0x8000) (buffer[at] = 0xd1, buffer.writeInt16BE(n, at + 1))
      else (buffer[at] = 0xd2, buffer.writeInt32BE(n, at + 1))
      return true
    }
    const at = this.reserve(9)
    this.buffer![at] = 0xcb
    this.buffer!.writeDoubleBE(n, at + 1)
    return true
  }

  /** A string of ASCII characters; false at any other character (msgpackr writes those). */
  private ascii(text: string): boolean {
    const length = text.length
    if (length > 0xffff) return false
    const head = length < 32 ? 1 : length <= 0xff ? 2 : 3
    const at = this.reserve(head + length)
    const buffer = this.buffer!
    if (head === 1) buffer[at] = 0xa0 | length
    else if (head === 2) (buffer[at] = 0xd9, buffer[at + 1] = length)
    else (buffer[at] = 0xda, buffer.writeUInt16BE(length, at + 1))
    for (let i = 0, to = at + head; i < length; i++, to++) {
      const c = text.charCodeAt(i)
      if (c >= 0x80) return false
      buffer[to] = c
    }
    return true
  }

  /** The head of an array or map of `n` items: its fix form, or the 16-bit one. */
  private count(n: number, fix: number, sixteen: number): boolean {
    if (n < 16) return this.byte(fix | n)
    if (n > 0xffff) return false
    const at = this.reserve(3)
    this.buffer![at] = sixteen
    this.buffer!.writeUInt16BE(n, at + 1)
    return true
  }

  private reserve(n: number): number {
    const at = this.used
    if (this.buffer === undefined || at + n > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(512, 2 * (at + n)))
      if (this.buffer !== undefined) this.buffer.copy(grown, 0, 0, at)
      this.buffer = grown
    }
    this.used = at + n
    return at
  }
}

export type BodyResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string }

/** Nesting deeper than this is refused: no request needs it, and a decoder would recurse that deep. */
export const MAX_DEPTH = 64

const utf8 = new TextDecoder("utf-8", { fatal: false })

/** Keys per map compared byte for byte before a map switches to a set of decoded keys. */
const FEW_KEYS = 16

/**
 * The keys of one open map, for finding a repeated key. Keys are compared as
 * their bytes (no string is made) while they are few and ASCII: equal bytes
 * are an equal key, and distinct ASCII bytes a distinct one. A key with any
 * other byte, or a map with many keys, switches the map to a set of keys
 * decoded as msgpack readers decode them, so both ways find the same repeats.
 */
class MapKeys {
  /** Start and length of each key so far, while the map compares bytes. */
  private spans: Array<number> = []
  private decoded: Set<string> | undefined = undefined

  /** The key at body[at, at + length), or the text of the key it repeats. */
  repeats(body: Uint8Array, at: number, length: number): string | undefined {
    if (this.decoded === undefined && (this.spans.length >= 2 * FEW_KEYS || !isAscii(body, at, length))) {
      this.decoded = new Set()
      for (let i = 0; i < this.spans.length; i += 2) this.decoded.add(textOf(body, this.spans[i]!, this.spans[i + 1]!))
    }
    if (this.decoded !== undefined) {
      const key = textOf(body, at, length)
      if (this.decoded.has(key)) return key
      this.decoded.add(key)
      return undefined
    }
    const spans = this.spans
    for (let i = 0; i < spans.length; i += 2) {
      if (spans[i + 1] === length && sameBytes(body, spans[i]!, at, length)) return textOf(body, at, length)
    }
    spans.push(at, length)
    return undefined
  }
}

const isAscii = (body: Uint8Array, at: number, length: number): boolean => {
  for (let i = at; i < at + length; i++) if (body[i]! >= 0x80) return false
  return true
}

const sameBytes = (body: Uint8Array, a: number, b: number, length: number): boolean => {
  for (let i = 0; i < length; i++) if (body[a + i] !== body[b + i]) return false
  return true
}

const textOf = (body: Uint8Array, at: number, length: number): string => utf8.decode(body.subarray(at, at + length))

/** An open array or map: how many items are left, and for a map its keys and whether the next item is a key. */
interface Open {
  left: number
  keys: MapKeys | undefined
  key: boolean
}

/**
 * Checks that `body` is exactly one msgpack value of the kinds this protocol
 * speaks, before anything decodes it: nil, booleans, numbers, strings, binary,
 * arrays and maps whose keys are strings, each key once, nested at most
 * MAX_DEPTH deep. Extension types (a timestamp, msgpackr's records), the
 * never-used byte 0xc1, non-string map keys and repeated keys are refused,
 * so every msgpack library reads a frame the same way. Returns why not, or
 * undefined. Iterative: depth costs no stack. It runs on every request, so
 * it reads lengths byte by byte and makes no string of a key unless it must.
 */
export const checkBody = (body: Uint8Array): string | undefined => {
  const end = body.length
  let at = 0
  const open: Array<Open> = []
  const u16 = (i: number) => (body[i]! << 8) | body[i + 1]!
  const u32 = (i: number) => body[i]! * 0x1000000 + ((body[i + 1]! << 16) | (body[i + 2]! << 8) | body[i + 3]!)
  const need = (n: number) => at + n <= end
  const truncated = () => `the value ends early, at byte ${at} of ${end}`
  while (true) {
    if (!need(1)) return truncated()
    const container = open.length === 0 ? undefined : open[open.length - 1]!
    const isKey = container?.keys !== undefined && container.key
    const byte = body[at]!
    let length = -1 // bytes of a string or binary payload to skip
    let items = -1 // items of an array or map (map: twice its pairs)
    let isMap = false
    let stringAt = -1
    if (byte <= 0x7f || byte >= 0xe0) at += 1
    else if (byte >= 0x80 && byte <= 0x8f) (items = (byte & 0x0f) * 2, isMap = true, at += 1)
    else if (byte >= 0x90 && byte <= 0x9f) (items = byte & 0x0f, at += 1)
    else if (byte >= 0xa0 && byte <= 0xbf) (length = byte & 0x1f, at += 1, stringAt = at)
    else {
      switch (byte) {
        case 0xc0: case 0xc2: case 0xc3: at += 1; break
        case 0xc4: if (!need(2)) return truncated(); length = body[at + 1]!; at += 2; break
        case 0xc5: if (!need(3)) return truncated(); length = u16(at + 1); at += 3; break
        case 0xc6: if (!need(5)) return truncated(); length = u32(at + 1); at += 5; break
        case 0xca: at += 5; break
        case 0xcb: at += 9; break
        case 0xcc: case 0xd0: at += 2; break
        case 0xcd: case 0xd1: at += 3; break
        case 0xce: case 0xd2: at += 5; break
        case 0xcf: case 0xd3: at += 9; break
        case 0xd9: if (!need(2)) return truncated(); length = body[at + 1]!; at += 2; stringAt = at; break
        case 0xda: if (!need(3)) return truncated(); length = u16(at + 1); at += 3; stringAt = at; break
        case 0xdb: if (!need(5)) return truncated(); length = u32(at + 1); at += 5; stringAt = at; break
        case 0xdc: if (!need(3)) return truncated(); items = u16(at + 1); at += 3; break
        case 0xdd: if (!need(5)) return truncated(); items = u32(at + 1); at += 5; break
        case 0xde: if (!need(3)) return truncated(); items = u16(at + 1) * 2; isMap = true; at += 3; break
        case 0xdf: if (!need(5)) return truncated(); items = u32(at + 1) * 2; isMap = true; at += 5; break
        case 0xc1: return `byte 0xc1 at ${at} is never used in msgpack`
        default: return `an extension type (0x${byte.toString(16)}) at byte ${at}; this protocol carries plain values only`
      }
    }
    if (at > end) return truncated()
    if (length >= 0) {
      if (at + length > end) return truncated()
      at += length
    }
    if (isKey) {
      if (stringAt < 0) return `a map key at byte ${at - 1} is not a string; keys are strings`
      const repeated = container!.keys!.repeats(body, stringAt, length)
      if (repeated !== undefined) return `the key ${JSON.stringify(repeated)} appears twice in one map`
    }
    if (container !== undefined) {
      container.left--
      if (container.keys !== undefined) container.key = !container.key
    }
    if (items > 0) {
      // Each item takes at least one byte: a count beyond the bytes left is a lie, refused before it costs anything.
      if (items > end - at) return truncated()
      if (open.length >= MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels`
      open.push({ left: items, keys: isMap ? new MapKeys() : undefined, key: true })
      continue
    }
    while (open.length > 0 && open[open.length - 1]!.left === 0) open.pop()
    if (open.length === 0) break
  }
  return at === end ? undefined : `${end - at} bytes follow the value; a frame carries one value`
}

/** What `decodeCommon` returns for a body it leaves to the full check and msgpackr. */
export const NOT_COMMON: unique symbol = Symbol("NOT_COMMON")

const float64 = new Float64Array(1)
const float64Bytes = new Uint8Array(float64.buffer)
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/**
 * Checks and decodes, in one pass, a body made only of what requests are made
 * of: nil, booleans, integers up to 32 bits, 64-bit floats, ASCII strings up to
 * 64 KiB, and arrays and maps of up to 65535 items, keys being ASCII strings,
 * each once (no "__proto__"), nested at most MAX_DEPTH deep; exactly one value.
 * Anything else, malformed or merely less common, is NOT_COMMON and goes to
 * checkBody and msgpackr, which decide and word any refusal; what this accepts,
 * msgpackr reads the same (a property test holds them to it).
 */
export const decodeCommon = (body: Uint8Array): unknown => {
  source = body
  at = 0
  const decoded = commonValue(0)
  const whole = at === body.length
  source = EMPTY
  return whole ? decoded : NOT_COMMON
}

const EMPTY = new Uint8Array(0)
/** The body being decoded by decodeCommon and where it is in it (one at a time: it never yields). */
let source: Uint8Array = EMPTY
let at = 0

const commonText = (length: number): string | typeof NOT_COMMON => {
  const start = at
  if (start + length > source.length) return NOT_COMMON
  for (let i = start; i < start + length; i++) if (source[i]! >= 0x80) return NOT_COMMON
  at = start + length
  if (length <= 8) {
    let out = ""
    for (let i = start; i < start + length; i++) out += String.fromCharCode(source[i]!)
    return out
  }
  return String.fromCharCode.apply(null, source.subarray(start, start + length) as unknown as Array<number>)
}

/** Keys met before, by a hash of their bytes: the same few keys come in every request, and a string made once is cheaper as a property name. */
const keyCache: Array<string | undefined> = new Array(1024)

const commonKey = (length: number): string | typeof NOT_COMMON => {
  if (length === 0 || length > 16 || at + length > source.length) return commonText(length)
  const slot = ((length << 4) ^ (source[at]! << 2) ^ source[at + length - 1]! ^ (source[at + (length >> 1)]! << 5)) & 1023
  const cached = keyCache[slot]
  if (cached !== undefined && cached.length === length) {
    let same = true
    for (let i = 0; i < length; i++) {
      if (cached.charCodeAt(i) !== source[at + i]) {
        same = false
        break
      }
    }
    if (same) {
      at += length
      return cached
    }
  }
  const key = commonText(length)
  if (key !== NOT_COMMON) keyCache[slot] = key
  return key
}

const u16At = (i: number) => (source[i]! << 8) | source[i + 1]!

const commonValue = (depth: number): unknown => {
  const body = source
  const end = body.length
  if (at >= end) return NOT_COMMON
  const byte = body[at++]!
  if (byte <= 0x7f) return byte
  if (byte >= 0xe0) return byte - 0x100
  if (byte >= 0xa0 && byte <= 0xbf) return commonText(byte & 0x1f)
  let items: number
  let isMap = false
  if (byte <= 0x8f) (items = byte & 0x0f, isMap = true)
  else if (byte <= 0x9f) items = byte & 0x0f
  else {
    const left = end - at
    switch (byte) {
      case 0xc0: return null
      case 0xc2: return false
      case 0xc3: return true
      case 0xcc: if (left < 1) return NOT_COMMON; return body[at++]!
      case 0xcd: if (left < 2) return NOT_COMMON; at += 2; return u16At(at - 2)
      case 0xce: if (left < 4) return NOT_COMMON; at += 4; return body[at - 4]! * 0x1000000 + ((body[at - 3]! << 16) | u16At(at - 2))
      case 0xd0: if (left < 1) return NOT_COMMON; return (body[at++]! << 24) >> 24
      case 0xd1: if (left < 2) return NOT_COMMON; at += 2; return (u16At(at - 2) << 16) >> 16
      case 0xd2: if (left < 4) return NOT_COMMON; at += 4; return (body[at - 4]! << 24) | (body[at - 3]! << 16) | u16At(at - 2)
      case 0xcb:
        if (left < 8) return NOT_COMMON
        for (let i = 0; i < 8; i++) float64Bytes[littleEndian ? 7 - i : i] = body[at + i]!
        at += 8
        return float64[0]
      case 0xd9: if (left < 1) return NOT_COMMON; at += 1; return commonText(body[at - 1]!)
      case 0xda: if (left < 2) return NOT_COMMON; at += 2; return commonText(u16At(at - 2))
      case 0xdc: if (left < 2) return NOT_COMMON; at += 2; items = u16At(at - 2); break
      case 0xde: if (left < 2) return NOT_COMMON; at += 2; items = u16At(at - 2); isMap = true; break
      default: return NOT_COMMON
    }
  }
  if (items > end - at || (items > 0 && depth >= MAX_DEPTH)) return NOT_COMMON
  if (!isMap) {
    const array: Array<unknown> = []
    for (let i = 0; i < items; i++) {
      const item = commonValue(depth + 1)
      if (item === NOT_COMMON) return NOT_COMMON
      array.push(item)
    }
    return array
  }
  const object: Record<string, unknown> = {}
  for (let i = 0; i < items; i++) {
    const head = at < end ? body[at++]! : 0
    const key = head >= 0xa0 && head <= 0xbf ? commonKey(head & 0x1f) : head === 0xd9 && at < end ? commonKey(body[at++]!) : NOT_COMMON
    // Values are never undefined here: a key already set is a repeat (an inherited name falls back, to be safe).
    if (key === NOT_COMMON || key === "__proto__" || object[key] !== undefined) return NOT_COMMON
    const item = commonValue(depth + 1)
    if (item === NOT_COMMON) return NOT_COMMON
    object[key] = item
  }
  return object
}

/** Decodes one frame body; msgpack that is malformed, or followed by more bytes, is refused. */
export const decodeBody = (body: Uint8Array): BodyResult => {
  if (body.length === 0) return { ok: false, reason: "empty frame: a frame carries one msgpack value" }
  const common = decodeCommon(body)
  if (common !== NOT_COMMON) return { ok: true, value: common }
  const problem = checkBody(body)
  if (problem !== undefined) return { ok: false, reason: `not one plain msgpack value: ${problem}` }
  // msgpackr reports malformed input (and bytes after the value) by throwing: this is the edge.
  const decoded = Result.try({
    try: (): unknown => unpackr.unpack(body),
    catch: (error) => (error instanceof Error ? error.message : String(error))
  })
  if (Result.isFailure(decoded)) return { ok: false, reason: `not one msgpack value: ${decoded.failure}` }
  return { ok: true, value: decoded.success }
}

export type FrameEvent =
  | { readonly _tag: "Frame"; readonly body: Uint8Array }
  | { readonly _tag: "TooLarge"; readonly length: number; readonly max: number }

export class FrameDecoder {
  /** The start of an unfinished frame: its bytes so far, in the chunks they came in. */
  private chunks: Array<Buffer> = []
  private buffered = 0
  /** Frames completed so far. */
  completed = 0

  constructor(readonly maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {}

  /** Drops whatever is held (the connection is being closed). */
  clear(): void {
    this.chunks = []
    this.buffered = 0
  }

  /** Bytes of an unfinished frame held right now (0 between frames). */
  get pending(): number {
    return this.buffered
  }

  /**
   * Feeds bytes; returns the frames completed so far. A TooLarge event ends
   * decoding: the stream is no longer in step and the caller closes it.
   * Frames that lie whole in one chunk are views of it, copied nowhere; an
   * unfinished frame's chunks are joined once, when its last byte arrives.
   */
  push(chunk: Buffer): Array<FrameEvent> {
    const out: Array<FrameEvent> = []
    if (this.buffered > 0) {
      this.chunks.push(chunk)
      this.buffered += chunk.length
      if (this.buffered < HEADER_BYTES) return out
      if (this.chunks[0]!.length < HEADER_BYTES) this.chunks = [Buffer.concat(this.chunks)]
      const length = this.chunks[0]!.readUInt32BE(0)
      if (length > this.maxFrameBytes) return this.tooLarge(out, length)
      if (this.buffered < HEADER_BYTES + length) return out
      chunk = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered)
      this.chunks = []
      this.buffered = 0
    }
    const end = chunk.length
    let at = 0
    while (end - at >= HEADER_BYTES) {
      const length = chunk[at]! * 0x1000000 + ((chunk[at + 1]! << 16) | (chunk[at + 2]! << 8) | chunk[at + 3]!)
      if (length > this.maxFrameBytes) return this.tooLarge(out, length)
      if (end - at - HEADER_BYTES < length) break
      this.completed++
      out.push({ _tag: "Frame", body: chunk.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length) })
      at += HEADER_BYTES + length
    }
    if (at < end) {
      this.chunks = [at === 0 ? chunk : chunk.subarray(at)]
      this.buffered = end - at
    }
    return out
  }

  private tooLarge(out: Array<FrameEvent>, length: number): Array<FrameEvent> {
    out.push({ _tag: "TooLarge", length, max: this.maxFrameBytes })
    this.chunks = []
    this.buffered = 0
    return out
  }
}
