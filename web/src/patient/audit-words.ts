/**
 * The access log in words: one table from the audit action names the server writes
 * (`feature.verb`, SPEC §4.7) to what a patient reads. An action missing here falls back to
 * its own name made readable (`vitals.recorded` → "Vitals recorded"), so a new server action
 * never shows an empty cell.
 */
import { humanize } from '../components/format'

const ACTION_WORDS: Record<string, string> = {
  'auth.logged_in': 'Signed in',
  'auth.login_failed': 'Failed sign-in',
  'auth.password_reset_requested': 'Asked to reset the password',
  'auth.password_reset': 'Reset the password',
  'auth.totp_enabled': 'Turned on two-factor sign-in',
  'auth.totp_disabled': 'Turned off two-factor sign-in',
  'auth.recovery_code_used': 'Used a recovery code',
  'auth.recovery_codes_replaced': 'Replaced the recovery codes',
  'record.viewed': 'Viewed a record',
  'record.listed': 'Viewed the records list',
  'record.downloaded': 'Downloaded a record',
  'record.created': 'Added a record',
  'record.updated': 'Changed a record',
  'record.deleted': 'Deleted a record',
  'record.verified': 'Checked a record’s integrity',
  'record.denied': 'Was refused access to records',
  'share.created': 'Created a share link',
  'share.revoked': 'Revoked a share link',
  'share.accessed': 'Opened a share link',
  'share.refused': 'Share link refused',
  'shl.created': 'Created a SMART Health Link',
  'shl.revoked': 'Revoked a SMART Health Link',
  'shl.accessed': 'Opened a SMART Health Link',
  'shl.refused': 'SMART Health Link refused',
  'emergency.accessed': 'Emergency access',
  'emergency.rotated': 'Replaced the emergency link',
  'profile.viewed': 'Viewed the profile',
  'profile.updated': 'Changed the profile',
  'profile.denied': 'Was refused access to the profile',
  'summary.viewed': 'Viewed the summary',
  'summary.denied': 'Was refused access to the summary',
  'vitals.viewed': 'Viewed vitals',
  'vitals.recorded': 'Recorded vitals',
  'vitals.denied': 'Was refused access to vitals',
  'labs.viewed': 'Viewed lab results',
  'labs.denied': 'Was refused access to lab results',
  'fhir.viewed': 'Read data through the FHIR API',
  'fhir.denied': 'Was refused access through the FHIR API',
  'note.viewed': 'Viewed notes',
  'note.created': 'Wrote a note',
  'note.denied': 'Was refused access to notes',
  'consultation.requested': 'Consultation requested',
  'consultation.approved': 'Consultation approved',
  'consultation.ended': 'Consultation ended',
  'consultation.cancelled': 'Consultation cancelled',
  'prescription.created': 'Wrote a prescription',
  'prescription.viewed': 'Viewed a prescription',
  'prescription.listed': 'Viewed prescriptions',
  'prescription.scanned': 'Scanned a prescription',
  'prescription.validated': 'Validated a prescription',
  'prescription.rejected': 'Rejected a prescription',
  'prescription.dispensed': 'Dispensed a prescription',
  'prescription.cancelled': 'Cancelled a prescription',
  'prescription.emailed': 'Emailed a prescription',
  'prescription.lookup_failed': 'Prescription look-up failed',
  'prescription.allergy_warned': 'Allergy warning on a prescription',
  'prescription.allergy_overridden': 'Allergy warning overridden',
  'prescription.denied': 'Was refused access to prescriptions',
  'import.completed': 'Imported health data',
  'export.requested': 'Asked for an export of the locker',
  'export.downloaded': 'Downloaded an export of the locker',
  'export.denied': 'Was refused access to exports',
  'locker.erased': 'Erased the locker',
  'locker.denied': 'Was refused erasing the locker',
  'import.denied': 'Was refused an import',
}

/** What an audit action means in words; unknown actions read as their own name. */
export function describeAuditAction(action: string): string {
  return ACTION_WORDS[action] ?? humanize(action.replace('.', ' '))
}

const RESOURCE_WORDS: Record<string, string> = {
  share: 'Share link',
  shl: 'SMART Health Link',
  'emergency-link': 'Emergency link',
  'prescription-list': 'Prescriptions',
  'import-confirmed': 'Import (identity confirmed)',
}

/** What kind of item an event is about, in words (`emergency-link` → "Emergency link"). */
export function describeAuditResource(type: string): string {
  return RESOURCE_WORDS[type] ?? humanize(type)
}
