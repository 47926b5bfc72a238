/**
 * The password-changed email across an upgrade (SPEC §5, §8): the previous release queued it
 * as a `notify.email` job of template `password-changed`; that template is now the
 * `password-changed` account notice, and a job still waiting is moved to
 * `notify.account-notice` at start (account-notices.jobs.ts), so it is delivered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser } from '../../../test/helpers/factories.js'
import { completedJob, durableData, restartWithQueuedJobs, type DurableData } from '../../../test/helpers/durable-data.js'
import { startSmtpSink, type SmtpSink } from '../../../test/helpers/smtp-sink.js'
import type { TestApp } from '../../../test/helpers/test-app.js'

const CHANGED_AT = '2026-11-20T08:15:42.000Z'

describe('a password-changed email queued by the previous release (notify.email)', () => {
  let smtp: SmtpSink
  let t: TestApp
  let data: DurableData | undefined
  const legacy = { jobId: '' as string | null, userId: '', email: '' }

  beforeAll(async () => {
    smtp = await startSmtpSink()
    data = await durableData('password-changed-upgrade')
    const env = { ...data.env, SMTP_URL: smtp.url }
    const restarted = await restartWithQueuedJobs(env, async (before) => {
      const user = await registerUser(before)
      legacy.userId = user.id
      legacy.email = user.email
      // Exactly the payload the previous release enqueued (its EmailJob had this template).
      const payload = { template: 'password-changed', to: { userId: user.id }, data: { changedAt: CHANGED_AT } }
      legacy.jobId = await before.deps.db.transaction().execute((trx) => before.deps.jobs.send(trx, 'notify.email', payload as never))
    })
    t = restarted.t
  })
  afterAll(async () => {
    await t?.close()
    await data?.remove()
    await smtp?.close()
  })

  it('is delivered after the upgrade as the password-changed notice, from its new queue, with the time of the change', async () => {
    expect(legacy.jobId).toMatch(/^[0-9a-f-]{36}$/)
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(legacy.email) && m.subject === 'Your CareLocker password was changed', 30_000)
    expect(mail.text).toContain('2026-11-20 08:15 UTC')
    expect(await completedJob(t, legacy.jobId)).toEqual({ name: 'notify.account-notice', state: 'completed', data: { userId: legacy.userId, notice: 'password-changed', at: CHANGED_AT } })
  })
})
