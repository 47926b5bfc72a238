/**
 * The prescription email (SPEC §4.9, §5): this feature's own template, and its job across
 * an upgrade — a `notify.email` job of template `prescription-issued`, as the previous
 * release queued it, is still delivered (moved to `notify.prescription-issued` at start).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerVerified } from '../../../test/helpers/factories.js'
import { consent, decodeQrPng, issue, patientWithProfile } from '../../../test/helpers/prescriptions.js'
import { startSmtpSink, type SmtpSink } from '../../../test/helpers/smtp-sink.js'
import { completedJob, durableData, restartWithQueuedJobs, type DurableData } from '../../../test/helpers/durable-data.js'
import type { TestApp } from '../../../test/helpers/test-app.js'
import { prescriptionIssuedEmail } from './prescription-email.js'

const ACCESSED_AT = '2026-11-20T08:15:42.000Z'

describe('the prescription email template', () => {
  it('the prescription email template lists the items, the reference number and the expiry, with the QR code inline', () => {
    // The job carries only the prescription id; prescriptions.test.ts follows a real one to
    // the SMTP listener. Here: the template, with a real 1×1 PNG standing in for the QR code.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64')
    const mail = prescriptionIssuedEmail({
      name: 'Ann',
      prescriptionNumber: 'RX-20261120-0042',
      referenceNumber: 'K7QF-9M2X-4TRB-8',
      doctorName: 'Dr. Grey',
      issuedAt: ACCESSED_AT,
      expiresAt: '2026-12-20T08:15:42.000Z',
      items: [{ medicineName: 'Amoxicillin', dosage: '500 mg', frequency: 'three times a day', quantity: 21, durationDays: 7, instructions: 'after meals' }],
      qrPng: png,
    })
    expect(mail.subject).toContain('RX-20261120-0042')
    expect(mail.text).toContain('Amoxicillin 500 mg')
    expect(mail.text).toContain('K7QF-9M2X-4TRB-8')
    expect(mail.text).toContain('Valid until 2026-12-20 08:15 UTC')
    expect(mail.attachments?.[0]).toMatchObject({ cid: 'prescription-qr@carelocker', contentType: 'image/png', content: png })
    expect(mail.html).toContain('src="cid:prescription-qr@carelocker"')
    expect(mail.html).toContain('Amoxicillin')
  })
})

describe('a prescription email queued by the previous release (notify.email, template prescription-issued)', () => {
  let smtp: SmtpSink
  let t: TestApp
  let data: DurableData | undefined
  const legacy = { jobId: '' as string | null, to: 'legacy-recipient@carelocker.test', rx: {} as { id: string; prescriptionNumber: string; qr: { data: string } } }

  beforeAll(async () => {
    smtp = await startSmtpSink()
    data = await durableData('rx-upgrade')
    const env = { ...data.env, SMTP_URL: smtp.url }
    const restarted = await restartWithQueuedJobs(env, async (before) => {
      const admin = await createAdmin(before)
      const doctor = await registerVerified(before, 'doctor', admin)
      const patient = await patientWithProfile(before)
      await consent(before, patient.id, doctor.id)
      legacy.rx = await issue(before, doctor, patient.id)
      // Exactly the payload the previous release enqueued (its EmailJob had this template).
      const payload = { template: 'prescription-issued', to: { email: legacy.to }, data: { prescriptionId: legacy.rx.id } }
      legacy.jobId = await before.deps.db.transaction().execute((trx) => before.deps.jobs.send(trx, 'notify.email', payload as never))
    })
    t = restarted.t
  })
  afterAll(async () => {
    await t?.close()
    await data?.remove()
    await smtp?.close()
  })

  it('is delivered after the upgrade through the SMTP server, with the QR code, from its new queue', async () => {
    expect(legacy.jobId).toMatch(/^[0-9a-f-]{36}$/)
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(legacy.to), 30_000)
    expect(mail.subject).toBe(`Your prescription ${legacy.rx.prescriptionNumber}`)
    expect(mail.text).toContain('Amoxicillin 500 mg')
    const image = mail.parts.find((part) => part.contentType === 'image/png')
    expect(decodeQrPng(image!.content)).toBe(legacy.rx.qr.data)
    // The job kept its id and moved queues; none is left in notify.email to fail.
    expect(await completedJob(t, legacy.jobId)).toEqual({ name: 'notify.prescription-issued', state: 'completed', data: { prescriptionId: legacy.rx.id, to: { email: legacy.to } } })
    expect(smtp.messages.filter((m) => m.envelopeTo.includes(legacy.to))).toHaveLength(1)
  })
})
