/**
 * An unbounded first-in first-out queue: an array read from `head`, compacted
 * once half of it is consumed (Array.prototype.shift is O(n)).
 */
export class Fifo<A> {
  private items: Array<A> = []
  private head = 0

  get size(): number {
    return this.items.length - this.head
  }

  /** The oldest item, left in place; undefined when empty. */
  get first(): A | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined
  }

  push(item: A): void {
    this.items.push(item)
  }

  /** Takes the oldest item; undefined when empty. */
  shift(): A | undefined {
    if (this.head === this.items.length) return undefined
    const item = this.items[this.head++]
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  /** Takes every item, oldest first. */
  drain(): Array<A> {
    const items = this.items.slice(this.head)
    this.items = []
    this.head = 0
    return items
  }
}
