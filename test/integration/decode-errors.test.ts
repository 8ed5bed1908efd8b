import { describe, expect, it, vi } from 'vitest'
import { DecodeError, type FlipCacheError } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'

describe('FlipCache undecodable data', () => {
  const { cache, sharedClient } = useCaches()

  it('get() treats a stored value that does not decode as a miss, counts it and reports E_DECODE', async () => {
    const counts = cache<string, number>({ valueType: 'int', valueDefault: -1 })
    const errors: FlipCacheError[] = []
    counts.on('error', (error) => errors.push(error))
    await sharedClient().set(`${counts.name}:a`, 'not a number')
    expect(await counts.get('a')).toBe(-1)
    expect(counts.peek('a')).toBeUndefined()
    expect(counts.stats()).toMatchObject({ misses: 1, errors: 1, remoteHits: 0 })
    expect(errors).toHaveLength(1)
    const [error] = errors
    expect(error).toBeInstanceOf(DecodeError)
    expect(error).toMatchObject({ code: 'E_DECODE', key: `${counts.name}:a` })
    expect(error?.cause).toBeInstanceOf(Error)
    // The data belongs to whoever wrote it: flipcache does not delete it.
    expect(await sharedClient().get(`${counts.name}:a`)).toBe('not a number')
  })

  it('getMany() and entries() skip undecodable values and report each', async () => {
    const docs = cache<string, unknown>({ valueType: 'json' })
    const errors: FlipCacheError[] = []
    docs.on('error', (error) => errors.push(error))
    await sharedClient().mset(`${docs.name}:good`, '{"ok":true}', `${docs.name}:bad`, '{oops')
    expect(await docs.getMany(['good', 'bad'])).toEqual([{ ok: true }, undefined])
    const entries: [string, unknown][] = []
    for await (const entry of docs.entries()) entries.push(entry)
    expect(entries).toEqual([['good', { ok: true }]])
    // The second failure of the same key within 1 s is coalesced: reported when the second is over.
    await vi.waitFor(() => expect(errors.map((error) => error.code)).toEqual(['E_DECODE', 'E_DECODE']), {
      timeout: 3_000,
    })
    expect(errors.map((error) => error.key)).toEqual([`${docs.name}:bad`, `${docs.name}:bad`])
    expect(errors.map((error) => error.operation)).toEqual(['read', 'scan'])
  })

  it('corrupt msgpack and superjson data are misses, never crashes', async () => {
    const packed = cache<string, unknown>({ valueType: 'msgpack' })
    const rich = cache<string, unknown>({ valueType: 'superjson' })
    const errors: FlipCacheError[] = []
    packed.on('error', (error) => errors.push(error))
    rich.on('error', (error) => errors.push(error))
    await sharedClient().set(`${packed.name}:x`, Buffer.from([0x92, 0x01]))
    await sharedClient().set(`${rich.name}:x`, '{"json":1,"meta":{"values":["nonsense"]}}')
    expect(await packed.get('x')).toBeUndefined()
    expect(await rich.get('x')).toBeUndefined()
    expect(errors).toHaveLength(2)
  })

  it('keys() skips keys that do not decode with the keyType and reports them', async () => {
    const ids = cache<number, string>({ keyType: 'int', valueType: 'string' })
    const errors: FlipCacheError[] = []
    ids.on('error', (error) => errors.push(error))
    await sharedClient().mset(`${ids.name}:1`, 'a', `${ids.name}:abc`, 'b')
    const keys: number[] = []
    for await (const key of ids.keys()) keys.push(key)
    expect(keys).toEqual([1])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'E_DECODE', key: `${ids.name}:abc` })
  })

  it('without an error listener, a background failure becomes a process warning (E_DECODE: one per bad key), not a crash', async () => {
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    try {
      const counts = cache<string, number>({ valueType: 'int' })
      await sharedClient().mset(`${counts.name}:a`, 'x', `${counts.name}:b`, 'y')
      expect(await counts.getMany(['a', 'b'])).toEqual([undefined, undefined])
      expect(counts.stats().errors).toBe(2)
      await vi.waitFor(() => expect(warnings).toHaveBeenCalledTimes(2))
      for (const [message, options] of warnings.mock.calls) {
        expect(options).toMatchObject({ type: 'FlipCacheWarning', code: 'E_DECODE' })
        expect(String(message)).toMatch(new RegExp(`E_DECODE read \`${counts.name}:[ab]\``))
      }
    } finally {
      warnings.mockRestore()
    }
  })
})

describe('FlipCache values that start with NUL', () => {
  const { cache, sharedClient } = useCaches()

  it('set() stores a NUL-led value raw, escaping only one that would read as a header, and get() reads both back', async () => {
    const blobs = cache<string, Buffer>({ valueType: 'bytes', localMax: 0 })
    await blobs.set('zero', Buffer.from([0, 1, 2]))
    expect([...((await sharedClient().getBuffer(`${blobs.name}:zero`)) as Buffer)]).toEqual([0, 1, 2])
    expect([...((await blobs.get('zero')) as Buffer)]).toEqual([0, 1, 2])
    await blobs.set('flagged', Buffer.from([0, 0x41, 2]))
    expect([...((await sharedClient().getBuffer(`${blobs.name}:flagged`)) as Buffer)]).toEqual([
      0, 0x40, 0, 0x41, 2,
    ])
    expect([...((await blobs.get('flagged')) as Buffer)]).toEqual([0, 0x41, 2])
    const texts = cache<string, string>({ valueType: 'string', localMax: 0 })
    await texts.set('nul', '\0text')
    expect(await sharedClient().get(`${texts.name}:nul`)).toBe('\0text')
    expect(await texts.get('nul')).toBe('\0text')
  })

  it('get() reads NUL-led data another program wrote as the raw value, and escaped data earlier versions wrote', async () => {
    const texts = cache<string, string>({ valueType: 'string' })
    await sharedClient().set(`${texts.name}:foreign`, '\0\x07binary')
    await sharedClient().set(`${texts.name}:escaped`, '\0@\0text')
    expect(await texts.get('foreign')).toBe('\0\x07binary')
    expect(await texts.get('escaped')).toBe('\0text')
  })

  it('get() reports E_DECODE for data that starts with NUL and a flags byte but has no valid header', async () => {
    const texts = cache<string, string>({ valueType: 'string' })
    const errors: FlipCacheError[] = []
    texts.on('error', (error) => errors.push(error))
    await sharedClient().set(`${texts.name}:foreign`, '\0Anot-a-time')
    expect(await texts.get('foreign')).toBeUndefined()
    expect(errors.map((error) => error.code)).toEqual(['E_DECODE'])
  })
})
