import { peers } from './peers/index.js'
import type { Bar } from './report/model.js'
import { type CallersOutcome, runCallers } from './stampede/callers.js'
import { hotKeyHits } from './stampede/hot-key-hits.js'
import { acrossProcesses } from './stampede/processes.js'
import { type StampedeSubject, stampedeSubjects } from './stampede/subjects.js'
import type { BenchContext } from './support/context.js'
import { formatDuration } from './support/format.js'
import { percentile } from './support/measure.js'
import { progress } from './support/progress.js'
import type { Scenario } from './support/scenario.js'

const CALLERS = 200
const LOADER_MS = 50
const SHAPES = ['1 instance', '2 instances', '2 processes'] as const
type Shape = (typeof SHAPES)[number]

/**
 * A stampede: 200 concurrent getOrSet calls of one missing key, in one instance, two instances on
 * separate connections, and two processes; for flipcache, the naive pattern and every peer.
 */
export const stampede: Scenario = {
  name: 'stampede',
  summary: `${CALLERS} concurrent getOrSet misses of one key (loader ${LOADER_MS} ms): 1 instance, 2 instances, 2 processes`,
  async run(context) {
    const rounds = context.quick ? 1 : 3
    const subjects = stampedeSubjects(peers)
    progress.plan(subjects.length * SHAPES.length * rounds)
    const rows: string[][] = []
    const configs: { row: string; config: string }[] = []
    const bars: Bar[] = []
    const flipcacheCalls: number[] = []
    const flipcacheDistinct: number[] = []
    for (const subject of subjects) {
      // The row's configuration, read from an instance of its own.
      const described = await subject.open(context.url, context.key('stampede', subject.id, 'config'))
      configs.push({ row: subject.label, config: described.config })
      await described.close()
      for (const shape of SHAPES) {
        let worstCalls = 0
        let worstDistinct = 0
        const latencies: number[] = []
        for (let round = 0; round < rounds; round++) {
          progress.step(`${subject.label}, ${shape}, round ${round + 1}`)
          const namespace = context.key('stampede', subject.id, shape.replace(' ', '-'), round)
          const outcome = await once(context, shape, namespace, subject)
          worstCalls = Math.max(worstCalls, outcome.loaderCalls)
          worstDistinct = Math.max(worstDistinct, new Set(outcome.values).size)
          latencies.push(...outcome.latencies)
        }
        latencies.sort((a, b) => a - b)
        rows.push([
          subject.label,
          shape,
          String(worstCalls),
          String(worstDistinct),
          formatDuration(percentile(latencies, 0.5)),
          formatDuration(percentile(latencies, 0.99)),
        ])
        bars.push({
          label: `${subject.label}, ${shape}`,
          value: worstCalls,
          kind: subject.id === 'flipcache' ? 'flipcache' : subject.id === 'naive' ? 'baseline' : 'peer',
        })
        if (subject.id === 'flipcache') {
          flipcacheCalls.push(worstCalls)
          flipcacheDistinct.push(worstDistinct)
        }
      }
    }
    const exact =
      flipcacheCalls.every((calls) => calls === 1) && flipcacheDistinct.every((count) => count === 1)
    context.report({
      id: 'stampede',
      title: `Stampede: ${CALLERS} concurrent getOrSet calls of one missing key`,
      intro:
        `${CALLERS} callers ask for the same missing key at once; the loader takes ${LOADER_MS} ms and returns a ` +
        'value that names the process and call that made it. Shapes: all callers on one instance; half on each ' +
        'of two instances with connections of their own; half in each of two processes. ' +
        `Worst of ${rounds} round(s); latency from the start to each caller's answer.`,
      columns: [
        { header: 'subject' },
        { header: 'shape' },
        { header: 'loader calls', align: 'right' },
        { header: 'distinct values', align: 'right' },
        { header: 'p50', align: 'right' },
        { header: 'p99', align: 'right' },
      ],
      rows,
      notes: ['Loader calls and distinct values: the worst round; 1 and 1 means the stampede was absorbed.'],
      configs,
      charts: [
        {
          id: 'stampede-loader-calls',
          title: `Loader calls for ${CALLERS} concurrent misses`,
          unit: 'loader calls',
          bars,
          log: true,
          better: 'lower',
        },
      ],
      targets: [
        {
          what: 'stampede: flipcache loader calls in 1 instance / 2 instances / 2 processes',
          measured: `${flipcacheCalls.join(' / ')} calls, ${flipcacheDistinct.join(' / ')} distinct values`,
          target: 'exactly 1 call and 1 value in every shape',
          pass: exact,
          ...(exact ? {} : { why: 'see the stampede table: a shape made more than one loader call' }),
        },
      ],
    })
    await hotKeyHits(context)
  },
}

/** One stampede of `shape` for `subject`, under `namespace`. */
async function once(
  context: BenchContext,
  shape: Shape,
  namespace: string,
  subject: StampedeSubject,
): Promise<CallersOutcome> {
  if (shape === '2 processes') {
    return acrossProcesses(2, {
      subject: subject.id,
      redisUrl: context.url,
      namespace,
      key: 'hot',
      callers: CALLERS,
      loaderMs: LOADER_MS,
    })
  }
  const instances = await Promise.all(
    Array.from({ length: shape === '1 instance' ? 1 : 2 }, () => subject.open(context.url, namespace)),
  )
  try {
    return await runCallers(instances, 'hot', CALLERS, LOADER_MS)
  } finally {
    await Promise.all(instances.map((instance) => instance.close()))
  }
}
