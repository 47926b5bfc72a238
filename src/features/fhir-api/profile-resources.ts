/**
 * The profile as FHIR R4 (SPEC §9, §4.2): Patient, and the profile's three lists as
 * AllergyIntolerance, Condition and MedicationStatement, codes (SNOMED CT / RxNorm) as they
 * were imported or entered. Pure mappers; ids are the profile items' own UUIDs.
 */
import type * as fhir4 from 'fhir/r4.js'
import type { ProfileAllergy, ProfileCondition, ProfileMedication } from '../../db/schema.js'
import { concept, patientRef } from './fhir-codes.js'

const CLINICAL_ALLERGY = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical'
const VERIFICATION_ALLERGY = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification'
const CLINICAL_CONDITION = 'http://terminology.hl7.org/CodeSystem/condition-clinical'
const VERIFICATION_CONDITION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status'
const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category'

/** What a Patient is made of: the profile's demographics, else the account's name. */
export interface PatientFacts {
  id: string
  fullName: string
  dateOfBirth: string | null
  sex: 'female' | 'male' | 'other' | 'unknown' | null
}

/** Patient: the official name (the last word as `family`, the others as `given`, the whole as `text`), birth date, gender. */
export function toPatient(p: PatientFacts): fhir4.Patient {
  const words = p.fullName.trim().split(/\s+/).filter(Boolean)
  const name: fhir4.HumanName = { use: 'official', text: p.fullName }
  if (words.length > 0) name.family = words[words.length - 1] as string
  if (words.length > 1) name.given = words.slice(0, -1)
  const out: fhir4.Patient = { resourceType: 'Patient', id: p.id, active: true, name: [name] }
  if (p.sex) out.gender = p.sex
  if (p.dateOfBirth) out.birthDate = p.dateOfBirth
  return out
}

/** A profile allergy: active and confirmed (the patient recorded it), substance, one reaction with its severity. */
export function toAllergyIntolerance(patientId: string, a: ProfileAllergy): fhir4.AllergyIntolerance {
  const out: fhir4.AllergyIntolerance = {
    resourceType: 'AllergyIntolerance',
    id: a.id,
    clinicalStatus: { coding: [{ system: CLINICAL_ALLERGY, code: 'active' }] },
    verificationStatus: { coding: [{ system: VERIFICATION_ALLERGY, code: 'confirmed' }] },
    code: concept(a.substance, a.code),
    patient: patientRef(patientId),
  }
  if (a.severity === 'severe') out.criticality = 'high'
  if (a.reaction || a.severity) {
    const reaction: fhir4.AllergyIntoleranceReaction = { manifestation: [{ text: a.reaction ?? 'Reaction not described' }] }
    if (a.severity) reaction.severity = a.severity
    out.reaction = [reaction]
  }
  return out
}

/** A profile condition: a problem-list item, active or resolved, with its onset date. */
export function toCondition(patientId: string, c: ProfileCondition): fhir4.Condition {
  const status = c.status ?? 'active'
  const out: fhir4.Condition = {
    resourceType: 'Condition',
    id: c.id,
    clinicalStatus: { coding: [{ system: CLINICAL_CONDITION, code: status }] },
    verificationStatus: { coding: [{ system: VERIFICATION_CONDITION, code: 'confirmed' }] },
    category: [{ coding: [{ system: CONDITION_CATEGORY, code: 'problem-list-item', display: 'Problem List Item' }] }],
    code: concept(c.name, c.code),
    subject: patientRef(patientId),
  }
  if (c.since) out.onsetDateTime = c.since
  return out
}

/** A profile medication: an active statement, its dose as text and its frequency as the timing's text. */
export function toMedicationStatement(patientId: string, m: ProfileMedication): fhir4.MedicationStatement {
  const out: fhir4.MedicationStatement = {
    resourceType: 'MedicationStatement',
    id: m.id,
    status: 'active',
    medicationCodeableConcept: concept(m.name, m.code),
    subject: patientRef(patientId),
  }
  if (m.since) out.effectiveDateTime = m.since
  if (m.dosage || m.frequency) {
    const dosage: fhir4.Dosage = {}
    if (m.dosage) dosage.text = m.dosage
    if (m.frequency) dosage.timing = { code: { text: m.frequency } }
    out.dosage = [dosage]
  }
  return out
}
