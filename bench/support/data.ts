/** The value the scenarios cache: about 110 bytes as JSON. */
export interface User {
  id: number
  name: string
  email: string
  active: boolean
  createdAt: string
}

const epoch = Date.UTC(2024, 0, 1)

export function user(id: number): User {
  return {
    id,
    name: `User ${id}`,
    email: `user.${id}@example.com`,
    active: id % 3 !== 0,
    createdAt: new Date(epoch + id * 60_000).toISOString(),
  }
}

/** `[key, user]` for ids `0 .. count - 1`, keyed `user:<id>`. */
export function users(count: number): [string, User][] {
  return Array.from({ length: count }, (_, id): [string, User] => [`user:${id}`, user(id)])
}
