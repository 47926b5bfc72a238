/** Request and response schemas of the audit log (SPEC §4.7); they feed OpenAPI. */
import { z } from 'zod'
import { DateOrInstant, ListQuery, PatientIdParam, Page } from '../app/schemas.js'

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/)

/** One event, exactly the object whose canonical JSON is hashed (see audit-chain.ts). */
export const AuditEvent = z.object({
  seq: z.number().int().min(1),
  at: z.string().describe('ISO-8601 UTC instant'),
  action: z.string().describe('`feature.verb` in the past tense, e.g. `profile.viewed`'),
  actor: z.object({
    kind: z.enum(['patient', 'doctor', 'pharmacist', 'admin', 'share', 'emergency', 'system']),
    id: z.string().optional(),
    name: z.string().optional(),
  }),
  patientId: z.uuid().optional(),
  resource: z.object({ type: z.string(), id: z.string() }),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
})

export const AuditPage = Page(AuditEvent)

export const AuditParams = z.object({ pid: PatientIdParam }).strict()

export const AuditListQuery = z
  .object({
    action: z
      .string()
      .max(64)
      .regex(/^[a-z][a-z_-]*\.[a-z][a-z_]*$/, 'Expected an action name such as record.viewed.')
      .optional(),
    from: DateOrInstant.optional(),
    to: DateOrInstant.optional(),
    ...ListQuery,
  })
  .strict()
export type AuditListInput = z.infer<typeof AuditListQuery>

export const ChainVerification = z.object({
  ok: z.boolean(),
  events: z.number().int().min(0),
  headHash: Sha256Hex,
  firstBadSeq: z.number().int().optional(),
})
