import { describe, expect, inject, it } from 'vitest'
import { main } from '../../docs/examples/opentelemetry.js'

// The example of docs/opentelemetry.md, run against the test run's redis-server, so that the trace
// the page shows stays true (less the durations and the cache's name, which differ each run).
describe('docs/opentelemetry.md example', () => {
  it('prints the request span with the getOrSet miss, its loader and the Redis hit under it, and the metric points', async () => {
    const { trace, metrics } = await main(inject('redisUrl'), false)
    const shown = (lines: string[]) => lines.map((line) => line.replace(/users-otel-\d+/g, 'users-otel-<n>'))
    expect(shown(trace)).toEqual([
      'GET /users/7 [INTERNAL]',
      '  flipcache getOrSet [CLIENT] db.system.name=redis db.operation.name=getOrSet flipcache.cache=users-otel-<n> flipcache.tier=loader events: flipcache.lock.acquired, flipcache.lock.released',
      '    flipcache load [INTERNAL] flipcache.cache=users-otel-<n> flipcache.key_count=1 flipcache.load.background=false',
      '  flipcache get [CLIENT] db.system.name=redis db.operation.name=get flipcache.cache=users-otel-<n> flipcache.tier=l2',
      'flipcache clear [CLIENT] db.system.name=redis db.operation.name=clear flipcache.cache=users-otel-<n>',
    ])
    const names = new Set(metrics.map((line) => line.split(' ')[0]))
    expect([...names].sort()).toEqual([
      'db.client.operation.duration',
      'flipcache.hits',
      'flipcache.invalidations.sent',
      'flipcache.l1.size',
      'flipcache.load.duration',
      'flipcache.loads',
      'flipcache.lock.events',
      'flipcache.misses',
    ])
    expect(shown(metrics)).toContain(
      'flipcache.hits ({hit}) {"flipcache.cache":"users-otel-<n>","db.operation.name":"getOrSet","flipcache.tier":"l1"}: 1',
    )
  })
})
