import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { Unpackr } from "msgpackr"
import { checkBody, decodeBody, decodeCommon, encodeFrame, FrameBatch, FrameDecoder, NOT_COMMON } from "../../src/protocol/Frame.ts"
import { parseRequest } from "../../src/protocol/Requests.ts"

const frames = (decoder: FrameDecoder, bytes: Buffer) => decoder.push(bytes)

describe("framing", () => {
  it("round-trips values through frames split at any byte boundary", () => {
    fc.assert(
      fc.property(
        // msgpackr renames a "__proto__" key (against prototype pollution): checked on its own below.
        fc.array(fc.jsonValue().filter((v) => !JSON.stringify(v).includes('"__proto__"')), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        (values, cuts) => {
          const stream = Buffer.concat(values.map((v) => encodeFrame(v)))
          const decoder = new FrameDecoder(1 << 20)
          const decoded: Array<unknown> = []
          let at = 0
          for (let i = 0; at < stream.length; i++) {
            const size = cuts[i % cuts.length]!
            for (const event of frames(decoder, stream.subarray(at, at + size))) {
              expect(event._tag).toBe("Frame")
              if (event._tag === "Frame") {
                const body = decodeBody(event.body)
                expect(body.ok).toBe(true)
                if (body.ok) decoded.push(body.value)
              }
            }
            at += size
          }
          // msgpack has no -0: compare as JSON would.
          expect(JSON.parse(JSON.stringify(decoded))).toEqual(JSON.parse(JSON.stringify(values)))
          expect(decoder.pending).toBe(0)
        }
      ),
      { numRuns: 300 }
    )
  })

  it("a hostile __proto__ key cannot pollute prototypes", () => {
    const frame = encodeFrame(JSON.parse('{"__proto__":{"polluted":true},"id":1}'))
    const decoded = new FrameDecoder().push(frame)[0]!
    const body = decoded._tag === "Frame" ? decodeBody(decoded.body) : undefined
    expect(body?.ok).toBe(true)
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
  })

  it("refuses a frame that announces more than the maximum, before reading its body", () => {
    const decoder = new FrameDecoder(1024)
    const header = Buffer.alloc(4)
    header.writeUInt32BE(0xffffffff)
    expect(decoder.push(header)).toEqual([{ _tag: "TooLarge", length: 0xffffffff, max: 1024 }])
  })

  it("a body that is not msgpack, or holds two values, is refused with a reason", () => {
    expect(decodeBody(Buffer.from([0x92]))).toEqual({ ok: false, reason: "not one plain msgpack value: the value ends early, at byte 1 of 1" })
    expect(decodeBody(Buffer.from([0x01, 0x02]))).toEqual({
      ok: false,
      reason: "not one plain msgpack value: 1 bytes follow the value; a frame carries one value"
    })
    expect(decodeBody(Buffer.alloc(0))).toMatchObject({ ok: false })
  })

  const refusal = (bytes: ReadonlyArray<number>) => {
    const body = decodeBody(Buffer.from(bytes))
    return body.ok ? "accepted" : body.reason
  }
  const str = (text: string) => [0xa0 | text.length, ...Buffer.from(text)]

  it("refuses what other msgpack libraries would read differently: extensions, 0xc1, non-string keys, repeated keys, deep nesting", () => {
    // A timestamp (ext -1): msgpackr would make it a Date.
    expect(refusal([0xd6, 0xff, 0, 0, 0, 1])).toBe("not one plain msgpack value: an extension type (0xd6) at byte 0; this protocol carries plain values only")
    expect(refusal([0x81, ...str("id"), 0xc7, 1, 0x70, 0])).toMatch(/an extension type \(0xc7\) at byte 4/)
    expect(refusal([0xc1])).toBe("not one plain msgpack value: byte 0xc1 at 0 is never used in msgpack")
    expect(refusal([0x81, 0x01, 0x02])).toBe("not one plain msgpack value: a map key at byte 1 is not a string; keys are strings")
    expect(refusal([0x81, 0x91, 0x01, 0x02])).toMatch(/a map key at byte \d+ is not a string/)
    expect(refusal([0x82, ...str("id"), 0x01, ...str("id"), 0x02])).toBe('not one plain msgpack value: the key "id" appears twice in one map')
    expect(refusal([...Array(65).fill(0x91), 0xc0])).toBe("not one plain msgpack value: nested deeper than 64 levels")
    expect(refusal([...Array(64).fill(0x91), 0xc0])).toBe("accepted")
    // A count that claims more items than bytes remain is refused before anything is allocated.
    expect(refusal([0xdd, 0xff, 0xff, 0xff, 0xff])).toMatch(/ends early/)
    expect(refusal([0xdb, 0xff, 0xff, 0xff, 0xff, 0x61])).toMatch(/ends early/)
  })

  it("finds a repeated key however the keys are written: many keys, non-ASCII keys, keys whose bytes differ but read the same", () => {
    const map = (keys: ReadonlyArray<ReadonlyArray<number>>) => [0xde, 0, keys.length, ...keys.flatMap((key) => [...key, 0xc0])]
    const many = Array.from({ length: 40 }, (_, i) => str(`k${i}`))
    expect(refusal(map(many))).toBe("accepted")
    expect(refusal(map([...many, str("k3")]))).toBe('not one plain msgpack value: the key "k3" appears twice in one map')
    expect(refusal(map([str("a"), [0xd9, 1, 0x61]]))).toMatch(/the key "a" appears twice/) // str8 and fixstr of one key
    const e = [0xa2, 0xc3, 0xa9] // "é"
    expect(refusal(map([str("a"), e, str("b")]))).toBe("accepted")
    expect(refusal(map([str("a"), e, str("b"), e]))).toBe('not one plain msgpack value: the key "é" appears twice in one map')
    // Two different invalid UTF-8 keys both read as U+FFFD: one key to a reader, so a repeat.
    expect(refusal(map([[0xa1, 0xff], [0xa1, 0xfe]]))).toMatch(/appears twice/)
    // Keys of different maps never clash.
    expect(refusal([0x82, ...str("a"), 0x81, ...str("a"), 0xc0, ...str("b"), 0x81, ...str("a"), 0xc0])).toBe("accepted")
  })

  it("property: every JSON value is accepted as its encoding; any single-byte change is decoded, or refused with a reason, never thrown", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.nat(), fc.integer({ min: 0, max: 255 }), (value, where, byte) => {
        const body = encodeFrame(value).subarray(4)
        const decoded = decodeBody(body)
        expect(decoded.ok).toBe(true)
        const changed = Buffer.from(body)
        changed[where % changed.length] = byte
        const again = decodeBody(changed)
        if (!again.ok) expect(again.reason).toMatch(/^(not one plain msgpack value|not one msgpack value): /)
      }),
      { numRuns: 1000 }
    )
  })

  it("property: the one-pass decoder of common bodies reads what msgpackr reads, and accepts only what the full check accepts", () => {
    const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true })
    const agrees = (body: Uint8Array) => {
      const common = decodeCommon(body)
      if (common === NOT_COMMON) return
      expect(checkBody(body)).toBeUndefined()
      expect(common).toStrictEqual(unpackr.unpack(body))
    }
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.nat(), fc.integer({ min: 0, max: 255 }), (value, where, byte) => {
        const body = encodeFrame(value).subarray(4)
        agrees(body)
        const changed = Buffer.from(body)
        changed[where % changed.length] = byte
        agrees(changed)
        agrees(changed.subarray(0, where % changed.length))
      }),
      { numRuns: 2000 }
    )
    const request = encodeFrame({ id: 7, op: "ask", agent: "CORE", message: { type: "ping", n: -1.5, big: 4_000_000_000, small: -70_000, list: [null, true, false, "x".repeat(300)] } }).subarray(4)
    expect(decodeCommon(request)).not.toBe(NOT_COMMON)
    agrees(request)
    for (const bytes of [[0xcc, 200], [0xcd, 1, 2], [0xce, 0xff, 0xff, 0xff, 0xff], [0xd0, 0x80], [0xd1, 0x80, 0], [0xd2, 0x80, 0, 0, 0], [0xcb, 0x80, 0, 0, 0, 0, 0, 0, 0], [0xdc, 0, 1, 0x01], [0xde, 0, 1, 0xa1, 0x61, 0x01], [0xda, 0, 1, 0x61]]) {
      expect(decodeCommon(Buffer.from(bytes))).not.toBe(NOT_COMMON)
      agrees(Buffer.from(bytes))
    }
    // Left to the full path: a repeated key, __proto__, an inherited name, non-ASCII text, 64-bit integers, float32, binary.
    for (const bytes of [[0x82, 0xa1, 0x61, 0x01, 0xa1, 0x61, 0x02], [0x81, 0xa9, ...Buffer.from("__proto__"), 0x80], [0x81, 0xab, ...Buffer.from("constructor"), 0x01], [0xa2, 0xc3, 0xa9], [0xcf, 0, 0, 0, 0, 0, 0, 0, 1], [0xca, 0, 0, 0, 0], [0xc4, 1, 0]]) {
      expect(decodeCommon(Buffer.from(bytes))).toBe(NOT_COMMON)
    }
  })

  it("property: a batch writes each frame byte for byte as encodeFrame does, whatever the value", () => {
    const anything = fc.oneof(
      fc.jsonValue({ maxDepth: 5 }),
      fc.dictionary(fc.string(), fc.oneof(fc.constant(undefined), fc.integer(), fc.double(), fc.string({ unit: "binary" }))),
      fc.array(fc.oneof(fc.constant(undefined), fc.boolean(), fc.maxSafeInteger(), fc.string({ maxLength: 300 })), { maxLength: 40 }),
      fc.constantFrom(undefined, new Date(0), new Uint8Array([1, 2]), { at: new Date(0) }, { nested: [1, { deeper: "é" }] }, -0, NaN, 2 ** 40, -(2 ** 31) - 1, "x".repeat(70_000))
    )
    fc.assert(
      fc.property(fc.array(anything, { minLength: 1, maxLength: 4 }), (values) => {
        const batch = new FrameBatch()
        const sizes = values.map((value) => batch.add(value))
        const expected = values.map((value) => encodeFrame(value))
        expect(sizes).toEqual(expected.map((frame) => frame.length))
        expect(Buffer.from(batch.take()).equals(Buffer.concat(expected))).toBe(true)
      }),
      { numRuns: 1000 }
    )
    const batch = new FrameBatch()
    batch.add({ id: 1, ok: true, result: null })
    const size = batch.add({ id: 2, ok: true, result: "dropped" })
    batch.removeLast(size)
    expect(Buffer.from(batch.take()).equals(encodeFrame({ id: 1, ok: true, result: null }))).toBe(true)
    expect(batch.bytes).toBe(0)
  })

  it("arbitrary bytes never throw: they decode, wait for more, or are refused", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), (chunks) => {
        const decoder = new FrameDecoder(4096)
        for (const chunk of chunks) {
          for (const event of decoder.push(Buffer.from(chunk))) {
            if (event._tag === "Frame") {
              const body = decodeBody(event.body)
              if (body.ok) parseRequest(body.value)
            }
          }
        }
      }),
      { numRuns: 500 }
    )
  })
})

describe("requests", () => {
  it("accepts each op in its documented shape", () => {
    for (const request of [
      { id: 1, op: "tell", agent: "CORE", message: { type: "facts" } },
      { id: 2, op: "ask", agent: "CORE", message: { type: "facts" }, timeoutMs: 100 },
      { id: 3, op: "agents" },
      { id: 4, op: "status" },
      { id: 5, op: "subscribe", agents: ["CORE"], types: ["restarted"] },
      { id: 6, op: "unsubscribe", subscription: 1 }
    ]) {
      expect(parseRequest(request)).toEqual({ ok: true, request })
    }
  })

  it("names what is wrong with a bad request, echoing the id when there is one", () => {
    expect(parseRequest("hello")).toMatchObject({ ok: false, id: null, error: { code: "BadRequest" } })
    expect(parseRequest({ op: "status" })).toMatchObject({ id: null, error: { message: expect.stringMatching(/integer 'id'/) } })
    expect(parseRequest({ id: 7, op: "launch" })).toEqual({
      ok: false,
      id: 7,
      error: { code: "BadRequest", message: "unknown op 'launch'; ops: tell, ask, agents, status, subscribe, unsubscribe, watch, restart, stop, start" }
    })
    expect(parseRequest({ id: 8, op: "ask", agent: 5, message: {} })).toMatchObject({
      id: 8,
      error: { message: expect.stringMatching(/'ask' request: .*agent/) }
    })
    expect(parseRequest({ id: 9, op: "status", extra: true })).toMatchObject({ id: 9, error: { message: expect.stringMatching(/extra/) } })
  })
})
