/**
 * The Merkle tree of RFC 9162 §2.1 (Certificate Transparency 2.0), as pure functions over
 * stored nodes. The audit log (SPEC §4.7) keeps every node of every *perfect* subtree: the
 * node at `(level, index)` covers leaves `[index·2^level, (index+1)·2^level)` and exists
 * once all of them do. Any tree hash, inclusion path or consistency proof of RFC 9162 is a
 * function of O(log n) such nodes, so a proof costs O(log n) reads, never a rebuild.
 *
 * Hashes are SHA-256 (`Buffer`s of 32 bytes here, lowercase hex on the wire):
 * leaf hash = SHA-256(0x00 ‖ input), node hash = SHA-256(0x01 ‖ left ‖ right),
 * the empty tree's hash = SHA-256("").
 */
import { createHash } from 'node:crypto'

/** A stored node's position: `level` 0 is a leaf; `index` counts from the left at that level. */
export interface NodeKey {
  level: number
  index: number
}

/** Reads a stored node of a perfect subtree; throws when the caller did not load it. */
export type NodeGetter = (level: number, index: number) => Buffer

/** `SHA-256(0x00 ‖ input)` (RFC 9162 §2.1.1). */
export function leafHash(input: string | Buffer): Buffer {
  return createHash('sha256').update(Buffer.of(0)).update(input).digest()
}

/** `SHA-256(0x01 ‖ left ‖ right)` (RFC 9162 §2.1.1). */
export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(Buffer.of(1)).update(left).update(right).digest()
}

/** The hash of the empty tree, `SHA-256("")`. */
export const EMPTY_TREE_HASH: Buffer = createHash('sha256').digest()

/** The largest power of two strictly below `n` (n ≥ 2): RFC 9162's split point `k`. */
export function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

const isPowerOfTwo = (n: number): boolean => n > 0 && Number.isInteger(Math.log2(n))

/**
 * MTH(D[start:end]) for a range whose perfect subtrees are stored, which holds for every
 * range the RFC's recursions visit (they start at a multiple of their largest power of two).
 */
export function subtreeHash(start: number, end: number, get: NodeGetter): Buffer {
  const size = end - start
  if (size === 0) return EMPTY_TREE_HASH
  if (isPowerOfTwo(size)) return get(Math.log2(size), start / size)
  const k = splitPoint(size)
  return nodeHash(subtreeHash(start, start + k, get), subtreeHash(start + k, end, get))
}

/** The root hash of the tree of the first `size` leaves. */
export function rootHash(size: number, get: NodeGetter): Buffer {
  return subtreeHash(0, size, get)
}

/** PATH(m, D[start:end]) of RFC 9162 §2.1.3.1, `m` relative to `start`. */
function path(m: number, start: number, end: number, get: NodeGetter): Buffer[] {
  const n = end - start
  if (n <= 1) return []
  const k = splitPoint(n)
  if (m < k) return [...path(m, start, start + k, get), subtreeHash(start + k, end, get)]
  return [...path(m - k, start + k, end, get), subtreeHash(start, start + k, get)]
}

/** The audit path of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1); 0 ≤ index < size. */
export function inclusionPath(index: number, size: number, get: NodeGetter): Buffer[] {
  if (!(index >= 0 && index < size)) throw new RangeError(`Leaf ${index} is not in a tree of ${size}.`)
  return path(index, 0, size, get)
}

/** SUBPROOF(m, D[start:end], b) of RFC 9162 §2.1.4.1, `m` relative to `start`. */
function subproof(m: number, start: number, end: number, b: boolean, get: NodeGetter): Buffer[] {
  const n = end - start
  if (m === n) return b ? [] : [subtreeHash(start, end, get)]
  const k = splitPoint(n)
  if (m <= k) return [...subproof(m, start, start + k, b, get), subtreeHash(start + k, end, get)]
  return [...subproof(m - k, start + k, end, false, get), subtreeHash(start, start + k, get)]
}

/** The consistency proof between tree sizes `first` and `second` (RFC 9162 §2.1.4.1); 1 ≤ first ≤ second. */
export function consistencyProof(first: number, second: number, get: NodeGetter): Buffer[] {
  if (!(first >= 1 && first <= second)) throw new RangeError(`No consistency proof from ${first} to ${second}.`)
  return subproof(first, 0, second, true, get)
}

/**
 * The stored nodes `compute` reads, found by running it once with placeholder hashes, so
 * the caller can fetch them all in one query and run it again for real.
 */
export function nodesRead(compute: (get: NodeGetter) => unknown): NodeKey[] {
  const keys = new Map<string, NodeKey>()
  const placeholder = Buffer.alloc(32)
  compute((level, index) => {
    keys.set(`${level}:${index}`, { level, index })
    return placeholder
  })
  return [...keys.values()]
}

/** A NodeGetter over loaded nodes; throws for a node that was not loaded (a missing tree node). */
export function getterOf(nodes: ReadonlyMap<string, Buffer>): NodeGetter {
  return (level, index) => {
    const hash = nodes.get(`${level}:${index}`)
    if (!hash) throw new Error(`Audit tree node (${level}, ${index}) is missing.`)
    return hash
  }
}

/**
 * The right edge of a tree of `size` leaves: its perfect subtrees from the largest down
 * (one per set bit of `size`). Appending to the tree only ever needs these.
 */
export function frontier(size: number): NodeKey[] {
  const keys: NodeKey[] = []
  let covered = 0
  for (let level = Math.floor(Math.log2(Math.max(size, 1))); level >= 0; level -= 1) {
    const width = 2 ** level
    if (covered + width <= size) {
      keys.push({ level, index: covered / width })
      covered += width
    }
  }
  return keys
}

/**
 * Appends leaves to a tree of `size` leaves. `nodes` must hold the tree's frontier (see
 * `frontier`); new nodes are added to it. Returns every node created (leaves included),
 * in creation order, for the caller to store.
 */
export function appendLeaves(size: number, leaves: readonly Buffer[], nodes: Map<string, Buffer>): Array<NodeKey & { hash: Buffer }> {
  const created: Array<NodeKey & { hash: Buffer }> = []
  let index = size
  for (const leaf of leaves) {
    let level = 0
    let at = index
    let hash = leaf
    nodes.set(`0:${at}`, hash)
    created.push({ level: 0, index: at, hash })
    while (at % 2 === 1) {
      const left = nodes.get(`${level}:${at - 1}`)
      if (!left) throw new Error(`Audit tree node (${level}, ${at - 1}) is missing.`)
      hash = nodeHash(left, hash)
      level += 1
      at = (at - 1) / 2
      nodes.set(`${level}:${at}`, hash)
      created.push({ level, index: at, hash })
    }
    index += 1
  }
  return created
}
