/**
 * Type tests of the dict view (`cache.asDict()`), checked by `npm run typecheck` (tsc over test/):
 * its property keys follow `keyType`, a write takes the value type, and an awaited read is the
 * value type or the miss. Nothing here runs: each view is made inside a function never called.
 * This project compiles with `noUncheckedIndexedAccess`, which adds `| undefined` to every read
 * of an index signature (the view's included): the awaited types below carry it.
 */
import { expectTypeOf } from 'vitest'
import { type DictKey, type DictView, FlipCache, typed } from '../../src/index.js'

interface User {
  name: string
}

export async function intKeys(): Promise<void> {
  const users = new FlipCache('users', { keyType: 'int', valueType: typed.json<User>() }).asDict()
  expectTypeOf(users).toEqualTypeOf<DictView<number, User, undefined>>()
  expectTypeOf(await users[15]).toEqualTypeOf<User | undefined>()
  expectTypeOf(await users['15']).toEqualTypeOf<User | undefined>()
  users[15] = { name: 'Ada' }
  // @ts-expect-error a write takes a User
  users[15] = 'Ada'
  // @ts-expect-error an int-keyed view has no property `ada`
  users.ada = { name: 'Ada' }
  // @ts-expect-error nor a read of one
  await users.ada
  delete users[15]
  expectTypeOf(15 in users).toEqualTypeOf<boolean>()
}

export async function stringKeys(): Promise<void> {
  const names = new FlipCache('names', { valueType: 'string' }).asDict()
  expectTypeOf(names).toEqualTypeOf<DictView<string, string, undefined>>()
  expectTypeOf(await names.ada).toEqualTypeOf<string | undefined>()
  expectTypeOf(await names['ada lovelace']).toEqualTypeOf<string | undefined>()
  // A number property is the string key '15'.
  expectTypeOf(await names[15]).toEqualTypeOf<string | undefined>()
  names.ada = 'Ada Lovelace'
  // @ts-expect-error a write takes a string
  names.ada = 15
}

export async function withDefault(): Promise<void> {
  // valueDefault removes the miss from the read's type (`| undefined` here is noUncheckedIndexedAccess's).
  const counts = new FlipCache('counts', { keyType: 'int', valueType: 'int', valueDefault: 0 }).asDict()
  expectTypeOf(counts).toEqualTypeOf<DictView<number, number, never>>()
  expectTypeOf(await counts[1]).toEqualTypeOf<number | undefined>()
  counts[1] = 2
}

export async function explicitTypes(): Promise<void> {
  const byId = new FlipCache<bigint, User>('by-id', { keyType: 'bigint', valueType: 'json' }).asDict()
  // bigint keys are named by strings (or numbers) of their digits.
  expectTypeOf<DictKey<bigint>>().toEqualTypeOf<string>()
  expectTypeOf(await byId['12345678901234567890']).toEqualTypeOf<User | undefined>()
  const roles = new FlipCache<'admin' | 'guest', string[]>('roles', { valueType: 'json' }).asDict()
  expectTypeOf<DictKey<'admin' | 'guest'>>().toEqualTypeOf<'admin' | 'guest'>()
  roles.admin = ['all']
  // @ts-expect-error a key outside the union
  roles.owner = ['all']
}
