/**
 * Login limits that stop guessing without locking out the owner (SPEC §6): only failures
 * count, per account and IP and per IP across accounts; unknown emails and wrong passwords
 * are indistinguishable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD, registerUser } from '../../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

const FAILURES_PER_ACCOUNT_AND_IP = 3
const FAILURES_PER_IP = 6

let t: TestApp
beforeAll(async () => {
  // The per-minute login limit stays high (test-app default): only the failure limits are low.
  t = await startTestApp({
    RATE_LIMIT_LOGIN_FAILURES_PER_15_MIN: String(FAILURES_PER_ACCOUNT_AND_IP),
    RATE_LIMIT_LOGIN_FAILURES_PER_HOUR_IP: String(FAILURES_PER_IP),
  })
})
afterAll(async () => t?.close())

/** Each test signs in from its own addresses, so counters never leak between tests. */
const login = (email: string, password: string, remoteAddress: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress })

describe('failed-login limits (SPEC §6)', () => {
  it('successful logins do not count toward the failure limits, and a success clears that IP’s failures for the account', async () => {
    const u = await registerUser(t)
    const ip = '10.1.0.1'
    for (let i = 0; i < 3 * FAILURES_PER_ACCOUNT_AND_IP; i++) expect((await login(u.email, PASSWORD, ip)).statusCode).toBe(200)
    // Two failures, a success, two failures: never three in a row, so never refused.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < FAILURES_PER_ACCOUNT_AND_IP - 1; i++) expect((await login(u.email, 'wrong password', ip)).statusCode).toBe(401)
      expect((await login(u.email, PASSWORD, ip)).statusCode).toBe(200)
    }
  })

  it('after 3 failures from IP A, A is refused 429 even with the right password, while the owner on IP B signs in', async () => {
    const u = await registerUser(t)
    const attacker = '10.2.0.1'
    const owner = '10.2.0.2'
    for (let i = 0; i < FAILURES_PER_ACCOUNT_AND_IP; i++) expect((await login(u.email, 'wrong password', attacker)).statusCode).toBe(401)

    const refused = await login(u.email, PASSWORD, attacker)
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['content-type']).toContain('application/problem+json')
    expect(refused.json().type).toBe('https://carelocker.dev/problems/rate-limited')
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    expect(refused.headers['ratelimit-limit']).toBe(String(FAILURES_PER_ACCOUNT_AND_IP))
    expect(refused.headers['ratelimit-remaining']).toBe('0')
    expect(Number(refused.headers['ratelimit-reset'])).toBeGreaterThan(0)

    const ok = await login(u.email, PASSWORD, owner)
    expect(ok.statusCode, ok.body).toBe(200)
    expect(ok.json().user.id).toBe(u.id)
    // The attacker is still refused: the owner's success clears only the owner's own count.
    expect((await login(u.email, PASSWORD, attacker)).statusCode).toBe(429)
  })

  it('a burst of concurrent guesses gets no more tries than the limit', async () => {
    const u = await registerUser(t)
    const ip = '10.5.0.1'
    const burst = await Promise.all(Array.from({ length: 2 * FAILURES_PER_ACCOUNT_AND_IP }, () => login(u.email, 'wrong password', ip)))
    const statuses = burst.map((r) => r.statusCode).sort()
    expect(statuses).toEqual([...Array(FAILURES_PER_ACCOUNT_AND_IP).fill(401), ...Array(FAILURES_PER_ACCOUNT_AND_IP).fill(429)])
    const checked = await t.deps.db.selectFrom('auditEvents').select('seq').where('action', '=', 'auth.login_failed').where('ip', '=', ip).execute()
    expect(checked).toHaveLength(FAILURES_PER_ACCOUNT_AND_IP)
  })

  it('password spraying: failures across many accounts from one IP hit the per-IP limit; other IPs are not affected', async () => {
    const users = []
    for (let i = 0; i <= FAILURES_PER_IP; i++) users.push(await registerUser(t))
    const sprayer = '10.3.0.1'
    for (const u of users.slice(0, FAILURES_PER_IP)) expect((await login(u.email, 'Spring2026!', sprayer)).statusCode).toBe(401)

    const last = users[FAILURES_PER_IP]!
    const refused = await login(last.email, 'Spring2026!', sprayer)
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['ratelimit-limit']).toBe(String(FAILURES_PER_IP))
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    // Unknown emails count too (the same path), and a correct password does not get through.
    expect((await login('nobody-sprayed@example.test', 'Spring2026!', sprayer)).statusCode).toBe(429)
    expect((await login(last.email, PASSWORD, sprayer)).statusCode).toBe(429)
    expect((await login(last.email, PASSWORD, '10.3.0.2')).statusCode).toBe(200)
  })

  it('an unknown email and a wrong password get the same 401 body, and both write auth.login_failed', async () => {
    const u = await registerUser(t)
    const wrongIp = '10.4.0.1'
    const unknownIp = '10.4.0.2'
    const unknownEmail = 'no-such-account@example.test'
    const wrong = await login(u.email, 'wrong password', wrongIp)
    const unknown = await login(unknownEmail, 'wrong password', unknownIp)
    expect(wrong.statusCode).toBe(401)
    expect(unknown.statusCode).toBe(401)
    expect(unknown.body).toBe(wrong.body)
    expect(unknown.headers['content-type']).toBe(wrong.headers['content-type'])

    const failedFrom = (ip: string) =>
      t.deps.db.selectFrom('auditEvents').selectAll().where('action', '=', 'auth.login_failed').where('ip', '=', ip).execute()
    const [known] = await failedFrom(wrongIp).then((rows) => (expect(rows).toHaveLength(1), rows))
    expect(known).toMatchObject({ actorId: u.id, patientId: u.id, resourceType: 'user', resourceId: u.id })
    const [stranger] = await failedFrom(unknownIp).then((rows) => (expect(rows).toHaveLength(1), rows))
    expect(stranger).toMatchObject({ actorId: null, actorName: null, patientId: null, resourceType: 'email' })
    // The attempted address is not kept in clear, only a keyed digest that groups attempts.
    expect(JSON.stringify(stranger)).not.toContain('no-such-account')
    await login(unknownEmail, 'another guess', unknownIp)
    const again = await failedFrom(unknownIp)
    expect(again).toHaveLength(2)
    expect(again[1]!.resourceId).toBe(stranger!.resourceId)
  })
})
