/**
 * Timeouts of many requests on one timer. A timer per request (set, then
 * cleared by nearly every answer) was 4-5% of the daemon's samples under many
 * pipelined asks.
 * Requests with the same timeout expire in the order they were made, so each
 * timeout length keeps a FIFO; one timer is armed for the earliest deadline.
 * A cancelled entry is dropped once it reaches the head of its FIFO, and
 * answers mostly come in order, so the FIFOs stay short.
 */
import { Fifo } from "./Fifo.ts"

/** One request's deadline; `cancel` it when the answer comes first. */
export interface Deadline {
  readonly cancel: () => void
}

interface Entry {
  readonly at: number
  fire: (() => void) | undefined
}

/** Drops cancelled entries at the head of a lane. */
const trim = (lane: Fifo<Entry>): void => {
  while (lane.first !== undefined && lane.first.fire === undefined) lane.shift()
}

export interface Timers {
  readonly now: () => number
  readonly setTimeout: (fire: () => void, ms: number) => unknown
  readonly clearTimeout: (timer: unknown) => void
}

const realTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (fire, ms) => setTimeout(fire, ms),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>)
}

export class Deadlines {
  private readonly lanes = new Map<number, Fifo<Entry>>()
  private timer: unknown = undefined
  /** When the armed timer fires; Infinity when none is armed. */
  private armedAt = Infinity

  constructor(private readonly timers: Timers = realTimers) {}

  /** Calls `fire` `ms` from now unless cancelled first. */
  add(ms: number, fire: () => void): Deadline {
    let lane = this.lanes.get(ms)
    if (lane === undefined) {
      lane = new Fifo<Entry>()
      this.lanes.set(ms, lane)
    }
    const entry: Entry = { at: this.timers.now() + ms, fire }
    lane.push(entry)
    if (entry.at < this.armedAt) this.arm(entry.at)
    const owner = lane
    return {
      cancel: () => {
        if (entry.fire === undefined) return
        entry.fire = undefined
        if (owner.first === entry) trim(owner)
      }
    }
  }

  /** Entries waiting, cancelled ones not yet dropped included (for tests). */
  get size(): number {
    let n = 0
    for (const lane of this.lanes.values()) n += lane.size
    return n
  }

  private arm(at: number): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer)
    this.armedAt = at
    this.timer = this.timers.setTimeout(this.expire, Math.max(0, Math.ceil(at - this.timers.now())))
  }

  private readonly expire = (): void => {
    this.timer = undefined
    this.armedAt = Infinity
    const now = this.timers.now()
    const due: Array<() => void> = []
    let next = Infinity
    for (const [ms, lane] of this.lanes) {
      trim(lane)
      for (let entry = lane.first; entry !== undefined && entry.at <= now; entry = lane.first) {
        due.push(entry.fire!)
        entry.fire = undefined
        lane.shift()
        trim(lane)
      }
      const first = lane.first
      if (first === undefined) this.lanes.delete(ms)
      else if (first.at < next) next = first.at
    }
    if (next !== Infinity) this.arm(next)
    for (const fire of due) fire()
  }
}
