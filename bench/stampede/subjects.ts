import { Redis } from 'ioredis'
import type { PeerFactory } from '../peers/peer.js'
import { type User, user } from '../support/data.js'
import { FlipCache } from '../support/flipcache.js'

/** One instance of a read-through cache, as a stampede sees it. */
export interface StampedeInstance {
  /** The exact configuration, for the report. */
  config: string
  getOrSet(key: string, loader: () => Promise<User>): Promise<User>
  close(): Promise<void>
}

/** Something whose stampede behaviour is measured: flipcache, the naive pattern, or a peer. */
export interface StampedeSubject {
  /** Stable id, passed to the child process. */
  id: string
  label: string
  /** A new instance with connections of its own, writing under `namespace`. */
  open(redisUrl: string, namespace: string): Promise<StampedeInstance>
}

const TTL_MS = 60_000

const flipcache: StampedeSubject = {
  id: 'flipcache',
  label: 'flipcache getOrSet',
  async open(redisUrl, namespace) {
    const redis = new Redis(redisUrl)
    const cache = new FlipCache<string, User>(namespace, { redis, expireTime: TTL_MS })
    await cache.ready()
    return {
      config:
        "FlipCache on an ioredis client of its own, defaults (L1 on, sync 'pubsub', lock ttl 10 s), expireTime 60 s",
      getOrSet: (key, loader) => cache.getOrSet(key, loader),
      async close() {
        await cache.close()
        redis.disconnect()
      },
    }
  },
}

const naive: StampedeSubject = {
  id: 'naive',
  label: 'naive GET, load, SET',
  async open(redisUrl, namespace) {
    const redis = new Redis(redisUrl)
    return {
      config: 'raw ioredis: GET; on a miss every caller runs the loader, then SET … PX 60 s',
      async getOrSet(key, loader) {
        const redisKey = `${namespace}:${key}`
        const cached = await redis.get(redisKey)
        if (cached !== null) return JSON.parse(cached) as User
        const value = await loader()
        await redis.set(redisKey, JSON.stringify(value), 'PX', TTL_MS)
        return value
      },
      async close() {
        redis.disconnect()
      },
    }
  },
}

const displayNames: Record<string, string> = { bentocache: 'BentoCache' }

/** A peer in its recommended memory + Redis setup. */
function peerSubject(factory: PeerFactory): StampedeSubject {
  return {
    id: factory.name,
    label: `${displayNames[factory.name] ?? factory.name} getOrSet (memory + Redis)`,
    async open(redisUrl, namespace) {
      const peer = await factory.create({ redisUrl, namespace, tier: 'memory+redis' })
      return {
        config: `${peer.config} Read-through: its getOrSet-style API.`,
        getOrSet: (key, loader) => peer.getOrSet(key, loader, TTL_MS),
        close: () => peer.close(),
      }
    },
  }
}

/** Every subject: flipcache, the naive baseline, then each peer. */
export function stampedeSubjects(peers: readonly PeerFactory[]): StampedeSubject[] {
  return [flipcache, naive, ...peers.map(peerSubject)]
}

/** A loader's value: a user whose name says which process and which call made it. */
export function loadedValue(call: number): User {
  return { ...user(call), name: `loaded by ${process.pid} call ${call}` }
}
