import { type ChildProcess, spawn } from 'node:child_process'
import type { Redis } from 'ioredis'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { uniqueName } from '../support/cache-builder.js'
import { useStructures } from '../support/structure-builder.js'

const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill()
})

/** Starts list-ranking-child with `args`; resolves once it printed `ready`, with a way to wait for `done`. */
async function startChild(args: string[]): Promise<{ go(): void; done: Promise<void> }> {
  const child = spawn(process.execPath, [inject('childScripts').listRanking, inject('redisUrl'), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  children.push(child)
  let output = ''
  const printed = (word: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (output.split('\n').includes(word)) resolve()
      }
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString()
        check()
      })
      child.on('exit', (code) => {
        check()
        reject(new Error(`list-ranking-child exited with ${code} before printing '${word}'`))
      })
      check()
    })
  const done = printed('done')
  done.catch(() => {})
  await printed('ready')
  return { go: () => child.stdin?.write('go\n'), done }
}

describe('FlipList and FlipRanking across two processes', () => {
  const { list, ranking, sharedClient } = useStructures()

  it('pushes from two processes never leave the list past maxLength, and each keeps its own order', async () => {
    const name = uniqueName('feed')
    const maxLength = 50
    const pushes = 300
    const [one, two] = await Promise.all(
      ['a', 'b'].map((label) => startChild(['push', name, String(maxLength), label, String(pushes)])),
    )
    const observer = sharedClient() as Redis
    let finished = false
    let longest = 0
    let reads = 0
    const watching = (async () => {
      while (!finished) {
        longest = Math.max(longest, await observer.llen(`${name}:feed`))
        reads++
      }
    })()
    one?.go()
    two?.go()
    try {
      await Promise.all([one?.done, two?.done])
    } finally {
      finished = true
      await watching
    }
    expect(reads).toBeGreaterThan(0)
    expect(longest).toBeLessThanOrEqual(maxLength)
    const feed = await list<string, string>({ maxLength, valueType: 'string' }, name).range('feed')
    expect(feed).toHaveLength(maxLength)
    expect(new Set(feed).size).toBe(maxLength)
    expect(['a:299', 'b:299']).toContain(feed[0])
    for (const label of ['a', 'b']) {
      const numbers = feed
        .filter((value) => value.startsWith(`${label}:`))
        .map((value) => Number(value.slice(2)))
      expect(numbers).toEqual([...numbers].sort((x, y) => y - x))
    }
  })

  it('increments from two processes lose none', async () => {
    const name = uniqueName('board')
    const [one, two] = await Promise.all([0, 1].map(() => startChild(['increment', name, '4', '400'])))
    one?.go()
    two?.go()
    await Promise.all([one?.done, two?.done])
    expect(await ranking({}, name).top('board', 10)).toEqual([
      { member: 'm3', score: 200 },
      { member: 'm2', score: 200 },
      { member: 'm1', score: 200 },
      { member: 'm0', score: 200 },
    ])
  })
})
