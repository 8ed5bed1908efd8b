import { Redis } from 'ioredis'
import { FlipCache } from '../support/flipcache.js'
const url = process.env.URL ?? ''
const mode = process.argv[2] ?? ''
const client = new Redis(url)
const sub = new Redis(url)
await sub.subscribe('rawchan')
let heard = 0
sub.on('messageBuffer', () => heard++)
const cache = new FlipCache<string, { id: number; name: string }>(`p-${mode}`, {
  redis: client, expireTime: 3_600_000, sync: mode === 'pubsub' ? 'pubsub' : 'none',
})
await cache.ready()
const v = { id: 1, name: 'x'.repeat(60) }
const json = JSON.stringify(v)
const notice = JSON.stringify({ o: 'bench-writer', e: 'w', k: ['user:1'], s: Date.now() })
const n = Number(process.env.N ?? 20000)
const go = async () => {
  for (let i = 0; i < n; i++) {
    if (mode === 'raw') await client.pipeline().set(`raw:${i % 100}`, json, 'PX', 3_600_000).publish('rawchan', notice).exec()
    else await cache.set(`k${i % 100}`, v)
  }
}
await go()
const t = performance.now(); const c0 = process.cpuUsage()
await go()
const c = process.cpuUsage(c0)
console.log(mode, ((performance.now() - t) * 1000 / n).toFixed(1), 'us/op', ((c.user + c.system) / n).toFixed(1), 'cpu us/op')
await cache.close(); client.disconnect(); sub.disconnect()
