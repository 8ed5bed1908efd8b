import { describe, expect, it } from 'vitest'
import { useCaches } from '../support/cache-builder.js'

describe('smoke', () => {
  const { cache, sharedClient } = useCaches()
  it('set() then get() round-trips through Redis', async () => {
    const users = cache<number, { name: string; joined: Date }>({ keyType: 'int' })
    await users.set(15, { name: 'Ada', joined: new Date(0) })
    expect(await users.get(15)).toEqual({ name: 'Ada', joined: new Date(0) })
    expect(await users.get('15' as unknown as number)).toEqual({ name: 'Ada', joined: new Date(0) })
    expect(await sharedClient().get(`${users.name}:15`)).toBe(
      '{"json":{"name":"Ada","joined":"1970-01-01T00:00:00.000Z"},"meta":{"values":{"joined":["Date"]},"v":1}}',
    )
    expect(users.stats()).toMatchObject({ localHits: 2, sets: 1 })
  })
})
