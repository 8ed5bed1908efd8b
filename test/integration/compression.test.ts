import { describe, expect, it } from 'vitest'
import type { FlipCacheError } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'
import { expiresHashFields } from '../support/server-features.js'

const document = {
  title: 'flipcache',
  body: 'a two-tier cache for Node.js '.repeat(100),
  tags: ['redis', 'lru'],
}

describe('compress', () => {
  const { cache, sharedClient } = useCaches()

  it.each(['gzip', 'deflate', 'brotli'] as const)(
    'values past the threshold are stored compressed (%s) and read back transparently, from L1 and Redis',
    async (algorithm) => {
      const writer = cache<string, typeof document>({ compress: { threshold: 256, algorithm } })
      const reader = cache<string, typeof document>(
        { compress: { threshold: 256, algorithm }, localMax: 0 },
        writer.name,
      )
      await writer.set('doc', document)
      const stored = (await sharedClient().getBuffer(`${writer.name}:doc`)) as Buffer
      expect(stored[0]).toBe(0)
      expect(stored.length).toBeLessThan(JSON.stringify(document).length / 5)
      expect(await writer.get('doc')).toEqual(document)
      expect(await reader.get('doc')).toEqual(document)
      expect(await reader.getMany(['doc', 'missing'])).toEqual([document, undefined])
      const entries: [string, unknown][] = []
      for await (const entry of reader.entries()) entries.push(entry)
      expect(entries).toEqual([['doc', document]])
    },
  )

  it('values at or under the threshold stay raw, so other programs still read them', async () => {
    const items = cache<string, { id: number }>({ compress: { threshold: 1024 } })
    await items.set('small', { id: 1 })
    expect(await sharedClient().get(`${items.name}:small`)).toBe('{"id":1}')
    expect(await items.get('small')).toEqual({ id: 1 })
  })

  it('works with every value type, getOrSet headers included', async () => {
    const text = cache<string, string>({ valueType: 'string', compress: { threshold: 10 }, localMax: 0 })
    await text.set('t', 'é'.repeat(1000))
    expect(await text.get('t')).toBe('é'.repeat(1000))
    const packed = cache<string, unknown>({ valueType: 'msgpack', compress: { threshold: 10 }, localMax: 0 })
    await packed.set('m', new Map([[1, Array(500).fill('same')]]))
    expect(await packed.get('m')).toEqual(new Map([[1, Array(500).fill('same')]]))
    const blobs = cache<string, Buffer>({ valueType: 'bytes', compress: { threshold: 10 }, localMax: 0 })
    await blobs.set('b', Buffer.alloc(4096, 7))
    expect(((await blobs.get('b')) as Buffer).equals(Buffer.alloc(4096, 7))).toBe(true)
    const graced = cache<string, string>({
      valueType: 'string',
      compress: { threshold: 10, algorithm: 'brotli' },
      expireTime: '1m',
      grace: '1h',
      localMax: 0,
    })
    await graced.getOrSet('g', async () => 'x'.repeat(2000))
    const stored = (await sharedClient().getBuffer(`${graced.name}:g`)) as Buffer
    expect(stored[1]).toBe(0x40 | 0x01 | 0x02)
    expect(await graced.get('g')).toBe('x'.repeat(2000))
  })

  it('with hash storage, a bucket field holds the compressed value, with the expiry in its header where the server has no field TTLs, and reads back', async () => {
    const options = {
      keyType: 'int',
      valueType: 'msgpack',
      expireTime: '1h',
      compress: { threshold: 256 },
      storage: { kind: 'hash', bucketSize: 100 },
    } as const
    const writer = cache<number, typeof document>(options)
    const reader = cache<number, typeof document>({ ...options, localMax: 0 }, writer.name)
    await writer.setMany([
      [7, document],
      [8, { ...document, body: 'short' }],
    ])
    const field = (await sharedClient().hgetBuffer(`${writer.name}:b:0`, '7')) as Buffer
    expect(field.length).toBeLessThan(JSON.stringify(document).length / 4)
    const small = (await sharedClient().hgetBuffer(`${writer.name}:b:0`, '8')) as Buffer
    if (await expiresHashFields(sharedClient())) {
      // The expiry is the field's own TTL: the header says compressed (0x02) and nothing else.
      expect([field[0], field[1], field[2]]).toEqual([0, 0x40 | 0x02, 'g'.charCodeAt(0)])
      expect(small[0]).not.toBe(0)
    } else {
      expect([field[0], field[1], field[11]]).toEqual([0, 0x40 | 0x02 | 0x04, 'g'.charCodeAt(0)])
      expect(small[1]).toBe(0x40 | 0x04)
    }
    expect(await reader.getMany([7, 8])).toEqual([document, { ...document, body: 'short' }])
    expect(await reader.ttl(7)).toBeGreaterThan(3_500_000)
  })

  it('a corrupt compressed value is a miss with an E_DECODE error event, never a crash', async () => {
    const items = cache<string, string>({
      valueType: 'string',
      compress: { threshold: 10 },
      valueDefault: 'none',
    })
    const errors: FlipCacheError[] = []
    items.on('error', (error) => errors.push(error))
    await sharedClient().set(
      `${items.name}:bad`,
      Buffer.concat([Buffer.from('\0Bg'), Buffer.from('not gzip data')]),
    )
    expect(await items.get('bad')).toBe('none')
    expect(errors.map((error) => error.code)).toEqual(['E_DECODE'])
  })

  it('the compress option is validated', () => {
    expect(() => cache({ compress: { threshold: -1 } })).toThrow(/compress\.threshold.*-1/)
    expect(() => cache({ compress: { algorithm: 'zstd' as never } })).toThrow(/compress\.algorithm.*'zstd'/)
    expect(() => cache({ compress: { level: 9 } as never })).toThrow(/Unknown `compress` field `level`/)
    expect(() => cache({ compress: true as never })).toThrow(/compress/)
  })
})
