/**
 * Code systems, references and narrative of the FHIR R4 API (SPEC §9): the few building
 * blocks every resource mapper shares. Pure; types from `@types/fhir` (R4).
 */
import type * as fhir4 from 'fhir/r4.js'
import { escapeHtml } from '../../app/html.js'

export const LOINC = 'http://loinc.org'
export const SNOMED = 'http://snomed.info/sct'
export const UCUM = 'http://unitsofmeasure.org'
export const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category'
export const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation'

/** A stored `{system, code, display?}` (profile items, as imported) as a FHIR Coding. */
export function codingOf(c: { system: string; code: string; display?: string | undefined }): fhir4.Coding {
  return c.display ? { system: c.system, code: c.code, display: c.display } : { system: c.system, code: c.code }
}

/** A CodeableConcept of one optional coding and a text. */
export function concept(text: string, coding?: { system: string; code: string; display?: string | undefined }): fhir4.CodeableConcept {
  return coding ? { coding: [codingOf(coding)], text } : { text }
}

/** `Patient/{id}` as a Reference. */
export const patientRef = (patientId: string): fhir4.Reference => ({ reference: `Patient/${patientId}` })

/** An instant as FHIR writes it (ISO-8601 UTC with milliseconds). */
export const instant = (d: Date | string): string => (d instanceof Date ? d : new Date(d)).toISOString()

/**
 * A generated narrative (FHIR R4 §2.4 Narrative): the lines as XHTML paragraphs, or a list
 * when `items` is given; every value escaped.
 */
export function narrative(heading: string, items?: readonly string[]): fhir4.Narrative {
  const body =
    items && items.length > 0
      ? `<p>${escapeHtml(heading)}</p><ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`
      : `<p>${escapeHtml(heading)}</p>`
  return { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${body}</div>` }
}
