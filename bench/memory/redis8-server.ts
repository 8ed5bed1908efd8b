import { join, resolve } from 'node:path'
import { identifyServer } from '../../test/support/server-binary.js'
import { executable } from '../support/no-redis.js'

/** The variable naming a Redis 8+ server (or Valkey 9+) for the memory benchmark's second pass. */
export const redis8Variable = 'FLIPCACHE_REDIS8_SERVER'

/** Where .ci/run keeps the Redis 8 it builds (its cache, `FLIPCACHE_CI_CACHE`, by default this one). */
const ciCache = '/var/cache/flipcache-ci'
const ciRedis8 = join('redis-8.0.2', 'bin', 'redis-server')

/** A server binary for the field-TTL pass, or why there is none. */
export type Redis8Choice = { binary: string; name: string } | { skipped: string }

type Environment = Readonly<Record<string, string | undefined>>

/**
 * The server of the memory benchmark's field-TTL pass: `FLIPCACHE_REDIS8_SERVER`, else the Redis 8
 * of CI's cache when it is there and executable. Never an error: a machine without one skips the pass,
 * and says why.
 */
export function findRedis8(env: Environment = process.env): Redis8Choice {
  const named = env[redis8Variable]?.trim()
  const cached = join(env.FLIPCACHE_CI_CACHE?.trim() || ciCache, ciRedis8)
  const binary = named ? (named.includes('/') ? resolve(named) : named) : cached
  if (!named && !executable(binary)) {
    return { skipped: `${redis8Variable} is not set and ${cached} is not an executable file` }
  }
  let identity: ReturnType<typeof identifyServer>
  try {
    identity = identifyServer(binary)
  } catch (error) {
    return { skipped: `${binary} --version failed: ${(error as Error).message}` }
  }
  const major = Number(identity.version.split('.')[0])
  const fieldTtls = identity.name === 'Valkey' ? major >= 9 : major >= 8
  if (!fieldTtls) {
    return {
      skipped: `${binary} is ${identity.name} ${identity.version}, which has no HSETEX (Redis 8.0+, Valkey 9.0+)`,
    }
  }
  return { binary, name: `${identity.name} ${identity.version}` }
}
