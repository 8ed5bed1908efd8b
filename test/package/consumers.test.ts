import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type ConsumerSpec, compile, createConsumer, runConsumer } from './support/consumer.js'
import { buildAndPack, type Packed, repoRoot, satisfiesCaretRange } from './support/pack.js'

// What ships: the package is built and packed once, then installed into fresh projects outside this
// repository (so that nothing resolves from its node_modules by accident), each of which type-checks
// and runs test/package/consumer/ against the private Redis of the test setup.

const strict = {
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  target: 'ES2022',
  types: ['node'],
  // As most projects have it (tsc --init); main.ts checks that the package's types are not `any`.
  skipLibCheck: true,
}

const consumers: (ConsumerSpec & { ioredisMajor: number })[] = [
  {
    name: 'esm-ts-nodenext-ioredis6',
    type: 'module',
    source: 'main.ts',
    compilerOptions: { ...strict, module: 'NodeNext', moduleResolution: 'NodeNext' },
    ioredis: 'ioredis',
    ioredisMajor: 6,
  },
  {
    name: 'esm-ts-nodenext-ioredis5',
    type: 'module',
    source: 'main.ts',
    compilerOptions: { ...strict, module: 'NodeNext', moduleResolution: 'NodeNext' },
    ioredis: 'ioredis-5',
    ioredisMajor: 5,
  },
  { name: 'cjs-js-require', type: 'commonjs', source: 'main.cjs', ioredis: 'ioredis', ioredisMajor: 6 },
  {
    name: 'cjs-ts-nodenext',
    type: 'commonjs',
    source: 'main.ts',
    compilerOptions: { ...strict, module: 'NodeNext', moduleResolution: 'NodeNext' },
    ioredis: 'ioredis',
    ioredisMajor: 6,
  },
  {
    name: 'cjs-ts-classic',
    type: 'commonjs',
    source: 'main.ts',
    compilerOptions: { ...strict, module: 'CommonJS', moduleResolution: 'node10', esModuleInterop: true },
    ioredis: 'ioredis',
    ioredisMajor: 6,
  },
]

/** What test/package/consumer/ prints when every call did what it should. */
const expected = {
  ada: 'Ada 1843-07-10T00:00:00.000Z',
  joinedIsDate: true,
  grace: 'Grace 1944-08-07T00:00:00.000Z',
  graceAgain: 'Grace 1944-08-07T00:00:00.000Z',
  loads: 1,
  many: ['Ada 1843-07-10T00:00:00.000Z', 'Grace 1944-08-07T00:00:00.000Z', 'miss'],
  fromRedis: 'Grace 1944-08-07T00:00:00.000Z',
  refused: 'TypeError',
  // flipcache-redis/otel's spans, as started: the set, the getOrSet miss and its loader, the getMany
  // that missed 'nobody', the get from Redis; the L1 hits (get ada, the second getOrSet) make none.
  spans: ['flipcache set', 'flipcache getOrSet', 'flipcache load', 'flipcache getMany', 'flipcache get'],
  viaKeyv: 'TypeScript',
  keyvRefused: 'TypeError',
}

let workspace = ''
let packed: Packed

beforeAll(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'flipcache-package-'))
  packed = await buildAndPack(workspace)
}, 300_000)

afterAll(() => {
  if (workspace !== '') rmSync(workspace, { recursive: true, force: true })
})

describe('the tarball', () => {
  it('holds both builds with their types, the README, the LICENSE and the docs; no source maps, no examples', () => {
    const paths = packed.files.map((file) => file.path)
    expect(paths).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'dist/index.js',
        'dist/index.cjs',
        'dist/index.d.ts',
        'dist/index.d.cts',
        'dist/keyv.js',
        'dist/keyv.cjs',
        'dist/keyv.d.ts',
        'dist/keyv.d.cts',
        // For TypeScript's moduleResolution node10, which reads no `exports`: the subpath's types.
        'keyv/package.json',
        'otel/package.json',
        'docs/read-through.md',
        'docs/opentelemetry.md',
        'docs/keyv.md',
        'docs/nestjs.md',
      ]),
    )
    expect(paths.filter((path) => path.endsWith('.map'))).toEqual([])
    // flipcache-redis/keyv takes the user's FlipCache: its builds carry the adapter alone, never a
    // second copy of the cache (dist/index.js is some 400 KB, dist/keyv.js 5 KB).
    const sizeOf = (path: string) => packed.files.find((file) => file.path === path)?.size ?? Infinity
    expect(sizeOf('dist/keyv.js')).toBeLessThan(16_384)
    expect(sizeOf('dist/keyv.cjs')).toBeLessThan(16_384)
    // The examples import ../../src, which is not shipped.
    expect(paths.filter((path) => path.startsWith('docs/examples/'))).toEqual([])
    expect(paths.filter((path) => path.startsWith('src/') || path.startsWith('test/'))).toEqual([])
  })

  it('flipcache-redis/otel loads only @opentelemetry/api and Node builtins: no second copy of the cache', () => {
    const paths = packed.files.map((file) => file.path)
    expect(paths).toEqual(
      expect.arrayContaining(['dist/otel.js', 'dist/otel.cjs', 'dist/otel.d.ts', 'dist/otel.d.cts']),
    )
    for (const entry of ['dist/otel.js', 'dist/otel.cjs']) {
      // The entry and the chunks it shares with the main entry (the ES build splits out the
      // channels' names), followed import by import.
      const files = new Map<string, string>()
      const external = new Set<string>()
      const visit = (file: string): void => {
        if (files.has(file)) return
        const code = readFileSync(join(repoRoot, file), 'utf8')
        files.set(file, code)
        for (const [, specifier = ''] of code.matchAll(/(?:from\s+|require\()"([^"]+)"/g)) {
          if (specifier.startsWith('./')) visit(join('dist', specifier))
          else external.add(specifier)
        }
      }
      visit(entry)
      expect([...external].sort()).toEqual(['@opentelemetry/api', 'diagnostics_channel'])
      const code = [...files.values()].join('\n')
      // The main entry is ~400 kB; the instrumentation with the channels' names ~20 kB.
      expect(code.length).toBeLessThan(40_000)
      expect(code).not.toContain('class FlipCache')
    }
  })
})

describe.each(consumers)('a fresh project: $name', (spec) => {
  it('installs the tarball, type-checks, and runs set / get / getOrSet / getMany against Redis', async () => {
    const consumer = await createConsumer(workspace, packed.tarball, spec)
    expect(consumer.installed.name).toBe('flipcache-redis')
    expect(Number(consumer.ioredisVersion.split('.')[0])).toBe(spec.ioredisMajor)
    // keyv is an optional peer: the project installs its own, for flipcache-redis/keyv.
    expect(
      satisfiesCaretRange(consumer.keyvVersion, consumer.installed.peerDependencies?.keyv ?? 'none'),
    ).toBe(true)
    // ioredis is a peer: the project's own copy must be one the package accepts.
    const peerRange = consumer.installed.peerDependencies?.ioredis ?? 'none declared'
    expect(satisfiesCaretRange(consumer.ioredisVersion, peerRange)).toBe(true)
    // The ioredis 5 project runs the lowest 5.x the range accepts: below 5.9, ioredis routes Cluster
    // commands sent by upper-case name (as flipcache sends them) to a random node.
    if (spec.ioredisMajor === 5) expect(peerRange).toContain(`^${consumer.ioredisVersion}`)
    expect(consumer.installed.dependencies?.ioredis).toBeUndefined()
    if (spec.compilerOptions !== undefined) await compile(consumer)
    const namespace = `pkg-${spec.name}-${randomBytes(4).toString('hex')}`
    const printed = await runConsumer(consumer, {
      REDIS_URL: inject('redisUrl'),
      FLIPCACHE_NAMESPACE: namespace,
    })
    expect(printed).toEqual(expected)
  }, 120_000)
})
