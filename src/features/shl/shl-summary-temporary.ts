/**
 * TEMPORARY: the summary file of a SMART Health Link until `ipsSummaryBundle` (branch
 * h-fhir, src/features/fhir-api/patient-bundles.ts) lands on this branch. A minimal IPS
 * `document` Bundle (HL7 IPS IG; SPEC §9): Composition (LOINC 60591-5) first, then the
 * Patient and the profile's allergies (48765-2), problems (11450-4) and medications
 * (10160-0) — an empty section says so with `emptyReason` (nilknown). Vitals and lab
 * results are not in it yet. Replace every call with `ipsSummaryBundle` when it is merged.
 */
import { randomUUID } from 'node:crypto'
import type * as fhir4 from 'fhir/r4.js'
import type { ProfileRow } from '../../db/schema.js'

const LOINC = 'http://loinc.org'
const EMPTY_REASON = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/list-empty-reason', code: 'nilknown', display: 'Nil Known' }] }

const concept = (text: string, code?: { system: string; code: string; display?: string | undefined }): fhir4.CodeableConcept =>
  code ? { coding: [{ system: code.system, code: code.code, ...(code.display ? { display: code.display } : {}) }], text } : { text }

const sexToGender = (sex: ProfileRow['sex']): fhir4.Patient['gender'] => (sex === 'female' || sex === 'male' || sex === 'other' || sex === 'unknown' ? sex : undefined)

/**
 * TEMPORARY (see the module comment): an IPS document Bundle of `profile` as of `now`, its
 * entries' `fullUrl`s under `baseUrl` (`<baseUrl>/<Type>/<id>`).
 */
export function temporaryIpsSummaryBundle(profile: ProfileRow, opts: { baseUrl: string; now: Date }): fhir4.Bundle {
  const pid = profile.patientId
  const subject = { reference: `Patient/${pid}` }
  const entry = (resource: fhir4.FhirResource & { id?: string }): fhir4.BundleEntry => ({ fullUrl: `${opts.baseUrl}/${resource.resourceType}/${resource.id}`, resource })
  const parts = profile.fullName.trim().split(/\s+/)
  const patient: fhir4.Patient = {
    resourceType: 'Patient',
    id: pid,
    name: [{ use: 'official', text: profile.fullName, family: parts.length > 1 ? parts[parts.length - 1] : profile.fullName, ...(parts.length > 1 ? { given: parts.slice(0, -1) } : {}) }],
    ...(profile.dateOfBirth ? { birthDate: profile.dateOfBirth } : {}),
    ...(sexToGender(profile.sex) ? { gender: sexToGender(profile.sex) } : {}),
  }
  const allergies: fhir4.AllergyIntolerance[] = profile.allergies.map((a) => ({
    resourceType: 'AllergyIntolerance',
    id: a.id,
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
    code: concept(a.substance, a.code),
    patient: subject,
    ...(a.severity ? { reaction: [{ manifestation: [concept(a.reaction ?? a.substance)], severity: a.severity }] } : a.reaction ? { reaction: [{ manifestation: [concept(a.reaction)] }] } : {}),
  }))
  const conditions: fhir4.Condition[] = profile.conditions.map((c) => ({
    resourceType: 'Condition',
    id: c.id,
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: c.status === 'resolved' ? 'resolved' : 'active' }] },
    code: concept(c.name, c.code),
    subject,
    ...(c.since ? { onsetDateTime: c.since } : {}),
  }))
  const medications: fhir4.MedicationStatement[] = profile.medications.map((m) => ({
    resourceType: 'MedicationStatement',
    id: m.id,
    status: 'active',
    medicationCodeableConcept: concept(m.name, m.code),
    subject,
    ...(m.since ? { effectiveDateTime: m.since } : {}),
    ...(m.dosage || m.frequency ? { dosage: [{ text: [m.dosage, m.frequency].filter(Boolean).join(', ') }] } : {}),
  }))
  const section = (title: string, code: string, resources: Array<{ resourceType: string; id?: string }>): fhir4.CompositionSection => ({
    title,
    code: { coding: [{ system: LOINC, code }] },
    ...(resources.length > 0 ? { entry: resources.map((r) => ({ reference: `${r.resourceType}/${r.id}` })) } : { emptyReason: EMPTY_REASON }),
  })
  const now = opts.now.toISOString()
  const composition: fhir4.Composition = {
    resourceType: 'Composition',
    id: randomUUID(),
    status: 'final',
    type: { coding: [{ system: LOINC, code: '60591-5', display: 'Patient summary Document' }] },
    subject,
    date: now,
    author: [{ display: 'CareLocker (patient-held record)' }],
    title: `Patient summary of ${profile.fullName}`,
    section: [
      section('Allergies and Intolerances', '48765-2', allergies),
      section('Active Problems', '11450-4', conditions),
      section('Medication Summary', '10160-0', medications),
    ],
  }
  return {
    resourceType: 'Bundle',
    id: randomUUID(),
    type: 'document',
    timestamp: now,
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${composition.id}` },
    entry: [entry(composition), entry(patient), ...allergies.map(entry), ...conditions.map(entry), ...medications.map(entry)],
  }
}
