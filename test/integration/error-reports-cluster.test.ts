import { Cluster } from 'ioredis'
import { describe, expect, it, vi } from 'vitest'
import { FlipCache, type FlipCacheError } from '../../src/index.js'
import { uniqueName } from '../support/cache-builder.js'
import { useOwnCluster } from '../support/own-cluster.js'

// A master is frozen here (SIGSTOP, well within the cluster's 5 s node timeout: no failover), so
// the file has a cluster of its own.
const own = useOwnCluster()

describe('error reports on a Redis Cluster', () => {
  it('a report of a node that stopped answering names that node as its server', {
    timeout: 30_000,
  }, async () => {
    const client = new Cluster(own.cluster.startupNodes)
    client.on('error', () => {})
    const cache = new FlipCache<string, string>(uniqueName('reports'), {
      redis: client,
      valueType: 'string',
      timeout: 300,
      sync: 'none',
      localMax: 0,
      circuitBreaker: false,
    })
    const heard: FlipCacheError[] = []
    cache.on('error', (error) => heard.push(error))
    try {
      await cache.set('k', 'v')
      // The master that holds `k`, found by asking each master whether it has it.
      const ports = await own.cluster.masterPorts()
      const holders = await Promise.all(
        // A master that does not hold the slot answers MOVED.
        own.masters.map((master) => master.exists(`${cache.name}:k`).catch(() => 0)),
      )
      const port = ports[holders.indexOf(1)]
      const node = own.cluster.nodes.find((server) => server.port === port)
      expect(node).toBeDefined()
      node?.freeze()
      try {
        // Served by the loader while the node does not answer; the failed read is reported.
        expect(await cache.getOrSet('k', async () => 'loaded')).toBe('loaded')
        await vi.waitFor(() => expect(heard.length).toBeGreaterThan(0), { timeout: 5_000 })
      } finally {
        node?.thaw()
      }
      const [report] = heard
      expect(report).toMatchObject({
        code: 'E_TIMEOUT',
        operation: 'getOrSet',
        key: `${cache.name}:k`,
        server: `127.0.0.1:${port}`,
      })
      expect(report?.message).toContain(`127.0.0.1:${port}`)
    } finally {
      await cache.close()
      client.disconnect()
    }
  })
})
