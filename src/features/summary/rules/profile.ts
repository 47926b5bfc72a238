/**
 * Profile and records highlights (SPEC §4.2, §4.8): severe and other allergies, active
 * conditions (disorders apart from SNOMED CT findings and situations), current medications,
 * and the records dated within the window.
 */
import type { Highlight, SummaryFacts, SummaryRecord } from './facts.js'
import { byText } from './format.js'

/** At most this many records are named in the records highlight (all are cited as evidence). */
const RECORDS_NAMED = 10

/** SNOMED CT semantic tags of things that are not disorders: listed apart from the conditions. */
const FINDING_TAG = /\((finding|situation)\)\s*$/i

/** Allergies (severe first), active conditions (disorders, then findings) and medications, each list sorted by name. */
export function profileHighlights(facts: SummaryFacts): Highlight[] {
  const out: Highlight[] = []
  const sortedBy = <T extends { id: string }>(items: T[], key: (t: T) => string) => [...items].sort((a, b) => byText(key(a), key(b)) || byText(a.id, b.id))

  const severe = sortedBy(facts.allergies.filter((a) => a.severity === 'severe'), (a) => a.substance)
  if (severe.length > 0) {
    out.push({
      severity: 'warning',
      message: `Severe allergies (${severe.length}): ${severe.map((a) => (a.reaction ? `${a.substance} (${a.reaction})` : a.substance)).join('; ')}.`,
      evidence: severe.map((a) => ({ type: 'allergy', id: a.id })),
    })
  }
  const other = sortedBy(facts.allergies.filter((a) => a.severity !== 'severe'), (a) => a.substance)
  if (other.length > 0) {
    out.push({
      severity: 'info',
      message: `Other allergies (${other.length}): ${other.map((a) => `${a.substance} (${a.severity ?? 'severity not recorded'})`).join('; ')}.`,
      evidence: other.map((a) => ({ type: 'allergy', id: a.id })),
    })
  }
  const active = sortedBy(facts.conditions.filter((c) => c.status !== 'resolved'), (c) => c.name)
  const disorders = active.filter((c) => !FINDING_TAG.test(c.name))
  const findings = active.filter((c) => FINDING_TAG.test(c.name))
  const since = (c: { since?: string | undefined }) => (c.since ? ` since ${c.since}` : '')
  if (disorders.length > 0) {
    out.push({
      severity: 'info',
      message: `Active conditions (${disorders.length}): ${disorders.map((c) => `${c.name}${since(c)}`).join('; ')}.`,
      evidence: disorders.map((c) => ({ type: 'condition', id: c.id })),
    })
  }
  if (findings.length > 0) {
    out.push({
      severity: 'info',
      message: `Other active findings and situations (${findings.length}): ${findings.map((c) => `${c.name}${since(c)}`).join('; ')}.`,
      evidence: findings.map((c) => ({ type: 'condition', id: c.id })),
    })
  }
  const meds = sortedBy(facts.medications, (m) => m.name)
  if (meds.length > 0) {
    const describe = (m: SummaryFacts['medications'][number]) => [m.name, m.dosage, m.frequency].filter(Boolean).join(', ')
    out.push({
      severity: 'info',
      message: `Current medications (${meds.length}): ${meds.map(describe).join('; ')}.`,
      evidence: meds.map((m) => ({ type: 'medication', id: m.id })),
    })
  }
  return out
}

/** The records dated on or after `from` (`YYYY-MM-DD`), newest first, the first RECORDS_NAMED named; undefined when none. */
export function recordsHighlight(records: SummaryRecord[], from: string): Highlight | undefined {
  const recent = records
    .filter((r) => r.recordDate >= from)
    .sort((a, b) => (a.recordDate < b.recordDate ? 1 : a.recordDate > b.recordDate ? -1 : byText(a.id, b.id)))
  if (recent.length === 0) return undefined
  const named = recent.slice(0, RECORDS_NAMED).map((r) => `${r.recordDate} ${r.category.replace(/_/g, ' ')}${r.title ? ` "${r.title}"` : ''}`)
  const more = recent.length > RECORDS_NAMED ? `; and ${recent.length - RECORDS_NAMED} more` : ''
  return {
    severity: 'info',
    message: `Records dated since ${from} (${recent.length}): ${named.join('; ')}${more}.`,
    evidence: recent.map((r) => ({ type: 'record', id: r.id })),
  }
}
