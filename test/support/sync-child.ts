// A separate process that writes to a cache once, for the sync tests that need several processes.
// Usage: node sync-child.mjs <redisUrl> <cacheName> <key> <value> (the tests run it bundled by child-scripts.ts)
import { Redis } from 'ioredis'
import { FlipCache } from '../../src/index.js'

const [url, name, key, value] = process.argv.slice(2)
if (url === undefined || name === undefined || key === undefined || value === undefined) {
  throw new Error('usage: sync-child <redisUrl> <cacheName> <key> <value>')
}
const redis = new Redis(url)
const cache = new FlipCache<string, string>(name, { redis, valueType: 'string' })
await cache.set(key, value)
process.stdout.write('written\n')
await cache.close()
redis.disconnect()
