import { describe, expect, it } from "vitest"
import { Deadlines, type Timers } from "../../src/runtime/internal/Deadlines.ts"

/** A hand-driven clock: `advance` fires the armed timers that are due, in order. */
const fakeTimers = () => {
  let now = 0
  let nextId = 1
  const armed = new Map<number, { at: number; fire: () => void }>()
  const timers: Timers = {
    now: () => now,
    setTimeout: (fire, ms) => {
      const id = nextId++
      armed.set(id, { at: now + ms, fire })
      return id
    },
    clearTimeout: (id) => void armed.delete(id as number)
  }
  const advance = (ms: number) => {
    const until = now + ms
    while (true) {
      const due = [...armed.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0]
      if (due === undefined) break
      armed.delete(due[0])
      now = due[1].at
      due[1].fire()
    }
    now = until
  }
  return { timers, advance, armed: () => armed.size }
}

describe("Deadlines", () => {
  it("fires each deadline at its time, in order, on one timer, across timeout lengths", () => {
    const clock = fakeTimers()
    const deadlines = new Deadlines(clock.timers)
    const fired: Array<string> = []
    deadlines.add(100, () => fired.push("a@100"))
    clock.advance(10)
    deadlines.add(100, () => fired.push("b@110"))
    deadlines.add(50, () => fired.push("c@60"))
    deadlines.add(500, () => fired.push("d@510"))
    expect(clock.armed()).toBe(1)
    clock.advance(49)
    expect(fired).toEqual([])
    clock.advance(1)
    expect(fired).toEqual(["c@60"])
    clock.advance(39)
    expect(fired).toEqual(["c@60"])
    clock.advance(1)
    expect(fired).toEqual(["c@60", "a@100"])
    clock.advance(10)
    expect(fired).toEqual(["c@60", "a@100", "b@110"])
    clock.advance(1000)
    expect(fired).toEqual(["c@60", "a@100", "b@110", "d@510"])
    expect(clock.armed()).toBe(0)
    expect(deadlines.size).toBe(0)
  })

  it("a cancelled deadline never fires, and cancelled ones do not pile up while answers come in order", () => {
    const clock = fakeTimers()
    const deadlines = new Deadlines(clock.timers)
    const fired: Array<number> = []
    const pending = Array.from({ length: 10_000 }, (_, i) => deadlines.add(1_000, () => fired.push(i)))
    for (const deadline of pending.slice(0, 9_999)) deadline.cancel()
    expect(deadlines.size).toBe(1)
    // Out of order: cancelled entries behind a live one wait until it goes.
    const late = deadlines.add(1_000, () => fired.push(-1))
    late.cancel()
    late.cancel()
    clock.advance(1_000)
    expect(fired).toEqual([9_999])
    expect(deadlines.size).toBe(0)
    pending[9_999]!.cancel() // after it fired: nothing happens
    expect(fired).toEqual([9_999])
  })

  it("a deadline added after the timer was armed for a later one fires first", () => {
    const clock = fakeTimers()
    const deadlines = new Deadlines(clock.timers)
    const fired: Array<string> = []
    deadlines.add(5_000, () => fired.push("long"))
    deadlines.add(20, () => fired.push("short"))
    clock.advance(20)
    expect(fired).toEqual(["short"])
    clock.advance(4_980)
    expect(fired).toEqual(["short", "long"])
  })
})
