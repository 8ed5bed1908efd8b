import { describe, expect, it, vi } from 'vitest'
import type { FlipCacheError } from '../../src/errors.js'
import type { ServerFeatures, Support } from '../../src/redis/server-features.js'
import type { Arg, TransportView } from '../../src/redis/transport-view.js'
import { type BucketSettings, sizedLayout } from '../../src/store/bucket-layout.js'
import { HashStore } from '../../src/store/hash-store.js'

/** One command the store sent, and the reply the test gives it. */
interface Sent {
  name: string
  args: Arg[]
}

/**
 * A transport view that records commands and answers them with `reply(name, args)`, over a server
 * whose support of field TTLs the test sets: the store's choice of commands, for each answer, without
 * a server (the real servers' behaviour is field-expiry.test.ts's).
 */
function fakeView(support: () => Support, reply: (sent: Sent) => unknown = () => 'OK') {
  const sent: Sent[] = []
  const forget = vi.fn()
  const features = { fieldExpiry: () => support(), forget } as unknown as ServerFeatures
  const view = {
    router: undefined,
    features,
    command: (name: string, args: Arg[]) => {
      // The listpack check's CONFIG GET, refused as a managed server would: no check, and not recorded.
      if (name === 'CONFIG') return Promise.reject(new Error('ERR unknown command'))
      const call = { name, args }
      sent.push(call)
      try {
        return Promise.resolve(reply(call))
      } catch (error) {
        return Promise.reject(error)
      }
    },
  } as unknown as TransportView
  return { view, sent, forget }
}

const settings = (extra: Partial<BucketSettings> = {}): BucketSettings => ({
  layout: sizedLayout(100),
  expire: 'always',
  expiry: 'auto',
  prefix: undefined,
  ...extra,
})

const storeOn = (view: TransportView, extra: Partial<BucketSettings> = {}) =>
  new HashStore(view, 'c:', 'string', settings(extra), () => {})

describe('HashStore on each answer of the server about field TTLs', () => {
  it("'auto' puts the expiry in the header until the server is known to expire fields, and on one that does not", () => {
    let support: Support = 'unknown'
    const store = storeOn(fakeView(() => support).view)
    expect(store.headerExpiry('1')).toBe(true)
    support = 'no'
    expect(store.headerExpiry('1')).toBe(true)
    support = 'yes'
    expect(store.headerExpiry('1')).toBe(false)
    expect(storeOn(fakeView(() => 'yes').view, { expiry: 'header' }).headerExpiry('1')).toBe(true)
    expect(storeOn(fakeView(() => 'unknown').view, { expiry: 'bucket' }).headerExpiry('1')).toBe(false)
  })

  it("writes with field TTLs: HSETEX ... PX per bucket, and under 'always' PEXPIRE ... GT; without expiry HSET", async () => {
    const { view, sent } = fakeView(() => 'yes')
    await storeOn(view).write(
      [
        ['1', 'a'],
        ['2', 'b'],
        ['105', 'c'],
      ],
      60_000,
    )
    expect(sent).toEqual([
      { name: 'HSETEX', args: ['c:b:0', 'PX', 60_000, 'FIELDS', 2, '1', 'a', '2', 'b'] },
      { name: 'PEXPIRE', args: ['c:b:0', 60_000, 'GT'] },
      { name: 'HSETEX', args: ['c:b:1', 'PX', 60_000, 'FIELDS', 1, '5', 'c'] },
      { name: 'PEXPIRE', args: ['c:b:1', 60_000, 'GT'] },
    ])
    sent.length = 0
    await storeOn(view, { expire: 'never' }).write([['1', 'a']], 60_000)
    expect(sent.map(({ name }) => name)).toEqual(['HSETEX'])
    sent.length = 0
    await storeOn(view).write([['1', 'a']], null)
    expect(sent.map(({ name }) => name)).toEqual(['HSET', 'PERSIST'])
  })

  it('writes without field TTLs (or before the answer): the header path, one EVAL per bucket', async () => {
    for (const support of ['no', 'unknown'] as const) {
      const { view, sent } = fakeView(() => support)
      await storeOn(view).write([['1', 'a']], 60_000)
      expect(sent.map(({ name }) => name)).toEqual(['EVAL'])
    }
  })

  it('reads with TTL add HPTTL where fields expire, and keep the shorter life; before the answer, a life of 0 (not kept)', async () => {
    const yes = fakeView(
      () => 'yes',
      ({ name }) => (name === 'HMGET' ? ['a', 'b'] : name === 'PTTL' ? 50_000 : [20_000, -1]),
    )
    expect(await storeOn(yes.view).read(['1', '2'], true)).toEqual({
      values: ['a', 'b'],
      ttls: [20_000, 50_000],
    })
    expect(yes.sent.map(({ name }) => name)).toEqual(['HMGET', 'PTTL', 'HPTTL'])
    const unknown = fakeView(
      () => 'unknown',
      ({ name }) => (name === 'HMGET' ? ['a'] : -1),
    )
    expect(await storeOn(unknown.view).read(['1'], true)).toEqual({ values: ['a'], ttls: [0] })
    expect(unknown.sent.map(({ name }) => name)).toEqual(['HMGET', 'PTTL'])
    const no = fakeView(
      () => 'no',
      ({ name }) => (name === 'HMGET' ? ['a'] : 40_000),
    )
    expect(await storeOn(no.view).read(['1'], true)).toEqual({ values: ['a'], ttls: [40_000] })
  })

  it('sliding reads are HGETEX ... PX; before the answer a plain HMGET not kept; on a server without field TTLs, E_REDIS', async () => {
    const yes = fakeView(
      () => 'yes',
      ({ name }) => (name === 'HGETEX' ? ['a'] : 0),
    )
    expect(await storeOn(yes.view).readSliding(['1'], 10_000)).toEqual({ values: ['a'], ttls: undefined })
    expect(yes.sent).toEqual([
      { name: 'PEXPIRE', args: ['c:b:0', 10_000, 'GT'] },
      { name: 'HGETEX', args: ['c:b:0', 'PX', 10_000, 'FIELDS', 1, '1'] },
    ])
    const unknown = fakeView(
      () => 'unknown',
      () => ['a'],
    )
    expect(await storeOn(unknown.view).readSliding(['1'], 10_000)).toEqual({ values: ['a'], ttls: [0] })
    expect(unknown.sent.map(({ name }) => name)).toEqual(['HMGET'])
    const no = fakeView(() => 'no')
    const refused = (await storeOn(no.view)
      .readSliding(['1'], 10_000)
      .catch((error: unknown) => error)) as FlipCacheError
    expect(refused.code).toBe('E_REDIS')
    expect(refused.message).toMatch(/HGETEX.*`c:b:0`/)
    expect(no.sent).toEqual([])
  })

  it('touches are one HPEXPIRE per bucket where fields expire; elsewhere every key counts as gone, nothing sent', async () => {
    const yes = fakeView(
      () => 'yes',
      ({ name }) => (name === 'HPEXPIRE' ? [1, -2] : 0),
    )
    expect(await storeOn(yes.view).touch(['1', '2'], 10_000)).toEqual([true, false])
    expect(yes.sent.map(({ name }) => name)).toEqual(['PEXPIRE', 'HPEXPIRE'])
    for (const support of ['no', 'unknown'] as const) {
      const other = fakeView(() => support)
      expect(await storeOn(other.view).touch(['1', '2'], 10_000)).toEqual([false, false])
      expect(other.sent).toEqual([])
    }
  })

  it('a field command refused as unknown makes every server be asked again, and the call fails', async () => {
    const { view, forget } = fakeView(
      () => 'yes',
      ({ name }) => {
        if (name === 'HSETEX') throw new Error("ERR unknown command 'HSETEX', with args beginning with: ")
        return 0
      },
    )
    await expect(storeOn(view).write([['1', 'a']], 60_000)).rejects.toThrow(/unknown command/)
    expect(forget).toHaveBeenCalledTimes(1)
  })
})
