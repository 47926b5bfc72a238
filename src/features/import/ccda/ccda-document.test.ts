/** C-CDA mapping rules on handmade entries (pure: parseCcdaDocument, no database). The fixtures' HTTP story is ccda-import.test.ts. */
import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../../app/errors.js'
import { parseCcdaDocument } from './ccda-document.js'

const LOINC = 'codeSystem="2.16.840.1.113883.6.1"'
const SNOMED = 'codeSystem="2.16.840.1.113883.6.96"'

/** A document with `patient` inside recordTarget and `entries` in one section. */
function doc(entries: string, patient = '<name><given>Eve</given><family>Betterhalf</family></name>', extra = ''): string {
  return `<?xml version="1.0"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <id root="9.9.9" extension="d1"/><code code="18842-5" ${LOINC} displayName="Discharge summary"/><title>T</title><effectiveTime value="20240509"/>
  <author><time value="20240509"/><assignedAuthor><assignedPerson><name><given>Pat</given><family>Primary</family></name></assignedPerson></assignedAuthor></author>
  <recordTarget><patientRole><patient>${patient}</patient></patientRole></recordTarget>
  ${extra}
  <component><structuredBody><component><section><title>Things</title>${entries}</section></component></structuredBody></component>
</ClinicalDocument>`
}
const obs = (template: string, body: string, attrs = '') =>
  `<observation classCode="OBS" moodCode="EVN"${attrs}><templateId root="2.16.840.1.113883.10.20.22.4.${template}"/>${body}</observation>`
const problem = (id: string, body: string, concernStatus = 'active') =>
  `<entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.3"/><statusCode code="${concernStatus}"/>
   <entryRelationship typeCode="SUBJ">${obs('4', `<id root="${id}"/>${body}`)}</entryRelationship></act></entry>`
const value = (code: string, name: string) => `<value xsi:type="CD" code="${code}" ${SNOMED} displayName="${name}"/>`
const organizer = (template: string, time: string, components: string[]) =>
  `<entry><organizer classCode="CLUSTER" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.${template}"/><effectiveTime value="${time}"/>${components.map((c) => `<component>${c}</component>`).join('')}</organizer></entry>`
const pq = (v: string, unit: string) => `<value xsi:type="PQ" value="${v}" unit="${unit}"/>`
const code = (c: string, name: string) => `<code code="${c}" ${LOINC} displayName="${name}"/>`

describe('parseCcdaDocument (SPEC §9)', () => {
  it('problem status: an end date, a Problem Status of resolved, or a completed concern act mean resolved', () => {
    const status = `<entryRelationship typeCode="REFR">${obs('6', `<value xsi:type="CD" code="413322009" ${SNOMED}/>`)}</entryRelationship>`
    const plan = parseCcdaDocument(
      doc(
        problem('p1', `<effectiveTime><low value="2010"/><high value="20120304"/></effectiveTime>${value('1', 'Ended')}`) +
          problem('p2', `${value('2', 'Status says resolved')}${status}`) +
          problem('p3', value('3', 'Concern completed'), 'completed') +
          problem('p4', `<effectiveTime><low value="201503"/></effectiveTime>${value('4', 'Ongoing')}`),
      ),
    )
    expect(plan.conditions.map((c) => [c.name, c.status, c.since])).toEqual([
      ['Ended', 'resolved', '2010-01-01'],
      ['Status says resolved', 'resolved', undefined],
      ['Concern completed', 'resolved', undefined],
      ['Ongoing', 'active', '2015-03-01'],
    ])
    expect(plan.conditions[0]?.code).toEqual({ system: 'http://snomed.info/sct', code: '1', display: 'Ended' })
  })

  it('skips a negated problem, a "no current problems" code and a nullFlavor value, each with its reason', () => {
    const plan = parseCcdaDocument(
      doc(
        problem('n1', value('5', 'x')).replace('<observation classCode="OBS" moodCode="EVN">', '<observation classCode="OBS" moodCode="EVN" negationInd="true">') +
          problem('n2', value('160245001', 'No current problems or disability')) +
          problem('n3', '<value xsi:type="CD" nullFlavor="UNK"/>'),
      ),
    )
    expect(plan.conditions).toEqual([])
    expect(plan.skipped).toEqual([
      { resourceType: 'ProblemObservation', count: 2, reason: 'states an absence (no known allergies, problems or medications)' },
      { resourceType: 'ProblemObservation', count: 1, reason: 'no information (nullFlavor)' },
    ])
  })

  it('two entries with one id are both kept (the second keyed by its content); the same entry twice is skipped', () => {
    const a = problem('same', value('10', 'A'))
    const plan = parseCcdaDocument(doc(a + problem('same', value('11', 'B')) + a))
    expect(plan.conditions.map((c) => c.name)).toEqual(['A', 'B'])
    expect(plan.conditions[0]?.fhirId).toBe('same')
    expect(plan.conditions[1]?.fhirId).toMatch(/^same#[0-9a-f]{16}$/)
    expect(plan.skipped).toContainEqual({ resourceType: 'ProblemObservation', count: 1, reason: 'same entry twice in this document' })
    // Stable: the same document gives the same keys.
    expect(parseCcdaDocument(doc(a + problem('same', value('11', 'B')) + a)).conditions.map((c) => c.fhirId)).toEqual(plan.conditions.map((c) => c.fhirId))
  })

  it('vital signs: canonical units, the organizer time when the observation has none, a lone systolic and a wrong unit skipped', () => {
    const plan = parseCcdaDocument(
      doc(
        organizer('26', '20240102103000+0200', [
          obs('27', `<id root="w"/>${code('3141-9', 'Weight')}${pq('154', '[lb_av]')}`),
          obs('27', `<id root="t"/>${code('8310-5', 'Temp')}<effectiveTime value="202401021045"/>${pq('98.6', '[degF]')}`),
          obs('27', `<id root="h"/>${code('8302-2', 'Height')}${pq('70', 'kg')}`),
          obs('27', `<id root="s"/>${code('8480-6', 'Systolic')}${pq('120', 'mm[Hg]')}`),
        ]),
      ),
    )
    expect(plan.vitals.map((v) => [v.type, v.value, v.unit, v.measuredAt])).toEqual([
      ['body_weight', 69.85, 'kg', '2024-01-02T08:30:00.000Z'],
      ['body_temperature', 37, 'Cel', '2024-01-02T10:45:00.000Z'],
    ])
    expect(plan.skipped).toEqual([
      { resourceType: 'VitalSignObservation', count: 1, reason: 'vital sign in a unit that does not fit its type' },
      { resourceType: 'VitalSignObservation', count: 1, reason: 'systolic or diastolic pressure without the other' },
    ])
  })

  it('results: a coded value as text, a textual reference range, interpretation folded to H, time from the organizer; no LOINC is skipped', () => {
    const range = '<referenceRange><observationRange><text>negative</text></observationRange></referenceRange>'
    const plan = parseCcdaDocument(
      doc(
        organizer('1', '20230405', [
          obs('2', `<id root="r1"/>${code('5778-6', 'Color of Urine')}<value xsi:type="CD" code="371244009" ${SNOMED} displayName="Yellow"/>${range}`),
          obs('2', `<id root="r2"/>${code('2345-7', 'Glucose')}<effectiveTime value="20230405081500"/>${pq('130', 'mg/dL')}<interpretationCode code="HH"/>`),
          obs('2', `<id root="r3"/><code code="X" codeSystem="2.16.840.1.113883.6.12"/>${pq('1', 'mg')}`),
        ]),
      ),
    )
    expect(plan.labs).toEqual([
      { fhirId: 'r1', loinc: '5778-6', display: 'Color of Urine', value: null, valueText: 'Yellow', unit: null, referenceRange: { text: 'negative' }, interpretation: null, effectiveAt: '2023-04-05T00:00:00.000Z' },
      { fhirId: 'r2', loinc: '2345-7', display: 'Glucose', value: 130, valueText: null, unit: 'mg/dL', referenceRange: null, interpretation: 'HH', effectiveAt: '2023-04-05T08:15:00.000Z' },
    ])
    expect(plan.skipped).toEqual([{ resourceType: 'ResultObservation', count: 1, reason: 'result without a LOINC code' }])
  })

  it('medications: a negated one skipped; a dose range, once per day, inactive when completed', () => {
    const med = (id: string, attrs: string, body: string) =>
      `<entry><substanceAdministration classCode="SBADM" moodCode="EVN"${attrs}><templateId root="2.16.840.1.113883.10.20.22.4.16"/><id root="${id}"/>${body}
        <consumable><manufacturedProduct><manufacturedMaterial><code code="197380" codeSystem="2.16.840.1.113883.6.88" displayName="atenolol 25 MG Oral Tablet"/></manufacturedMaterial></manufacturedProduct></consumable></substanceAdministration></entry>`
    const plan = parseCcdaDocument(
      doc(
        med('m1', ' negationInd="true"', '<statusCode code="active"/>') +
          med('m2', '', `<statusCode code="completed"/><effectiveTime xsi:type="IVL_TS"><low value="20200101"/><high value="20200301"/></effectiveTime>
            <effectiveTime xsi:type="PIVL_TS" operator="A"><period value="1" unit="d"/></effectiveTime><doseQuantity><low value="1" unit="{tbl}"/><high value="2" unit="{tbl}"/></doseQuantity>`),
      ),
    )
    expect(plan.medications).toEqual([
      expect.objectContaining({ fhirId: 'm2', name: 'atenolol 25 MG Oral Tablet', active: false, dosage: '1 {tbl} – 2 {tbl}', frequency: 'once per day', since: '2020-01-01' }),
    ])
    expect(plan.skipped).toEqual([{ resourceType: 'MedicationActivity', count: 1, reason: 'states an absence (no known allergies, problems or medications)' }])
  })

  it('demographics: the legal name among several, UN as other, no birth date from a year alone; the document as a discharge_summary record', () => {
    const patient = '<name use="P"><given>Evie</given></name><name use="L"><given>Eve</given><family>Betterhalf</family></name><administrativeGenderCode code="UN"/><birthTime value="1975"/>'
    const plan = parseCcdaDocument(doc('', patient), { now: new Date('2025-01-01T00:00:00Z') })
    expect(plan.demographics).toEqual({ fullName: 'Eve Betterhalf', names: ['Evie', 'Eve Betterhalf'], sex: 'other' })
    expect(plan.attachments).toEqual([
      expect.objectContaining({ fhirId: '9.9.9^d1', resourceType: 'ClinicalDocument', contentType: 'application/xml', category: 'discharge_summary', title: 'T', recordDate: '2024-05-09', doctorName: 'Pat Primary' }),
    ])
  })

  it('a DOCTYPE with an internal subset is refused; the same words in a comment of the body are content', () => {
    expect(() => parseCcdaDocument(`<!DOCTYPE ClinicalDocument [<!ENTITY a "b">]>${doc('')}`.replace('<?xml version="1.0"?>', ''))).toThrow(ValidationError)
    expect(parseCcdaDocument(doc('<!-- <!DOCTYPE x [ ] > -->')).attachments).toHaveLength(1)
  })
})
