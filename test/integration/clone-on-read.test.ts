import { describe, expect, it } from 'vitest'
import { useCaches } from '../support/cache-builder.js'

interface Profile {
  name: string
  tags: string[]
  seen: Date
}

const ada = (): Profile => ({ name: 'Ada', tags: ['math'], seen: new Date('2024-01-02T03:04:05Z') })

/** Changes every part of a profile a caller might change. */
function scribble(profile: Profile | undefined): void {
  if (profile === undefined) throw new Error('expected a value')
  profile.name = 'changed'
  profile.tags.push('changed')
  profile.seen.setUTCFullYear(1999)
}

describe('cloneOnRead', () => {
  const { cache, client } = useCaches()

  it('off (the default): an L1 hit hands out the object L1 holds, so a change reaches the next read', async () => {
    const profiles = cache<string, Profile>()
    await profiles.set('p', ada())
    scribble(await profiles.get('p'))
    expect((await profiles.get('p'))?.name).toBe('changed')
    expect(profiles.stats()).toMatchObject({ localHits: 2, remoteHits: 0 })
  })

  it('get: a change to what one read returned never reaches the next read, L1 or Redis', async () => {
    const profiles = cache<string, Profile>({ cloneOnRead: true })
    await profiles.set('p', ada())
    const first = await profiles.get('p')
    scribble(first)
    const second = await profiles.get('p')
    expect(second).toEqual(ada())
    expect(second).not.toBe(first)
    expect(profiles.stats()).toMatchObject({ localHits: 2, remoteHits: 0 })
    // A read from Redis fills L1 and hands out a copy of what it keeps. (On a client of its own: on
    // the shared one, the news of the set above may reach its subscription while its read is out,
    // and rightly keep that read from filling L1.)
    const reader = cache<string, Profile>({ cloneOnRead: true, redis: client() }, profiles.name)
    scribble(await reader.get('p'))
    expect(await reader.get('p')).toEqual(ada())
    expect(reader.stats()).toMatchObject({ remoteHits: 1, localHits: 1 })
  })

  it('getMany, peek, getOrSet and wrap: every value handed out is a copy of its own', async () => {
    const profiles = cache<string, Profile>({ cloneOnRead: true })
    await profiles.setMany([
      ['a', ada()],
      ['b', ada()],
    ])
    const [a, b] = await profiles.getMany(['a', 'b', 'a'])
    scribble(a)
    scribble(b)
    expect(await profiles.getMany(['a', 'b'])).toEqual([ada(), ada()])

    scribble(profiles.peek('a'))
    expect(profiles.peek('a')).toEqual(ada())

    // The load itself: concurrent callers joined on it get a copy each.
    const loads = await Promise.all([
      profiles.getOrSet('c', async () => ada()),
      profiles.getOrSet('c', async () => ada()),
    ])
    expect(loads[0]).not.toBe(loads[1])
    scribble(loads[0])
    expect(loads[1]).toEqual(ada())
    // And the L1 hit after it.
    scribble(await profiles.getOrSet('c', async () => ada()))
    expect(await profiles.getOrSet('c', async () => ada())).toEqual(ada())

    const lookUp = profiles.wrap(async (key: string) => ({ ...ada(), name: key }))
    scribble(await lookUp('d'))
    expect(await lookUp('d')).toEqual({ ...ada(), name: 'd' })
  })

  it('a miss hands out a copy of an object valueDefault; primitives are served as they are', async () => {
    const profiles = cache<string, Profile>({ cloneOnRead: true, valueDefault: ada() })
    scribble(await profiles.get('none'))
    expect(await profiles.get('none')).toEqual(ada())

    const names = cache<string, string>({ cloneOnRead: true, valueType: 'string' })
    await names.set('n', 'Ada')
    expect(await names.get('n')).toBe('Ada')
  })

  it('refuses a cloneOnRead that is not a boolean, and an object valueDefault the value type cannot copy', () => {
    expect(() => cache({ cloneOnRead: 'yes' as unknown as boolean })).toThrow(
      /Expected `cloneOnRead` to be a boolean, got `'yes'` \(string\)/,
    )
    expect(() =>
      cache<string, unknown>({ cloneOnRead: true, valueType: 'json', valueDefault: { at: 1n } }),
    ).toThrow(/Expected `valueDefault` to be a value of the cache's valueType with `cloneOnRead: true`/)
  })
})
