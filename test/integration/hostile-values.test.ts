import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import {
  DecodeError,
  type FlipCache,
  type FlipCacheError,
  type FlipCacheOptions,
  ValueTooLargeError,
} from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'
import {
  compressedSpaces,
  cyclicMsgpack,
  invalidUtf8,
  markedBrotliBomb,
  nestedArray,
  nestedJson,
} from '../support/hostile-data.js'
import { watchLoopBlocks } from '../support/loop-blocks.js'

const MiB = 1024 * 1024

/**
 * The longest the event loop may be held by one read of hostile data in these tests. The issue's
 * target is 50 ms, and bench/probes/hostile-values.ts measures 5 to 30 ms for these reads; the bound
 * leaves room for a loaded 2-core machine running other test files meanwhile. Before the bounds, the
 * brotli bomb alone held the loop 7 to 18 s.
 */
const blockBound = 300

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** The heap and off-heap memory in use after a full collection. */
function memoryInUse(): number {
  gc()
  gc()
  const { heapUsed, external } = process.memoryUsage()
  return heapUsed + external
}

/** Runs `read` and resolves to what it returned and the longest the event loop was held meanwhile. */
async function timed<T>(read: () => Promise<T>): Promise<{ result: T; blockedMs: number }> {
  const watch = watchLoopBlocks()
  try {
    const result = await read()
    // One more turn of the timer, so that a block at the very end of the read is seen.
    await new Promise((resolve) => setTimeout(resolve, 2))
    return { result, blockedMs: watch.stop() }
  } finally {
    watch.stop()
  }
}

/** The errors a cache reports. */
function errorsOf<K, V>(cache: FlipCache<K, V>): FlipCacheError[] {
  const errors: FlipCacheError[] = []
  cache.on('error', (error) => errors.push(error))
  return errors
}

/** The chain of causes under an error, messages and codes. */
function causes(error: unknown): { message: string; code?: unknown }[] {
  const chain: { message: string; code?: unknown }[] = []
  for (let at = (error as Error).cause; at instanceof Error; at = at.cause) {
    chain.push({ message: at.message, code: (at as { code?: unknown }).code })
  }
  return chain
}

describe('hostile stored values', () => {
  const { cache, sharedClient } = useCaches()
  let gzipBomb: Buffer
  let deflateBomb: Buffer

  beforeAll(() => {
    // 64 MiB of spaces each, in some 65 KB: past the 1 MiB bound 64 times over.
    gzipBomb = compressedSpaces('g', 64 * MiB)
    deflateBomb = compressedSpaces('d', 64 * MiB)
  })

  /** Stores `raw` under `key` of `target` with a raw client, reads it back, and checks it is a bounded E_DECODE miss. */
  async function expectBoundedMiss(
    options: FlipCacheOptions<string, unknown>,
    raw: string | Buffer,
    cause: RegExp,
  ): Promise<{ blockedMs: number; grewBytes: number }> {
    const target = cache<string, unknown>({ ...options, valueDefault: 'default' })
    const errors = errorsOf(target)
    await sharedClient().set(`${target.name}:hostile`, raw)
    await target.ready()
    const before = process.memoryUsage().rss
    const { result, blockedMs } = await timed(() => target.get('hostile'))
    const grewBytes = process.memoryUsage().rss - before
    expect(result).toBe('default')
    expect(target.peek('hostile')).toBeUndefined()
    await vi.waitFor(() => expect(errors).toHaveLength(1))
    expect(errors[0]).toBeInstanceOf(DecodeError)
    expect(errors[0]).toMatchObject({ code: 'E_DECODE', key: `${target.name}:hostile` })
    expect(causes(errors[0]).map((each) => each.message)).toContainEqual(expect.stringMatching(cause))
    expect(blockedMs).toBeLessThan(blockBound)
    // Whatever happened, memory did not grow by more than the bound plus 50 MB.
    expect(grewBytes).toBeLessThan(MiB + 50 * MiB)
    // The data belongs to whoever wrote it: it is left in place.
    expect(await sharedClient().exists(`${target.name}:hostile`)).toBe(1)
    return { blockedMs, grewBytes }
  }

  it.each<[string, FlipCacheOptions<string, unknown>]>([
    ["'superjson' with brotli compress", { compress: { algorithm: 'brotli' } }],
    ["'msgpack' without compress", { valueType: 'msgpack' }],
    ["'bytes' without compress, L1 on", { valueType: 'bytes' }],
    ["'string' without compress, L1 off", { valueType: 'string', localMax: 0 }],
  ])(
    'get() of the 1,681-byte brotli bomb (1 GiB expanded) is an E_DECODE miss, stopped at maxValueBytes: %s',
    async (_label, options) => {
      await expectBoundedMiss(
        options,
        markedBrotliBomb,
        /^Stored data expands to more than `maxValueBytes` \(1048576 bytes\); expansion was stopped there$/,
      )
    },
  )

  it('the bomb is given up by zlib itself (maxOutputLength), before a byte past the bound is allocated', async () => {
    const target = cache<string, unknown>({ valueType: 'bytes' })
    const errors = errorsOf(target)
    await sharedClient().set(`${target.name}:bomb`, markedBrotliBomb)
    expect(await target.get('bomb')).toBeUndefined()
    await vi.waitFor(() => expect(errors).toHaveLength(1))
    expect(causes(errors[0])).toContainEqual(expect.objectContaining({ code: 'ERR_BUFFER_TOO_LARGE' }))
  })

  it.each([
    ['gzip', () => gzipBomb],
    ['deflate', () => deflateBomb],
  ])(
    'get() of a %s bomb (64 MiB expanded) is an E_DECODE miss, for json and for string',
    async (_name, bomb) => {
      for (const options of [
        { valueType: 'json', compress: {} },
        { valueType: 'string' },
      ] as FlipCacheOptions<string, unknown>[]) {
        await expectBoundedMiss(options, bomb(), /expands to more than `maxValueBytes`/)
      }
    },
  )

  it('get() of a 16 MiB value is an E_DECODE miss, not kept in L1 nor anywhere else', async () => {
    const big = `"${'x'.repeat(16 * MiB - 2)}"`
    const target = cache<string, unknown>({ timeout: '10s' })
    const errors = errorsOf(target)
    await sharedClient().set(`${target.name}:big`, big)
    const before = memoryInUse()
    expect(await target.get('big')).toBeUndefined()
    expect(target.peek('big')).toBeUndefined()
    expect(memoryInUse() - before).toBeLessThan(8 * MiB)
    await vi.waitFor(() => expect(errors).toHaveLength(1))
    expect(causes(errors[0])[0]?.message).toBe(
      'Stored data is 16777216 bytes long, more than `maxValueBytes` (1048576)',
    )
  })

  it('get() of JSON nested 1e6 deep (too long) or 600 deep (too deep) is an E_DECODE miss', async () => {
    await expectBoundedMiss({ valueType: 'json' }, nestedJson(1_000_000), /more than `maxValueBytes`/)
    await expectBoundedMiss({ valueType: 'json' }, nestedJson(600), /nests deeper than 512 levels/)
    await expectBoundedMiss({}, nestedJson(600), /nests deeper than 512 levels/)
  })

  it('get() of MessagePack nested 1e6 or 600 deep is an E_DECODE miss, and the next read is fine', async () => {
    const nested = (depth: number) => Buffer.concat([Buffer.alloc(depth - 1, 0x91), Buffer.from([0x90])])
    await expectBoundedMiss({ valueType: 'msgpack' }, nested(1_000_000), /call stack/)
    await expectBoundedMiss({ valueType: 'msgpack' }, nested(600), /nests deeper than 512 levels/)
    const fine = cache<string, unknown>({ valueType: 'msgpack', localMax: 0 })
    await fine.set('ok', { list: [1, 2], when: new Date(0) })
    expect(await fine.get('ok')).toEqual({ list: [1, 2], when: new Date(0) })
  })

  it("get() of a 100 KB 'float' is an E_DECODE miss at once (it took 36 s per read)", async () => {
    await expectBoundedMiss({ valueType: 'float' }, `${'1'.repeat(99_999)}x`, /is not a valid `float`/)
  })

  it('get() of superjson metadata that superjson would apply in quadratic time is an E_DECODE miss', async () => {
    const path = Array.from({ length: 1000 }, () => 'a').join('.')
    const below = Object.fromEntries(Array.from({ length: 20_000 }, (_, index) => [index, ['undefined']]))
    const envelope = JSON.stringify({ json: {}, meta: { values: { [path]: ['map', below] }, v: 1 } })
    await expectBoundedMiss({}, envelope, /^The superjson metadata would take superjson more than/)
  })

  it('get() of msgpackr structured-clone data holding a cycle is an E_DECODE miss', async () => {
    await expectBoundedMiss(
      { valueType: 'msgpack' },
      cyclicMsgpack(),
      /Structured clone extension is disabled/,
    )
  })

  it.each<[string, FlipCacheOptions<string, unknown>]>([
    ['string', { valueType: 'string' }],
    ['int', { valueType: 'int' }],
    ['json', { valueType: 'json' }],
    ['superjson', {}],
    ['custom', { valueType: 'custom', valueEncoder: String, valueDecoder: (raw: string) => raw }],
  ])("get() of bytes that are not UTF-8 is an E_DECODE miss for '%s', not U+FFFD", async (_name, options) => {
    await expectBoundedMiss(options, invalidUtf8, /^Stored data is not valid UTF-8$/)
  })

  it("'bytes' reads bytes that are not UTF-8 as they are", async () => {
    const blobs = cache<string, Buffer>({ valueType: 'bytes' })
    await sharedClient().set(`${blobs.name}:b`, invalidUtf8)
    expect(await blobs.get('b')).toEqual(invalidUtf8)
  })

  it('getMany() and entries() skip a bomb among good values and report it once each', async () => {
    const docs = cache<string, unknown>({ valueType: 'json', compress: { threshold: 10 } })
    const errors = errorsOf(docs)
    await docs.set('good', { ok: 'yes'.repeat(10) })
    await sharedClient().set(`${docs.name}:bomb`, markedBrotliBomb)
    expect(await docs.getMany(['good', 'bomb'])).toEqual([{ ok: 'yes'.repeat(10) }, undefined])
    const entries: [string, unknown][] = []
    for await (const entry of docs.entries()) entries.push(entry)
    expect(entries).toEqual([['good', { ok: 'yes'.repeat(10) }]])
    // The second, of the same key within 1 s, is reported when that second is over.
    await vi.waitFor(() => expect(errors.map((error) => error.code)).toEqual(['E_DECODE', 'E_DECODE']), {
      timeout: 3_000,
    })
  })

  it('a bomb in a hash bucket field is an E_DECODE miss, like one in a string key', async () => {
    const buckets = cache<number, unknown>({
      keyType: 'int',
      valueType: 'msgpack',
      storage: { kind: 'hash', bucketSize: 100 },
    })
    const errors = errorsOf(buckets)
    await sharedClient().hset(`${buckets.name}:b:0`, '7', markedBrotliBomb)
    const { result, blockedMs } = await timed(() => buckets.get(7))
    expect(result).toBeUndefined()
    expect(blockedMs).toBeLessThan(blockBound)
    expect(await buckets.has(7)).toBe(false)
    await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(1))
    expect(errors.every((error) => error.code === 'E_DECODE')).toBe(true)
  })

  it('a cache without compress reads what a cache with compress wrote', async () => {
    const writer = cache<string, string>({ valueType: 'string', compress: { threshold: 10 } })
    const reader = cache<string, string>({ valueType: 'string', localMax: 0 }, writer.name)
    await writer.set('text', 'flipcache '.repeat(100))
    expect(Buffer.isBuffer(await sharedClient().getBuffer(`${writer.name}:text`))).toBe(true)
    expect(await reader.get('text')).toBe('flipcache '.repeat(100))
  })
})

describe('maxValueBytes on write', () => {
  const { cache, sharedClient } = useCaches()

  it('set() refuses a value over the bound with E_TOO_LARGE naming its size, and writes nothing', async () => {
    const texts = cache<string, string>({ valueType: 'string' })
    await expect(texts.set('big', 'x'.repeat(MiB + 1))).rejects.toThrow(
      `The value for Redis key \`${texts.name}:big\` encodes to 1048577 bytes, more than \`maxValueBytes\` (1048576)`,
    )
    await expect(texts.set('big', 'x'.repeat(MiB + 1))).rejects.toMatchObject({
      code: 'E_TOO_LARGE',
      bytes: MiB + 1,
      maxBytes: MiB,
    })
    expect(await sharedClient().exists(`${texts.name}:big`)).toBe(0)
    await texts.set('fits', 'x'.repeat(MiB))
    expect(await texts.get('fits')).toHaveLength(MiB)
  })

  it('setMany() writes nothing when one value is over the bound', async () => {
    const texts = cache<string, string>({ valueType: 'string' })
    await expect(
      texts.setMany([
        ['small', 'x'],
        ['big', 'x'.repeat(MiB + 1)],
      ]),
    ).rejects.toBeInstanceOf(ValueTooLargeError)
    expect(await sharedClient().exists(`${texts.name}:small`, `${texts.name}:big`)).toBe(0)
  })

  it('compression does not lift the bound: it is the size of the encoding, before compression', async () => {
    const texts = cache<string, string>({ valueType: 'string', compress: {} })
    await expect(texts.set('spaces', ' '.repeat(2 * MiB))).rejects.toMatchObject({ code: 'E_TOO_LARGE' })
  })

  it('getOrSet() rejects with E_TOO_LARGE when the loader returns a value over the bound', async () => {
    const texts = cache<string, string>({ valueType: 'string' })
    await expect(texts.getOrSet('big', () => 'x'.repeat(MiB + 1))).rejects.toMatchObject({
      code: 'E_TOO_LARGE',
    })
    expect(await sharedClient().exists(`${texts.name}:big`)).toBe(0)
  })

  it('a cache with a larger maxValueBytes writes and reads larger values', async () => {
    const texts = cache<string, string>({ valueType: 'string', maxValueBytes: 2 * MiB, localMax: 0 })
    await texts.set('big', 'x'.repeat(2 * MiB))
    expect(await texts.get('big')).toHaveLength(2 * MiB)
    // A reader with the default bound treats it as too large, as it would any other.
    const strict = cache<string, string>({ valueType: 'string', localMax: 0 }, texts.name)
    strict.on('error', () => {})
    expect(await strict.get('big')).toBeUndefined()
  })
})

describe('hostile keys', () => {
  const { cache, sharedClient } = useCaches()

  it('every call refuses a key over maxKeyLength with a TypeError naming its length', async () => {
    const texts = cache<string, string>({ valueType: 'string' })
    const long = 'k'.repeat(16_385)
    const message = 'Expected a key of at most 16384 characters (`maxKeyLength`), got a string of 16385'
    await expect(texts.get(long)).rejects.toThrow(new TypeError(message))
    await expect(texts.set(long, 'v')).rejects.toThrow(message)
    await expect(texts.has(long)).rejects.toThrow(message)
    await expect(texts.delete(long)).rejects.toThrow(message)
    await expect(texts.getMany(['ok', long])).rejects.toThrow(message)
    await expect(texts.getOrSet(long, () => 'v')).rejects.toThrow(message)
  })

  it.each<[string, FlipCacheOptions<unknown, string>, unknown, string]>([
    [
      "a 60,000-character 'float' key (it took 14.7 s)",
      { keyType: 'float' },
      `${'1'.repeat(59_999)}x`,
      'got a string of 60000',
    ],
    [
      "a 1,000,000-digit 'bigint' key",
      { keyType: 'bigint' },
      '7'.repeat(1_000_000),
      'got a string of 1000000',
    ],
    ["a 'bigint' key of a million bits", { keyType: 'bigint' }, 1n << 1_000_000n, 'more than 16384 digits'],
    [
      "a 'json' key nested 100,000 deep (it threw RangeError)",
      { keyType: 'json' },
      nestedArray(100_000),
      'nested at most 512 deep',
    ],
  ])('get() refuses %s with a TypeError at once', async (_label, options, key, fragment) => {
    const target = cache<unknown, string>({ ...options, valueType: 'string' })
    const { result, blockedMs } = await timed(() =>
      target.get(key).then(
        () => undefined,
        (error: unknown) => error,
      ),
    )
    expect(result).toBeInstanceOf(TypeError)
    expect((result as Error).message).toContain(fragment)
    expect(blockedMs).toBeLessThan(blockBound)
  })

  it('keys() skips a stored key longer than maxKeyLength and reports it as E_DECODE', async () => {
    const texts = cache<string, string>({ valueType: 'string' })
    const errors = errorsOf(texts)
    await texts.set('short', 'v')
    await sharedClient().set(`${texts.name}:${'k'.repeat(20_000)}`, 'v')
    const keys: string[] = []
    for await (const key of texts.keys()) keys.push(key)
    expect(keys).toEqual(['short'])
    await vi.waitFor(() => expect(errors.map((error) => error.code)).toEqual(['E_DECODE']))
  })

  it('500 reads of missing 100 KB keys leave no memory held (2,000 held 381 MB)', async () => {
    const texts = cache<string, string>({ valueType: 'string', maxKeyLength: 100_000 })
    await texts.ready()
    const before = memoryInUse()
    for (let index = 0; index < 500; index++) {
      expect(await texts.get(`${index}:`.padEnd(100_000, 'k'))).toBeUndefined()
    }
    expect(memoryInUse() - before).toBeLessThan(20 * MiB)
  }, 60_000)
})
