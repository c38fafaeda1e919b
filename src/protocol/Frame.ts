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

export type BodyResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string }

/** Decodes one frame body; msgpack that is malformed, or followed by more bytes, is refused. */
export const decodeBody = (body: Uint8Array): BodyResult => {
  if (body.length === 0) return { ok: false, reason: "empty frame: a frame carries one msgpack value" }
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
  private chunks: Array<Buffer> = []
  private buffered = 0

  constructor(readonly maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {}

  /** Bytes of an unfinished frame held right now (0 between frames). */
  get pending(): number {
    return this.buffered
  }

  /**
   * Feeds bytes; returns the frames completed so far. A TooLarge event ends
   * decoding: the stream is no longer in step and the caller closes it.
   */
  push(chunk: Buffer): Array<FrameEvent> {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    const out: Array<FrameEvent> = []
    while (this.buffered >= HEADER_BYTES) {
      const head = this.peek(HEADER_BYTES)
      const length = head.readUInt32BE(0)
      if (length > this.maxFrameBytes) {
        out.push({ _tag: "TooLarge", length, max: this.maxFrameBytes })
        this.chunks = []
        this.buffered = 0
        return out
      }
      if (this.buffered < HEADER_BYTES + length) break
      const frame = this.take(HEADER_BYTES + length)
      out.push({ _tag: "Frame", body: frame.subarray(HEADER_BYTES) })
    }
    return out
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)]
    return this.chunks[0]!
  }

  private take(n: number): Buffer {
    const first = this.peek(n)
    const taken = first.subarray(0, n)
    const rest = first.subarray(n)
    this.chunks[0] = rest
    if (rest.length === 0) this.chunks.shift()
    this.buffered -= n
    return taken
  }
}
