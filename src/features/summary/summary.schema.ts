/** Response schema of the health summary (SPEC §4.8). */
import { z } from 'zod'
import { PatientIdParam } from '../../app/schemas.js'

export const SummaryParams = z.object({ pid: PatientIdParam }).strict()

export const Summary = z.object({
  generatedAt: z.string(),
  generator: z.string().describe('"rules", or "llm:<model>" when the configured model wrote `text`.'),
  text: z.string(),
  highlights: z.array(
    z.object({
      severity: z.enum(['info', 'warning', 'critical']),
      message: z.string(),
      evidence: z.array(z.object({ type: z.enum(['vital', 'record', 'condition', 'allergy', 'medication', 'lab']), id: z.string() })),
    }),
  ),
})
export type SummaryDto = z.infer<typeof Summary>
