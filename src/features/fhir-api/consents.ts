/**
 * Consultations as FHIR R4 Consents (SPEC §9, §3): a consultation is the patient's consent
 * that one doctor reads and adds to their locker while it is approved. Pure mapper.
 */
import type * as fhir4 from 'fhir/r4.js'
import type { ConsultationRowOut } from './fhir-api.queries.js'
import { LOINC, instant, patientRef } from './fhir-codes.js'

/** Consultation state → Consent.status: pending is proposed, approved active, ended or withdrawn inactive. */
const CONSENT_STATUS = {
  pending: 'proposed',
  approved: 'active',
  rejected: 'rejected',
  ended: 'inactive',
  cancelled: 'inactive',
} as const satisfies Record<ConsultationRowOut['status'], fhir4.Consent['status']>

/** One consultation → a patient-privacy Consent permitting its doctor (as a display-only actor) for the approved period. */
export function consultationConsent(patientId: string, c: ConsultationRowOut): fhir4.Consent {
  const provision: fhir4.ConsentProvision = {
    type: 'permit',
    actor: [
      {
        role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PRCP', display: 'primary information recipient' }] },
        reference: { display: c.doctorName },
      },
    ],
  }
  if (c.status !== 'pending' && c.decidedAt) {
    provision.period = c.endedAt ? { start: instant(c.decidedAt), end: instant(c.endedAt) } : { start: instant(c.decidedAt) }
  }
  const out: fhir4.Consent = {
    resourceType: 'Consent',
    id: c.id,
    status: CONSENT_STATUS[c.status],
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: LOINC, code: '59284-0', display: 'Patient Consent' }] }],
    patient: patientRef(patientId),
    dateTime: instant(c.createdAt),
    performer: [patientRef(patientId)],
    provision,
  }
  return out
}
