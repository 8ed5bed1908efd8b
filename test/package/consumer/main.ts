// A project that installed the packed flipcache-redis, as a user would write it. The package suite
// compiles this one file as ES modules (NodeNext) and as CommonJS, each against its own ioredis, and
// runs it against a private Redis: REDIS_URL and FLIPCACHE_NAMESPACE come from the test.
import { INVALID_SPAN_CONTEXT, type Span, type SpanOptions, type Tracer, trace } from '@opentelemetry/api'
import { FlipCache } from 'flipcache-redis'
import { FlipCacheKeyvStore } from 'flipcache-redis/keyv'
import { instrumentFlipCache } from 'flipcache-redis/otel'
import { Redis } from 'ioredis'
import { Keyv } from 'keyv'

interface User {
  name: string
  joined: Date
}

function env(name: string): string {
  const value = process.env[name]
  if (value === undefined || value === '') throw new Error(`${name} must be set`)
  return value
}

function shown(user: User | undefined): string {
  return user === undefined ? 'miss' : `${user.name} ${user.joined.toISOString()}`
}

async function main(): Promise<void> {
  const redis = new Redis(env('REDIS_URL'))
  const namespace = env('FLIPCACHE_NAMESPACE')
  // The consumer's own client, passed as `redis`: its type must be what the package accepts.
  const users = new FlipCache<string, User>(namespace, { redis })
  const reader = new FlipCache<string, User>(namespace, { redis, localMax: 0 })
  // flipcache-redis/otel on a tracer of the project's own (@opentelemetry/api only), noting the names
  // of the spans of the users cache.
  const spans: string[] = []
  const tracer: Tracer = {
    startSpan(name: string, options?: SpanOptions): Span {
      if (options?.attributes?.['flipcache.cache'] === namespace) spans.push(name)
      return trace.wrapSpanContext(INVALID_SPAN_CONTEXT)
    },
    startActiveSpan(): never {
      throw new Error('flipcache-redis/otel never makes its spans active')
    },
  }
  const otel = instrumentFlipCache({ tracerProvider: { getTracer: () => tracer }, caches: [users] })
  // flipcache-redis/keyv: a Keyv over a cache of Keyv's serialized strings.
  const strings = new FlipCache<string, string>(`${namespace}-keyv`, { redis, valueType: 'string' })
  const store: FlipCacheKeyvStore<string> = new FlipCacheKeyvStore(strings)
  const keyv = new Keyv<{ lang: string }>({ store })
  try {
    await users.set('ada', { name: 'Ada', joined: new Date('1843-07-10T00:00:00.000Z') })
    const ada: User | undefined = await users.get('ada')
    let loads = 0
    const loader = async (): Promise<User> => {
      loads++
      return { name: 'Grace', joined: new Date('1944-08-07T00:00:00.000Z') }
    }
    const grace: User = await users.getOrSet('grace', loader)
    const graceAgain: User = await users.getOrSet('grace', loader)
    const many: (User | undefined)[] = await users.getMany(['ada', 'grace', 'nobody'])
    const fromRedis = await reader.get('grace')
    let refused = 'accepted'
    try {
      // @ts-expect-error a number is neither an ioredis client nor options: were the package's types
      // `any` (what a declaration that fails to resolve leaves behind, unreported under skipLibCheck),
      // this would compile.
      new FlipCache(`${namespace}-refused`, { redis: 42 })
    } catch (error) {
      refused = error instanceof TypeError ? 'TypeError' : String(error)
    }
    await keyv.set('typed', { lang: 'TypeScript' }, 10_000)
    const viaKeyv = await keyv.get('typed')
    let keyvRefused = 'accepted'
    try {
      // @ts-expect-error a number is not a FlipCache: compiles only if flipcache-redis/keyv's types are `any`.
      new FlipCacheKeyvStore(42)
    } catch (error) {
      keyvRefused = error instanceof TypeError ? 'TypeError' : String(error)
    }
    console.log(
      JSON.stringify({
        ada: shown(ada),
        joinedIsDate: ada?.joined instanceof Date,
        grace: shown(grace),
        graceAgain: shown(graceAgain),
        loads,
        many: many.map(shown),
        fromRedis: shown(fromRedis),
        refused,
        spans,
        viaKeyv: viaKeyv?.lang ?? 'miss',
        keyvRefused,
      }),
    )
  } finally {
    otel.disable()
    await users.close()
    await reader.close()
    await strings.close()
    await redis.quit()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
