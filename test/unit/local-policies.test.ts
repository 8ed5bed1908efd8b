import { describe, expect, it } from 'vitest'
import { FrequencySketch } from '../../src/local/frequency-sketch.js'
import type { LocalPolicy, LocalPolicyName, PolicyBounds } from '../../src/local/local-policy.js'
import { LocalTier } from '../../src/local/local-tier.js'
import { LruPolicy } from '../../src/local/lru-policy.js'
import { hashKey } from '../../src/local/policy-list.js'
import { S3FifoPolicy } from '../../src/local/s3fifo-policy.js'
import { TinyLfuPolicy } from '../../src/local/tinylfu-policy.js'
import { seededRandom } from '../support/seeded-random.js'

/** A policy of `name` with its bounds, and the keys it reported evicted, in order. */
function policyOf(name: LocalPolicyName, maxEntries: number, maxBytes = Number.POSITIVE_INFINITY) {
  const evicted: string[] = []
  const bounds: PolicyBounds = { maxEntries, maxBytes, onEvict: (key) => evicted.push(key) }
  const policy: LocalPolicy<string> =
    name === 'tinylfu'
      ? new TinyLfuPolicy(bounds)
      : name === 's3fifo'
        ? new S3FifoPolicy(bounds)
        : new LruPolicy(bounds)
  return { policy, evicted }
}

const names: LocalPolicyName[] = ['lru', 'tinylfu', 's3fifo']

describe.each(names)('local policy %s', (name) => {
  it('get, peek, has, keys, delete and clear see what set kept', () => {
    const { policy, evicted } = policyOf(name, 10)
    policy.set('a', 'A', 3)
    policy.set('b', 'B', 4)
    expect(policy.get('a')).toBe('A')
    expect(policy.peek('b')).toBe('B')
    expect(policy.has('b')).toBe(true)
    expect(policy.has('c')).toBe(false)
    expect(policy.get('c')).toBeUndefined()
    expect([...policy.keys()].sort()).toEqual(['a', 'b'])
    expect(policy.size).toBe(2)
    expect(policy.bytes).toBe(7)
    expect(policy.delete('a')).toBe(true)
    expect(policy.delete('a')).toBe(false)
    expect(policy.bytes).toBe(4)
    policy.clear()
    expect(policy.size).toBe(0)
    expect(policy.bytes).toBe(0)
    expect(policy.get('b')).toBeUndefined()
    expect(evicted).toEqual([])
  })

  it('a replaced value takes its new byte count, and no eviction is reported for it', () => {
    const { policy, evicted } = policyOf(name, 10, 100)
    policy.set('a', 'A', 30)
    policy.set('a', 'A2', 50)
    expect(policy.get('a')).toBe('A2')
    expect(policy.bytes).toBe(50)
    expect(policy.size).toBe(1)
    expect(evicted).toEqual([])
  })

  it('a value longer than maxBytes is not kept, and the old value of its key goes (not reported as an eviction)', () => {
    const { policy, evicted } = policyOf(name, 10, 100)
    policy.set('small', 's', 40)
    policy.set('big', 'b', 101)
    expect(policy.has('big')).toBe(false)
    policy.set('small', 'too big now', 150)
    expect(policy.has('small')).toBe(false)
    expect(policy.size).toBe(0)
    expect(policy.bytes).toBe(0)
    expect(evicted).toEqual([])
    // Exactly maxBytes fits.
    policy.set('exact', 'e', 100)
    expect(policy.get('exact')).toBe('e')
  })

  it.each([1, 2, 7, 100])(
    'stays within %i entries and the byte bound over 5,000 seeded writes and reads, reporting exactly the entries it drops',
    (maxEntries) => {
      const maxBytes = 1_000
      const { policy, evicted } = policyOf(name, maxEntries, maxBytes)
      const held = new Map<string, number>()
      const random = seededRandom(maxEntries * 7919)
      let reported = 0
      for (let step = 0; step < 5_000; step++) {
        const key = `k${Math.floor(random() * 300)}`
        if (random() < 0.5) {
          policy.get(key)
          continue
        }
        if (random() < 0.05) {
          policy.delete(key)
          held.delete(key)
          continue
        }
        const bytes = 1 + Math.floor(random() * (random() < 0.1 ? 1_200 : 150))
        if (bytes > maxBytes) held.delete(key)
        else held.set(key, bytes)
        policy.set(key, key, bytes)
        for (; reported < evicted.length; reported++) held.delete(evicted[reported] as string)
        // The entry just written is kept whenever it fits.
        if (bytes <= maxBytes) expect(policy.peek(key)).toBe(key)
        expect(policy.size).toBeLessThanOrEqual(maxEntries)
        expect(policy.bytes).toBeLessThanOrEqual(maxBytes)
        expect(policy.size).toBe(held.size)
        expect(policy.bytes).toBe([...held.values()].reduce((sum, size) => sum + size, 0))
      }
      expect([...policy.keys()].sort()).toEqual([...held.keys()].sort())
      expect(evicted.length).toBeGreaterThan(0)
    },
  )

  it('evicts for bytes with room left in entries', () => {
    const { policy, evicted } = policyOf(name, 1_000, 100)
    for (let index = 0; index < 10; index++) policy.set(`k${index}`, 'v', 30)
    expect(policy.bytes).toBeLessThanOrEqual(100)
    expect(policy.size).toBeLessThanOrEqual(3)
    expect(evicted.length).toBe(10 - policy.size)
    expect(policy.has('k9')).toBe(true)
  })
})

describe('lru policy', () => {
  it('drops the least recently used entry; get refreshes an entry, peek and has do not', () => {
    const { policy, evicted } = policyOf('lru', 3)
    policy.set('a', 'A', 1)
    policy.set('b', 'B', 1)
    policy.set('c', 'C', 1)
    policy.get('a')
    policy.peek('b')
    policy.has('b')
    policy.set('d', 'D', 1)
    expect(evicted).toEqual(['b'])
    policy.set('e', 'E', 1)
    expect(evicted).toEqual(['b', 'c'])
    expect([...policy.keys()].sort()).toEqual(['a', 'd', 'e'])
  })

  it('a write of a held key refreshes it', () => {
    const { policy, evicted } = policyOf('lru', 2)
    policy.set('a', 'A', 1)
    policy.set('b', 'B', 1)
    policy.set('a', 'A2', 1)
    policy.set('c', 'C', 1)
    expect(evicted).toEqual(['b'])
  })

  it('makes room for bytes from the oldest end', () => {
    const { policy, evicted } = policyOf('lru', 10, 100)
    policy.set('a', 'A', 40)
    policy.set('b', 'B', 40)
    policy.get('a')
    policy.set('c', 'C', 40)
    expect(evicted).toEqual(['b'])
    policy.set('d', 'D', 90)
    expect(evicted).toEqual(['b', 'a', 'c'])
    expect([...policy.keys()]).toEqual(['d'])
  })
})

describe('tinylfu policy', () => {
  /** A TinyLFU of 100 entries (window 1, probation up to 99, protected up to 79) holding k0..k99. */
  function filled() {
    const made = policyOf('tinylfu', 100)
    for (let index = 0; index < 100; index++) made.policy.set(`k${index}`, `v${index}`, 1)
    return { ...made, policy: made.policy as TinyLfuPolicy<string> }
  }

  it('a new key enters the window; the window pushes its oldest to probation while the main space has room', () => {
    const { policy, evicted } = filled()
    expect(policy.segmentOf('k99')).toBe('window')
    expect(policy.segmentOf('k0')).toBe('probation')
    expect(evicted).toEqual([])
  })

  it('a probation entry hit again is promoted to protected; past protected’s share, its oldest goes back to probation', () => {
    const { policy } = filled()
    policy.get('k5')
    expect(policy.segmentOf('k5')).toBe('protected')
    for (let index = 10; index < 90; index++) policy.get(`k${index}`)
    // 81 promoted, 79 fit: the two promoted first (k5, k10) are demoted.
    expect(policy.segmentOf('k5')).toBe('probation')
    expect(policy.segmentOf('k10')).toBe('probation')
    expect(policy.segmentOf('k11')).toBe('protected')
  })

  it('refuses a window candidate seen no more often than the victim: it is the one evicted', () => {
    const { policy, evicted } = filled()
    policy.set('new', 'n', 1)
    // k99 (seen once) against probation's oldest k0 (seen once): a tie keeps k0.
    expect(evicted).toEqual(['k99'])
    expect(policy.has('k0')).toBe(true)
    expect(policy.segmentOf('new')).toBe('window')
  })

  it('admits a window candidate seen more often than the victim, which goes', () => {
    const { policy, evicted } = filled()
    policy.set('hot', 'h', 1)
    for (let hit = 0; hit < 3; hit++) policy.get('hot')
    expect(policy.frequencyOf('hot')).toBeGreaterThan(policy.frequencyOf('k0'))
    policy.set('next', 'x', 1)
    expect(evicted).toEqual(['k99', 'k0'])
    expect(policy.segmentOf('hot')).toBe('probation')
  })

  it('keeps keys read often through a scan of 10,000 one-off keys, which an LRU would lose', () => {
    const { policy } = filled()
    const lru = policyOf('lru', 100).policy
    for (let index = 0; index < 100; index++) lru.set(`k${index}`, `v${index}`, 1)
    for (let round = 0; round < 3; round++) {
      for (let index = 0; index < 50; index++) {
        policy.get(`k${index}`)
        lru.get(`k${index}`)
      }
    }
    for (let index = 0; index < 10_000; index++) {
      policy.set(`scan${index}`, 's', 1)
      lru.set(`scan${index}`, 's', 1)
    }
    for (let index = 0; index < 50; index++) expect(policy.get(`k${index}`)).toBe(`v${index}`)
    expect([...lru.keys()].filter((key) => key.startsWith('k'))).toEqual([])
    expect(policy.size).toBe(100)
  })
})

describe('frequency sketch', () => {
  it('records how often a key was seen, raising only the counters below it, and estimates 0 for keys never recorded', () => {
    const sketch = new FrequencySketch(1_000)
    const hot = hashKey('hot')
    sketch.record(hot, 5)
    sketch.record(hashKey('cold'), 1)
    expect(sketch.frequency(hot)).toBe(5)
    expect(sketch.frequency(hashKey('cold'))).toBe(1)
    expect(sketch.frequency(hashKey('never'))).toBe(0)
    // A lower count does not lower it.
    sketch.record(hot, 2)
    expect(sketch.frequency(hot)).toBe(5)
    sketch.record(hot, 15)
    expect(sketch.frequency(hot)).toBe(15)
  })

  it('halve ages every counter', () => {
    const sketch = new FrequencySketch(100)
    sketch.record(hashKey('a'), 15)
    sketch.record(hashKey('b'), 1)
    sketch.halve()
    expect(sketch.frequency(hashKey('a'))).toBe(7)
    expect(sketch.frequency(hashKey('b'))).toBe(0)
  })

  it('starts sized for few entries and doubles its table as the entries held grow, up to the bound', () => {
    const sketch = new FrequencySketch(2 ** 24, 1024)
    expect(sketch.capacity).toBe(1024)
    expect(sketch.grow(1024)).toBe(false)
    expect(sketch.grow(1025)).toBe(true)
    expect(sketch.capacity).toBe(2048)
    sketch.grow(10_000)
    expect(sketch.capacity).toBe(10_000)
    sketch.grow(2 ** 25)
    expect(sketch.capacity).toBe(2 ** 24)
    expect(sketch.grow(2 ** 25)).toBe(false)
    // A grown table counts afresh.
    sketch.record(hashKey('a'), 3)
    expect(sketch.frequency(hashKey('a'))).toBe(3)
  })

  it('clear forgets every count', () => {
    const sketch = new FrequencySketch(100)
    sketch.record(hashKey('a'), 4)
    sketch.clear()
    expect(sketch.frequency(hashKey('a'))).toBe(0)
  })
})

describe('tinylfu counts', () => {
  function tiny(maxEntries: number) {
    return new TinyLfuPolicy<string>({ maxEntries, maxBytes: Number.POSITIVE_INFINITY, onEvict: undefined })
  }

  it('counts each use of a held key on its entry, up to 15', () => {
    const policy = tiny(100)
    policy.set('a', 'v', 1)
    expect(policy.frequencyOf('a')).toBe(1)
    for (let hit = 0; hit < 4; hit++) policy.get('a')
    expect(policy.frequencyOf('a')).toBe(5)
    // peek and has are no use.
    policy.peek('a')
    policy.has('a')
    expect(policy.frequencyOf('a')).toBe(5)
    for (let hit = 0; hit < 20; hit++) policy.get('a')
    expect(policy.frequencyOf('a')).toBe(15)
  })

  it('halves the counts every 10 × capacity uses, the entries’ by the periods they missed', () => {
    // 10 entries: a period of 100 uses (the sketch is sized for them all at once).
    const policy = tiny(10)
    policy.set('hot', 'v', 1)
    for (let hit = 0; hit < 14; hit++) policy.get('hot')
    expect(policy.frequencyOf('hot')).toBe(15)
    // 85 more uses end the first period: hot is worth 7 after it.
    for (let hit = 0; hit < 85; hit++) policy.get('hot')
    policy.set('other', 'v', 1)
    for (let hit = 0; hit < 85; hit++) policy.get('other')
    expect(policy.frequencyOf('hot')).toBe(7)
    // Two periods more without a use: 7 -> 1.
    for (let hit = 0; hit < 200; hit++) policy.get('other')
    expect(policy.frequencyOf('hot')).toBe(1)
  })

  it('remembers the count of a key it let go, and a key coming back starts from it', () => {
    const evicted: string[] = []
    const policy = new TinyLfuPolicy<string>({
      maxEntries: 100,
      maxBytes: Number.POSITIVE_INFINITY,
      onEvict: (key) => evicted.push(key),
    })
    policy.set('a', 'v', 1)
    for (let hit = 0; hit < 5; hit++) policy.get('a')
    policy.delete('a')
    expect(policy.has('a')).toBe(false)
    expect(policy.frequencyOf('a')).toBe(6)
    policy.set('a', 'v', 1)
    expect(policy.frequencyOf('a')).toBe(7)
  })
})

describe('s3fifo policy', () => {
  it('lets a key read at most once leave from the small FIFO, and moves one read twice to main', () => {
    const made = policyOf('s3fifo', 10)
    const policy = made.policy as S3FifoPolicy<string>
    for (let index = 0; index < 10; index++) policy.set(`k${index}`, 'v', 1)
    policy.get('k0')
    policy.get('k0')
    policy.get('k1')
    policy.set('k10', 'v', 1)
    // k0 (read twice) moved to main; k1 (read once) went.
    expect(policy.queueOf('k0')).toBe('main')
    expect(made.evicted).toEqual(['k1'])
  })

  it('a key let go recently (in the ghost) comes back straight into main', () => {
    const made = policyOf('s3fifo', 10)
    const policy = made.policy as S3FifoPolicy<string>
    for (let index = 0; index < 11; index++) policy.set(`k${index}`, 'v', 1)
    expect(made.evicted).toEqual(['k0'])
    policy.set('k0', 'again', 1)
    expect(policy.queueOf('k0')).toBe('main')
    expect(policy.queueOf('k10')).toBe('small')
  })

  it('main gives an entry read since it last came up another round, and drops one that was not', () => {
    const made = policyOf('s3fifo', 10)
    const policy = made.policy as S3FifoPolicy<string>
    for (let index = 0; index < 10; index++) {
      policy.set(`k${index}`, 'v', 1)
      policy.get(`k${index}`)
      policy.get(`k${index}`)
    }
    // Each read twice: making room moves them all to main (their reads forgotten), whose oldest goes.
    policy.set('k10', 'v', 1)
    expect(made.evicted).toEqual(['k0'])
    expect(policy.queueOf('k1')).toBe('main')
    policy.get('k1')
    policy.get('k11')
    policy.set('k11', 'v', 1)
    // Small's k10 (never read) left for k11.
    expect(made.evicted).toEqual(['k0', 'k10'])
    policy.get('k11')
    policy.get('k11')
    policy.set('k12', 'v', 1)
    // k11 moves to main; main's oldest, k1, was read: it goes round again, and k2 goes.
    expect(made.evicted).toEqual(['k0', 'k10', 'k2'])
    expect(policy.has('k1')).toBe(true)
    expect(policy.queueOf('k11')).toBe('main')
  })
})

describe('LocalTier with a policy and maxBytes', () => {
  it.each(names)(
    '%s: bounds L1 by the bytes each fill reports, dropping for room and refusing an oversize value',
    (policy) => {
      const evicted: string[] = []
      const tier = new LocalTier<string>(100, 60_000, (key) => evicted.push(key), { policy, maxBytes: 1_000 })
      for (let index = 0; index < 30; index++) tier.set(`k${index}`, 'v', 0, 1_000, undefined, undefined, 100)
      expect(tier.size).toBeLessThanOrEqual(10)
      expect(tier.bytes).toBeLessThanOrEqual(1_000)
      expect(evicted.length).toBe(30 - tier.size)
      expect(tier.get('k29', 1)?.value).toBe('v')
      tier.set('huge', 'v', 0, 1_000, undefined, undefined, 1_001)
      expect(tier.has('huge')).toBe(false)
      expect(evicted.length).toBe(30 - tier.size)
    },
  )

  it('takes no byte bound unless given one, and counts the bytes still', () => {
    const tier = new LocalTier<string>(10, 60_000)
    tier.set('a', 'v', 0, 1_000, undefined, undefined, 5_000_000)
    expect(tier.get('a', 1)?.value).toBe('v')
    expect(tier.bytes).toBe(5_000_000)
  })

  it('an untrusted or expired fill is not kept and drops the old copy, reported as no eviction', () => {
    const evicted: string[] = []
    const tier = new LocalTier<string>(10, 60_000, (key) => evicted.push(key), {
      policy: 'tinylfu',
      maxBytes: 100,
    })
    tier.set('a', 'v', 0, 1_000, undefined, undefined, 10)
    tier.set('a', 'v2', 2_000, 1_000, undefined, undefined, 10)
    expect(tier.has('a')).toBe(false)
    tier.set('b', 'v', 0, 1_000, undefined, undefined, 10)
    tier.trust(false)
    tier.set('b', 'v2', 0, 1_000, undefined, undefined, 10)
    expect(tier.has('b')).toBe(false)
    expect(tier.bytes).toBe(0)
    expect(evicted).toEqual([])
  })
})
