import { readFileSync } from 'node:fs'
import os from 'node:os'
import type { Machine } from './model.js'

/** The repository root, found from this file rather than the working directory `npm run bench` was started in. */
const root = new URL('../../', import.meta.url)

/** What a reader needs to weigh the numbers: the hardware, the OS, Node, and the Redis server measured. */
export function machineInfo(redisVersion: string): Machine {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model.replace(/\s+/g, ' ').trim() || 'unknown',
    cores: cpus.length > 0 ? cpus.length : os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} (${os.platform()}/${os.arch()})`,
    node: process.version,
    redis: redisVersion,
  }
}

/**
 * The installed version of each package, read from its package.json under node_modules (the lockfile says
 * what was asked for; this says what ran). `flipcache-redis` is the root package itself.
 */
export function libraryVersions(names: string[]): { name: string; version: string }[] {
  return names.map((name) => {
    const file = name === 'flipcache-redis' ? 'package.json' : `node_modules/${name}/package.json`
    try {
      const json: unknown = JSON.parse(readFileSync(new URL(file, root), 'utf8'))
      const version = (json as { version?: unknown }).version
      return { name, version: typeof version === 'string' ? version : 'unknown' }
    } catch {
      return { name, version: 'not installed' }
    }
  })
}
