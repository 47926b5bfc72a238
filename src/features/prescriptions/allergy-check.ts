/**
 * Allergy warnings (SPEC §4.9): a prescribed medicine that matches one of the patient's
 * recorded allergies, the message naming both. The one rule of both ends: the prescriber
 * meets it when issuing (a match needs an override with a reason), the pharmacist at the
 * counter (a match must be acknowledged before dispensing).
 *
 * A medicine matches an allergy when (first rule that applies):
 * 1. ingredient — they share an ingredient: found by name or synonym in the texts (whole
 *    words, case and accents ignored), or by the allergy's RxNorm code (ingredient RxCUI);
 * 2. class — the medicine's ingredient belongs to a drug class the allergy names, by text
 *    ("penicillin", "allergy to penicillins", "substance with penicillin structure") or by
 *    code (below);
 * 3. name — the allergy's substance, stripped of words such as "allergy to" or
 *    "(substance)", appears as whole words in the medicine's name ("Aspirin" in "Aspirin
 *    81 mg"), for allergies outside the catalogue below.
 *
 * Catalogue and sources:
 * - Penicillin class: the members of WHO ATC group J01C "Beta-lactam antibacterials,
 *   penicillins" — J01CA extended-spectrum, J01CE beta-lactamase-sensitive, J01CF
 *   beta-lactamase-resistant penicillins (WHO Collaborating Centre for Drug Statistics
 *   Methodology, ATC/DDD Index, https://atcddd.fhi.no/atc_ddd_index/?code=J01C), with common
 *   alternative names (amoxycillin, penicillin G/V, floxacillin, methicillin). Combinations
 *   (J01CR, e.g. amoxicillin/clavulanate) match through their penicillin ingredient.
 * - Codes that name the class in allergy records: RxNorm 70618 "Penicillin", 7980
 *   "Penicillin G", 7984 "Penicillin V" (RxNorm, U.S. National Library of Medicine); SNOMED CT
 *   91936005 "Allergy to penicillin", 764146007 "Substance with penicillin structure" and
 *   373270004 "Substance with penicillin structure and antibacterial mechanism of action"
 *   (the last two as used by the IPS example bundles in test/fixtures/ips).
 * - Ingredient RxCUIs (RxNorm, TTY=IN): amoxicillin 723, ampicillin 733, aspirin 1191,
 *   acetaminophen 161, ibuprofen 5640.
 * Cross-reactivity beyond the class (e.g. cephalosporins) is not flagged.
 */

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm'
const SNOMED = 'http://snomed.info/sct'

/** A drug class an allergy can name, with the terms and codes that name it. */
interface DrugClass {
  id: string
  /** How a warning names the class. */
  label: string
  terms: string[]
  codes: { system: string; code: string }[]
}

interface Ingredient {
  name: string
  synonyms: string[]
  rxcui?: string
  classes: string[]
}

const CLASSES: DrugClass[] = [
  {
    id: 'penicillins',
    label: 'penicillins (WHO ATC J01C)',
    terms: ['penicillin', 'penicillins', 'penicilline', 'penicillina', 'penicilina', 'penicillinum'],
    codes: [
      { system: RXNORM, code: '70618' },
      { system: RXNORM, code: '7980' },
      { system: RXNORM, code: '7984' },
      { system: SNOMED, code: '91936005' },
      { system: SNOMED, code: '764146007' },
      { system: SNOMED, code: '373270004' },
    ],
  },
]

const penicillin = (name: string, synonyms: string[] = [], rxcui?: string): Ingredient => ({
  name,
  synonyms,
  ...(rxcui ? { rxcui } : {}),
  classes: ['penicillins'],
})

/** Ingredients the check knows by name; `classes` refer to CLASSES. */
const INGREDIENTS: Ingredient[] = [
  // J01CA: extended-spectrum penicillins
  penicillin('ampicillin', ['aminobenzylpenicillin'], '733'),
  penicillin('pivampicillin'),
  penicillin('carbenicillin'),
  penicillin('amoxicillin', ['amoxycillin', 'amoxicilline', 'amoxicilina'], '723'),
  penicillin('carindacillin'),
  penicillin('bacampicillin'),
  penicillin('epicillin'),
  penicillin('pivmecillinam'),
  penicillin('azlocillin'),
  penicillin('mezlocillin'),
  penicillin('mecillinam'),
  penicillin('piperacillin'),
  penicillin('ticarcillin'),
  penicillin('metampicillin'),
  penicillin('talampicillin'),
  penicillin('sulbenicillin'),
  penicillin('temocillin'),
  penicillin('hetacillin'),
  penicillin('aspoxicillin'),
  // J01CE: beta-lactamase-sensitive penicillins
  penicillin('benzylpenicillin', ['penicillin g', 'benzathine penicillin', 'procaine penicillin', 'benzathine benzylpenicillin', 'procaine benzylpenicillin'], '7980'),
  penicillin('phenoxymethylpenicillin', ['penicillin v', 'penicillin vk', 'penicillin v potassium'], '7984'),
  penicillin('propicillin'),
  penicillin('azidocillin'),
  penicillin('pheneticillin'),
  penicillin('penamecillin'),
  penicillin('clometocillin'),
  // J01CF: beta-lactamase-resistant penicillins
  penicillin('dicloxacillin'),
  penicillin('cloxacillin'),
  penicillin('meticillin', ['methicillin']),
  penicillin('oxacillin'),
  penicillin('flucloxacillin', ['floxacillin']),
  penicillin('nafcillin'),
  // A few common ingredients outside any class, so coded allergies match their synonyms.
  { name: 'aspirin', synonyms: ['acetylsalicylic acid'], rxcui: '1191', classes: [] },
  { name: 'acetaminophen', synonyms: ['paracetamol'], rxcui: '161', classes: [] },
  { name: 'ibuprofen', synonyms: [], rxcui: '5640', classes: [] },
]

/** Words that say "this is an allergy record", not what the allergy is to. */
const NOISE = new Set([
  'allergy', 'allergies', 'allergic', 'to', 'of', 'the', 'and', 'with', 'substance', 'finding', 'disorder', 'product', 'products',
  'containing', 'medicinal', 'structure', 'antibacterial', 'mechanism', 'action', 'intolerance', 'reaction', 'drug', 'history',
])

/** Lower case, accents stripped, anything but letters and digits as single spaces. */
export function normalizeText(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
}

/** `term` occurs in `text` as whole words (both normalized). */
const hasTerm = (text: string, term: string) => term !== '' && ` ${text} `.includes(` ${term} `)

const ingredientsIn = (text: string) => INGREDIENTS.filter((i) => hasTerm(text, i.name) || i.synonyms.some((s) => hasTerm(text, s)))

export interface AllergyRecord {
  substance: string
  code?: { system: string; code: string; display?: string | undefined } | undefined
}

export interface MedicineRecord {
  medicineName: string
}

export interface AllergyConflict {
  /** The position of the matching medicine in the list given. */
  itemIndex: number
  medicineName: string
  substance: string
  via: 'ingredient' | 'class' | 'name'
  message: string
}

interface ResolvedAllergy {
  record: AllergyRecord
  ingredients: Set<string>
  classes: Set<string>
  /** The substance without record words ("allergy to", "(substance)"). */
  core: string
}

function resolveAllergy(record: AllergyRecord): ResolvedAllergy {
  const text = normalizeText(`${record.substance} ${record.code?.display ?? ''}`)
  const ingredients = new Set(ingredientsIn(text).map((i) => i.name))
  const classes = new Set(CLASSES.filter((c) => c.terms.some((t) => hasTerm(text, t))).map((c) => c.id))
  const code = record.code
  if (code) {
    for (const c of CLASSES) if (c.codes.some((k) => k.system === code.system && k.code === code.code)) classes.add(c.id)
    if (code.system === RXNORM) for (const i of INGREDIENTS) if (i.rxcui === code.code) ingredients.add(i.name)
  }
  const core = normalizeText(record.substance)
    .split(' ')
    .filter((w) => !NOISE.has(w))
    .join(' ')
  return { record, ingredients, classes, core }
}

/**
 * Every (item, allergy) pair that matches, one conflict each, in item then allergy order.
 * Pure: the same inputs give the same conflicts and messages.
 */
export function findAllergyConflicts(items: readonly MedicineRecord[], allergies: readonly AllergyRecord[]): AllergyConflict[] {
  const resolved = allergies.map(resolveAllergy)
  const out: AllergyConflict[] = []
  for (const [itemIndex, item] of items.entries()) {
    const text = normalizeText(item.medicineName)
    const found = ingredientsIn(text)
    for (const a of resolved) {
      const conflict = (via: AllergyConflict['via'], message: string) => out.push({ itemIndex, medicineName: item.medicineName, substance: a.record.substance, via, message })
      const shared = found.find((i) => a.ingredients.has(i.name))
      if (shared) {
        conflict('ingredient', `${item.medicineName} contains ${shared.name}; the patient has a recorded allergy to "${a.record.substance}".`)
        continue
      }
      const inClass = found.flatMap((i) => i.classes.filter((c) => a.classes.has(c)).map((c) => ({ ingredient: i, cls: CLASSES.find((k) => k.id === c)! })))[0]
      if (inClass) {
        conflict('class', `${item.medicineName} (${inClass.ingredient.name}) is one of the ${inClass.cls.label}; the patient has a recorded allergy to "${a.record.substance}".`)
        continue
      }
      if (a.core.length >= 3 && hasTerm(text, a.core)) {
        conflict('name', `${item.medicineName} matches the patient's recorded allergy to "${a.record.substance}".`)
      }
    }
  }
  return out
}
