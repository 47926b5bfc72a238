/**
 * Raising an in-app notification (SPEC §10 "Notifications"): one row per recipient in
 * `notifications`, written in the caller's transaction, so a notification exists exactly when
 * the act it tells of committed. Every insert fires `NOTIFY carelocker_notifications`
 * (migration 0021's trigger) at commit: a user's live streams on every node hear of it within
 * the notification's flight, whichever node raised it; no caller publishes anything itself.
 *
 * Keep `data` to what the recipient may see and the web app needs to word the event (a name, an
 * instant): never a token, a passcode or clinical content.
 */
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.js'

/** The events of SPEC §10, `feature.verb` in the past tense like audit actions. */
export const NOTIFICATION_TYPES = [
  'consultation.requested',
  'consultation.approved',
  'consultation.rejected',
  'consultation.ended',
  'appointment.booked',
  'appointment.rescheduled',
  'appointment.cancelled',
  'appointment.reminder',
  'prescription.issued',
  'prescription.dispensed',
  'emergency.accessed',
  'share.opened',
  'shl.opened',
  'caregiver.invited',
  'caregiver.accepted',
  'auth.new_sign_in',
] as const

export type NotificationType = (typeof NOTIFICATION_TYPES)[number]

/** One notification to raise. */
export interface NewNotification {
  /** The recipient's account id. */
  userId: string
  type: NotificationType
  /** The patient the event is about, when it is about one. */
  patientId?: string | undefined
  /** What the event is about (`{type: 'appointment', id}`), for the web app to link to. */
  resource?: { type: string; id: string } | undefined
  /** Small display facts (`{doctorName, start}`); JSON values only. */
  data?: Record<string, string | number | boolean | null> | undefined
}

/**
 * Inserts `items` (none: nothing) with `db` — call it inside the transaction of the act the
 * notifications tell of. Throws what the database throws (an unknown user id: 23503).
 */
export async function notifyUsers(db: Kysely<DB> | Transaction<DB>, items: readonly NewNotification[]): Promise<void> {
  if (items.length === 0) return
  await db
    .insertInto('notifications')
    .values(
      items.map((n) => ({
        userId: n.userId,
        type: n.type,
        patientId: n.patientId ?? null,
        resourceType: n.resource?.type ?? null,
        resourceId: n.resource?.id ?? null,
        data: JSON.stringify(n.data ?? {}),
      })),
    )
    .execute()
}

/**
 * Who hears of an event about `patientId`'s locker (SPEC §10): the patient — unless a dependent,
 * who never signs in — and every caregiver holding an active `manage` grant on it (a dependent's
 * creator among them). Ids only; an appointment's doctor and other parties are the caller's to add.
 */
export async function lockerRecipients(db: Kysely<DB> | Transaction<DB>, patientId: string): Promise<string[]> {
  // One after the other: `db` may be a transaction, which runs one query at a time.
  const patient = await db.selectFrom('users').select(['id', 'isDependent']).where('id', '=', patientId).executeTakeFirst()
  const managers = await db
      .selectFrom('caregivers')
      .select('caregiverId')
      .where('patientId', '=', patientId)
      .where('status', '=', 'active')
      .where('access', '=', 'manage')
      .where((eb) => eb.or([eb('expiresAt', 'is', null), eb('expiresAt', '>', sql<Date>`now()`)]))
      .execute()
  const ids = patient && !patient.isDependent ? [patient.id] : []
  for (const m of managers) if (m.caregiverId !== null && !ids.includes(m.caregiverId)) ids.push(m.caregiverId)
  return ids
}
