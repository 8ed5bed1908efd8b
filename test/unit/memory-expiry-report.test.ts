import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type ExpiredUnreadRow, fullPlan, shortTtlFor } from '../../bench/memory/expired-plan.js'
import { expiredMarkdown } from '../../bench/memory/expired-report.js'
import { fieldTtlCosts } from '../../bench/memory/field-ttl-report.js'
import type { MemoryRow } from '../../bench/memory/measure-memory.js'
import { findRedis8 } from '../../bench/memory/redis8-server.js'
import type { FieldTtlPass } from '../../bench/memory/server-pass.js'
import { smallEntries } from '../../bench/memory/shapes.js'
import type { Subject } from '../../bench/memory/subjects.js'

// The memory benchmark's expiry rows (bench/memory/): which server runs the field-TTL pass, the
// short TTL, and what the tables say, from made-up numbers and fake server binaries.

const dir = mkdtempSync(join(tmpdir(), 'flipcache-redis8-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A fake server binary that answers `--version` as `redis-server` or `valkey-server` would. */
function fakeServer(path: string, version: string): string {
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, `#!/bin/sh\necho '${version} sha=00000000:0 malloc=libc bits=64 build=0'\n`)
  chmodSync(path, 0o755)
  return path
}

describe('the field-TTL pass of the memory benchmark', () => {
  it('runs on FLIPCACHE_REDIS8_SERVER when it is Redis 8+ or Valkey 9+, and says why not otherwise', () => {
    const redis8 = fakeServer(join(dir, 'named', 'redis-server'), 'Redis server v=8.0.2')
    expect(findRedis8({ FLIPCACHE_REDIS8_SERVER: redis8 })).toEqual({ binary: redis8, name: 'Redis 8.0.2' })
    const valkey9 = fakeServer(join(dir, 'named', 'valkey-9'), 'Valkey server v=9.0.0')
    expect(findRedis8({ FLIPCACHE_REDIS8_SERVER: valkey9 })).toEqual({
      binary: valkey9,
      name: 'Valkey 9.0.0',
    })
    const redis7 = fakeServer(join(dir, 'named', 'redis-7'), 'Redis server v=7.4.2')
    expect(findRedis8({ FLIPCACHE_REDIS8_SERVER: redis7 })).toEqual({
      skipped: `${redis7} is Redis 7.4.2, which has no HSETEX (Redis 8.0+, Valkey 9.0+)`,
    })
    const valkey8 = fakeServer(join(dir, 'named', 'valkey-8'), 'Valkey server v=8.0.1')
    expect(findRedis8({ FLIPCACHE_REDIS8_SERVER: valkey8 })).toMatchObject({
      skipped: expect.stringContaining('is Valkey 8.0.1, which has no HSETEX'),
    })
    const missing = join(dir, 'named', 'no-such-server')
    expect(findRedis8({ FLIPCACHE_REDIS8_SERVER: missing })).toMatchObject({
      skipped: expect.stringContaining(`${missing} --version failed`),
    })
  })

  it("falls back on CI's cache, and skips (never fails) when there is no server there", () => {
    const cache = join(dir, 'ci-cache')
    expect(findRedis8({ FLIPCACHE_CI_CACHE: cache })).toEqual({
      skipped: `FLIPCACHE_REDIS8_SERVER is not set and ${join(cache, 'redis-8.0.2/bin/redis-server')} is not an executable file`,
    })
    const cached = fakeServer(join(cache, 'redis-8.0.2', 'bin', 'redis-server'), 'Redis server v=8.0.2')
    expect(findRedis8({ FLIPCACHE_CI_CACHE: cache, FLIPCACHE_REDIS8_SERVER: ' ' })).toEqual({
      binary: cached,
      name: 'Redis 8.0.2',
    })
  })

  const row = (label: string, bytesPerEntry: number, encoding: string): MemoryRow => {
    const subject: Subject = {
      label,
      group: label.startsWith('raw') ? 'baseline' : 'flipcache',
      open: () => Promise.reject(new Error('not opened in this test')),
    }
    return { subject, entries: 100_000, bytesPerEntry, keys: 1_000, encoding }
  }

  it('says what the field TTLs cost over the header, or that the default wrote headers too', () => {
    const pass = (encoding: string): FieldTtlPass => ({
      server: 'Redis 8.0.2 (libc)',
      settings: {},
      expired: [],
      result: {
        shape: smallEntries,
        rows: [
          row('raw JSON strings (ioredis SET PX)', 170, 'embstr'),
          row("flipcache hash 100/bucket, 'superjson', entryExpiry 'header'", 63.8, 'listpack'),
          row("flipcache hash 100/bucket, 'superjson', entryExpiry 'auto' (default)", 61.9, encoding),
          row("flipcache hash 100/bucket, 'msgpack', entryExpiry 'header'", 47.9, 'listpack'),
          row("flipcache hash 100/bucket, 'msgpack', entryExpiry 'auto' (default)", 49.4, encoding),
        ],
      },
    })
    expect(fieldTtlCosts(pass('listpackex'))).toEqual([
      "'superjson': field TTLs (listpackex) instead of the 11-byte header: -1.9 B/entry (63.8 → 61.9)",
      "'msgpack': field TTLs (listpackex) instead of the 11-byte header: +1.5 B/entry (47.9 → 49.4)",
    ])
    expect(fieldTtlCosts(pass('listpack'))[1]).toBe(
      "'msgpack': 'auto', stored as listpack (no field TTLs: the header path): +1.5 B/entry (47.9 → 49.4)",
    )
  })
})

describe('the "expired, never read" rows', () => {
  it('give the short-lived entries the plan’s TTL, or twice what writing them should take on a slow machine', () => {
    // 100,000 short-lived entries after 25,000 long-lived ones: four times the long-lived writes.
    expect(shortTtlFor(fullPlan, 200, 4)).toBe(2_000)
    expect(shortTtlFor(fullPlan, 300, 4)).toBe(3_000)
    expect(shortTtlFor(fullPlan, 1_000, 4)).toBe(8_000)
  })

  it('report per short-lived entry what it held while live and still holds after expiry', () => {
    const expired = (overrides: Partial<ExpiredUnreadRow>): ExpiredUnreadRow => ({
      server: 'Redis 8.0.2 (libc)',
      option: "entryExpiry 'auto' (default)",
      path: 'field TTLs',
      encoding: 'listpackex',
      longLived: 25_000,
      shortLived: 100_000,
      shortTtlMs: 2_000,
      memory: { baseline: 2_000_000, written: 6_630_000, expired: 2_020_000 },
      fieldsLeft: 25_000,
      expiryMs: 140,
      settled: true,
      ...overrides,
    })
    const lines = expiredMarkdown([
      expired({
        server: 'Redis 7.0.15 (jemalloc-5.3.0)',
        path: 'expiry header',
        encoding: 'listpack',
        memory: { baseline: 2_000_000, written: 7_150_000, expired: 7_130_000 },
        fieldsLeft: 125_000,
        expiryMs: 0,
      }),
      expired({}),
      expired({ settled: false, fieldsLeft: 60_000 }),
    ]).split('\n')
    expect(lines[0]).toBe(
      '| server | option | expiry kept in | encoding | short TTL | B/entry while live | B/entry after expiry | fields left | gone by |',
    )
    expect(lines.slice(2)).toEqual([
      "| Redis 7.0.15 (jemalloc-5.3.0) | entryExpiry 'auto' (default) | expiry header | listpack | 2 s | 51.5 | 51.3 | 125,000 of 125,000 | none removed |",
      "| Redis 8.0.2 (libc) | entryExpiry 'auto' (default) | field TTLs | listpackex | 2 s | 46.3 | 0.2 | 25,000 of 125,000 | TTL + 0.1 s |",
      "| Redis 8.0.2 (libc) | entryExpiry 'auto' (default) | field TTLs | listpackex | 2 s | 46.3 | 0.2 | 60,000 of 125,000 | did not settle |",
    ])
  })
})
