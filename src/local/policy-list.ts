/**
 * One entry held by a local policy, and a link of the doubly linked lists the policies keep their
 * order in. The list heads are nodes too (with no value), so that linking never checks for an end.
 */
export class PolicyNode<E> {
  prev: PolicyNode<E> = this
  next: PolicyNode<E> = this
  /** Which of its policy's lists holds the node (policies number them). */
  queue = 0
  /** How often the entry was used: S3-FIFO's (0 to 3), TinyLFU's (0 to 15, halved each aging period). */
  hits = 0
  /** TinyLFU: the aging period `hits` was last counted in. */
  epoch = 0

  constructor(
    readonly key: string,
    public value: E | undefined,
    public bytes: number,
    /** The key's hash, computed once at insert, so that a hit bumps the frequency sketch without re-hashing. */
    readonly hash: number,
  ) {}
}

/**
 * A doubly linked list of nodes, oldest first, with its count and bytes; `head` is a sentinel
 * (head.next is the oldest, head.prev the newest).
 */
export class PolicyList<E> {
  readonly head = new PolicyNode<E>('', undefined, 0, 0)
  count = 0
  bytes = 0

  /** The oldest node, or `undefined` when the list is empty. */
  get oldest(): PolicyNode<E> | undefined {
    const first = this.head.next
    return first === this.head ? undefined : first
  }

  /** Appends `node` as the newest. */
  push(node: PolicyNode<E>, queue: number): void {
    const head = this.head
    const last = head.prev
    node.prev = last
    node.next = head
    last.next = node
    head.prev = node
    node.queue = queue
    this.count++
    this.bytes += node.bytes
  }

  remove(node: PolicyNode<E>): void {
    node.prev.next = node.next
    node.next.prev = node.prev
    this.count--
    this.bytes -= node.bytes
  }

  /** Moves `node` (held by this list) to the newest end. */
  touch(node: PolicyNode<E>): void {
    const head = this.head
    if (node.next === head) return
    node.prev.next = node.next
    node.next.prev = node.prev
    const last = head.prev
    node.prev = last
    node.next = head
    last.next = node
    head.prev = node
  }

  clear(): void {
    this.head.next = this.head
    this.head.prev = this.head
    this.count = 0
    this.bytes = 0
  }
}

/**
 * A 32-bit hash of `key` (FNV-1a over its UTF-16 units, then murmur3's finalizer to spread the
 * bits), computed once per insert.
 */
export function hashKey(key: string): number {
  let hash = 0x811c9dc5
  for (let index = 0; index < key.length; index++) {
    hash = Math.imul(hash ^ key.charCodeAt(index), 0x01000193)
  }
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  return (hash ^ (hash >>> 16)) >>> 0
}
