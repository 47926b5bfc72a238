/**
 * Why a resource of a FHIR bundle was not imported (SPEC §4.4): stable strings, since the
 * import summary shows them and tests compare them. A leaf, shared by every mapper.
 */
export const SKIP_REASON = {
  notImported: 'resource type not imported',
  medication: 'read through the medications that reference it',
  otherObservation: 'not one of the tracked vital signs',
  noValue: 'vital sign without a value',
  noTime: 'vital sign without a time',
  badUnit: 'vital sign in a unit that does not fit its type',
  implausible: 'vital sign value outside the plausible range',
  noAttachment: 'no attachment',
  duplicateAttachment: 'same document as an attachment already imported from this bundle',
  enteredInError: 'entered in error or refuted',
  negation: 'states an absence (no known allergies, problems or medications)',
  noName: 'no name or code text',
  extraPatient: 'more than one Patient in the bundle',
  noResourceType: 'entry without a resource',
} as const
