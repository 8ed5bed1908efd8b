import { localPolicyNames } from '../src/local/local-policy.js'
import { hitRatio, type Simulated, simulated } from './hit-ratio/simulate.js'
import { BARE_ROW, HIT_KEYS, HIT_LOCAL_MAX, hitRow, measureHits } from './hit-ratio/throughput.js'
import { loopTrace, type Trace, zipfTrace } from './hit-ratio/traces.js'
import type { Bar, Target } from './report/model.js'
import { formatCount, formatRatio } from './support/format.js'
import { ratio, resultOf } from './support/measure.js'
import { measuredCells, measuredColumns, serverCpuNote } from './support/rows.js'
import type { Scenario } from './support/scenario.js'

/** L1 sizes, as shares of the keys. */
const SHARES = [0.001, 0.01, 0.1]
/** Targets: TinyLFU ≥ 5 points of hit ratio above quick-lru at 1% on Zipf 1.0; each policy's L1 hit ≥ 0.90× 'lru''s. */
const POINTS_TARGET = 5
const HIT_TARGET = 0.9

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`
}

function points(difference: number): string {
  return `${difference >= 0 ? '+' : ''}${(difference * 100).toFixed(1)}`
}

/**
 * The share of reads each L1 policy serves, replayed on synthetic traces (Zipf and a loop) at three
 * L1 sizes against a bare quick-lru of the same size; and the cost of an L1 hit under each policy
 * through a real FlipCache.
 */
export const hitRatioScenario: Scenario = {
  name: 'hit-ratio',
  summary: 'L1 hit ratio of each localPolicy on Zipf and loop traces vs quick-lru, and the cost of a hit',
  inProcess: true,
  async run(context) {
    const keyCount = context.quick ? 20_000 : 100_000
    const accesses = context.quick ? 200_000 : 1_000_000
    const traces: Trace[] = [
      zipfTrace(0.8, keyCount, accesses, 8),
      zipfTrace(1.0, keyCount, accesses, 10),
      zipfTrace(1.2, keyCount, accesses, 12),
      loopTrace(keyCount, keyCount / 5, accesses, 14),
    ]
    const ratios = new Map<string, number>()
    const at = (kind: Simulated, trace: Trace, share: number): number =>
      ratios.get(`${kind} ${trace.name} ${share}`) as number
    const rows: string[][] = []
    for (const trace of traces) {
      for (const share of SHARES) {
        const capacity = Math.round(keyCount * share)
        for (const kind of simulated)
          ratios.set(`${kind} ${trace.name} ${share}`, hitRatio(kind, capacity, trace))
        const baseline = at('quick-lru', trace, share)
        rows.push([
          trace.name,
          `${percent(share)} (${formatCount(capacity)})`,
          ...simulated.map((kind) => percent(at(kind, trace, share))),
          ...localPolicyNames.map((policy) => points(at(policy, trace, share) - baseline)),
        ])
      }
    }
    const zipf1 = traces[1] as Trace
    const gained = at('tinylfu', zipf1, 0.01) - at('quick-lru', zipf1, 0.01)
    const targets: Target[] = [
      {
        what: `L1 hit ratio, localPolicy 'tinylfu' vs quick-lru, L1 of 1% of the keys, Zipf s = 1.0`,
        measured: `${points(gained)} points`,
        target: `≥ +${POINTS_TARGET} points`,
        pass: gained * 100 >= POINTS_TARGET,
        ...(gained * 100 >= POINTS_TARGET ? {} : { why: 'see the hit-ratio table' }),
      },
    ]
    const bars: Bar[] = []
    for (const trace of traces)
      for (const kind of simulated)
        bars.push({
          label: `${trace.name}, ${kind}`,
          value: at(kind, trace, 0.01) * 100,
          kind: kind === 'quick-lru' ? 'baseline' : 'flipcache',
        })

    context.report({
      id: 'hit-ratio',
      title: 'L1 hit ratio by localPolicy',
      intro:
        `Each trace of ${formatCount(accesses)} reads over ${formatCount(keyCount)} keys (seeded, the same for every ` +
        'policy) is replayed against each policy as L1 sees it: a read that misses fills the key. L1 sizes are ' +
        "0.1%, 1% and 10% of the keys; quick-lru (maxSize = the size: today's L1 before localPolicy) is the " +
        'baseline; the last columns are points of hit ratio above it.',
      columns: [
        { header: 'trace' },
        { header: 'L1 size', align: 'right' },
        ...simulated.map((kind) => ({ header: kind, align: 'right' as const })),
        ...localPolicyNames.map((policy) => ({ header: `${policy} vs quick-lru`, align: 'right' as const })),
      ],
      rows,
      notes: [
        'quick-lru keeps two generations of up to maxSize entries each, so it may hold up to twice its size; ' +
          "the policies (and 'lru') never hold more than localMax.",
        ...traces.map((trace) => `${trace.name}: ${trace.description}.`),
      ],
      charts: [
        {
          id: 'hit-ratio',
          title: 'L1 hit ratio at 1% of the keys, by trace and policy',
          unit: '% hits',
          bars,
          better: 'higher',
        },
      ],
      targets,
    })

    const { results, configs } = await measureHits(context)
    const lru = resultOf(results, hitRow('lru'))
    const hitRows = [BARE_ROW, ...localPolicyNames.map(hitRow)].map((name) => [
      name,
      ...measuredCells(resultOf(results, name), lru),
    ])
    const hitTargets: Target[] = []
    for (const policy of localPolicyNames) {
      if (policy === 'lru') continue
      const measured = ratio(resultOf(results, hitRow(policy)), lru)
      hitTargets.push({
        what: `L1-hit get, localPolicy '${policy}' vs 'lru'`,
        measured: formatRatio(measured),
        target: `≥ ${HIT_TARGET.toFixed(2)}×`,
        pass: measured >= HIT_TARGET,
        ...(measured >= HIT_TARGET
          ? {}
          : { why: 'a hit also counts the key in the policy (a sketch, a segment move, a counter)' }),
      })
    }
    context.report({
      id: 'hit-ratio-cost',
      title: `L1 hit cost by localPolicy: sequential \`await get(k)\` over ${formatCount(HIT_KEYS)} warm keys`,
      intro:
        `Sequential awaited gets of ${formatCount(HIT_KEYS)} warm keys through a FlipCache of localMax ` +
        `${formatCount(HIT_LOCAL_MAX)} for each localPolicy, in the same run; vs 'lru' is the ratio to the 'lru' row ` +
        '(a bare quick-lru row for scale).',
      columns: [{ header: 'task' }, ...measuredColumns("vs 'lru'")],
      rows: hitRows,
      notes: [serverCpuNote],
      configs,
      targets: hitTargets,
    })
  },
}
