import { describe, expect, it } from 'vitest'
import { findAllergyConflicts } from './allergy-check.js'

const item = (medicineName: string) => ({ medicineName })

describe('allergy warnings (SPEC §4.9)', () => {
  it('amoxicillin for a penicillin allergy: a class match naming both', () => {
    const [c, ...rest] = findAllergyConflicts([item('Amoxicillin 500 mg')], [{ substance: 'Penicillin' }])
    expect(rest).toEqual([])
    expect(c).toMatchObject({ via: 'class', itemIndex: 0, substance: 'Penicillin' })
    expect(c!.message).toContain('Amoxicillin 500 mg')
    expect(c!.message).toContain('Penicillin')
  })

  it('every member of the penicillin class (WHO ATC J01C) matches, by INN or common name', () => {
    const members = ['Ampicillin', 'Amoxycillin', 'Penicillin V potassium', 'Penicillin G benzathine', 'Phenoxymethylpenicillin', 'Benzylpenicillin',
      'Piperacillin / tazobactam', 'Dicloxacillin', 'Flucloxacillin', 'Floxacillin', 'Nafcillin', 'Oxacillin', 'Cloxacillin', 'Ticarcillin', 'Temocillin',
      'Amoxicillin 875 MG / Clavulanate 125 MG Oral Tablet', 'Pivmecillinam']
    for (const name of members) {
      expect(findAllergyConflicts([item(name)], [{ substance: 'Allergy to penicillin' }]), name).toHaveLength(1)
    }
  })

  it('recognizes a penicillin allergy by code: RxNorm 70618 / 7980, SNOMED 91936005 and the IPS substance codes', () => {
    const coded = [
      { substance: 'PCN', code: { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '70618' } },
      { substance: 'Pen G', code: { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '7980' } },
      { substance: 'Drug allergy', code: { system: 'http://snomed.info/sct', code: '91936005' } },
      { substance: 'Betalactam', code: { system: 'http://snomed.info/sct', code: '764146007' } },
    ]
    for (const allergy of coded) expect(findAllergyConflicts([item('Ampicillin')], [allergy]), allergy.substance).toHaveLength(1)
    // As imported from the IPS example bundle (display carries the class name).
    expect(findAllergyConflicts([item('Amoxicillin')], [{ substance: 'Substance with penicillin structure and antibacterial mechanism of action (substance)' }])).toHaveLength(1)
  })

  it('matches a shared ingredient through synonyms and RxNorm ingredient codes', () => {
    expect(findAllergyConflicts([item('Acetylsalicylic acid 100 mg')], [{ substance: 'Aspirin', code: { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '1191' } }])[0])
      .toMatchObject({ via: 'ingredient' })
    expect(findAllergyConflicts([item('Paracetamol 500 mg')], [{ substance: 'Tylenol', code: { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '161' } }]))
      .toHaveLength(1)
  })

  it('matches other allergies by name, whole words only, and leaves unrelated medicines alone', () => {
    expect(findAllergyConflicts([item('Codeine phosphate 30 mg')], [{ substance: 'Allergy to codeine (finding)' }])[0]).toMatchObject({ via: 'name' })
    expect(findAllergyConflicts([item('Lisinopril 10 mg'), item('Ibuprofen')], [{ substance: 'Penicillin' }, { substance: 'Latex (substance)' }, { substance: 'Eggs (edible) (substance)' }])).toEqual([])
    // An allergy to one aminopenicillin is an ingredient, not the whole class.
    expect(findAllergyConflicts([item('Dicloxacillin')], [{ substance: 'Amoxicillin' }])).toEqual([])
    expect(findAllergyConflicts([item('Amoxicillin')], [{ substance: 'Amoxicillin' }])[0]).toMatchObject({ via: 'ingredient' })
  })
})
