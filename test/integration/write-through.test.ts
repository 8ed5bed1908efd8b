import { Redis } from 'ioredis'
import { describe, expect, it, vi } from 'vitest'
import { FlipCache } from '../../src/index.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'
import { useOwnServer } from '../support/own-server.js'
import { patience } from '../support/patience.js'

/** A source of truth in memory that records the calls it got, and can be told to refuse. */
function memorySource() {
  const rows = new Map<string, string>()
  const calls: string[] = []
  let refusal: Error | undefined
  return {
    rows,
    calls,
    refuse(error: Error | undefined) {
      refusal = error
    },
    write: async (entries: [string, string][]) => {
      calls.push(`write ${entries.map(([key, value]) => `${key}=${value}`).join(',')}`)
      if (refusal !== undefined) throw refusal
      for (const [key, value] of entries) rows.set(key, value)
    },
    delete: async (keys: string[]) => {
      calls.push(`delete ${keys.join(',')}`)
      if (refusal !== undefined) throw refusal
      for (const key of keys) rows.delete(key)
    },
  }
}

describe('writeThrough', () => {
  const { cache, sharedClient } = useCaches()

  it('writes the source, then Redis and L1; setMany is one source call, delete and deleteMany too', async () => {
    const source = memorySource()
    const users = cache<string, string>({ valueType: 'string', writeThrough: source })
    await users.set('a', '1')
    await users.setMany([
      ['b', '2'],
      ['c', '3'],
    ])
    expect(await sharedClient().mget(`${users.name}:a`, `${users.name}:b`)).toEqual(['1', '2'])
    expect(users.peek('c')).toBe('3')
    expect(await users.delete('a')).toBe(true)
    expect(await users.deleteMany(['b', 'c', 'b'])).toBe(2)
    expect(source.calls).toEqual(['write a=1', 'write b=2,c=3', 'delete a', 'delete b,c'])
    expect(source.rows.size).toBe(0)
    expect(await sharedClient().exists(`${users.name}:a`, `${users.name}:b`)).toBe(0)
  })

  it('a write the source rejects reaches no cache: the call rejects, Redis and every L1 keep the old value', async () => {
    const source = memorySource()
    const writer = cache<string, string>({ valueType: 'string', writeThrough: source })
    const reader = cache<string, string>({ valueType: 'string' }, writer.name)
    await reader.ready()
    // The reader hears of the first write before it reads (else that notice could drop its copy later).
    const heard = new Promise((resolve) => reader.once('invalidate', resolve))
    await writer.set('a', 'old')
    await heard
    expect(await reader.get('a')).toBe('old')
    source.refuse(new Error('constraint violated'))
    await expect(writer.set('a', 'new')).rejects.toThrow('constraint violated')
    await expect(writer.delete('a')).rejects.toThrow('constraint violated')
    expect(await sharedClient().get(`${writer.name}:a`)).toBe('old')
    expect(await writer.get('a')).toBe('old')
    expect(reader.peek('a')).toBe('old')
    expect(source.rows.get('a')).toBe('old')
  })

  it("keeps one instance's writes of a key in order, however long the source takes for each", async () => {
    const rows = new Map<string, string>()
    const users = cache<string, string>({
      valueType: 'string',
      writeThrough: {
        write: async (entries) => {
          // The first write is the slowest: without ordering it would land last.
          await new Promise((resolve) => setTimeout(resolve, entries[0]?.[1] === '1' ? 50 : 1))
          for (const [key, value] of entries) rows.set(key, value)
        },
        delete: () => {},
      },
    })
    await Promise.all([users.set('a', '1'), users.set('a', '2'), users.set('a', '3')])
    expect(rows.get('a')).toBe('3')
    expect(await sharedClient().get(`${users.name}:a`)).toBe('3')
    expect(await users.get('a')).toBe('3')
  })

  it('getOrSet loads (values from the source) are not written back', async () => {
    const source = memorySource()
    const users = cache<string, string>({ valueType: 'string', writeThrough: source })
    expect(await users.getOrSet('a', () => 'loaded')).toBe('loaded')
    expect(source.calls).toEqual([])
  })
})

describe('writeThrough when Redis fails after the source took the write', () => {
  const own = useOwnServer()

  it('removes the key from Redis and from other instances’ L1, and rejects', async () => {
    // A client whose user may not SET: the source takes the write, Redis refuses it.
    await own.admin.call('ACL', 'SETUSER', 'nowrite', 'on', 'nopass', '~*', '&*', '+@all', '-set')
    const name = uniqueName()
    const good = new Redis(own.server.url)
    const refused = new Redis(own.server.url, { username: 'nowrite' })
    const source = memorySource()
    const reader = new FlipCache<string, string>(name, { redis: good, valueType: 'string' })
    const writer = new FlipCache<string, string>(name, {
      redis: refused,
      valueType: 'string',
      writeThrough: source,
    })
    try {
      await own.admin.set(`${name}:a`, 'old')
      expect(await reader.get('a')).toBe('old')
      await reader.ready()
      await writer.ready()
      await expect(writer.set('a', 'new')).rejects.toMatchObject({ code: 'E_REDIS' })
      expect(source.rows.get('a')).toBe('new')
      // Neither the new value (Redis refused it) nor the old one (the source no longer has it).
      expect(await own.admin.exists(`${name}:a`)).toBe(0)
      await vi.waitFor(() => expect(reader.peek('a')).toBeUndefined(), patience)
      expect(await reader.get('a')).toBeUndefined()
      expect(writer.peek('a')).toBeUndefined()
    } finally {
      await Promise.all([reader.close(), writer.close()])
      good.disconnect()
      refused.disconnect()
    }
  })
})
