/** Request and response schemas of the audit log (SPEC §4.7); they feed OpenAPI. */
import { z } from 'zod'
import { DateOrInstant, ListQuery, PatientIdParam, Page } from '../app/schemas.js'

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/)

/** One event, exactly the object whose canonical JSON is its leaf input (see audit-event.ts). */
export const AuditEvent = z.object({
  seq: z.number().int().min(1),
  at: z.string().describe('ISO-8601 UTC instant'),
  action: z.string().describe('`feature.verb` in the past tense, e.g. `profile.viewed`'),
  actor: z.object({
    kind: z.enum(['patient', 'doctor', 'pharmacist', 'admin', 'caregiver', 'share', 'emergency', 'system']),
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

export const TreeVerification = z.object({
  ok: z.boolean(),
  events: z.number().int().min(0).describe('Events checked: those of the newest signed tree head'),
  treeSize: z.number().int().min(0),
  rootHash: Sha256Hex.describe('The root recomputed from the events'),
  firstBadSeq: z.number().int().optional().describe('The first missing or changed event'),
})

const TreeSize = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER)

export const SignedTreeHead = z.object({
  treeSize: z.number().int().min(0),
  rootHash: Sha256Hex,
  timestamp: z.string().describe('ISO-8601 UTC instant the head was signed'),
  signature: z.string().describe('Compact JWS (EdDSA, Ed25519, header `kid`) whose payload is the JSON `{treeSize, rootHash, timestamp}`'),
})

export const TreeHeadKeys = z.object({
  keys: z.array(z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string(), kid: z.string(), alg: z.literal('EdDSA'), use: z.literal('sig') })),
})

export const InclusionProofParams = z.object({ pid: PatientIdParam, seq: TreeSize.pipe(z.number().min(1)) }).strict()
export const InclusionProofQuery = z.object({ treeSize: TreeSize.optional() }).strict()
export const InclusionProof = z.object({
  seq: z.number().int().min(1),
  leafHash: Sha256Hex.describe('SHA-256(0x00 ‖ JCS(event))'),
  treeSize: z.number().int().min(1),
  rootHash: Sha256Hex,
  auditPath: z.array(Sha256Hex).describe('RFC 9162 §2.1.3.1, leaf to root'),
})

export const ConsistencyQuery = z.object({ first: TreeSize, second: TreeSize }).strict()
export const ConsistencyProof = z.object({
  first: z.number().int(),
  second: z.number().int(),
  proof: z.array(Sha256Hex).describe('RFC 9162 §2.1.4.1'),
})
