import { describe, expect, it } from 'vitest'
import { cliBinary, installHint, parseServerVersion, serverBinary } from '../support/server-binary.js'

const none = (): boolean => false
const only =
  (...paths: string[]) =>
  (path: string): boolean =>
    paths.includes(path)

describe('serverBinary()', () => {
  it('is redis-server on the PATH unless FLIPCACHE_REDIS_SERVER names another', () => {
    expect(serverBinary({})).toBe('redis-server')
    expect(serverBinary({ FLIPCACHE_REDIS_SERVER: '  ' })).toBe('redis-server')
    expect(serverBinary({ FLIPCACHE_REDIS_SERVER: 'valkey-server' })).toBe('valkey-server')
    expect(serverBinary({ FLIPCACHE_REDIS_SERVER: '/opt/redis-8.0.2/bin/redis-server' })).toBe(
      '/opt/redis-8.0.2/bin/redis-server',
    )
  })

  it('makes a relative path absolute, so it holds from any working directory', () => {
    expect(serverBinary({ FLIPCACHE_REDIS_SERVER: 'bin/redis-server' })).toBe(
      `${process.cwd()}/bin/redis-server`,
    )
  })
})

describe('cliBinary()', () => {
  it('is redis-cli on the PATH by default', () => {
    expect(cliBinary({}, none)).toBe('redis-cli')
  })

  it('is FLIPCACHE_REDIS_CLI when set, whatever the server', () => {
    const env = { FLIPCACHE_REDIS_SERVER: '/v/valkey-server', FLIPCACHE_REDIS_CLI: '/x/redis-cli' }
    expect(cliBinary(env, only('/v/valkey-cli'))).toBe('/x/redis-cli')
  })

  it('is the CLI next to the chosen server, of the server family first', () => {
    expect(cliBinary({ FLIPCACHE_REDIS_SERVER: '/v/valkey-server' }, only('/v/valkey-cli'))).toBe(
      '/v/valkey-cli',
    )
    expect(
      cliBinary({ FLIPCACHE_REDIS_SERVER: '/v/valkey-server' }, only('/v/valkey-cli', '/v/redis-cli')),
    ).toBe('/v/valkey-cli')
    expect(
      cliBinary({ FLIPCACHE_REDIS_SERVER: '/r/redis-server' }, only('/r/valkey-cli', '/r/redis-cli')),
    ).toBe('/r/redis-cli')
    expect(cliBinary({ FLIPCACHE_REDIS_SERVER: '/r/redis-server' }, only('/r/valkey-cli'))).toBe(
      '/r/valkey-cli',
    )
  })

  it('looks next to a server named without a path where the PATH finds it', () => {
    const env = { FLIPCACHE_REDIS_SERVER: 'valkey-server', PATH: '/a:/b' }
    expect(cliBinary(env, only('/b/valkey-server', '/b/valkey-cli'))).toBe('/b/valkey-cli')
  })

  it('falls back to redis-cli on the PATH when no CLI sits next to the server', () => {
    expect(cliBinary({ FLIPCACHE_REDIS_SERVER: '/r/redis-server' }, none)).toBe('redis-cli')
    expect(cliBinary({ FLIPCACHE_REDIS_SERVER: 'valkey-server', PATH: '/a' }, none)).toBe('redis-cli')
  })
})

describe('parseServerVersion()', () => {
  it('reads the name and version of redis-server and valkey-server --version', () => {
    expect(
      parseServerVersion(
        'Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ae4d7c971a948f0\n',
        'redis-server',
      ),
    ).toEqual({ name: 'Redis', version: '7.0.15', binary: 'redis-server' })
    expect(
      parseServerVersion(
        'Redis server v=8.0.2 sha=00000000:1 malloc=libc bits=64 build=bd65b7300d23c565\n',
        '/r',
      ),
    ).toEqual({ name: 'Redis', version: '8.0.2', binary: '/r' })
    expect(
      parseServerVersion(
        'Valkey server v=8.0.1 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=39f7c371e0a96e3d\n',
        '/v',
      ),
    ).toEqual({ name: 'Valkey', version: '8.0.1', binary: '/v' })
  })

  it('refuses output that names no server, quoting it', () => {
    expect(() => parseServerVersion('usage: something else\n', '/bin/true')).toThrow(
      /\/bin\/true --version did not say which server it is: "usage: something else"/,
    )
  })
})

describe('installHint()', () => {
  it('names the missing binary and the variable that chooses another', () => {
    expect(installHint('/nowhere/redis-server')).toMatch(/^\/nowhere\/redis-server was not found\./)
    expect(installHint('redis-server')).toContain('FLIPCACHE_REDIS_SERVER')
  })
})
