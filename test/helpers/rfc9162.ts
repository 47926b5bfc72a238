/**
 * An RFC 9162 §2.1 verifier written for the tests, independent of src/audit: the leaf hash
 * of an audit event as the API shows it, and the inclusion (§2.1.3.2) and consistency
 * (§2.1.4.2) proof verification algorithms, step by step as the RFC gives them.
 */
import { createHash } from 'node:crypto'

/** JSON with object keys sorted: RFC 8785 for the flat strings, numbers and nulls of audit events. */
export const sortedJson = (v: unknown): string =>
  v !== null && typeof v === 'object' && !Array.isArray(v)
    ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${sortedJson((v as Record<string, unknown>)[k])}`).join(',')}}`
    : JSON.stringify(v)

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest()
const hashChildren = (l: Buffer, r: Buffer) => sha256(Buffer.of(1), l, r)

/** Leaf hash (hex) of an event as the API shows it: SHA-256(0x00 ‖ canonical JSON). */
export const leafOf = (event: object): string => sha256(Buffer.of(0), Buffer.from(sortedJson(event), 'utf8')).toString('hex')

/** RFC 9162 §2.1.3.2: verifying an inclusion proof. */
export function verifyInclusion(leafIndex: number, treeSize: number, leafHex: string, pathHex: string[], rootHex: string): boolean {
  if (leafIndex >= treeSize) return false
  let fn = BigInt(leafIndex)
  let sn = BigInt(treeSize - 1)
  let r = Buffer.from(leafHex, 'hex')
  for (const hex of pathHex) {
    const p = Buffer.from(hex, 'hex')
    if (sn === 0n) return false
    if ((fn & 1n) === 1n || fn === sn) {
      r = hashChildren(p, r)
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n
        sn >>= 1n
      }
    } else {
      r = hashChildren(r, p)
    }
    fn >>= 1n
    sn >>= 1n
  }
  return sn === 0n && r.toString('hex') === rootHex
}

/** RFC 9162 §2.1.4.2: verifying a consistency proof. */
export function verifyConsistency(first: number, second: number, firstHex: string, secondHex: string, proofHex: string[]): boolean {
  if (first === second) return proofHex.length === 0 && firstHex === secondHex
  const proof = proofHex.map((h) => Buffer.from(h, 'hex'))
  if (Number.isInteger(Math.log2(first))) proof.unshift(Buffer.from(firstHex, 'hex'))
  if (proof.length === 0) return false
  let fn = BigInt(first - 1)
  let sn = BigInt(second - 1)
  while ((fn & 1n) === 1n) {
    fn >>= 1n
    sn >>= 1n
  }
  let fr = proof[0] as Buffer
  let sr = proof[0] as Buffer
  for (const c of proof.slice(1)) {
    if (sn === 0n) return false
    if ((fn & 1n) === 1n || fn === sn) {
      fr = hashChildren(c, fr)
      sr = hashChildren(c, sr)
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n
        sn >>= 1n
      }
    } else {
      sr = hashChildren(sr, c)
    }
    fn >>= 1n
    sn >>= 1n
  }
  return sn === 0n && fr.toString('hex') === firstHex && sr.toString('hex') === secondHex
}
