/** A fixed-capacity FIFO over a plain array: O(1) push and shift without reallocation. */
export class RingBuffer<A> {
  private readonly items: Array<A | undefined>
  private head = 0
  private count = 0

  constructor(readonly capacity: number) {
    this.items = new Array<A | undefined>(capacity)
  }

  get size(): number {
    return this.count
  }

  get isFull(): boolean {
    return this.count === this.capacity
  }

  push(item: A): boolean {
    if (this.count === this.capacity) return false
    this.items[(this.head + this.count) % this.capacity] = item
    this.count++
    return true
  }

  shift(): A | undefined {
    if (this.count === 0) return undefined
    const item = this.items[this.head]
    this.items[this.head] = undefined
    this.head = (this.head + 1) % this.capacity
    this.count--
    return item
  }

  /** Removes and returns everything, oldest first. */
  drain(): Array<A> {
    const out: Array<A> = []
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item)
    return out
  }
}
