/**
 * Type tests, checked by `npm run typecheck` (tsc over test/): the key and value types follow the
 * options, and options that do not fit explicit type arguments do not compile. Nothing here runs:
 * each cache is built inside a function that is never called.
 */
import { expectTypeOf } from 'vitest'
import { FlipCache, type FlipCacheOptions, typed } from '../../src/index.js'

interface User {
  name: string
}

type Built<F extends () => unknown> = ReturnType<F>

export const inferred = {
  defaults: () => new FlipCache('a'),
  intKeys: () => new FlipCache('a', { keyType: 'int' }),
  floatKeys: () => new FlipCache('a', { keyType: 'float', valueType: 'float' }),
  bigintKeys: () => new FlipCache('a', { keyType: 'bigint', valueType: 'bool' }),
  jsonKeys: () => new FlipCache('a', { keyType: 'json', valueType: 'bytes' }),
  codecKeys: () =>
    new FlipCache('a', {
      keyType: { encode: (date: Date) => date.toISOString(), decode: (text: string) => new Date(text) },
    }),
  intValues: () => new FlipCache('a', { valueType: 'int' }),
  stringValues: () => new FlipCache('a', { keyType: 'string', valueType: 'string' }),
  jsonValues: () => new FlipCache('a', { valueType: 'json' }),
  typedJson: () => new FlipCache('a', { valueType: typed.json<User>() }),
  typedSuperjson: () => new FlipCache('a', { valueType: typed.superjson<Map<string, Date>>() }),
  typedMsgpack: () => new FlipCache('a', { keyType: 'int', valueType: typed.msgpack<User[]>() }),
  custom: () =>
    new FlipCache('a', {
      valueType: 'custom',
      valueEncoder: (user: User) => user.name,
      valueDecoder: (raw) => ({ name: raw }),
    }),
  customBuffer: () =>
    new FlipCache('a', {
      valueType: 'custom',
      valueDecoderInput: 'buffer',
      valueEncoder: (numbers: number[]) => Buffer.from(numbers),
      valueDecoder: (raw) => [...raw],
    }),
  withDefault: () => new FlipCache('a', { valueType: 'int', valueDefault: 0 }),
  explicit: () => new FlipCache<number, User>('a', { keyType: 'int', valueType: 'json' }),
  explicitDefault: () => new FlipCache<string, string>('a', { valueType: 'string', valueDefault: '' }),
  explicitBuffer: () =>
    new FlipCache<string, number[]>('a', {
      valueType: 'custom',
      valueDecoderInput: 'buffer',
      valueEncoder: (numbers) => Buffer.from(numbers),
      valueDecoder: (raw) => [...raw],
    }),
}

type Caches = { [Name in keyof typeof inferred]: Built<(typeof inferred)[Name]> }

expectTypeOf<Caches['defaults']>().toEqualTypeOf<FlipCache<string, unknown>>()
expectTypeOf<Caches['intKeys']>().toEqualTypeOf<FlipCache<number, unknown>>()
expectTypeOf<Caches['floatKeys']>().toEqualTypeOf<FlipCache<number, number>>()
expectTypeOf<Caches['bigintKeys']>().toEqualTypeOf<FlipCache<bigint, boolean>>()
expectTypeOf<Caches['jsonKeys']>().toEqualTypeOf<FlipCache<unknown, Buffer>>()
expectTypeOf<Caches['codecKeys']>().toEqualTypeOf<FlipCache<Date, unknown>>()
expectTypeOf<Caches['intValues']>().toEqualTypeOf<FlipCache<string, number>>()
expectTypeOf<Caches['stringValues']>().toEqualTypeOf<FlipCache<string, string>>()
expectTypeOf<Caches['jsonValues']>().toEqualTypeOf<FlipCache<string, unknown>>()
expectTypeOf<Caches['typedJson']>().toEqualTypeOf<FlipCache<string, User>>()
expectTypeOf<Caches['typedSuperjson']>().toEqualTypeOf<FlipCache<string, Map<string, Date>>>()
expectTypeOf<Caches['typedMsgpack']>().toEqualTypeOf<FlipCache<number, User[]>>()
expectTypeOf<Caches['custom']>().toEqualTypeOf<FlipCache<string, User>>()
expectTypeOf<Caches['customBuffer']>().toEqualTypeOf<FlipCache<string, number[]>>()
expectTypeOf<Caches['explicit']>().toEqualTypeOf<FlipCache<number, User>>()
expectTypeOf<Caches['explicitBuffer']>().toEqualTypeOf<FlipCache<string, number[]>>()

// A valueDefault narrows get(): no `undefined` on a miss.
expectTypeOf<Caches['withDefault']['get']>().returns.resolves.toEqualTypeOf<number>()
expectTypeOf<Caches['withDefault']['getMany']>().returns.resolves.toEqualTypeOf<number[]>()
expectTypeOf<Caches['intValues']['get']>().returns.resolves.toEqualTypeOf<number | undefined>()
// peek() reads L1 only, never the default.
expectTypeOf<Caches['withDefault']['peek']>().returns.toEqualTypeOf<number | undefined>()
// With explicit type arguments the default is not seen: get() may still be undefined.
expectTypeOf<Caches['explicitDefault']['get']>().returns.resolves.toEqualTypeOf<string | undefined>()

// Keys and values are checked at the call.
export function calls(
  ints: Caches['intKeys'],
  strings: Caches['stringValues'],
  bigints: Caches['bigintKeys'],
): void {
  void ints.set(15, 'anything')
  // @ts-expect-error an int-keyed cache takes number keys
  void ints.set('x', 1)
  void strings.set('k', 'v')
  // @ts-expect-error a 'string' cache takes string values
  void strings.set('k', 1)
  void bigints.get(10n)
  // @ts-expect-error a 'bigint' cache takes bigint keys
  void bigints.get(10)
}

// Options that do not fit explicit type arguments do not compile.
export const mismatches = [
  // @ts-expect-error 'int' values are numbers
  () => new FlipCache<number, string>('b', { keyType: 'int', valueType: 'int' }),
  // @ts-expect-error 'int' keys are numbers
  () => new FlipCache<string, string>('b', { keyType: 'int', valueType: 'string' }),
  // @ts-expect-error 'bytes' values are Uint8Arrays
  () => new FlipCache<string, string>('b', { valueType: 'bytes' }),
  // @ts-expect-error 'bool' values are booleans
  () => new FlipCache<string, number>('b', { valueType: 'bool' }),
  // @ts-expect-error a key codec of another key type
  () => new FlipCache<number, string>('b', { keyType: { encode: String, decode: (text: string) => text } }),
  () =>
    // @ts-expect-error with valueDecoderInput 'buffer' the decoder receives a Buffer
    new FlipCache('c', {
      valueType: 'custom',
      valueDecoderInput: 'buffer',
      valueDecoder: (raw: string) => raw,
    }),
  () =>
    // @ts-expect-error without valueDecoderInput 'buffer' the decoder receives a string
    new FlipCache('c', { valueType: 'custom', valueDecoder: (raw: Buffer) => raw.length }),
  // @ts-expect-error a valueDefault that is not a value of the type
  () => new FlipCache('c', { valueType: 'int', valueDefault: 'none' }),
]

// Explicit type arguments with options that fit them compile, and unknown values take every valueType.
export const fits: FlipCacheOptions<unknown, unknown>[] = [{ valueType: 'int' }, { keyType: 'bigint' }]
export const narrower = () => new FlipCache<string, 'on' | 'off'>('d', { valueType: 'string' })

// wrap(): a function of one key argument needs no key; any other needs one, of the key type.
export function wraps(strings: Caches['stringValues'], ints: Caches['intKeys']): void {
  const byName = strings.wrap(async (name: string) => name.toUpperCase())
  expectTypeOf(byName).toEqualTypeOf<(name: string) => Promise<string>>()
  const greet = (name: string, lang: string): string => `${lang}:${name}`
  // @ts-expect-error two arguments: wrap() needs a key
  strings.wrap(greet)
  // @ts-expect-error two arguments: wrap() needs a key, not only getOrSet options
  strings.wrap(greet, { grace: '1m' })
  const keyed = strings.wrap(greet, { key: (name, lang) => `${lang}/${name}` })
  expectTypeOf(keyed).toEqualTypeOf<(name: string, lang: string) => Promise<string>>()
  // @ts-expect-error a string argument is not an int key
  ints.wrap((name: string) => name.length)
  // @ts-expect-error the key function's result must be an int key
  ints.wrap((name: string) => name.length, { key: (name) => name })
  ints.wrap((name: string) => name.length, { key: (name) => name.length })
  // @ts-expect-error no argument: wrap() needs a key
  strings.wrap(() => 'config')
  strings.wrap(() => 'config', { key: () => 'config' })
}

// getOrSetMany(): keys of the key type; the loader returns a Map of them or an array of values.
export function batches(strings: Caches['stringValues'], ints: FlipCache<number, string>): void {
  expectTypeOf(strings.getOrSetMany(['a'], (keys) => keys)).toEqualTypeOf<Promise<string[]>>()
  expectTypeOf(
    ints.getOrSetMany([1, 2], async (keys) => new Map(keys.map((key) => [key, `${key}`]))),
  ).toEqualTypeOf<Promise<string[]>>()
  ints.getOrSetMany([1], (keys, ctx) => {
    expectTypeOf(keys).toEqualTypeOf<number[]>()
    expectTypeOf(ctx.stale).toEqualTypeOf<Map<number, string>>()
    expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>()
    return keys.map(String)
  })
  // @ts-expect-error string keys are not int keys
  ints.getOrSetMany(['a'], (keys) => keys.map(String))
  // @ts-expect-error the values must be of the value type
  ints.getOrSetMany([1], (keys) => keys)
  // @ts-expect-error a Map keyed by another type
  ints.getOrSetMany([1], () => new Map([['a', 'x']]))
  // @ts-expect-error getOrSet's options only
  strings.getOrSetMany(['a'], (keys) => keys, { ttl: 1 })
}
