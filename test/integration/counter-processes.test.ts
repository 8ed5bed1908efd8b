import { afterEach, describe, expect, inject, it } from 'vitest'
import { uniqueName } from '../support/cache-builder.js'
import { type Child, spawnChild } from '../support/child-process.js'
import { useCounters } from '../support/counter-builder.js'

const { counter, sharedClient } = useCounters()
const started: Child[] = []
afterEach(() => {
  for (const child of started.splice(0)) if (child.process.exitCode === null) child.process.kill('SIGKILL')
})

function counterChild(args: string[]): Child {
  const child = spawnChild([inject('redisUrl'), ...args], inject('childScripts').counter)
  started.push(child)
  return child
}

const exited = (child: Child): Promise<unknown> =>
  child.process.exitCode !== null || child.process.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.process.once('exit', resolve))

describe('FlipCounter across processes', () => {
  it('restores a missing counter once in the fleet and loses none of 2 x 150 concurrent increments', async () => {
    const name = uniqueName('counter')
    const children = [1, 2].map(() => counterChild([name, 'increment', 'job', '150', '1000', '300']))
    await Promise.all(children.map((child) => child.line('ready')))
    for (const child of children) child.go()
    const lines = await Promise.all(children.map((child) => child.line('values ', 30_000)))
    const values = lines.flatMap((line) => JSON.parse(line.slice('values '.length)) as number[])
    expect(await sharedClient().get(`${name}#restore-calls`)).toBe('1')
    // Each increment got the restored base plus the increments recorded up to its own: all distinct.
    expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, index) => 1001 + index))
    expect(await counter({}, name).get('job')).toBe(1300)
  }, 60_000)

  it('hands the counters of a process killed between hand-over and acknowledgement over again', async () => {
    const name = uniqueName('counter')
    const child = counterChild([name, 'persist-hang', '1500', 'a', 'b', 'c'])
    await child.line('ready')
    child.go()
    const handed = JSON.parse((await child.line('handed ', 30_000)).slice('handed '.length)) as [
      string,
      number,
    ][]
    expect(handed.sort()).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 1],
    ])
    child.process.kill('SIGKILL')
    await exited(child)
    expect(await sharedClient().hexists(`${name}#inflight`, 'm')).toBe(1)

    const received: [string, number][] = []
    const survivor = counter(
      {
        persistInterval: 3_600_000,
        persist: async (changes) => {
          received.push(...changes)
        },
      },
      name,
    )
    // The dead process's lease (1.5 s) has to run out before its hand-over is taken over.
    await expect
      .poll(
        async () => {
          await survivor.persistNow()
          return received.length
        },
        { timeout: 20_000, interval: 200 },
      )
      .toBe(3)
    expect(received.sort()).toEqual(handed)
    expect(await sharedClient().exists(`${name}#inflight`, `${name}#dirty`)).toBe(0)
  }, 60_000)
})
