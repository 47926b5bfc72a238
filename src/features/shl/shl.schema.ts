/** SMART Health Link schemas (SPEC §9, HL7 SHL IG STU1) and mappers. */
import { z } from 'zod'
import { singleLine, toInstant, Uuid } from '../../app/schemas.js'
import type { SmartHealthLinkRow } from '../../db/schema.js'
import { SHL_LABEL_MAX } from './shl-payload.js'

/** Wrong passcodes a link takes over its whole life; the last one kills it (SPEC §9). */
export const SHL_PASSCODE_ATTEMPTS = 10
/** How long a file location works after the manifest gave it (SPEC §9: ≤ 1 hour). */
export const SHL_LOCATION_MINUTES = 60
/** Default link life when `expiresInDays` is absent. */
export const SHL_DEFAULT_DAYS = 30
/** At most this many records in one link. */
export const SHL_MAX_RECORDS = 20

export const CreateShlBody = z
  .object({
    label: singleLine(SHL_LABEL_MAX).optional(),
    passcode: z.string().min(4).max(64).optional(),
    expiresInDays: z.number().int().min(1).max(365).default(SHL_DEFAULT_DAYS),
    include: z
      .object({
        summary: z.boolean(),
        recordIds: z.array(Uuid).max(SHL_MAX_RECORDS).default([]),
      })
      .strict()
      .refine((i) => i.summary || i.recordIds.length > 0, 'Include the summary or at least one record.'),
  })
  .strict()
export type CreateShlInput = z.infer<typeof CreateShlBody>

/** The answer to a create: the only time the link (and its key) is shown. */
export const CreatedShl = z.object({
  id: z.uuid(),
  shlink: z.string().describe('`shlink:/…` (HL7 SHL IG): the payload with the decryption key'),
  viewerUrl: z.string().describe('`$PUBLIC_URL/shl#shlink:/…`: the key stays in the fragment'),
  qrPngUrl: z.string().describe('The QR code of viewerUrl as a `data:image/png;base64,…` URL (made now: the server cannot make it later)'),
  expiresAt: z.string(),
  flags: z.string(),
})

export const ShlStatus = z.enum(['active', 'expired', 'revoked', 'dead'])
export type ShlStatusValue = z.infer<typeof ShlStatus>

/** A link in the patient's list: never the shlink or key again. */
export const ShlLink = z.object({
  id: z.uuid(),
  label: z.string().nullable(),
  flags: z.string(),
  passcodeRequired: z.boolean(),
  attemptsLeft: z.number().int().nullable().describe('Passcode tries left over the link’s life (null without a passcode)'),
  include: z.object({ summary: z.boolean(), recordIds: z.array(z.uuid()) }),
  status: ShlStatus,
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
  createdAt: z.string(),
  accesses: z.array(z.object({ recipient: z.string(), at: z.string() })),
})
export type ShlLinkDto = z.infer<typeof ShlLink>

/** `POST <manifest url>` (IG "SHL Manifest Request"): the IG's three members; anything else is 400 (SPEC §2). */
export const ManifestRequest = z
  .object({
    recipient: singleLine(100).min(1),
    passcode: z.string().max(64).optional(),
    embeddedLengthMax: z.number().int().min(0).optional(),
  })
  .strict()

export const ManifestFile = z.union([
  z.object({ contentType: z.string(), location: z.string() }),
  z.object({ contentType: z.string(), embedded: z.string() }),
])
export const Manifest = z.object({ files: z.array(ManifestFile) })

/**
 * A link's status (SPEC §9), first match wins: revoked, dead (no passcode try left),
 * expired, else active.
 */
export function shlStatus(link: Pick<SmartHealthLinkRow, 'revokedAt' | 'passcodeHash' | 'attemptsLeft' | 'expiresAt'>, now: Date): ShlStatusValue {
  if (link.revokedAt) return 'revoked'
  if (link.passcodeHash !== null && link.attemptsLeft <= 0) return 'dead'
  if (link.expiresAt.getTime() <= now.getTime()) return 'expired'
  return 'active'
}

export function toShlLinkDto(link: SmartHealthLinkRow, accesses: Array<{ recipient: string; at: Date }>, now: Date): ShlLinkDto {
  return {
    id: link.id,
    label: link.label,
    flags: link.flags,
    passcodeRequired: link.passcodeHash !== null,
    attemptsLeft: link.passcodeHash !== null ? link.attemptsLeft : null,
    include: { summary: link.includeSummary, recordIds: link.recordIds },
    status: shlStatus(link, now),
    expiresAt: toInstant(link.expiresAt),
    revokedAt: link.revokedAt ? toInstant(link.revokedAt) : null,
    createdAt: toInstant(link.createdAt),
    accesses: accesses.map((a) => ({ recipient: a.recipient, at: toInstant(a.at) })),
  }
}
