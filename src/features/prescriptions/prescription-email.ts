/**
 * The `prescription-issued` email template (SPEC §4.9, §5): the prescriptions feature
 * renders its own message, on notifications' building blocks; a pure function of the data
 * `prescriptionIssuedContent` (prescriptions.service.ts) loads when the job runs.
 */
import { formatUtc, utcDate } from '../../app/dates.js'
import { escapeHtml, greeting, layout, p, type EmailContent } from '../notifications/notifications.templates.js'

export interface PrescriptionItemData {
  medicineName: string
  dosage: string
  frequency: string
  quantity: number
  durationDays?: number | null | undefined
  instructions?: string | null | undefined
}

export interface PrescriptionIssuedData {
  name?: string | undefined
  prescriptionNumber: string
  referenceNumber: string
  doctorName: string
  issuedAt: Date | string
  expiresAt: Date | string
  items: PrescriptionItemData[]
  /** The prescription's QR code as PNG, shown inline. */
  qrPng?: Buffer | undefined
}

const QR_CID = 'prescription-qr@carelocker'

/**
 * To the patient when a prescription is issued (SPEC §4.9): items, reference number,
 * expiry, and the QR code as an inline image (CID attachment) when given.
 */
export function prescriptionIssuedEmail(d: PrescriptionIssuedData): EmailContent {
  const intro = `${d.doctorName} issued prescription ${d.prescriptionNumber} for you on ${utcDate(d.issuedAt)}.`
  const validUntil = `Valid until ${formatUtc(d.expiresAt)}.`
  const howTo = d.qrPng
    ? `At the pharmacy, show the QR code below, or give the reference number ${d.referenceNumber} and your date of birth.`
    : `At the pharmacy, give the reference number ${d.referenceNumber} and your date of birth.`
  const itemLine = (i: PrescriptionItemData) =>
    [`${i.medicineName} ${i.dosage}`, i.frequency, `quantity ${i.quantity}`, i.durationDays ? `${i.durationDays} days` : '', i.instructions ?? '']
      .filter((s) => s !== '')
      .join(' — ')
  const cell = (s: string) => `<td style="padding:6px 8px;border-bottom:1px solid #e3e7ec">${escapeHtml(s)}</td>`
  const rows = d.items
    .map((i) => `<tr>${cell(i.medicineName)}${cell(i.dosage)}${cell(i.frequency)}${cell(String(i.quantity))}${cell(i.instructions ?? '')}</tr>`)
    .join('\n')
  const head = ['Medicine', 'Dosage', 'Frequency', 'Quantity', 'Instructions'].map((h) => `<th style="text-align:left;padding:6px 8px">${h}</th>`).join('')
  const html = [
    p(escapeHtml(greeting(d.name))),
    p(escapeHtml(intro)),
    `<table style="border-collapse:collapse;width:100%;margin:0 0 12px;font-size:14px"><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`,
    p(`Reference number: <strong style="font-family:monospace;font-size:18px">${escapeHtml(d.referenceNumber)}</strong>`),
    p(escapeHtml(validUntil)),
    p(escapeHtml(howTo)),
    d.qrPng ? `<p style="margin:0 0 12px"><img src="cid:${QR_CID}" alt="Prescription QR code" width="220" height="220"></p>` : '',
  ].join('\n')
  return {
    subject: `Your prescription ${d.prescriptionNumber}`,
    text: [
      greeting(d.name),
      '',
      intro,
      '',
      ...d.items.map((i) => `- ${itemLine(i)}`),
      '',
      `Reference number: ${d.referenceNumber}`,
      validUntil,
      howTo,
      '',
    ].join('\n'),
    html: layout(`Your prescription ${d.prescriptionNumber}`, html),
    ...(d.qrPng ? { attachments: [{ filename: 'prescription-qr.png', content: d.qrPng, contentType: 'image/png', cid: QR_CID }] } : {}),
  }
}
