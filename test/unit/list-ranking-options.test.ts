import { describe, expect, it } from 'vitest'
import { FlipList, type FlipListOptions, FlipRanking, type FlipRankingOptions } from '../../src/index.js'
import { resolveListOptions } from '../../src/structures/list/list-options.js'
import { resolveRankingOptions } from '../../src/structures/ranking/ranking-options.js'
import { expectTypeError } from './expect-type-error.js'

const listOf = (options: unknown) => resolveListOptions(options as FlipListOptions<string, unknown>)
const rankingOf = (options: unknown) => resolveRankingOptions(options as FlipRankingOptions<string, string>)

describe('FlipList options', () => {
  it('fills in the defaults: superjson values, 1 MiB, no expiry', () => {
    const resolved = listOf({ maxLength: 5 })
    expect(resolved).toMatchObject({ maxLength: 5, expireMs: null, maxValueBytes: 2 ** 20, timeoutMs: 1000 })
    expect(resolved.values.decode(resolved.values.encode(new Set([1])))).toEqual(new Set([1]))
    expect(listOf({ maxLength: 1, expireTime: '2s' }).expireMs).toBe(2000)
    expect(listOf({ maxLength: 1, expireTime: null }).expireMs).toBeNull()
  })

  it('maxLength is required, a positive integer of at most a million', () => {
    expectTypeError(() => listOf({}), '`maxLength` is required')
    expectTypeError(() => listOf(undefined), '`maxLength` is required')
    for (const bad of [0, -1, 1.5, '5', Number.NaN, 1_000_001]) {
      expectTypeError(() => listOf({ maxLength: bad }), '`maxLength`', 'from 1 to 1000000')
    }
  })

  it('refuses bad expireTime, valueType, maxValueBytes, custom hooks and unknown options, naming them', () => {
    expectTypeError(() => listOf({ maxLength: 1, expireTime: 0 }), '`expireTime`')
    expectTypeError(() => listOf({ maxLength: 1, expireTime: '5x' }), '`expireTime`')
    expectTypeError(() => listOf({ maxLength: 1, valueType: 'yaml' }), '`valueType`', "'yaml'")
    expectTypeError(() => listOf({ maxLength: 1, maxValueBytes: 0 }), '`maxValueBytes`')
    expectTypeError(() => listOf({ maxLength: 1, valueType: 'custom' }), 'valueEncoder')
    expectTypeError(() => listOf({ maxLength: 1, valueEncoder: String }), "need `valueType: 'custom'`")
    expectTypeError(() => listOf({ maxLength: 1, maxLenght: 2 }), 'Unknown option `maxLenght`')
    expectTypeError(() => listOf({ maxLength: 1, keyType: 'uuid' }), '`keyType`')
    expectTypeError(() => listOf({ maxLength: 1, hashTag: 'yes' }), '`hashTag`')
    expectTypeError(() => listOf({ maxLength: 1, timeout: -1 }), '`timeout`')
  })

  it('the constructor refuses a bad name before opening anything', () => {
    expectTypeError(() => new FlipList('has space', { maxLength: 1 }), 'name')
    expectTypeError(() => new FlipList('{tag}', { maxLength: 1, hashTag: true }), '{tag}')
  })
})

describe('FlipRanking options', () => {
  it('fills in the defaults: string members, no maxSize, no expiry', () => {
    const resolved = rankingOf(undefined)
    expect(resolved).toMatchObject({ maxSize: null, expireMs: null })
    expect(resolved.members.encode('a')).toBe('a')
    expect(rankingOf({ maxSize: 10, expireTime: '1m' })).toMatchObject({ maxSize: 10, expireMs: 60_000 })
    expect(rankingOf({ memberType: 'int' }).members.decode('42')).toBe(42)
  })

  it('refuses bad memberType, maxMemberLength, maxSize, expireTime and unknown options, naming them', () => {
    expectTypeError(() => rankingOf({ memberType: 'uuid' }), '`memberType`', "'uuid'")
    expectTypeError(() => rankingOf({ maxMemberLength: 0 }), '`maxMemberLength`')
    for (const bad of [0, -3, 2.5, '10', 2 ** 31]) {
      expectTypeError(() => rankingOf({ maxSize: bad }), '`maxSize`')
    }
    expectTypeError(() => rankingOf({ expireTime: 'soon' }), '`expireTime`')
    expectTypeError(() => rankingOf({ maxLength: 3 }), 'Unknown option `maxLength`')
    expectTypeError(() => rankingOf('options'), 'Expected options to be an object')
  })

  it('members longer than maxMemberLength are refused, and not decoded when stored', () => {
    const { members } = rankingOf({ maxMemberLength: 4 })
    expectTypeError(() => members.encode('abcde'), 'at most 4')
    expectTypeError(() => members.decode('abcde'), 'at most 4')
  })

  it('the constructor refuses a bad name before opening anything', () => {
    expectTypeError(() => new FlipRanking(''), 'name')
  })
})
