import type { Cluster } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { stepsByNode } from '../../src/redis/per-node.js'
import { SlotRouter } from '../../src/redis/slot-router.js'
import type { Step } from '../../src/redis/steps.js'

function step(name: string, slot: number | undefined): Step {
  return { name, args: [], reply: 'string', slot, settle() {}, fail() {} }
}

describe('stepsByNode', () => {
  it('groups steps by the node list of their slot, as ioredis checks a Cluster pipeline', () => {
    // Slots 1 and 2 on master A (with its replica), slot 3 on B. Slot 4 was just answered MOVED to
    // A: ioredis rewrote its master alone, so its list still names B's replica until the table is
    // read again, and ioredis refuses a pipeline that mixes it with slots 1 and 2.
    const slots: string[][] = []
    slots[1] = ['A:1', 'A-replica:1']
    slots[2] = ['A:1', 'A-replica:1']
    slots[3] = ['B:2', 'B-replica:2']
    slots[4] = ['A:1', 'B-replica:2']
    const router = new SlotRouter({ slots } as unknown as Cluster)
    const steps = [
      step('MGET', 1),
      step('MGET', 3),
      step('GET', 4),
      step('GET', 2),
      step('PUBLISH', undefined),
    ]
    const groups = stepsByNode(steps, router).map(({ node, steps: grouped }) => ({
      node,
      slots: grouped.map(({ slot }) => slot ?? 'keyless'),
    }))
    expect(groups).toEqual([
      { node: 'A:1', slots: [1, 2, 'keyless'] },
      { node: 'B:2', slots: [3] },
      { node: 'A:1', slots: [4] },
    ])
  })

  it("puts steps of slots the table does not know in a group of node '', where ioredis picks one", () => {
    const router = new SlotRouter({ slots: [] } as unknown as Cluster)
    const groups = stepsByNode([step('GET', 7), step('GET', 9)], router)
    expect(groups).toEqual([
      { node: '', steps: [expect.objectContaining({ slot: 7 }), expect.objectContaining({ slot: 9 })] },
    ])
  })
})
