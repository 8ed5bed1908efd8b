// A CommonJS project that installed the packed flipcache-redis: plain require(), no TypeScript, and
// no client of its own: flipcache-redis opens one for the URL (requiring the project's ioredis) and
// closes it. REDIS_URL and FLIPCACHE_NAMESPACE come from the test.
const { FlipCache } = require('flipcache-redis')
const { instrumentFlipCache } = require('flipcache-redis/otel')
const { INVALID_SPAN_CONTEXT, trace } = require('@opentelemetry/api')
const { FlipCacheKeyvStore } = require('flipcache-redis/keyv')
const { Keyv } = require('keyv')

function shown(user) {
  return user === undefined ? 'miss' : `${user.name} ${user.joined.toISOString()}`
}

async function main() {
  const namespace = process.env.FLIPCACHE_NAMESPACE
  const users = new FlipCache(namespace, { redis: process.env.REDIS_URL })
  const reader = new FlipCache(namespace, { redis: process.env.REDIS_URL, localMax: 0 })
  // flipcache-redis/otel on a tracer of the project's own (@opentelemetry/api only), noting the names
  // of the spans of the users cache.
  const spans = []
  const tracer = {
    startSpan(name, options) {
      if (options?.attributes?.['flipcache.cache'] === namespace) spans.push(name)
      return trace.wrapSpanContext(INVALID_SPAN_CONTEXT)
    },
  }
  const otel = instrumentFlipCache({ tracerProvider: { getTracer: () => tracer }, caches: [users] })
  const strings = new FlipCache(`${namespace}-keyv`, { redis: process.env.REDIS_URL, valueType: 'string' })
  const keyv = new Keyv({ store: new FlipCacheKeyvStore(strings) })
  try {
    await users.set('ada', { name: 'Ada', joined: new Date('1843-07-10T00:00:00.000Z') })
    const ada = await users.get('ada')
    let loads = 0
    const loader = async () => {
      loads++
      return { name: 'Grace', joined: new Date('1944-08-07T00:00:00.000Z') }
    }
    const grace = await users.getOrSet('grace', loader)
    const graceAgain = await users.getOrSet('grace', loader)
    const many = await users.getMany(['ada', 'grace', 'nobody'])
    const fromRedis = await reader.get('grace')
    let refused = 'accepted'
    try {
      new FlipCache(`${namespace}-refused`, { redis: 42 })
    } catch (error) {
      refused = error instanceof TypeError ? 'TypeError' : String(error)
    }
    await keyv.set('typed', { lang: 'TypeScript' }, 10_000)
    const viaKeyv = await keyv.get('typed')
    let keyvRefused = 'accepted'
    try {
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
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
