import type { SlotRouter } from './slot-router.js'
import type { Step } from './steps.js'

/** Steps that go to one master in one pipeline; `node` is '' when none is known (ioredis then picks one). */
export interface NodeSteps {
  node: string
  steps: Step[]
}

/**
 * A Cluster tick's steps by the nodes that serve their slot (`router.groupOf`: the master and its
 * replicas, as the client's slot table lists them), so that each pipeline stays within what ioredis
 * accepts as one node; commands without keys ride with the first group. Two groups may name the same
 * master (after a MOVED, until the table is read again): they then go as two pipelines.
 */
export function stepsByNode(steps: Step[], router: SlotRouter): NodeSteps[] {
  const groups = new Map<string, NodeSteps>()
  const keyless: Step[] = []
  for (const step of steps) {
    if (step.slot === undefined) {
      keyless.push(step)
      continue
    }
    const key = router.groupOf(step.slot)
    const group = groups.get(key)
    if (group === undefined) groups.set(key, { node: router.nodeOf(step.slot), steps: [step] })
    else group.steps.push(step)
  }
  const byNode = [...groups.values()]
  if (keyless.length > 0) {
    const first = byNode[0]
    if (first === undefined) byNode.push({ node: '', steps: keyless })
    else first.steps.push(...keyless)
  }
  return byNode
}

/** Calls `then` once each of `steps` has settled or failed (the notices wait so for the writes). */
export function afterAll(steps: Step[], then: () => void): void {
  let waiting = steps.length
  for (const step of steps) {
    const { settle, fail } = step
    let counted = false
    const arrived = (): void => {
      if (counted) return
      counted = true
      if (--waiting === 0) then()
    }
    step.settle = (result) => {
      settle(result)
      arrived()
    }
    step.fail = (error) => {
      fail(error)
      arrived()
    }
  }
}
