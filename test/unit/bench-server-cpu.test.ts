import { Redis } from 'ioredis'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { formatServerCpu } from '../../bench/support/format.js'
import { type Measured, measure, serverWork, serverWorkAround } from '../../bench/support/measure.js'
import {
  parseInfo,
  ServerCounterReader,
  type ServerCounters,
  SummedCounterReader,
  serverCounters,
} from '../../bench/support/redis-info.js'
import { measuredCells, serverCpuColumn, serverCpuNote } from '../../bench/support/rows.js'

/** An `INFO stats cpu` reply as Redis 7 writes it: two sections, CRLF line ends. */
const statsAndCpu = [
  '# Stats',
  'total_connections_received:12',
  'total_commands_processed:4711',
  'instantaneous_ops_per_sec:3',
  '',
  '# CPU',
  'used_cpu_sys:1.250000',
  'used_cpu_user:0.731500',
  'used_cpu_sys_children:0.000000',
  'used_cpu_user_children:0.000000',
  '',
].join('\r\n')

describe('INFO parsing for the server counters', () => {
  it('reads the command count and used_cpu_sys + used_cpu_user from several sections of one reply', () => {
    const fields = parseInfo(statsAndCpu)
    expect(fields.get('instantaneous_ops_per_sec')).toBe('3')
    expect(fields.has('# CPU')).toBe(false)
    const counters = serverCounters(fields)
    expect(counters.commands).toBe(4711)
    expect(counters.cpuSeconds).toBeCloseTo(1.9815, 9)
  })

  it('gives NaN CPU for a server without used_cpu_* (or with only one of them)', () => {
    expect(serverCounters(parseInfo('# Stats\ntotal_commands_processed:9\n'))).toEqual({
      commands: 9,
      cpuSeconds: Number.NaN,
    })
    const sysOnly = serverCounters(parseInfo('total_commands_processed:9\nused_cpu_sys:0.5\n'))
    expect(sysOnly.cpuSeconds).toBeNaN()
  })

  it('refuses a reply without a usable command count', () => {
    expect(() => serverCounters(parseInfo('# CPU\r\nused_cpu_sys:1\r\nused_cpu_user:1\r\n'))).toThrow(
      /total_commands_processed \(got undefined\)/,
    )
    expect(() => serverCounters(parseInfo('total_commands_processed:many\r\n'))).toThrow(/got many/)
  })
})

describe('ServerCounterReader', () => {
  it('asks for both sections in one INFO, and falls back to a plain INFO for good if the server refuses', async () => {
    const calls: string[][] = []
    const client = {
      info: async (...sections: string[]): Promise<string> => {
        calls.push(sections)
        if (sections.length > 1) throw new Error('ERR syntax error')
        return statsAndCpu
      },
    }
    const reader = new ServerCounterReader(
      client as unknown as ConstructorParameters<typeof ServerCounterReader>[0],
    )
    expect((await reader.read()).commands).toBe(4711)
    expect((await reader.read()).cpuSeconds).toBeCloseTo(1.9815, 9)
    expect(calls).toEqual([['stats', 'cpu'], [], []])
  })

  it('passes on an error that is not a refusal (a dropped connection), and tries both sections again', async () => {
    let fail = true
    const calls: string[][] = []
    const client = {
      info: async (...sections: string[]): Promise<string> => {
        calls.push(sections)
        if (fail) throw new Error('Connection is closed.')
        return statsAndCpu
      },
    }
    const reader = new ServerCounterReader(
      client as unknown as ConstructorParameters<typeof ServerCounterReader>[0],
    )
    await expect(reader.read()).rejects.toThrow('Connection is closed.')
    fail = false
    expect((await reader.read()).commands).toBe(4711)
    expect(calls).toEqual([
      ['stats', 'cpu'],
      ['stats', 'cpu'],
    ])
  })

  describe('against the real server', () => {
    const redis = new Redis(inject('redisUrl'), { lazyConnect: true })
    afterAll(() => redis.quit())

    it('reads both counters in one INFO stats cpu, and they grow with the work done', async () => {
      await redis.connect()
      const reader = new ServerCounterReader(redis)
      const before = await reader.read()
      expect(Number.isSafeInteger(before.commands)).toBe(true)
      expect(before.cpuSeconds).toBeGreaterThan(0)
      await Promise.all(Array.from({ length: 200 }, (_, index) => redis.ping(`ping ${index}`)))
      const after = await reader.read()
      // Other test files share this server: at least our INFO and our 200 PINGs.
      expect(after.commands - before.commands).toBeGreaterThanOrEqual(201)
      expect(after.cpuSeconds).toBeGreaterThanOrEqual(before.cpuSeconds)
    })
  })
})

/**
 * A model server answering `INFO stats cpu`: its counters as they stand, its own INFO counted only
 * after the reply (as Redis counts a command once it has run).
 */
function modelServer(cpuSeconds: number) {
  const state = { commands: 0, cpuSeconds }
  return {
    state,
    info: async (): Promise<string> => {
      const reply = `total_commands_processed:${state.commands}\r\nused_cpu_sys:${state.cpuSeconds}\r\nused_cpu_user:0\r\n`
      state.commands++
      return reply
    },
  }
}

describe('SummedCounterReader (the nodes of a cluster)', () => {
  it('sums the CPU of every node, and leaves one INFO of ours per window, as on one server', async () => {
    const nodes = [modelServer(1), modelServer(2), modelServer(0.5)]
    const reader = new SummedCounterReader(nodes)
    const before = await reader.read()
    expect(before.cpuSeconds).toBeCloseTo(3.5, 9)
    // 40 commands and 0.03 s of CPU, spread over the nodes.
    const ran = [
      { commands: 10, cpuSeconds: 0 },
      { commands: 20, cpuSeconds: 0.01 },
      { commands: 10, cpuSeconds: 0.02 },
    ]
    for (const [index, node] of nodes.entries()) {
      node.state.commands += ran[index]?.commands ?? 0
      node.state.cpuSeconds += ran[index]?.cpuSeconds ?? 0
    }
    const after = await reader.read()
    expect(after.cpuSeconds).toBeCloseTo(3.53, 9)
    const work = serverWork(before, after, 40)
    expect(work.commandsPerOp).toBe(1)
    expect(work.serverCpuMsPerK).toBeCloseTo(750, 6)
    // A later window: nothing ran but our readings, which it leaves out.
    const idle = serverWork(after, await reader.read(), 1)
    expect(idle.commandsPerOp).toBe(0)
  })

  it('refuses an empty list of nodes', () => {
    expect(() => new SummedCounterReader([])).toThrow(TypeError)
  })
})

describe('server work per operation', () => {
  it('leaves out the INFO that read the counters, and gives the CPU in ms per 1,000 operations', () => {
    const before: ServerCounters = { commands: 100, cpuSeconds: 2 }
    const after: ServerCounters = { commands: 301, cpuSeconds: 2.05 }
    const work = serverWork(before, after, 200)
    expect(work.commandsPerOp).toBe(1)
    expect(work.serverCpuMsPerK).toBeCloseTo(250, 6)
  })

  it('is NaN when nothing ran, or when the CPU was not counted', () => {
    const counters: ServerCounters = { commands: 1, cpuSeconds: 1 }
    expect(serverWork(counters, counters, 0)).toEqual({
      commandsPerOp: Number.NaN,
      serverCpuMsPerK: Number.NaN,
    })
    const uncounted: ServerCounters = { commands: 1, cpuSeconds: Number.NaN }
    expect(serverWork(uncounted, { commands: 12, cpuSeconds: Number.NaN }, 10)).toEqual({
      commandsPerOp: 1,
      serverCpuMsPerK: Number.NaN,
    })
  })

  it('serverWorkAround() runs the work between two readings and gives its value and the work per operation', async () => {
    const server = { commands: 0, cpuSeconds: 1 }
    const events: string[] = []
    const counter = async (): Promise<ServerCounters> => {
      events.push('read')
      const read = { ...server }
      server.commands++
      return read
    }
    const { value, work } = await serverWorkAround(counter, 50, async () => {
      events.push('run')
      server.commands += 100
      server.cpuSeconds += 0.004
      return 'done'
    })
    expect(value).toBe('done')
    expect(events).toEqual(['read', 'run', 'read'])
    expect(work.commandsPerOp).toBe(2)
    expect(work.serverCpuMsPerK).toBeCloseTo(80, 6)
    const uncounted = await serverWorkAround(undefined, 50, async () => 'ran')
    expect(uncounted).toEqual({
      value: 'ran',
      work: { commandsPerOp: Number.NaN, serverCpuMsPerK: Number.NaN },
    })
  })

  it('measure() reports the median CPU of the timed runs from the counter it is given', async () => {
    // A model server: each operation is one command and 0.5 ms of CPU; each INFO is counted after its reply.
    const server = { commands: 0, cpuSeconds: 0 }
    const counter = async (): Promise<ServerCounters> => {
      const read = { ...server }
      server.commands++
      return read
    }
    const task = {
      name: 'two ops',
      ops: 2,
      fn: async () => {
        server.commands += 2
        server.cpuSeconds += 0.001
      },
    }
    const timing = { time: 0, warmupTime: 0, rounds: 3, iterations: 5, warmup: false }
    const counted = await measure([task], timing, counter)
    expect(counted.get('two ops')?.commandsPerOp).toBe(1)
    expect(counted.get('two ops')?.serverCpuMsPerK).toBeCloseTo(500, 6)
    const uncounted = await measure([task], timing)
    expect(uncounted.get('two ops')?.serverCpuMsPerK).toBeNaN()
  })

  it("measure() reports the client's own CPU per operation, with or without a server counter", async () => {
    // Each operation keeps the CPU busy for 5 ms: far above the clock's grain, well under what it reports.
    const busy = {
      name: 'busy',
      ops: 1,
      fn: async () => {
        const until = performance.now() + 5
        while (performance.now() < until) {}
      },
    }
    const timing = { time: 0, warmupTime: 0, rounds: 1, iterations: 4, warmup: false }
    const counter = async (): Promise<ServerCounters> => ({ commands: 0, cpuSeconds: 0 })
    for (const measured of [await measure([busy], timing), await measure([busy], timing, counter)]) {
      const perOp = measured.get('busy')?.clientCpuUsPerOp ?? Number.NaN
      expect(perOp).toBeGreaterThan(1000)
      expect(perOp).toBeLessThan(50_000)
    }
  })
})

describe('the Redis CPU cell', () => {
  const result = (serverCpuMsPerK: number): Measured => ({
    clientCpuUsPerOp: Number.NaN,
    name: 'row',
    ops: 1,
    iterationMs: 0.1,
    opMs: 0.1,
    opsPerSec: 10_000,
    roundOpsPerSec: [10_000],
    rme: 2,
    samples: 16,
    commandsPerOp: 1,
    serverCpuMsPerK,
  })

  it('follows cmds/op in the cells of a timed row', () => {
    const cells = measuredCells(result(27.64), result(8.5))
    expect(cells).toHaveLength(7)
    expect(cells[3]).toBe('1')
    expect(cells[4]).toBe('27.6')
    expect(measuredCells(result(Number.NaN), result(1))[4]).toBe('n/a')
  })

  it('prints 3 significant digits or so, 0 for none and n/a when not counted', () => {
    expect(formatServerCpu(0.61)).toBe('0.61')
    expect(formatServerCpu(8.534)).toBe('8.53')
    expect(formatServerCpu(41.66)).toBe('41.7')
    expect(formatServerCpu(590.4)).toBe('590')
    expect(formatServerCpu(0.001)).toBe('0')
    expect(formatServerCpu(Number.NaN)).toBe('n/a')
    expect(formatServerCpu(Number.POSITIVE_INFINITY)).toBe('n/a')
  })

  it('has a note that says the INFO reading it is inside the window', () => {
    expect(serverCpuColumn).toBe('Redis CPU ms/1k ops')
    expect(serverCpuNote).toMatch(
      /^Redis CPU ms\/1k ops: .*used_cpu_sys \+ used_cpu_user.*INFO .*inside each window/,
    )
  })
})
