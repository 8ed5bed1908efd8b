import { describe, expect, it } from 'vitest'
import { setOptionsOfTtl } from '../../src/keyv/keyv-ttl.js'

describe('setOptionsOfTtl', () => {
  it('leaves an absent ttl to the cache expireTime', () => {
    expect(setOptionsOfTtl(undefined)).toBeUndefined()
    expect(setOptionsOfTtl(null)).toBeUndefined()
  })

  it('passes a ttl in ms, a fraction rounded up to a whole ms', () => {
    expect(setOptionsOfTtl(60_000)).toEqual({ expireTime: 60_000 })
    expect(setOptionsOfTtl(1500.2)).toEqual({ expireTime: 1501 })
    expect(setOptionsOfTtl(0.1)).toEqual({ expireTime: 1 })
  })

  it("calls a ttl of 0 or less 'expired'", () => {
    expect(setOptionsOfTtl(0)).toBe('expired')
    expect(setOptionsOfTtl(-5)).toBe('expired')
    expect(setOptionsOfTtl(Number.NEGATIVE_INFINITY)).toBe('expired')
  })

  it('refuses what is not a number with a TypeError naming it, and leaves Infinity to flipcache', () => {
    expect(() => setOptionsOfTtl('10s')).toThrow(/got 10s \(string\)/)
    expect(() => setOptionsOfTtl(Number.NaN)).toThrow(TypeError)
    expect(setOptionsOfTtl(Number.POSITIVE_INFINITY)).toEqual({ expireTime: Number.POSITIVE_INFINITY })
  })
})
