import { spawn } from 'node:child_process'
import { describe, expect, inject, it, vi } from 'vitest'
import { useCaches } from '../support/cache-builder.js'
import { seededRandom, testSeed } from '../support/seeded-random.js'

describe('sync, randomized and across processes', () => {
  const { cache, client } = useCaches()

  it('no instance ever reads a value older than the last write, once the bus has delivered it', async () => {
    const seed = testSeed()
    const random = seededRandom(seed)
    const first = cache<string, string>({ redis: client(), valueType: 'string' })
    const caches = [
      first,
      ...Array.from({ length: 3 }, () =>
        cache<string, string>({ redis: client(), valueType: 'string' }, first.name),
      ),
    ]
    await Promise.all(caches.map((each) => each.ready()))
    const keys = ['a', 'b', 'c', 'd', 'e']
    const truth = new Map<string, string | undefined>()
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T
    for (let step = 0; step < 400; step++) {
      const actor = pick(caches)
      const key = pick(keys)
      const roll = random()
      const context = `seed ${seed} (replay with FLIPCACHE_SEED=${seed}), step ${step}`
      if (roll < 0.5) {
        const expected = truth.get(key)
        expect(await actor.get(key), context).toBe(expected)
        continue
      }
      const others = caches.filter((each) => each !== actor)
      const heard = others.map((each) => each.stats().invalidationsReceived)
      if (roll < 0.85) {
        const value = `v${step}`
        await actor.set(key, value)
        truth.set(key, value)
      } else {
        await actor.delete(key)
        truth.set(key, undefined)
      }
      // Settled: every other instance has received the message of this write.
      await vi.waitFor(
        () => {
          others.forEach((each, index) => {
            expect(each.stats().invalidationsReceived, context).toBeGreaterThan(heard[index] as number)
          })
        },
        { timeout: 5_000, interval: 2 },
      )
    }
  })

  it('a write in another process reaches this process’s L1', async () => {
    const reader = cache<string, string>({ redis: client(), valueType: 'string' })
    await reader.ready()
    await reader.set('k', 'before')
    expect(await reader.get('k')).toBe('before')
    const heard = new Promise<void>((resolve) => reader.once('invalidate', () => resolve()))
    const child = spawn(
      process.execPath,
      [inject('childScripts').sync, inject('redisUrl'), reader.name, 'k', 'after'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    await heard
    expect(reader.peek('k')).toBeUndefined()
    expect(await reader.get('k')).toBe('after')
    expect(await exited).toBe(0)
  }, 20_000)
})
