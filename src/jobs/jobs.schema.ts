/** Response schema of `GET /admin/jobs` (SPEC §4.1, §5). */
import { z } from 'zod'

const Count = z.number().int().min(0)

export const JobQueueStatus = z.object({
  queues: z.array(
    z.object({
      name: z.string(),
      queued: Count,
      active: Count,
      completed: Count,
      failed: Count,
      retrying: Count,
    }),
  ),
  healthy: z.boolean(),
})
