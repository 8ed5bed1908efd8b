import { describe, expect, it } from 'vitest'
import type { StructureStore } from '../../src/store/structure-keys.js'
import {
  maxDefinitionLength,
  maxStructureFields,
  retryAfterMs,
  revalidateMs,
  StructureRegistry,
} from '../../src/store/structure-registry.js'

/** A registry list as Redis would hold it, with calls held until released and failures on demand. */
class FakeStore implements StructureStore {
  items: string[] = []
  loads = 0
  registers = 0
  failing: Error | undefined
  /** Replies are held while set; `release()` lets them through in order. */
  holding = false
  readonly #held: (() => void)[] = []

  load(limit: number, longest: number): Promise<string[]> {
    this.loads++
    return this.#reply(() =>
      this.items.slice(0, limit + 1).map((item) => (Buffer.byteLength(item) > longest ? '' : item)),
    )
  }

  register(definition: string, base: number, limit: number): Promise<[string, number]> {
    this.registers++
    return this.#reply(() => {
      if (this.items.length === 0) this.items.push(String(base))
      const at = this.items.indexOf(definition, 1)
      if (at >= 1) return [this.items[0] as string, at - 1]
      if (this.items.length - 1 >= limit) return [this.items[0] as string, -1]
      this.items.push(definition)
      return [this.items[0] as string, this.items.length - 2]
    })
  }

  release(): void {
    for (const go of this.#held.splice(0)) go()
  }

  #reply<T>(run: () => T): Promise<T> {
    const failing = this.failing
    const settle = (): Promise<T> =>
      failing === undefined ? Promise.resolve(run()) : Promise.reject(failing)
    if (!this.holding) return settle()
    return new Promise<T>((resolve, reject) => {
      this.#held.push(() => settle().then(resolve, reject))
    })
  }
}

function setUp(limit?: number) {
  const store = new FakeStore()
  let time = 1_000_000
  const reports: unknown[] = []
  const registry = new StructureRegistry(
    store,
    { now: () => time, report: (error) => reports.push(error) },
    limit,
  )
  return {
    store,
    registry,
    reports,
    advance(ms: number) {
      time += ms
    },
  }
}

/** Lets the fake store's settled promises run their callbacks. */
const settled = () => new Promise((resolve) => setImmediate(resolve))

describe('StructureRegistry', () => {
  it('has no id for a new shape at first, registers it in the background and then has one', async () => {
    const { store, registry } = setUp()
    expect(registry.idOf(['id', 'name'])).toBeUndefined()
    expect(registry.idOf(['id', 'name'])).toBeUndefined()
    await settled()
    // One registration, however often the shape was asked for while it was out.
    expect(store.registers).toBe(1)
    const id = registry.idOf(['id', 'name'])
    expect(id).toBeTypeOf('number')
    expect(registry.fieldsOf(id as number)).toEqual(['id', 'name'])
    const base = Number(store.items[0])
    expect(id).toBe(base)
    expect(store.items).toEqual([String(base), '["id","name"]'])
  })

  it('gives ids (base + index) mod 65536 in registration order, as another process reads them', async () => {
    const { store, registry } = setUp()
    store.items = ['65535', '["a"]', '["b"]']
    await registry.reload()
    expect(registry.idOf(['a'])).toBe(65535)
    expect(registry.idOf(['b'])).toBe(0)
    expect(registry.fieldsOf(0)).toEqual(['b'])
    registry.idOf(['c'])
    await settled()
    expect(registry.idOf(['c'])).toBe(1)
  })

  it('never hands out an id before Redis replied to its registration', async () => {
    const { store, registry } = setUp()
    store.holding = true
    registry.idOf(['x'])
    await settled()
    expect(registry.idOf(['x'])).toBeUndefined()
    store.release()
    await settled()
    expect(registry.idOf(['x'])).toBeTypeOf('number')
  })

  it('stops registering at the bound: the shape past it has no id and costs no more calls', async () => {
    const { store, registry } = setUp(2)
    registry.idOf(['a'])
    registry.idOf(['b'])
    registry.idOf(['c'])
    await settled()
    expect(store.registers).toBe(2)
    // A shape registered meanwhile by another process fills the list: the next reply says full.
    store.items.push('["other"]')
    const fresh = setUp(2)
    fresh.store.items = store.items
    fresh.registry.idOf(['d'])
    await settled()
    expect(fresh.registry.idOf(['d'])).toBeUndefined()
    fresh.registry.idOf(['e'])
    await settled()
    expect(fresh.store.registers).toBe(1)
  })

  it('refuses shapes it could not read back: too many fields, a definition too long', async () => {
    const { store, registry } = setUp()
    const wide = Array.from({ length: maxStructureFields + 1 }, (_, index) => `f${index}`)
    expect(registry.idOf(wide)).toBeUndefined()
    expect(registry.idOf(['é'.repeat(maxDefinitionLength / 2)])).toBeUndefined()
    expect(registry.idOf([])).toBeUndefined()
    await settled()
    expect(store.registers).toBe(0)
  })

  it('skips corrupt definitions (their ids stay unknown) and keeps the rest', async () => {
    const { store, registry } = setUp()
    store.items = ['10', 'not json', '["a","a"]', '[1]', '["a" ]', '', '["ok"]']
    await registry.reload()
    for (const id of [10, 11, 12, 13, 14]) expect(registry.fieldsOf(id)).toBeUndefined()
    expect(registry.fieldsOf(15)).toEqual(['ok'])
  })

  it('a corrupt base makes every id unknown and writes nothing of it, asked again only now and then', async () => {
    const { store, registry, reports, advance } = setUp()
    store.items = ['-1', '["a"]']
    await registry.reload()
    expect(registry.fieldsOf(0)).toBeUndefined()
    expect(registry.idOf(['a'])).toBeUndefined()
    await settled()
    expect(registry.idOf(['a'])).toBeUndefined()
    expect(registry.idOf(['a'])).toBeUndefined()
    await settled()
    expect(store.registers).toBe(1)
    expect(reports).toHaveLength(1)
    advance(revalidateMs + 1)
    registry.idOf(['a'])
    await settled()
    expect(store.registers).toBe(2)
  })

  it('a registry created anew (another base) replaces everything known of the old one', async () => {
    const { store, registry, advance } = setUp()
    store.items = ['100', '["a"]']
    await registry.reload()
    expect(registry.idOf(['a'])).toBe(100)
    // Deleted and created again by another process, with another base and order.
    store.items = ['7', '["b"]', '["a"]']
    advance(revalidateMs + 1)
    // The write past the revalidation period still uses what it knows, and loads in the background.
    expect(registry.idOf(['a'])).toBe(100)
    await settled()
    expect(registry.idOf(['a'])).toBe(8)
    expect(registry.fieldsOf(100)).toBeUndefined()
    expect(registry.fieldsOf(7)).toEqual(['b'])
  })

  it('a registry that is gone makes every id unknown until a shape is registered again', async () => {
    const { store, registry } = setUp()
    store.items = ['100', '["a"]']
    await registry.reload()
    store.items = []
    await registry.reload()
    expect(registry.fieldsOf(100)).toBeUndefined()
    expect(registry.idOf(['a'])).toBeUndefined()
    await settled()
    expect(registry.idOf(['a'])).toBe(Number(store.items[0]))
  })

  it('a registry deleted behind a writer is created anew with ids apart from the old ones', async () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const { store, registry } = setUp(4)
      const oldBase = 65_534
      store.items = [String(oldBase), '["a"]', '["b"]']
      await registry.reload()
      expect(registry.idOf(['a'])).toBe(oldBase)
      // Deleted (or evicted); this writer registers the next shape before it loads again.
      store.items = []
      registry.idOf(['c'])
      await settled()
      const newBase = Number(store.items[0])
      expect(registry.fieldsOf(oldBase)).toBeUndefined()
      expect(registry.fieldsOf((oldBase + 1) % 0x10000)).toBeUndefined()
      const id = registry.idOf(['c'])
      expect(id).toBe(newBase)
      // The new registry's ids (base .. base + 3, mod 65536) miss the old ones (65534 .. 65537 mod 65536).
      const oldIds = new Set([0, 1, 2, 3].map((index) => (oldBase + index) % 0x10000))
      for (const index of [0, 1, 2, 3]) expect(oldIds.has((newBase + index) % 0x10000)).toBe(false)
    }
  })

  it('an id that Redis says holds another structure than the one known here drops what is known and loads afresh', async () => {
    const { store, registry } = setUp()
    store.items = ['100', '["a"]']
    await registry.reload()
    // Replaced under the same base (by hand, or by a 1-in-65,536 draw): index 0 is now another structure.
    store.items = ['100', '["z"]']
    await registry.reload()
    await settled()
    expect(registry.fieldsOf(100)).toEqual(['z'])
    expect(registry.idOf(['z'])).toBe(100)
  })

  it('a failed registration is reported, writes stay plain, and no shape is tried again for a second', async () => {
    const { store, registry, reports, advance } = setUp()
    await registry.reload()
    store.failing = new Error('down')
    expect(registry.idOf(['a'])).toBeUndefined()
    await settled()
    expect(reports).toEqual([store.failing])
    expect(registry.idOf(['a'])).toBeUndefined()
    expect(registry.idOf(['b'])).toBeUndefined()
    await settled()
    expect(store.registers).toBe(1)
    store.failing = undefined
    advance(retryAfterMs)
    registry.idOf(['a'])
    await settled()
    expect(registry.idOf(['a'])).toBeTypeOf('number')
  })

  it('reload coalesces: one load out and at most one more waiting, whatever the number of callers', async () => {
    const { store, registry } = setUp()
    store.holding = true
    const first = registry.reload()
    const waiting = [registry.reload(), registry.reload(), registry.reload()]
    expect(store.loads).toBe(1)
    store.items = ['5', '["late"]']
    store.release()
    await first
    await settled()
    // The waiting callers may have missed a structure registered after the first load began: one more load.
    expect(store.loads).toBe(2)
    store.release()
    await Promise.all(waiting)
    expect(registry.fieldsOf(5)).toEqual(['late'])
    expect(store.loads).toBe(2)
  })

  it('a write loads the registry in the background at most once per period, failing or not', async () => {
    const { store, registry, reports, advance } = setUp()
    store.failing = new Error('down')
    registry.idOf(['a'])
    await settled()
    registry.idOf(['a'])
    registry.idOf(['b'])
    await settled()
    expect(store.loads).toBe(1)
    expect(reports.filter((error) => error === store.failing).length).toBeGreaterThanOrEqual(1)
    advance(revalidateMs)
    registry.idOf(['a'])
    await settled()
    expect(store.loads).toBe(2)
  })

  it('a failed reload rejects its callers and the next one loads again', async () => {
    const { store, registry } = setUp()
    store.failing = new Error('down')
    await expect(registry.reload()).rejects.toThrow('down')
    store.failing = undefined
    store.items = ['1', '["a"]']
    await registry.reload()
    expect(registry.fieldsOf(1)).toEqual(['a'])
  })
})
