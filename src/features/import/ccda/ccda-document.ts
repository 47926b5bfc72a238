/**
 * HL7 C-CDA R2.1 document → import plan (SPEC §9): allergies, problems, medications, vital
 * signs and results, by entry template id (root OID, any extension), and the document itself
 * kept as a record. Pure: no database, no HTTP.
 *
 * Entries are found by their template wherever they sit in the structured body: the template
 * states what an entry is, so a Problem Observation under a discharge diagnosis or a
 * Medication Activity under a discharge medication counts like one in the Problems or
 * Medications section. An entry that holds nothing imported is reported under its section's
 * title as "section not imported".
 *
 * Readers by concern: `ccda-xml.ts` (well-formedness, namespaces), `ccda-values.ts` (HL7 V3
 * data types), `ccda-clinical.ts` (allergies, problems, medications), `ccda-observations.ts`
 * (vital signs, results).
 */
import { utcDate } from '../../../app/dates.js'
import type { RecordCategory } from '../../records/record-category.js'
import { SkipCounter, type ImportPlan, type ParseOptions } from '../fhir-bundle.js'
import type { ImportedDemographics } from '../fhir-clinical.js'
import { CATEGORY_BY_LOINC, type ImportedAttachment } from '../fhir-documents.js'
import { CCDA_SKIP, TEMPLATE, mapCcdaAllergy, mapCcdaMedication, mapCcdaProblem } from './ccda-clinical.js'
import { mapResult, mapVitalSigns, organizerObservations, type KeyedObservation } from './ccda-observations.js'
import { authorOf, codeText, contentKey, dateOf, entryKey, personName } from './ccda-values.js'
import { attr, hasTemplate, kid, kids, path, textOf, type XNode } from './ccda-xml.js'
import { readCcdaXml } from './ccda-xml.js'

/** What an entry walk carries down: the concern act an observation sits in. */
interface WalkContext {
  allergyConcern?: XNode
  problemConcern?: XNode
}

/**
 * Dedup keys, unique per bookkeeping type within one document: an entry's id (`entryKey`);
 * when a document gives two different entries the same id, the second gets `#` and a hash of
 * its content; the same entry twice yields undefined (skipped).
 */
class EntryKeys {
  /** Per kind: key → content hash of the entry that took it. */
  private readonly used = new Map<string, Map<string, string>>()
  take(kind: string, n: XNode): string | undefined {
    const used = this.used.get(kind) ?? new Map<string, string>()
    this.used.set(kind, used)
    const base = entryKey(n)
    const content = contentKey(n)
    for (const key of [base, `${base}#${content}`]) {
      const holder = used.get(key)
      if (holder === content) return undefined
      if (holder === undefined) {
        used.set(key, content)
        return key
      }
    }
    return undefined
  }
}

/** HL7 AdministrativeGender → the profile's sex (FHIR's mapping: UN → other). */
const SEX_BY_CODE: Readonly<Record<string, ImportedDemographics['sex']>> = { F: 'female', M: 'male', UN: 'other' }

/** `recordTarget/patientRole/patient` → demographics for the identity check (SPEC §4.4): the legal name (else the first), every name, a full birth date, the sex. */
function demographicsOf(doc: XNode): ImportedDemographics {
  const patient = path(doc, 'recordTarget', 'patientRole', 'patient')
  const out: ImportedDemographics = {}
  if (!patient) return out
  const names = kids(patient, 'name')
  const legal = names.find((n) => (attr(n, 'use') ?? '').split(/\s+/).includes('L')) ?? names[0]
  const fullName = personName(legal)
  if (fullName) out.fullName = fullName.slice(0, 200)
  const all = names.flatMap((n) => personName(n) ?? [])
  if (all.length > 0) out.names = all
  const birth = attr(kid(patient, 'birthTime'), 'value')
  if (birth && /^\d{8}/.test(birth)) {
    const date = dateOf(kid(patient, 'birthTime'))
    if (date) out.dateOfBirth = date
  }
  const sex = SEX_BY_CODE[attr(kid(patient, 'administrativeGenderCode'), 'code') ?? '']
  if (sex) out.sex = sex
  return out
}

/** The document kept whole as a record (SPEC §9): its original bytes as `application/xml`, title, date, author, category from its LOINC type. */
function documentRecord(doc: XNode, xml: string, fallbackDate: string): ImportedAttachment {
  const code = kid(doc, 'code')
  const loinc = attr(code, 'code') ?? ''
  const category: RecordCategory = CATEGORY_BY_LOINC[loinc] ?? 'clinical_note'
  const kind = codeText(code)
  const out: ImportedAttachment = {
    fhirId: entryKey(doc),
    resourceType: 'ClinicalDocument',
    contentType: 'application/xml',
    data: Buffer.from(xml, 'utf8'),
    title: (textOf(kid(doc, 'title')) ?? kind ?? 'Clinical document').slice(0, 200),
    recordDate: dateOf(kid(doc, 'effectiveTime')) ?? fallbackDate,
    category,
  }
  const author = authorOf(doc).name
  if (author) out.doctorName = author.slice(0, 200)
  if (kind) out.description = `HL7 C-CDA document: ${kind}`.slice(0, 2000)
  return out
}

/** The sections of the structured body, nested ones included (depth first). */
function sectionsOf(doc: XNode): XNode[] {
  const out: XNode[] = []
  const visit = (container: XNode | undefined) => {
    for (const section of kids(container, 'component').flatMap((c) => kids(c, 'section'))) {
      out.push(section)
      visit(section)
    }
  }
  visit(path(doc, 'component', 'structuredBody'))
  return out
}

/**
 * Parses the C-CDA document `xml` into an {@link ImportPlan} (SPEC §9; templates of the HL7
 * C-CDA R2.1 IG, see `ccda-clinical.ts` and `ccda-observations.ts`). Throws ValidationError
 * (400) naming the first problem of a malformed document (line and column), a DTD internal
 * subset, or a root that is not `ClinicalDocument` in `urn:hl7-org:v3`. Never throws on an
 * entry's content: what cannot be used is counted in `skipped` with a reason.
 */
export function parseCcdaDocument(xml: string, options: ParseOptions = {}): ImportPlan {
  const doc = readCcdaXml(xml)
  const plan: ImportPlan = { demographics: demographicsOf(doc), allergies: [], conditions: [], medications: [], vitals: [], labs: [], attachments: [], skipped: [] }
  const skipped = new SkipCounter()
  const keys = new EntryKeys()

  /** Takes a mapped item or counts why not; `true` when the entry was one we read. */
  const take = <T>(into: T[], resourceType: string, result: T | string) => {
    if (typeof result === 'string') skipped.add(resourceType, result)
    else into.push(result)
    return true
  }
  const keyed = (kind: string, resourceType: string, obs: XNode[]): KeyedObservation[] =>
    obs.flatMap((o) => {
      const key = keys.take(kind, o)
      if (key === undefined) skipped.add(resourceType, CCDA_SKIP.sameIdTwice)
      return key === undefined ? [] : [{ obs: o, key }]
    })
  const vitals = (organizer: XNode | undefined, obs: XNode[]) => {
    for (const o of mapVitalSigns(organizer, keyed('Observation', 'VitalSignObservation', obs))) {
      if ('item' in o) plan.vitals.push(o.item)
      else skipped.add(o.resourceType, o.skipped)
    }
    return true
  }
  const results = (organizer: XNode | undefined, obs: XNode[]) => {
    for (const k of keyed('Observation', 'ResultObservation', obs)) {
      const o = mapResult(organizer, k)
      if ('item' in o) plan.labs.push(o.item)
      else skipped.add(o.resourceType, o.skipped)
    }
    return true
  }
  const one = <T>(kind: string, resourceType: string, n: XNode, into: T[], map: (key: string) => T | string) => {
    const key = keys.take(kind, n)
    return key === undefined ? take(into, resourceType, CCDA_SKIP.sameIdTwice) : take(into, resourceType, map(key))
  }

  /** Reads the entries of interest under `n`; true when it found at least one. */
  const walk = (n: XNode, ctx: WalkContext): boolean => {
    if (hasTemplate(n, TEMPLATE.allergy)) return one('AllergyIntolerance', 'AllergyObservation', n, plan.allergies, (k) => mapCcdaAllergy(n, k, ctx.allergyConcern))
    if (hasTemplate(n, TEMPLATE.problem)) return one('Condition', 'ProblemObservation', n, plan.conditions, (k) => mapCcdaProblem(n, k, ctx.problemConcern))
    if (hasTemplate(n, TEMPLATE.medication)) return one('Medication', 'MedicationActivity', n, plan.medications, (k) => mapCcdaMedication(n, k))
    if (hasTemplate(n, TEMPLATE.vitalsOrganizer)) return vitals(n, organizerObservations(n, TEMPLATE.vital))
    if (hasTemplate(n, TEMPLATE.vital)) return vitals(undefined, [n])
    if (hasTemplate(n, TEMPLATE.resultOrganizer)) return results(n, organizerObservations(n, TEMPLATE.result))
    if (hasTemplate(n, TEMPLATE.result)) return results(undefined, [n])
    const inner: WalkContext = { ...ctx }
    if (hasTemplate(n, TEMPLATE.allergyConcern)) inner.allergyConcern = n
    if (hasTemplate(n, TEMPLATE.problemConcern)) inner.problemConcern = n
    let found = false
    for (const c of n.children) found = walk(c, inner) || found
    return found
  }

  for (const section of sectionsOf(doc)) {
    const title = textOf(kid(section, 'title')) ?? codeText(kid(section, 'code')) ?? 'Section'
    for (const entry of kids(section, 'entry')) {
      if (!walk(entry, {})) skipped.add(title.slice(0, 100), CCDA_SKIP.sectionNotImported)
    }
  }

  plan.attachments.push(documentRecord(doc, xml, utcDate(options.now ?? new Date())))
  plan.skipped = skipped.list()
  return plan
}
