/** Schemas of in-app notifications and their live stream (SPEC §10 "Notifications"), and the row → DTO mapper. */
import { z } from 'zod'
import { ListQuery, Uuid, toInstant } from '../../app/schemas.js'
import type { NotificationRow } from './in-app-notifications.queries.js'

/** `GET /notifications?unread&limit&cursor`: `unread` or `unread=true` lists only the unread ones. */
export const NotificationListQuery = z
  .object({
    unread: z.enum(['true', 'false', '']).transform((v) => v !== 'false').optional(),
    ...ListQuery,
  })
  .strict()
export type NotificationListInput = z.infer<typeof NotificationListQuery>

/**
 * `POST /notifications/read`: exactly one of `{ids: [uuid, …]}` (1–100; ids that are not the
 * caller's are ignored, never marked) or `{all: true}`; both, neither or anything else → 400.
 */
export const MarkReadBody = z.union([
  z.object({ ids: z.array(Uuid).min(1).max(100) }).strict(),
  z.object({ all: z.literal(true) }).strict(),
])
export type MarkReadInput = z.infer<typeof MarkReadBody>

/** The answer of `POST /notifications/read`: how many were marked now, and how many stay unread. */
export const MarkReadResult = z.object({ marked: z.number().int(), unreadCount: z.number().int() })

/** `GET /notifications/unread-count` → the bell's badge. */
export const UnreadCount = z.object({ count: z.number().int() })

/** One notification (SPEC §10). `type` is one of `NOTIFICATION_TYPES` (`feature.verb`, past tense). */
export const Notification = z.object({
  id: z.uuid(),
  type: z.string(),
  /** The patient the event is about (a managed locker's id for a caregiver), or null. */
  patientId: z.uuid().nullable(),
  /** What it is about, for a link: `{type: 'consultation', id}`, or null. */
  resource: z.object({ type: z.string(), id: z.string() }).nullable(),
  /** Display facts (names, instants) the web app words the event with; never clinical content or a secret. */
  data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  createdAt: z.string(),
  /** When the user marked it read; null while unread. */
  readAt: z.string().nullable(),
})
export type NotificationDto = z.infer<typeof Notification>

/** `POST /notifications/stream-ticket` → a single-use ticket for `GET /notifications/stream`, valid 60 s. */
export const StreamTicket = z.object({ ticket: z.string(), expiresAt: z.string() })

/** `GET /notifications/stream?ticket=…`: the ticket is the only credential (43 base64url characters). */
export const StreamQuery = z.object({ ticket: z.string().min(1).max(512) }).strict()

/** Row → `Notification`. */
export function toNotificationDto(n: NotificationRow): NotificationDto {
  const data: NotificationDto['data'] = {}
  for (const [k, v] of Object.entries(n.data ?? {})) {
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') data[k] = v
  }
  return {
    id: n.id,
    type: n.type,
    patientId: n.patientId,
    resource: n.resourceType !== null && n.resourceId !== null ? { type: n.resourceType, id: n.resourceId } : null,
    data,
    createdAt: toInstant(n.createdAt),
    readAt: n.readAt ? toInstant(n.readAt) : null,
  }
}
