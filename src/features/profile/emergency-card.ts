/**
 * What the emergency view shows (SPEC §4.2 `emergencyCard`, §4.6): every allergy, and the
 * conditions and medications the patient chose — by default the active ones, leaving out
 * SNOMED CT findings and social history. Pure: no database, no HTTP.
 */
import type { EmergencyCardChoice, ProfileCondition, ProfileMedication } from '../../db/schema.js'

/** The stored choice before the patient makes one: both lists on the default rule. */
export const DEFAULT_EMERGENCY_CARD: EmergencyCardChoice = { conditionIds: null, medicationIds: null }

/**
 * SNOMED CT semantic tags (the parenthesised suffix of a fully specified name, SNOMED CT
 * Editorial Guide §"Semantic tags") of concepts that are not for a first responder:
 * "(finding)" — Synthea's "Full-time employment (finding)", "Stress (finding)", "Housing
 * unsatisfactory (finding)", "Body mass index 30+ - obesity (finding)"; "(social concept)";
 * "(situation)" — "Medication review due (situation)". "(disorder)" and every other tag stay.
 */
const LEFT_OUT_TAGS = new Set(['finding', 'social concept', 'situation'])

/** The semantic tag at the end of a SNOMED CT display ("Stress (finding)" → "finding"), lower case. */
export function snomedSemanticTag(text: string): string | undefined {
  return /\(([a-z][a-z /-]*)\)\s*$/i.exec(text)?.[1]?.toLowerCase()
}

/**
 * Whether a condition is on the emergency card by default (SPEC §4.6): active (a missing
 * status counts as active), and not a SNOMED CT finding, social concept or situation — decided
 * by the semantic tag of the coded display, else of the name. One exception: a personal
 * "History of …" situation ("History of cardiac arrest (situation)", "History of coronary
 * artery bypass grafting (situation)") is past medical history a responder needs, so it stays;
 * "Family history of …" does not. A condition without a tag (typed by hand, older Synthea
 * output: "Hypertension") stays.
 */
export function showsConditionByDefault(c: Pick<ProfileCondition, 'name' | 'status' | 'code'>): boolean {
  if (c.status === 'resolved') return false
  const text = c.code?.display ?? c.name
  const tag = snomedSemanticTag(text) ?? snomedSemanticTag(c.name)
  if (tag === undefined || !LEFT_OUT_TAGS.has(tag)) return true
  return tag === 'situation' && /^\s*history of\b/i.test(text)
}

/**
 * The ids the card shows: the chosen lists, kept in profile order (a chosen id no longer in
 * the profile is ignored), or for a null list the default — conditions by
 * {@link showsConditionByDefault}, medications all of them (the profile keeps current ones only).
 */
export function emergencyCardSelection(
  profile: { conditions: ProfileCondition[]; medications: ProfileMedication[] },
  choice: EmergencyCardChoice,
): { conditionIds: string[]; medicationIds: string[] } {
  const pick = <T extends { id: string }>(items: T[], chosen: string[] | null, byDefault: (item: T) => boolean) => {
    const wanted = chosen === null ? null : new Set(chosen)
    return items.filter((i) => (wanted ? wanted.has(i.id) : byDefault(i))).map((i) => i.id)
  }
  return {
    conditionIds: pick(profile.conditions, choice.conditionIds, showsConditionByDefault),
    medicationIds: pick(profile.medications, choice.medicationIds, () => true),
  }
}
