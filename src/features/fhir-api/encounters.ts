/**
 * A visit (SPEC §10) as a FHIR R4 Encounter: `status` finished (it is a record of a visit
 * that took place), `class` from v3-ActCode — AMB (ambulatory) in person, VR (virtual) by
 * video or phone —, `period`, the doctor as a participant (by name: no Practitioner resource
 * is served), the reason as `reasonCode` text, and each diagnosis as a contained Condition
 * (`#dx<n>`, its Coding kept) referenced from `diagnosis`.
 */
import type * as fhir4 from 'fhir/r4.js'
import type { EncounterDiagnosis } from '../../db/schema.js'
import type { EncounterRowOut } from './fhir-api.queries.js'

const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode'
const CLASS_OF = {
  in_person: { system: ACT_CODE, code: 'AMB', display: 'ambulatory' },
  video: { system: ACT_CODE, code: 'VR', display: 'virtual' },
  phone: { system: ACT_CODE, code: 'VR', display: 'virtual' },
} as const

export function encounterResource(patientId: string, e: EncounterRowOut): fhir4.Encounter {
  const subject = { reference: `Patient/${patientId}` }
  const diagnoses = e.diagnoses as EncounterDiagnosis[]
  const contained: fhir4.Condition[] = diagnoses.map((d, i) => ({
    resourceType: 'Condition',
    id: `dx${i}`,
    code: { text: d.text, ...(d.code ? { coding: [{ ...(d.code.system ? { system: d.code.system } : {}), code: d.code.code, ...(d.code.display ? { display: d.code.display } : {}) }] } : {}) },
    subject,
  }))
  return {
    resourceType: 'Encounter',
    id: e.id,
    ...(contained.length > 0 ? { contained } : {}),
    status: 'finished',
    class: { ...CLASS_OF[e.type] },
    type: [{ text: e.type === 'in_person' ? 'In-person visit' : e.type === 'video' ? 'Video visit' : 'Phone visit' }],
    subject,
    participant: [{ individual: { display: e.doctorName } }],
    period: { start: e.startsAt.toISOString(), ...(e.endsAt ? { end: e.endsAt.toISOString() } : {}) },
    ...(e.reason ? { reasonCode: [{ text: e.reason }] } : {}),
    ...(contained.length > 0 ? { diagnosis: contained.map((c, i) => ({ condition: { reference: `#${c.id}` }, rank: i + 1 })) } : {}),
  }
}
