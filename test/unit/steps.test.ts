import calculateSlot from 'cluster-key-slot'
import type { Cluster } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { SlotRouter } from '../../src/redis/slot-router.js'
import { type Queued, type Step, toSteps } from '../../src/redis/steps.js'

/** A router over a slot table of no node: slots are computed, nodes are not needed here. */
const router = new SlotRouter({ slots: [] } as unknown as Cluster)

/** A queued call and the promise its caller would await. */
function queued<T>(make: (resolve: (value: T) => void, reject: (error: Error) => void) => Queued): {
  item: Queued
  result: Promise<T>
} {
  let item!: Queued
  const result = new Promise<T>((resolve, reject) => {
    item = make(resolve, reject)
  })
  return { item, result }
}

/** Answers every step as a server holding `values` would. */
function answer(steps: Step[], values: Map<string, string>): void {
  for (const step of steps) {
    const keys = step.args.map(String)
    if (step.name === 'GET') step.settle(values.get(keys[0] as string) ?? null)
    else if (step.name === 'MGET') step.settle(keys.map((key) => values.get(key) ?? null))
    else if (step.name === 'UNLINK') step.settle(keys.filter((key) => values.has(key)).length)
    else step.settle('OK')
  }
}

describe('toSteps on a Cluster', () => {
  it('keeps every command within one slot and gives each caller its replies in order', async () => {
    const keys = ['a', 'b', 'c', 'd', '{t}x', '{t}y']
    const values = new Map(keys.map((key) => [key, `v-${key}`]))
    const read = queued<{ values: unknown[] }>((resolve, reject) => ({
      kind: 'read',
      keys,
      reply: 'string',
      withTtl: false,
      resolve,
      reject,
    }))
    const unlink = queued<unknown>((resolve, reject) => ({
      kind: 'command',
      name: 'UNLINK',
      args: ['a', 'b', '{t}x', 'missing'],
      reply: 'string',
      resolve,
      reject,
    }))
    const mset = queued<unknown>((resolve, reject) => ({
      kind: 'command',
      name: 'MSET',
      args: ['a', '1', '{t}x', '2', '{t}y', '3'],
      reply: 'string',
      resolve,
      reject,
    }))
    const steps = toSteps([read.item, unlink.item, mset.item], router)
    for (const step of steps) {
      const slots = new Set(
        step.args
          .filter((_, index) => step.name !== 'MSET' || index % 2 === 0)
          .map((key) => calculateSlot(String(key))),
      )
      expect(slots.size).toBe(1)
      expect(step.slot).toBe([...slots][0])
    }
    // The two tagged keys share a slot: one MGET, one MSET of both.
    expect(steps.filter((step) => step.args.includes('{t}x')).map((step) => step.args.length)).toEqual([
      2, 1, 4,
    ])
    answer(steps, values)
    expect((await read.result).values).toEqual(keys.map((key) => `v-${key}`))
    expect(await unlink.result).toBe(3)
    expect(await mset.result).toBe('OK')
  })

  it('rejects a split command once when one of its parts fails', async () => {
    const unlink = queued<unknown>((resolve, reject) => ({
      kind: 'command',
      name: 'UNLINK',
      args: ['a', 'b', 'c'],
      reply: 'string',
      resolve,
      reject,
    }))
    const steps = toSteps([unlink.item], router)
    expect(steps.length).toBe(new Set(['a', 'b', 'c'].map((key) => calculateSlot(key))).size)
    steps[0]?.fail(new Error('CLUSTERDOWN'))
    for (const step of steps.slice(1)) step.settle(1)
    await expect(unlink.result).rejects.toMatchObject({
      code: 'E_REDIS',
      message: expect.stringContaining('CLUSTERDOWN'),
    })
  })

  it('marks PUBLISH and SPUBLISH as notices, and leaves a single node alone', () => {
    const publish = queued<unknown>((resolve, reject) => ({
      kind: 'command',
      name: 'SPUBLISH',
      args: ['cache:__sync', '{}'],
      reply: 'string',
      resolve,
      reject,
    }))
    const [step] = toSteps([publish.item], router)
    expect(step?.notice).toBe(true)
    expect(step?.slot).toBe(calculateSlot('cache:__sync'))
    const single = toSteps([publish.item], undefined)
    expect(single.map((each) => each.slot)).toEqual([undefined])
  })
})
