import { afterEach, describe, expect, it, vi } from 'vitest'
import { namespacesOf } from '../../src/namespaces.js'
import type { RedisClient } from '../../src/redis/connection.js'

function register() {
  // Any object stands for a client: the register is kept per client object.
  return namespacesOf({} as RedisClient)
}

describe('overlapping namespaces on one client', () => {
  const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
  afterEach(() => warn.mockClear())
  const codes = () => warn.mock.calls.map(([, options]) => (options as { code?: string }).code)

  it('warns once when a namespace lies inside another (a and a:b; unversioned and versioned)', () => {
    const namespaces = register()
    namespaces.enter({ prefix: 'users:', kind: 'FlipCache', name: 'users' })
    namespaces.enter({ prefix: 'users:v2:', kind: 'FlipCache', name: 'users' })
    namespaces.enter({ prefix: 'users:v2:', kind: 'FlipCache', name: 'users' })
    expect(codes()).toEqual(['E_NESTED_NAME'])
    expect(String(warn.mock.calls[0]?.[0])).toMatch(
      /FlipCache `users` \(keys `users:v2:\*`\) lies inside the namespace of FlipCache `users` \(keys `users:\*`\)/,
    )
  })

  it('warns when two kinds share a prefix, not when instances of one class share their name', () => {
    const namespaces = register()
    namespaces.enter({ prefix: 'views:', kind: 'FlipCache', name: 'views' })
    namespaces.enter({ prefix: 'views:', kind: 'FlipCache', name: 'views' })
    expect(codes()).toEqual([])
    namespaces.enter({ prefix: 'views:', kind: 'FlipCounter', name: 'views' })
    expect(codes()).toEqual(['E_NESTED_NAME'])
  })

  it('says nothing of names apart, of versions side by side, of another client, or once the other closed', () => {
    const namespaces = register()
    namespaces.enter({ prefix: 'users:v2:', kind: 'FlipCache', name: 'users' })
    namespaces.enter({ prefix: 'users:v3:', kind: 'FlipCache', name: 'users' })
    namespaces.enter({ prefix: 'usersx:', kind: 'FlipCache', name: 'usersx' })
    register().enter({ prefix: 'users:', kind: 'FlipCache', name: 'users' })
    const leave = namespaces.enter({ prefix: 'a:b:', kind: 'FlipList', name: 'a:b' })
    leave()
    namespaces.enter({ prefix: 'a:', kind: 'FlipCache', name: 'a' })
    expect(codes()).toEqual([])
  })
})
