/**
 * Checks, in the patient's own browser, that an event of their access log is in the log the
 * server committed to (SPEC §4.7, RFC 9162 §2.1): the event's leaf hash is recomputed from
 * the event as shown (SHA-256 of 0x00 and its RFC 8785 canonical JSON), its inclusion proof
 * is verified against the newest tree head (§2.1.3.2), and that head's Ed25519 signature
 * against the published keys. Nothing here trusts the server's arithmetic.
 */
import canonicalize from 'canonicalize'
import { compactVerify, createLocalJWKSet } from 'jose'
import { api, unwrap } from '../api/client'
import type { AuditEvent, ResponseOf } from '../api/types'

type TreeHead = ResponseOf<'/api/v1/audit/tree-head', 'get'>

/** The outcome shown to the patient. */
export type EventCheck =
  | { ok: true; treeSize: number; signedAt: string; kid: string }
  | { ok: false; reason: string }

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
const unhex = (text: string): Uint8Array => Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16))

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    joined.set(p, at)
    at += p.length
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', joined))
}

/** The leaf hash of an event exactly as the API returned it. */
export async function leafHashOf(event: AuditEvent): Promise<string> {
  const json = new TextEncoder().encode(canonicalize(event) as string)
  return hex(await sha256(Uint8Array.of(0), json))
}

/** RFC 9162 §2.1.3.2: does `path` lead from leaf `index` to `rootHex` in a tree of `size`? */
export async function inclusionHolds(index: number, size: number, leafHex: string, path: readonly string[], rootHex: string): Promise<boolean> {
  if (index >= size) return false
  let fn = index
  let sn = size - 1
  let r: Uint8Array = unhex(leafHex)
  for (const step of path) {
    if (sn === 0) return false
    const p = unhex(step)
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(Uint8Array.of(1), p, r)
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2)
        sn = Math.floor(sn / 2)
      }
    } else {
      r = await sha256(Uint8Array.of(1), r, p)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && hex(r) === rootHex
}

/**
 * Checks one of the patient's events against the newest signed tree head. Never throws for
 * a failed check (it says why); throws only when the server cannot be reached.
 */
export async function checkEvent(event: AuditEvent): Promise<EventCheck> {
  const [head, keys] = await Promise.all([unwrap(api.GET('/api/v1/audit/tree-head')), unwrap(api.GET('/api/v1/audit/keys'))])
  let kid: string
  try {
    const { payload, protectedHeader } = await compactVerify(head.signature, createLocalJWKSet(keys))
    const signed = JSON.parse(new TextDecoder().decode(payload)) as Omit<TreeHead, 'signature'>
    if (signed.treeSize !== head.treeSize || signed.rootHash !== head.rootHash || signed.timestamp !== head.timestamp) {
      return { ok: false, reason: 'The tree head does not match its signature.' }
    }
    kid = protectedHeader.kid ?? ''
  } catch {
    return { ok: false, reason: 'The tree head is not signed by a published key.' }
  }
  if (event.seq > head.treeSize) return { ok: false, reason: 'This event is not sealed into the log yet; try again in a few seconds.' }
  const proof = await unwrap(api.GET('/api/v1/patients/{pid}/audit/{seq}/proof', { params: { path: { pid: 'me', seq: event.seq }, query: { treeSize: head.treeSize } } }))
  const leaf = await leafHashOf(event)
  if (leaf !== proof.leafHash) return { ok: false, reason: 'The event shown differs from the one in the log.' }
  if (proof.rootHash !== head.rootHash || !(await inclusionHolds(event.seq - 1, head.treeSize, leaf, proof.auditPath, head.rootHash))) {
    return { ok: false, reason: 'The proof does not lead to the signed tree head.' }
  }
  return { ok: true, treeSize: head.treeSize, signedAt: head.timestamp, kid }
}
