/**
 * The hash tables both LSH indexes keep: one table per band (MinHash) or per
 * hyperplane group, each mapping a 32-bit key to the ids filed under it. An
 * id is filed under one key per table; two ids are candidates when they
 * share a key in any table.
 */
export class Buckets<Id> {
  private readonly tables: Array<Map<number, Array<Id>>>
  private readonly keysById = new Map<Id, Uint32Array>()

  constructor(readonly count: number) {
    this.tables = Array.from({ length: count }, () => new Map<number, Array<Id>>())
  }

  get size(): number {
    return this.keysById.size
  }

  /** Files `id` under `keys` (one per table); filing an id again replaces its keys. */
  insert(id: Id, keys: Uint32Array): void {
    if (this.keysById.has(id)) this.remove(id)
    this.keysById.set(id, keys)
    for (let table = 0; table < this.count; table++) {
      const tableMap = this.tables[table]!
      const bucket = tableMap.get(keys[table]!)
      if (bucket === undefined) tableMap.set(keys[table]!, [id])
      else bucket.push(id)
    }
  }

  /** Forgets `id`; an unknown id is ignored. */
  remove(id: Id): void {
    const keys = this.keysById.get(id)
    if (keys === undefined) return
    this.keysById.delete(id)
    for (let table = 0; table < this.count; table++) {
      const tableMap = this.tables[table]!
      const bucket = tableMap.get(keys[table]!)
      if (bucket === undefined) continue
      const index = bucket.indexOf(id)
      if (index < 0) continue
      bucket[index] = bucket[bucket.length - 1]!
      bucket.pop()
      if (bucket.length === 0) tableMap.delete(keys[table]!)
    }
  }

  /** Ids sharing at least one table's key with `keys`. */
  candidates(keys: Uint32Array): Set<Id> {
    const found = new Set<Id>()
    for (let table = 0; table < this.count; table++) {
      const bucket = this.tables[table]!.get(keys[table]!)
      if (bucket !== undefined) for (const id of bucket) found.add(id)
    }
    return found
  }
}
