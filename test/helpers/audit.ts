/** Test helpers for the audit log's tests (src/audit/*.test.ts): logins with a known IP and browser, the patient's events, verification, tree heads and proofs. */
import { randomBytes } from 'node:crypto'
import { expect } from 'vitest'
import type { AuditEvent } from '../../src/audit/audit-event.js'
import type { TestUser } from './factories.js'
import type { TestApp } from './test-app.js'

/** The user agent every helper login sends. */
export const BROWSER = 'Mozilla/5.0 (CareLocker audit test)'

/** One event as `GET /patients/{pid}/audit` lists it. */
export type AuditEventDto = AuditEvent

/** `GET /audit/tree-head`. */
export interface TreeHeadDto { treeSize: number; rootHash: string; timestamp: string; signature: string }

/** The helpers over the test file's app (`app()`) and its admin (`admin()`), read when called. */
export function auditHelpers(app: () => TestApp, admin: () => TestUser) {
  const login = (email: string, password: string, opts: { ip?: string; ua?: string } = {}) =>
    app().app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password },
      remoteAddress: opts.ip ?? '198.51.100.7',
      headers: { 'user-agent': opts.ua ?? BROWSER },
    })

  const auditOf = (u: TestUser, query = '', pid = 'me') => app().app.inject({ method: 'GET', url: `/api/v1/patients/${pid}/audit${query}`, headers: u.headers })

  /** The patient's events once everything written so far is sealed (events appear within 2 s). */
  async function auditItems(u: TestUser, query = ''): Promise<AuditEventDto[]> {
    await app().deps.audit.sealNow()
    const res = await auditOf(u, query)
    expect(res.statusCode, res.body).toBe(200)
    return res.json().items
  }

  /** `GET /admin/audit/verify` after sealing. */
  const verify = async () => {
    await app().deps.audit.sealNow()
    const res = await app().app.inject({ method: 'GET', url: '/api/v1/admin/audit/verify', headers: admin().headers })
    expect(res.statusCode, res.body).toBe(200)
    return res.json() as { ok: boolean; events: number; treeSize: number; rootHash: string; firstBadSeq?: number }
  }

  /** An approved consultation between them, inserted directly. */
  const consent = (patientId: string, doctorId: string) =>
    app().deps.db.insertInto('consultations').values({ patientId, doctorId, status: 'approved' }).returning('id').executeTakeFirstOrThrow()

  /** The newest signed tree head after sealing. */
  const treeHead = async (): Promise<TreeHeadDto> => {
    await app().deps.audit.sealNow()
    const res = await app().app.inject({ method: 'GET', url: '/api/v1/audit/tree-head' })
    expect(res.statusCode, res.body).toBe(200)
    return res.json()
  }

  const proofOf = (u: TestUser, seq: number | string, query = '') =>
    app().app.inject({ method: 'GET', url: `/api/v1/patients/me/audit/${seq}/proof${query}`, headers: u.headers })

  /** A one-file multipart/form-data upload of a small text record. */
  function uploadText(u: TestUser, pid: string, text: string) {
    const boundary = `----audit${randomBytes(8).toString('hex')}`
    const payload = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\nlab_report\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="note.txt"\r\nContent-Type: text/plain\r\n\r\n${text}\r\n` +
        `--${boundary}--\r\n`,
    )
    return app().app.inject({ method: 'POST', url: `/api/v1/patients/${pid}/records`, headers: { ...u.headers, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload })
  }

  return { login, auditOf, auditItems, verify, consent, treeHead, proofOf, uploadText }
}
