import type { TestProject } from 'vitest/node'
import { bundleChildScripts, type ChildScripts } from './child-scripts.js'
import { startRedisServer } from './redis-server.js'
import { identifyServer, type ServerIdentity } from './server-binary.js'

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string
    /** Which server the run started (`FLIPCACHE_REDIS_SERVER`, else `redis-server`). */
    redisServer: ServerIdentity
    /** The child scripts of the multi-process tests, bundled to JavaScript for plain `node`. */
    childScripts: ChildScripts
  }
}

/**
 * One private redis-server for the whole run (each test works in namespaces of its own), and the
 * child scripts bundled once for every test that starts processes. Says once which server the run
 * is on: every server a test starts is that binary.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const identity = identifyServer()
  console.log(`flipcache tests on ${identity.name} ${identity.version} (${identity.binary})`)
  const [started, bundled] = await Promise.allSettled([startRedisServer(), bundleChildScripts()])
  if (started.status === 'rejected' || bundled.status === 'rejected') {
    if (started.status === 'fulfilled') await started.value.stop()
    if (bundled.status === 'fulfilled') bundled.value.remove()
    throw started.status === 'rejected' ? started.reason : (bundled as PromiseRejectedResult).reason
  }
  const server = started.value
  const children = bundled.value
  project.provide('redisUrl', server.url)
  project.provide('redisServer', identity)
  project.provide('childScripts', {
    getOrSet: children.getOrSet,
    sync: children.sync,
    writeBehind: children.writeBehind,
    rateLimit: children.rateLimit,
    listRanking: children.listRanking,
    counter: children.counter,
  })
  return async () => {
    children.remove()
    await server.stop()
  }
}
