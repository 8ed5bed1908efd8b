import { describe, expectTypeOf, it } from 'vitest'
import { FlipCounter } from '../../src/index.js'

describe('FlipCounter types', () => {
  it('infers the key type from keyType, for the methods, restore and persist', () => {
    const byId = new FlipCounter('views', {
      keyType: 'int',
      restore: (key) => {
        expectTypeOf(key).toEqualTypeOf<number>()
        return 0
      },
      persist: async (changes) => {
        expectTypeOf(changes).toEqualTypeOf<[key: number, value: number][]>()
      },
    })
    expectTypeOf(byId).toEqualTypeOf<FlipCounter<number>>()
    expectTypeOf(byId.increment).parameters.toEqualTypeOf<[key: number, by?: number]>()
    expectTypeOf(byId.getMany).returns.toEqualTypeOf<Promise<number[]>>()
    expectTypeOf(new FlipCounter('plain')).toEqualTypeOf<FlipCounter<string>>()
    expectTypeOf(new FlipCounter<number>('given', { keyType: 'int' })).toEqualTypeOf<FlipCounter<number>>()
  })

  it('refuses a key of another type and a keyType that does not fit the type argument', () => {
    const byId = new FlipCounter('views', { keyType: 'int' })
    // @ts-expect-error a string key for an 'int' counter
    void byId.increment('7')
    // @ts-expect-error 'int' keys are numbers, not strings
    void new FlipCounter<string>('views', { keyType: 'int' })
  })
})
