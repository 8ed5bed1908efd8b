import { peers } from './peers/index.js'
import type { Bar } from './report/model.js'
import { type CallersOutcome, runCallers } from './stampede/callers.js'
import { hotKeyHits } from './stampede/hot-key-hits.js'
import { acrossProcesses } from './stampede/processes.js'
import { type StampedeSubject, stampedeSubjects } from './stampede/subjects.js'
import type { BenchContext } from './support/context.js'
import { formatDuration, formatServerCpu } from './support/format.js'
import { medianOf, percentile, type ServerWork, serverWorkAround } from './support/measure.js'
import { progress } from './support/progress.js'
import { serverCpuColumn, serverCpuNote } from './support/rows.js'
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
        const serverCpu: number[] = []
        for (let round = 0; round < rounds; round++) {
          progress.step(`${subject.label}, ${shape}, round ${round + 1}`)
          const namespace = context.key('stampede', subject.id, shape.replace(' ', '-'), round)
          const { outcome, work } = await once(context, shape, namespace, subject)
          serverCpu.push(work.serverCpuMsPerK)
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
          formatServerCpu(medianOf(serverCpu)),
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
        { header: serverCpuColumn, align: 'right' },
      ],
      rows,
      notes: [
        'Loader calls and distinct values: the worst round; 1 and 1 means the stampede was absorbed.',
        `${serverCpuColumn}: per 1,000 getOrSet calls, from the start of the callers to the last answer (the ` +
          `${LOADER_MS} ms loader included; instances opened before and closed after it), for 2 processes ` +
          "from the go to both processes' results.",
        serverCpuNote,
      ],
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

/** One stampede of `shape` for `subject`, under `namespace`, and what the server did in it per call. */
async function once(
  context: BenchContext,
  shape: Shape,
  namespace: string,
  subject: StampedeSubject,
): Promise<{ outcome: CallersOutcome; work: ServerWork }> {
  let work: ServerWork = { commandsPerOp: Number.NaN, serverCpuMsPerK: Number.NaN }
  const counted = async <T>(run: () => Promise<T>): Promise<T> => {
    const around = await serverWorkAround(context.commands, CALLERS, run)
    work = around.work
    return around.value
  }
  if (shape === '2 processes') {
    const outcome = await acrossProcesses(
      2,
      {
        subject: subject.id,
        redisUrl: context.url,
        namespace,
        key: 'hot',
        callers: CALLERS,
        loaderMs: LOADER_MS,
      },
      counted,
    )
    return { outcome, work }
  }
  const instances = await Promise.all(
    Array.from({ length: shape === '1 instance' ? 1 : 2 }, () => subject.open(context.url, namespace)),
  )
  try {
    const outcome = await counted(() => runCallers(instances, 'hot', CALLERS, LOADER_MS))
    return { outcome, work }
  } finally {
    await Promise.all(instances.map((instance) => instance.close()))
  }
}
