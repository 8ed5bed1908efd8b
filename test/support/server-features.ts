import type { Redis } from 'ioredis'

/**
 * Whether the server of `redis` expires hash fields (HSETEX, HGETEX, HPEXPIRE, HPTTL: Redis 8.0+,
 * Valkey 9.0+), asked as flipcache asks it: tests that run on every server of the matrix assert
 * what each kind of server must do.
 */
export async function expiresHashFields(redis: Redis): Promise<boolean> {
  const reply = (await redis.call('COMMAND', 'INFO', 'HSETEX', 'HGETEX', 'HPEXPIRE', 'HPTTL')) as unknown[]
  return reply.every(Array.isArray)
}

/** Each field's remaining life in ms (HPTTL: -1 none, -2 no such field). */
export async function fieldTtls(redis: Redis, bucket: string, ...fields: string[]): Promise<number[]> {
  return (await redis.call('HPTTL', bucket, 'FIELDS', fields.length, ...fields)) as number[]
}
