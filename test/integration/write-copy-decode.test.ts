import { describe, expect, it, vi } from 'vitest'
import type { FlipCacheError } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'

const { cache, sharedClient } = useCaches()

describe('the L1 copy of a write is what a read would return', () => {
  it('a value whose decoder throws on what was just written is in Redis, reported as E_DECODE, and not in L1', async () => {
    const broken = cache<string, string>({
      valueType: 'custom',
      valueEncoder: (value) => value,
      valueDecoder: (raw) => {
        if (raw.startsWith('bad')) throw new Error('cannot read this back')
        return raw
      },
    })
    const errors: FlipCacheError[] = []
    broken.on('error', (error) => errors.push(error))
    await broken.set('ok', 'fine')
    await broken.set('k', 'bad value')
    // Redis has the write; L1 keeps no copy of it, and the failure is reported for the write.
    expect(await sharedClient().get(`${broken.name}:k`)).toBe('bad value')
    expect(broken.peek('k')).toBeUndefined()
    await vi.waitFor(() => expect(errors.map((error) => error.code)).toEqual(['E_DECODE']))
    expect(errors[0]?.message).toContain('the value just written')
    // The other write's copy is kept as usual.
    expect(broken.peek('ok')).toBe('fine')
  })
})
