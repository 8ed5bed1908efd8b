import { FlipCacheError, RedisUnavailableError } from '../errors.js'
import type { RedisValue } from '../types/value-codec.js'
import { routingKey, type SlotRouter } from './slot-router.js'

export type ReplyMode = 'string' | 'buffer'
export type Arg = string | Buffer | number

/** The values of a read, in key order (`null` for a missing key), and their PTTLs when asked for. */
export interface ReadReply {
  values: (RedisValue | null)[]
  ttls: number[] | undefined
}

interface Pending<T> {
  resolve(value: T): void
  reject(error: Error): void
}
export interface QueuedCommand extends Pending<unknown> {
  kind: 'command'
  name: string
  args: Arg[]
  reply: ReplyMode
}
export interface QueuedRead extends Pending<ReadReply> {
  kind: 'read'
  keys: string[]
  reply: ReplyMode
  withTtl: boolean
}
export type Queued = QueuedCommand | QueuedRead

/** One command of a pipeline, and how to hand its reply to the callers waiting on it. */
export interface Step {
  name: string
  args: Arg[]
  reply: ReplyMode
  /** On a Cluster, the slot of the command's keys; `undefined` for a command without keys. */
  slot: number | undefined
  /** A message to other instances (PUBLISH, SPUBLISH): on a Cluster it leaves after the tick's writes. */
  notice?: boolean
  settle(result: unknown): void
  fail(error: Error): void
}

/**
 * Turns one tick's calls into pipeline steps: each run of adjacent reads becomes one MGET (plus
 * PTTLs). On a Cluster (`router`), every step stays within one slot: a read becomes one MGET per
 * slot, and a multi-key UNLINK or MSET one command per slot, their replies joined again.
 */
export function toSteps(batch: Queued[], router: SlotRouter | undefined): Step[] {
  const steps: Step[] = []
  let run: QueuedRead[] = []
  const closeRun = (): void => {
    if (run.length > 0) steps.push(...readSteps(run, router))
    run = []
  }
  for (const item of batch) {
    if (item.kind === 'read') {
      if (run.length > 0 && run[0]?.reply !== item.reply) closeRun()
      run.push(item)
      continue
    }
    closeRun()
    if (router !== undefined && multiKey.has(item.name)) {
      steps.push(...splitBySlot(item, router))
      continue
    }
    const key = router === undefined ? undefined : routingKey(item.name, item.args)
    steps.push({
      name: item.name,
      args: item.args,
      reply: item.reply,
      slot: key === undefined ? undefined : router?.slotOf(key),
      notice: item.name === 'PUBLISH' || item.name === 'SPUBLISH',
      settle: item.resolve,
      fail: (error) => item.reject(wrapRedisError(error, item.name)),
    })
  }
  closeRun()
  return steps
}

function readSteps(reads: QueuedRead[], router: SlotRouter | undefined): Step[] {
  const only = reads.length === 1 ? reads[0] : undefined
  if (only !== undefined && !only.withTtl && (router === undefined || only.keys.length === 1)) {
    return [singleReadStep(only, router)]
  }
  const keys = reads.flatMap((read) => read.keys)
  const reply = reads[0]?.reply ?? 'string'
  const fail = (error: Error): void => {
    for (const read of reads) read.reject(wrapRedisError(error, 'MGET'))
  }
  let values: (RedisValue | null)[] = []
  const ttlKeys = reads.flatMap((read) => (read.withTtl ? read.keys : []))
  const ttls = new Map<string, number>()
  const deliver = (): void => {
    let offset = 0
    for (const read of reads) {
      const slice = values.slice(offset, offset + read.keys.length)
      offset += read.keys.length
      read.resolve({
        values: slice,
        ttls: read.withTtl ? read.keys.map((key) => ttls.get(key) ?? -2) : undefined,
      })
    }
  }
  const steps: Step[] = []
  if (router === undefined) {
    const single = keys.length === 1
    steps.push({
      name: single ? 'GET' : 'MGET',
      args: keys,
      reply,
      slot: undefined,
      settle(result) {
        values = single ? [result as RedisValue | null] : (result as (RedisValue | null)[])
        if (ttlKeys.length === 0) deliver()
      },
      fail,
    })
  } else {
    values = new Array<RedisValue | null>(keys.length).fill(null)
    const parts = indexesBySlot(keys, 1, router)
    let outstanding = parts.size + ttlKeys.length
    const arrived = (): void => {
      if (--outstanding === 0) deliver()
    }
    for (const [slot, indexes] of parts) {
      const single = indexes.length === 1
      steps.push({
        name: single ? 'GET' : 'MGET',
        args: indexes.map((index) => keys[index] as string),
        reply,
        slot,
        settle(result) {
          const found = single ? [result as RedisValue | null] : (result as (RedisValue | null)[])
          indexes.forEach((index, at) => {
            values[index] = found[at] ?? null
          })
          arrived()
        },
        fail,
      })
    }
    for (const key of ttlKeys) {
      steps.push({
        name: 'PTTL',
        args: [key],
        reply: 'string',
        slot: router.slotOf(key),
        settle(result) {
          ttls.set(key, result as number)
          arrived()
        },
        fail,
      })
    }
    return steps
  }
  ttlKeys.forEach((key, index) => {
    steps.push({
      name: 'PTTL',
      args: [key],
      reply: 'string',
      slot: undefined,
      settle(result) {
        ttls.set(key, result as number)
        if (index === ttlKeys.length - 1) deliver()
      },
      fail,
    })
  })
  return steps
}

/** The common case, one read without PTTLs: its reply goes straight to its caller. */
function singleReadStep(read: QueuedRead, router: SlotRouter | undefined): Step {
  const single = read.keys.length === 1
  return {
    name: single ? 'GET' : 'MGET',
    args: read.keys,
    reply: read.reply,
    slot: router?.slotOf(read.keys[0] as string),
    settle: (result) =>
      read.resolve({
        values: single ? [result as RedisValue | null] : (result as (RedisValue | null)[]),
        ttls: undefined,
      }),
    fail: (error) => read.reject(wrapRedisError(error, single ? 'GET' : 'MGET')),
  }
}

/** Multi-key commands flipcache sends, which a Cluster runs only within one slot. */
const multiKey = new Set(['UNLINK', 'DEL', 'MSET'])

/** One command per slot of `item`'s keys; the caller gets the sum of the counts (UNLINK) or 'OK' (MSET). */
function splitBySlot(item: QueuedCommand, router: SlotRouter): Step[] {
  const stride = item.name === 'MSET' ? 2 : 1
  const parts = indexesBySlot(item.args as (string | Buffer)[], stride, router)
  let outstanding = parts.size
  let total = 0
  let failed = false
  const steps: Step[] = []
  for (const [slot, starts] of parts) {
    steps.push({
      name: item.name,
      args: starts.flatMap((start) => item.args.slice(start, start + stride)),
      reply: item.reply,
      slot,
      settle(result) {
        if (typeof result === 'number') total += result
        if (--outstanding === 0 && !failed) item.resolve(item.name === 'MSET' ? 'OK' : total)
      },
      fail(error) {
        failed = true
        item.reject(wrapRedisError(error, item.name))
      },
    })
  }
  return steps
}

/** The start index of every `stride`-long group of `args` (a key, or a key and its value), by the key's slot. */
function indexesBySlot(args: (string | Buffer)[], stride: number, router: SlotRouter): Map<number, number[]> {
  const parts = new Map<number, number[]>()
  for (let index = 0; index < args.length; index += stride) {
    const slot = router.slotOf(args[index] as string | Buffer)
    const part = parts.get(slot)
    if (part === undefined) parts.set(slot, [index])
    else part.push(index)
  }
  return parts
}

export function failAll(batch: Queued[], error: Error): void {
  for (const item of batch) item.reject(error)
}

export function failSteps(steps: Step[], error: unknown): void {
  for (const step of steps) step.fail(error as Error)
}

export function wrapRedisError(error: Error, command: string): Error {
  if (error instanceof FlipCacheError) return error
  return new RedisUnavailableError(`Redis failed on ${command}: ${error.message}`, { cause: error })
}

export function describeSteps(steps: Step[]): string {
  const names = steps.slice(0, 3).map((step) => step.name)
  const more = steps.length > 3 ? ` and ${steps.length - 3} more` : ''
  return `${names.join(', ')}${more}`
}

/** Whether `error` is a reply of Redis's (as ioredis names them), rather than a lost or missing answer. */
export function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError'
}
