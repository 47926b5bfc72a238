import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD } from '../../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_LOGIN_PER_MIN: '3', RATE_LIMIT_REGISTER_PER_HOUR: '2', RATE_LIMIT_PASSWORD_RESET_PER_HOUR: '5' })
})
afterAll(async () => t.close())

describe('rate limits (SPEC §6)', () => {
  it('the fourth login for one IP and email within a minute is 429 with RateLimit and Retry-After headers', async () => {
    const attempt = () => t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'victim@example.test', password: 'wrong password' } })
    for (let i = 0; i < 3; i++) expect((await attempt()).statusCode).toBe(401)
    const res = await attempt()
    expect(res.statusCode).toBe(429)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    expect(res.headers['ratelimit-limit']).toBe('3')
    expect(res.headers['ratelimit-remaining']).toBe('0')
  })

  it('the third registration from one IP within an hour is 429', async () => {
    const reg = (n: number) => t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: `r${n}@example.test`, password: PASSWORD, role: 'patient', name: 'R' } })
    expect((await reg(1)).statusCode).toBe(201)
    expect((await reg(2)).statusCode).toBe(201)
    expect((await reg(3)).statusCode).toBe(429)
  })
})

describe('password-reset rate limit (SPEC §6: 5/hour per email)', () => {
  it('the sixth reset request for one email within an hour is 429; another email is not affected', async () => {
    const request = (email: string) => t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/request', payload: { email } })
    for (let i = 0; i < 5; i++) expect((await request('someone@example.test')).statusCode).toBe(202)
    const limited = await request('someone@example.test')
    expect(limited.statusCode).toBe(429)
    expect(limited.headers['content-type']).toContain('application/problem+json')
    expect((await request('other@example.test')).statusCode).toBe(202)
  })
})
