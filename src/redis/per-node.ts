import type { SlotRouter } from './slot-router.js'
import type { Step } from './steps.js'

/**
 * A Cluster tick's steps by the master that serves their slot (`host:port`), so that each pipeline
 * stays within one node; commands without keys ride with the first node ('' when there is none:
 * ioredis then picks one).
 */
export function stepsByNode(steps: Step[], router: SlotRouter): Map<string, Step[]> {
  const byNode = new Map<string, Step[]>()
  const keyless: Step[] = []
  for (const step of steps) {
    if (step.slot === undefined) {
      keyless.push(step)
      continue
    }
    const node = router.nodeOf(step.slot)
    const group = byNode.get(node)
    if (group === undefined) byNode.set(node, [step])
    else group.push(step)
  }
  if (keyless.length > 0) {
    const first = byNode.values().next().value
    if (first === undefined) byNode.set('', keyless)
    else first.push(...keyless)
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
