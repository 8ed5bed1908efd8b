// A separate process that hits a rate limiter, for the tests that count admissions across processes.
// Usage: node rate-limit-child.mjs <redisUrl> <limiterName> <algorithm> <limit> <windowMs> <key> <hits>
// (the tests run it bundled by child-scripts.ts). The child prints "ready" once connected and waits
// for a line on stdin, so that all start together; then makes <hits> hits on <key>, a quarter of
// them in each of four ticks (so the processes' pipelines interleave), and prints
// "result <allowed> <denied> <largest resetIn of the allowed>" and exits.
import { createInterface } from 'node:readline'
import { Redis } from 'ioredis'
import { type RateLimitAlgorithm, RateLimiter, type RateLimitResult } from '../../src/index.js'

const [url, name, algorithm, limit, windowMs, key, hits] = process.argv.slice(2)
if (hits === undefined || url === undefined || name === undefined || key === undefined) {
  throw new Error('usage: rate-limit-child <redisUrl> <name> <algorithm> <limit> <windowMs> <key> <hits>')
}
const redis = new Redis(url)
const limiter = new RateLimiter(name, {
  redis,
  algorithm: algorithm as RateLimitAlgorithm,
  limit: Number(limit),
  window: Number(windowMs),
})

if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve))
process.stdout.write('ready\n')
const input = createInterface({ input: process.stdin })
await new Promise<void>((resolve) => input.once('line', () => resolve()))
input.close()

const calls: Promise<RateLimitResult>[] = []
for (let tick = 0; tick < 4; tick++) {
  for (let hit = tick; hit < Number(hits); hit += 4) calls.push(limiter.hit(key))
  await new Promise((resolve) => setImmediate(resolve))
}
const results = await Promise.all(calls)
const allowed = results.filter((result) => result.allowed)
const longest = Math.max(0, ...allowed.map((result) => result.resetIn))
process.stdout.write(`result ${allowed.length} ${results.length - allowed.length} ${longest}\n`)
await limiter.close()
redis.disconnect()
