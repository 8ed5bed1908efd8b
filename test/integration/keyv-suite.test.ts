import { keyvApiTests, keyvIteratorTests, keyvNamespaceTest, keyvValueTests } from '@keyv/test-suite'
import { Redis } from 'ioredis'
import Keyv from 'keyv'
import * as test from 'vitest'
import { afterAll, describe, inject } from 'vitest'
import { FlipCache } from '../../src/index.js'
import { FlipCacheKeyvStore } from '../../src/keyv/index.js'
import { uniqueName } from '../support/cache-builder.js'

// The official Keyv adapter suite (@keyv/test-suite 2.1.2, the Keyv 5 suite, which runs on Node 20)
// against the adapter over a FlipCache on the run's private Redis. Its keyvCompressionTests test a
// compression adapter, not a store, and are not for us. Each store() is a new adapter over the same
// cache, as a user would make one per Keyv instance: what one writes, the others read.

describe('@keyv/test-suite over FlipCacheKeyvStore', () => {
  const client = new Redis(inject('redisUrl'))
  const cache = new FlipCache<string, string>(uniqueName('keyv-suite'), {
    redis: client,
    valueType: 'string',
  })
  const store = () => new FlipCacheKeyvStore(cache)

  afterAll(async () => {
    await cache.close()
    client.disconnect()
  })

  describe('keyvApiTests', () => keyvApiTests(test, Keyv, store))
  describe('keyvValueTests', () => keyvValueTests(test, Keyv, store))
  describe('keyvNamespaceTest', () => keyvNamespaceTest(test, Keyv, store))
  describe('keyvIteratorTests', () => keyvIteratorTests(test, Keyv, store))
})
