import { Bench } from 'tinybench'

export interface Timing {
  /** Time budget of each task, in ms (0: run exactly `iterations`). */
  time: number
  warmupTime: number
  /** Rounds of the whole task list; each task keeps its fastest round, which damps noise from other processes. */
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

export interface Measured {
  name: string
  ops: number
  /** Mean time of one run of `fn`, in ms. */
  iterationMs: number
  /** Mean time of one operation, in ms. */
  opMs: number
  opsPerSec: number
  /** Relative margin of error of the mean, in percent. */
  rme: number
  samples: number
}

/** Times `tasks` with tinybench (in order, `timing.rounds` times) and returns each task's best round, by name. */
export async function measure(tasks: TaskSpec[], timing: Timing): Promise<Map<string, Measured>> {
  const best = new Map<string, Measured>()
  for (let round = 0; round < Math.max(1, timing.rounds); round++) {
    const bench = new Bench({
      time: timing.time,
      warmupTime: timing.warmupTime,
      warmup: timing.warmup ?? true,
      iterations: timing.iterations ?? 16,
      warmupIterations: 8,
      throws: true,
    })
    for (const task of tasks) bench.add(task.name, task.fn, { async: true })
    await bench.run()
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
        rme: result.latency.rme,
        samples: result.latency.samplesCount,
      }
      const previous = best.get(spec.name)
      if (previous === undefined || measured.opsPerSec > previous.opsPerSec) best.set(spec.name, measured)
    }
  }
  return best
}

/** The result of task `name`; throws when it was not measured. */
export function resultOf(results: Map<string, Measured>, name: string): Measured {
  const result = results.get(name)
  if (result === undefined) throw new Error(`No result for benchmark task '${name}'`)
  return result
}
