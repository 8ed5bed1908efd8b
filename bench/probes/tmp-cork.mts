import { Command, Redis } from 'ioredis'
const url = process.env.URL ?? ''
const client = new Redis(url)
const sub = new Redis(url)
await sub.subscribe('rawchan')
sub.on('messageBuffer', () => {})
await client.ping()
const json = JSON.stringify({ id: 1, name: 'x'.repeat(60) })
const notice = JSON.stringify({ o: 'bench-writer', e: 'w', k: ['user:1'], s: Date.now() })
const opts = { replyEncoding: 'utf8' as const }
const stream = (client as unknown as { stream: import('node:net').Socket }).stream
const modes: Record<string, (i: number) => Promise<unknown>> = {
  pipeline: (i) => client.pipeline().set(`raw:${i % 100}`, json, 'PX', 3_600_000).publish('rawchan', notice).exec(),
  cork: (i) => {
    stream.cork()
    const a = client.sendCommand(new Command('SET', [`raw:${i % 100}`, json, 'PX', 3_600_000], opts))
    const b = client.sendCommand(new Command('PUBLISH', ['rawchan', notice], opts))
    stream.uncork()
    return Promise.all([a, b])
  },
  uncorked: (i) => {
    const a = client.sendCommand(new Command('SET', [`raw:${i % 100}`, json, 'PX', 3_600_000], opts))
    const b = client.sendCommand(new Command('PUBLISH', ['rawchan', notice], opts))
    return Promise.all([a, b])
  },
}
const res = new Map<string, number[]>()
for (let r = 0; r < 8; r++) for (const [name, f] of Object.entries(modes)) {
  const c0 = process.cpuUsage(); const t = performance.now()
  for (let i = 0; i < 2000; i++) await f(i)
  const c = process.cpuUsage(c0)
  res.set(name, [...(res.get(name) ?? []), (performance.now() - t) * 1000 / 2000, (c.user + c.system) / 2000])
}
for (const [name, v] of res) {
  const w = v.filter((_, i) => i % 2 === 0).sort((a, b) => a - b); const c = v.filter((_, i) => i % 2 === 1).sort((a, b) => a - b)
  console.log(name.padEnd(10), 'wall', w[w.length >> 1]?.toFixed(1), 'cpu', c[c.length >> 1]?.toFixed(1))
}
client.disconnect(); sub.disconnect()
