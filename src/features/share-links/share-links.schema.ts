/** Share-link schemas (SPEC §4.5) and mappers. */
import { z } from 'zod'
import { toInstant } from '../../app/schemas.js'
import type { ShareLinkRow } from '../../db/schema.js'

export const MAX_PASSCODE_ATTEMPTS = 5

export const CreateShareBody = z
  .object({
    expiresInHours: z.number().int().min(1).max(720).default(24),
    passcode: z.string().min(4).max(64).optional(),
    maxViews: z.number().int().min(1).max(10_000).optional(),
  })
  .strict()
export type CreateShareInput = z.infer<typeof CreateShareBody>

export const ShareStatus = z.enum(['active', 'expired', 'revoked', 'exhausted', 'locked'])
export type ShareStatusValue = z.infer<typeof ShareStatus>

/** The answer to a create: the only time the token and url are shown. */
export const CreatedShare = z.object({
  id: z.uuid(),
  recordId: z.uuid(),
  url: z.string(),
  token: z.string(),
  expiresAt: z.string(),
  passcodeRequired: z.boolean(),
  maxViews: z.number().int().nullable(),
  createdAt: z.string(),
})

/** A link in the patient's list: never the token or url again. */
export const ShareLink = z.object({
  id: z.uuid(),
  recordId: z.uuid(),
  expiresAt: z.string(),
  passcodeRequired: z.boolean(),
  maxViews: z.number().int().nullable(),
  views: z.number().int(),
  lastViewedAt: z.string().nullable(),
  status: ShareStatus,
  createdAt: z.string(),
})
export type ShareLinkDto = z.infer<typeof ShareLink>

/**
 * A link's status (SPEC §4.5), first match wins: revoked (or its record deleted), locked
 * (five wrong passcodes), exhausted (`views` reached `maxViews`), expired, else active.
 */
export function shareStatus(link: ShareLinkRow & { recordDeleted?: boolean | null }, now: Date): ShareStatusValue {
  if (link.revokedAt || link.recordDeleted) return 'revoked'
  if (link.failedAttempts >= MAX_PASSCODE_ATTEMPTS) return 'locked'
  if (link.maxViews !== null && link.views >= link.maxViews) return 'exhausted'
  if (link.expiresAt.getTime() <= now.getTime()) return 'expired'
  return 'active'
}

export function toShareLinkDto(link: ShareLinkRow & { recordDeleted?: boolean | null }, now: Date): ShareLinkDto {
  return {
    id: link.id,
    recordId: link.recordId,
    expiresAt: toInstant(link.expiresAt),
    passcodeRequired: link.passcodeHash !== null,
    maxViews: link.maxViews,
    views: link.views,
    lastViewedAt: link.lastViewedAt ? toInstant(link.lastViewedAt) : null,
    status: shareStatus(link, now),
    createdAt: toInstant(link.createdAt),
  }
}
