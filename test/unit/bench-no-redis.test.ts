import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import RedisMock from 'ioredis-mock'
import { afterEach, describe, expect, it } from 'vitest'
import { l1 } from '../../bench/l1.js'
import { redisHit } from '../../bench/redis-hit.js'
import type { Section } from '../../bench/report/model.js'
import { inProcessRedis } from '../../bench/support/in-process-redis.js'
import {
  fullComparisonHint,
  labelledInProcess,
  noRedisLabel,
  onPath,
  redisSource,
  selectScenarios,
} from '../../bench/support/no-redis.js'
import type { Scenario } from '../../bench/support/scenario.js'
import { FlipCache } from '../../src/index.js'

// `npm run bench` on a machine without redis-server and without REDIS_URL (issue 13, point 12): how
// it decides, what it runs, how it labels it. The caches themselves are tested on real Redis.

const folders: string[] = []
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true })
})

/** A folder holding an (empty) file `name`, executable or not. */
function folderWith(name: string, executable: boolean): string {
  const folder = mkdtempSync(join(tmpdir(), 'flipcache-path-'))
  folders.push(folder)
  writeFileSync(join(folder, name), '')
  chmodSync(join(folder, name), executable ? 0o755 : 0o644)
  return folder
}

const scenario = (name: string, inProcess?: boolean): Scenario => ({
  name,
  summary: name,
  ...(inProcess === undefined ? {} : { inProcess }),
  run: async () => {},
})

describe('bench without Redis: where Redis comes from', () => {
  it('REDIS_URL wins; else a redis-server on PATH; else none', () => {
    const withServer = `${folderWith('node', true)}${delimiter}${folderWith('redis-server', true)}`
    const without = folderWith('node', true)
    expect(redisSource({ REDIS_URL: 'redis://10.0.0.1:6380', PATH: without })).toEqual({
      kind: 'url',
      url: 'redis://10.0.0.1:6380',
    })
    expect(redisSource({ REDIS_URL: '', PATH: withServer })).toEqual({ kind: 'server' })
    expect(redisSource({ PATH: without })).toEqual({ kind: 'none' })
    expect(redisSource({})).toEqual({ kind: 'none' })
  })

  it('FLIPCACHE_REDIS_SERVER names the server to start: a path or a name on PATH, executable', () => {
    const valkeyFolder = folderWith('valkey-server', true)
    const without = folderWith('node', true)
    expect(
      redisSource({ FLIPCACHE_REDIS_SERVER: join(valkeyFolder, 'valkey-server'), PATH: without }),
    ).toEqual({
      kind: 'server',
    })
    expect(redisSource({ FLIPCACHE_REDIS_SERVER: 'valkey-server', PATH: valkeyFolder })).toEqual({
      kind: 'server',
    })
    // Named but absent: no server, even with a redis-server on PATH (the run was asked for another one).
    const withRedis = folderWith('redis-server', true)
    expect(redisSource({ FLIPCACHE_REDIS_SERVER: 'valkey-server', PATH: withRedis })).toEqual({
      kind: 'none',
    })
    expect(
      redisSource({ FLIPCACHE_REDIS_SERVER: join(folderWith('valkey-server', false), 'valkey-server') }),
    ).toEqual({ kind: 'none' })
  })

  it('a redis-server file that is not executable is not a server', () => {
    expect(onPath('redis-server', folderWith('redis-server', false))).toBe(false)
    expect(onPath('redis-server', `${delimiter}${folderWith('redis-server', true)}`)).toBe(true)
  })
})

describe('bench without Redis: which scenarios run', () => {
  const all = [scenario('l1', true), scenario('redis-hit'), scenario('writes', false), scenario('hits', true)]

  it('with Redis: every scenario, or those of --only', () => {
    expect(selectScenarios(all, undefined, true)).toEqual({ run: all, skipped: [] })
    const { run } = selectScenarios(all, ['writes', 'l1'], true)
    expect(run.map((s) => s.name)).toEqual(['l1', 'writes'])
  })

  it('without: only the in-process ones, the others named as skipped', () => {
    const { run, skipped } = selectScenarios(all, undefined, false)
    expect(run.map((s) => s.name)).toEqual(['l1', 'hits'])
    expect(skipped.map((s) => s.name)).toEqual(['redis-hit', 'writes'])
    const only = selectScenarios(all, ['redis-hit'], false)
    expect(only.run).toEqual([])
    expect(only.skipped.map((s) => s.name)).toEqual(['redis-hit'])
  })

  it('of the real scenarios, l1 is in-process and the Redis-hit one is not', () => {
    expect(l1.inProcess).toBe(true)
    expect(redisHit.inProcess).toBeUndefined()
  })
})

describe('bench without Redis: what it prints', () => {
  it('labels the title, every row and every target of a section, and adds a note', () => {
    const section: Section = {
      id: 'l1',
      title: 'L1 hit',
      intro: '',
      columns: [{ header: 'task' }, { header: 'ops/s' }],
      rows: [
        ['Map', '1'],
        ['flipcache', '2'],
      ],
      notes: ['a note'],
      configs: [],
      charts: [],
      targets: [{ what: 'L1-hit get', measured: '1×', target: '≥ 0.5×', pass: true }],
    }
    const labelled = labelledInProcess(section)
    expect(labelled.title).toBe(`L1 hit [${noRedisLabel}]`)
    expect(labelled.rows).toEqual([
      ['Map (no Redis)', '1'],
      ['flipcache (no Redis)', '2'],
    ])
    expect(labelled.notes?.[0]).toContain(noRedisLabel)
    expect(labelled.notes?.[0]).toContain('cmds/op and Redis CPU are not counted')
    expect(labelled.notes?.[1]).toBe('a note')
    expect(labelled.targets?.[0]?.what).toBe(`L1-hit get (${noRedisLabel})`)
  })

  it('ends with what was skipped and both ways to the full comparison', () => {
    const hint = fullComparisonHint(['redis-hit', 'writes'])
    expect(hint).toContain(noRedisLabel)
    expect(hint).toContain('Not run, as they measure Redis: redis-hit, writes.')
    expect(hint).toContain('apt-get install redis-server')
    expect(hint).toContain('REDIS_URL=')
  })
})

describe('bench without Redis: FlipCache on ioredis-mock', () => {
  it('a bare ioredis-mock client is refused (it has no call, sendCommand or status)', () => {
    const mock = new RedisMock()
    try {
      expect(() => new FlipCache('refused', { redis: mock })).toThrow(/got an instance of .*RedisMock/)
    } finally {
      mock.disconnect()
    }
  })

  it("the bench's adapter runs writes, Redis reads, L1 hits and getOrSet, with sync 'pubsub'", async () => {
    const redis = inProcessRedis()
    const writer = new FlipCache<string, { id: number }>('in-process', { redis, cloneOnRead: true })
    const reader = new FlipCache<string, { id: number }>('in-process', { redis, localMax: 0 })
    try {
      await writer.setMany([
        ['a', { id: 1 }],
        ['b', { id: 2 }],
      ])
      expect(await writer.get('a')).toEqual({ id: 1 })
      expect(await writer.getOrSet('b', async () => ({ id: 0 }))).toEqual({ id: 2 })
      expect(await writer.get('a')).not.toBe(await writer.get('a'))
      expect(await reader.getMany(['a', 'b', 'c'])).toEqual([{ id: 1 }, { id: 2 }, undefined])
      expect(await reader.getOrSet('c', async () => ({ id: 3 }))).toEqual({ id: 3 })
      expect(writer.stats()).toMatchObject({ localHits: 4, remoteHits: 0, errors: 0 })
      expect(reader.stats()).toMatchObject({ remoteHits: 2, misses: 2, errors: 0 })
    } finally {
      await Promise.all([writer.close(), reader.close()])
      await redis.quit()
    }
  })
})
