import { Bench } from 'tinybench'
import { progress } from './progress.js'
import type { ServerCounters } from './redis-info.js'

export interface Timing {
  /** Time budget of each task, in ms (0: run exactly `iterations`). */
  time: number
  warmupTime: number
  /** Rounds of the whole task list; tasks report their median round, and ratios pair rounds. */
  rounds: number
  /** Runs of each task per round, at least. */
  iterations?: number
  warmup?: boolean
}

export interface TaskSpec {
  name: string
  fn: () => Promise<unknown>
  /** How many of the operations measured one run of `fn` performs (ops/s counts these). */
  ops: number
}

/**
 * Reads the server's `total_commands_processed` and CPU (one INFO), to count commands and CPU around a
 * timed run; `cpuSeconds` is `NaN` when the server's CPU is not the bench's to count.
 */
export type CommandCounter = () => Promise<ServerCounters>

export interface Measured {
  name: string
  ops: number
  /** Mean time of one run of `fn`, in ms (the round with the median throughput). */
  iterationMs: number
  /** Mean time of one operation, in ms. */
  opMs: number
  /** The median over rounds. */
  opsPerSec: number
  /** Throughput of each round, in round order, for ratios paired round by round. */
  roundOpsPerSec: number[]
  /** Relative margin of error of the mean, in percent. */
  rme: number
  samples: number
  /**
   * Redis commands per operation during the timed runs (median over rounds), read from the
   * server's counter around them: 0 for an L1 hit, 1 for a Redis hit. `NaN` when not counted.
   */
  commandsPerOp: number
  /**
   * The Redis server's CPU (`used_cpu_sys` + `used_cpu_user`) in ms per 1,000 operations during the
   * timed runs (median over rounds), one INFO of ours inside the window. `NaN` when not counted.
   */
  serverCpuMsPerK: number
  /**
   * This process's CPU (user + system, every thread: GC and I/O included) in µs per operation during
   * the timed runs (median over rounds): what the client side of each row costs.
   */
  clientCpuUsPerOp: number
}

/** What the server did in one timed run, per operation. */
export interface ServerWork {
  commandsPerOp: number
  serverCpuMsPerK: number
}

/** Commands per operation and server CPU ms per 1,000 operations, from the counters around `operations`. */
export function serverWork(before: ServerCounters, after: ServerCounters, operations: number): ServerWork {
  if (operations === 0) return { commandsPerOp: Number.NaN, serverCpuMsPerK: Number.NaN }
  return {
    // The INFO that read `after` is counted by it: one command left out.
    commandsPerOp: (after.commands - before.commands - 1) / operations,
    serverCpuMsPerK: ((after.cpuSeconds - before.cpuSeconds) * 1_000_000) / operations,
  }
}

/**
 * Runs `run` between two readings of `commands` and says what the server did in it per each of its
 * `operations`: for a timed run that is not one of {@link measure}'s (a paced loop of writes, a stampede,
 * one clear()), measured the same way. Both `NaN` without a counter (no Redis server).
 */
export async function serverWorkAround<T>(
  commands: CommandCounter | undefined,
  operations: number,
  run: () => Promise<T>,
): Promise<{ value: T; work: ServerWork }> {
  if (commands === undefined) {
    return { value: await run(), work: { commandsPerOp: Number.NaN, serverCpuMsPerK: Number.NaN } }
  }
  const before = await commands()
  const value = await run()
  return { value, work: serverWork(before, await commands(), operations) }
}

/**
 * Times `tasks` with tinybench, `timing.rounds` times, rotating the order of the tasks each round
 * so that no task always runs first (or last, on a warmer or busier machine). Each task reports its
 * median round; compare tasks with {@link ratio}, which pairs rounds.
 */
export async function measure(
  tasks: TaskSpec[],
  timing: Timing,
  commands?: CommandCounter,
): Promise<Map<string, Measured>> {
  const rounds = new Map<string, Measured[]>()
  const count = Math.max(1, timing.rounds)
  // A step per task and phase (warmup, run) when commands are counted, else per task and round.
  progress.plan(count * tasks.length * (commands !== undefined && (timing.warmup ?? true) ? 2 : 1))
  for (let round = 0; round < count; round++) {
    const bench = new Bench({
      time: timing.time,
      warmupTime: timing.warmupTime,
      warmup: timing.warmup ?? true,
      iterations: timing.iterations ?? 16,
      warmupIterations: Math.min(8, timing.iterations ?? 16),
      throws: true,
    })
    const order = [...tasks.slice(round % tasks.length), ...tasks.slice(0, round % tasks.length)]
    const counted = new Map<string, ServerWork>()
    const clientCpu = new Map<string, number>()
    for (const task of order) {
      // The server's command counter around each phase (warmup, then the timed run, which is kept),
      // and how many times fn ran in it; one INFO of ours falls inside each window.
      let runs = 0
      let before: ServerCounters = { commands: 0, cpuSeconds: Number.NaN }
      let cpuBefore = process.cpuUsage()
      const fn = (): Promise<unknown> => {
        runs++
        return task.fn()
      }
      bench.add(task.name, fn, {
        async: true,
        async beforeAll() {
          if (commands !== undefined) before = await commands()
          runs = 0
          cpuBefore = process.cpuUsage()
        },
        async afterAll() {
          const used = process.cpuUsage(cpuBefore)
          clientCpu.set(task.name, runs === 0 ? Number.NaN : (used.user + used.system) / (runs * task.ops))
          if (commands === undefined) return
          const after = await commands()
          counted.set(task.name, serverWork(before, after, runs * task.ops))
          progress.step(`${task.name} (round ${round + 1}/${count})`)
        },
      })
    }
    await bench.run()
    if (commands === undefined) for (const _ of order) progress.step(`round ${round + 1}/${count}`)
    for (const spec of tasks) {
      const result = bench.getTask(spec.name)?.result
      if (result?.state !== 'completed') {
        const reason = result?.state === 'errored' ? result.error.message : (result?.state ?? 'missing')
        throw new Error(`Benchmark task '${spec.name}' did not complete: ${reason}`)
      }
      const iterationMs = result.latency.mean
      const measured: Measured = {
        name: spec.name,
        ops: spec.ops,
        iterationMs,
        opMs: iterationMs / spec.ops,
        opsPerSec: (spec.ops * 1000) / iterationMs,
        roundOpsPerSec: [],
        rme: result.latency.rme,
        samples: result.latency.samplesCount,
        commandsPerOp: counted.get(spec.name)?.commandsPerOp ?? Number.NaN,
        serverCpuMsPerK: counted.get(spec.name)?.serverCpuMsPerK ?? Number.NaN,
        clientCpuUsPerOp: clientCpu.get(spec.name) ?? Number.NaN,
      }
      rounds.set(spec.name, [...(rounds.get(spec.name) ?? []), measured])
    }
  }
  const medians = new Map<string, Measured>()
  for (const [name, measured] of rounds) {
    const sorted = [...measured].sort((a, b) => a.opsPerSec - b.opsPerSec)
    const median = sorted[Math.floor(sorted.length / 2)] as Measured
    medians.set(name, {
      ...median,
      roundOpsPerSec: measured.map((each) => each.opsPerSec),
      commandsPerOp: medianOf(measured.map((each) => each.commandsPerOp)),
      serverCpuMsPerK: medianOf(measured.map((each) => each.serverCpuMsPerK)),
      clientCpuUsPerOp: medianOf(measured.map((each) => each.clientCpuUsPerOp)),
    })
  }
  return medians
}

/** The median of `values` (the upper one of an even count); `NaN` when any is `NaN`, as not counted. */
export function medianOf(values: number[]): number {
  if (values.some(Number.isNaN)) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

/** How fast `task` is against `baseline`: the median of their per-round ratios (rounds are paired). */
export function ratio(task: Measured, baseline: Measured): number {
  const ratios = task.roundOpsPerSec.map(
    (opsPerSec, round) => opsPerSec / (baseline.roundOpsPerSec[round] ?? Number.NaN),
  )
  ratios.sort((a, b) => a - b)
  const middle = Math.floor(ratios.length / 2)
  return ratios.length % 2 === 1
    ? (ratios[middle] as number)
    : ((ratios[middle - 1] as number) + (ratios[middle] as number)) / 2
}

/** The lowest and highest per-round ratio, to show the noise. */
export function ratioSpread(task: Measured, baseline: Measured): [number, number] {
  const ratios = task.roundOpsPerSec.map(
    (opsPerSec, round) => opsPerSec / (baseline.roundOpsPerSec[round] ?? Number.NaN),
  )
  return [Math.min(...ratios), Math.max(...ratios)]
}

/** The result of task `name`; throws when it was not measured. */
export function resultOf(results: Map<string, Measured>, name: string): Measured {
  const result = results.get(name)
  if (result === undefined) throw new Error(`No result for benchmark task '${name}'`)
  return result
}

/** The value at `fraction` (0.5: median, 0.99: p99) of numbers sorted in ascending order. */
export function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0
}
