/**
 * Type tests of a getOrSet loader's context, checked by `npm run typecheck` (tsc over test/): its
 * key and stale value follow the cache's types, and its decisions (`setTtl`, `skip`, `fail`) take
 * what they document. Nothing here runs: each cache is made inside a function never called.
 */
import { expectTypeOf } from 'vitest'
import { FlipCache, type LoaderContext, type LoaderTtlOptions, typed } from '../../src/index.js'

interface Token {
  value: string
  expiresInMs: number
}

export async function decisions(): Promise<void> {
  const tokens = new FlipCache('tokens', { valueType: typed.json<Token>() })
  const token = await tokens.getOrSet('api', async (ctx) => {
    expectTypeOf(ctx).toEqualTypeOf<LoaderContext<string, Token>>()
    expectTypeOf(ctx.key).toEqualTypeOf<string>()
    expectTypeOf(ctx.stale).toEqualTypeOf<Token | undefined>()
    expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>()
    const fetched: Token = { value: 't', expiresInMs: 60_000 }
    ctx.setTtl(fetched.expiresInMs)
    ctx.setTtl('5m', { grace: '1m' })
    ctx.setTtl(null)
    // @ts-expect-error an expireTime is a number, a duration or null
    ctx.setTtl(true)
    // @ts-expect-error setTtl's only option is grace
    ctx.setTtl('5m', { stale: '1m' })
    expectTypeOf(ctx.setTtl).parameter(1).toEqualTypeOf<LoaderTtlOptions | undefined>()
    expectTypeOf(ctx.skip).returns.toEqualTypeOf<void>()
    return fetched
  })
  expectTypeOf(token).toEqualTypeOf<Token>()
}

export async function destructured(): Promise<void> {
  const counts = new FlipCache('counts', { keyType: 'int', valueType: 'int' })
  const count = await counts.getOrSet(7, ({ key, skip, fail }) => {
    expectTypeOf(key).toEqualTypeOf<number>()
    // fail() never returns, so `return fail(...)` fits any loader.
    expectTypeOf(fail).returns.toEqualTypeOf<never>()
    if (key < 0) return fail(new Error('negative id'))
    if (key === 0) skip()
    return key * 2
  })
  expectTypeOf(count).toEqualTypeOf<number>()
}

export function negativeCaching(): void {
  const users = new FlipCache('users', {
    valueType: typed.json<{ name: string } | null>(),
    notFound: (value) => value === null,
    notFoundTtl: '30s',
  })
  void users.getOrSet('ghost', async () => null, { notFoundTtl: false })
  void users.getOrSet('ghost', async () => null, { notFoundTtl: 5_000 })
  // @ts-expect-error notFoundTtl is a duration or false, not null
  void users.getOrSet('ghost', async () => null, { notFoundTtl: null })
  // @ts-expect-error notFound is a function of the value
  new FlipCache('users', { valueType: 'string', notFound: 'null' })
}
