import { describe, expectTypeOf, it } from 'vitest'
import { RateLimiter } from '../../src/index.js'

describe('RateLimiter types', () => {
  it('infers the key type from keyType', () => {
    const byUser = new RateLimiter('logins', { keyType: 'int', limit: 5, window: '1m' })
    expectTypeOf(byUser).toEqualTypeOf<RateLimiter<number>>()
    expectTypeOf(byUser.hit).parameters.toEqualTypeOf<[key: number, cost?: number]>()
    expectTypeOf(new RateLimiter('plain', { limit: 1, window: '5s' })).toEqualTypeOf<RateLimiter<string>>()
    expectTypeOf(new RateLimiter<number>('given', { keyType: 'int', limit: 1, window: 1000 })).toEqualTypeOf<
      RateLimiter<number>
    >()
  })

  it('refuses a key of another type, a keyType that does not fit the type argument, and missing limits', () => {
    const byUser = new RateLimiter('logins', { keyType: 'int', limit: 5, window: '1m' })
    // @ts-expect-error a string key for an 'int' limiter
    void byUser.hit('7')
    // @ts-expect-error 'int' keys are numbers, not strings
    void new RateLimiter<string>('logins', { keyType: 'int', limit: 5, window: '1m' })
    // @ts-expect-error limit and window are required
    void new RateLimiter('logins', { keyType: 'int' })
  })
})
