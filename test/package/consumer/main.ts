// A project that installed the packed flipcache-redis, as a user would write it. The package suite
// compiles this one file as ES modules (NodeNext) and as CommonJS, each against its own ioredis, and
// runs it against a private Redis: REDIS_URL and FLIPCACHE_NAMESPACE come from the test.
import { INVALID_SPAN_CONTEXT, type Span, type Tracer, trace } from '@opentelemetry/api'
import { FlipCache } from 'flipcache-redis'
import { instrumentFlipCache } from 'flipcache-redis/otel'
import { Redis } from 'ioredis'

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
  // flipcache-redis/otel on a tracer of the project's own (@opentelemetry/api only), noting span names.
  const spans: string[] = []
  const tracer: Tracer = {
    startSpan(name: string): Span {
      spans.push(name)
      return trace.wrapSpanContext(INVALID_SPAN_CONTEXT)
    },
    startActiveSpan(): never {
      throw new Error('flipcache-redis/otel never makes its spans active')
    },
  }
  const otel = instrumentFlipCache({ tracerProvider: { getTracer: () => tracer }, caches: [users] })
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
      }),
    )
  } finally {
    otel.disable()
    await users.close()
    await reader.close()
    await redis.quit()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
