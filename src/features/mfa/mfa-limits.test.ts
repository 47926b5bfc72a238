/**
 * The second factor's failure limit per account (SPEC §6, §8): a right password gives a new
 * `mfaToken` and 5 more guesses, so wrong codes also count per account, whatever the IP
 * (`RATE_LIMIT_LOGIN_FAILURES_PER_15_MIN`, here 3), and once spent even the right code is 429.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD, registerUser } from '../../../test/helpers/factories.js'
import { enrolTotp, mfaTokenFor, totpCode } from '../../../test/helpers/mfa.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

let t: TestApp

beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_LOGIN_FAILURES_PER_15_MIN: '3' })
})
afterAll(async () => {
  await t?.close()
})

const loginMfa = (mfaToken: string, code: string, ip: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login/mfa', payload: { mfaToken, code }, remoteAddress: ip })

describe('wrong second-factor codes per account', () => {
  it('count across new mfaTokens and IPs: after 3, the right code is 429 too; another account is not affected', async () => {
    const user = await registerUser(t)
    const { secret } = await enrolTotp(t, user)
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      const wrong = await loginMfa(await mfaTokenFor(t, user.email, PASSWORD), '000000', ip)
      expect(wrong.statusCode, wrong.body).toBe(401)
    }
    const spent = await loginMfa(await mfaTokenFor(t, user.email, PASSWORD), totpCode(secret, new Date(), 1), '198.51.100.4')
    expect(spent.statusCode, spent.body).toBe(429)

    const other = await registerUser(t)
    const theirs = await enrolTotp(t, other)
    const ok = await loginMfa(await mfaTokenFor(t, other.email, PASSWORD), totpCode(theirs.secret, new Date(), 1), '198.51.100.1')
    expect(ok.statusCode, ok.body).toBe(200)
  })
})
