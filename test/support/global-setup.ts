import type { TestProject } from 'vitest/node'
import { startRedisServer } from './redis-server.js'

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string
  }
}

/** One private redis-server for the whole run; each test works in namespaces of its own. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startRedisServer()
  project.provide('redisUrl', server.url)
  return () => server.stop()
}
