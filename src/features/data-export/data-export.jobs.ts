/**
 * The export's jobs (SPEC §5, §9), payloads of ids only:
 * - `export.build {exportId}`: builds the zip of a pending export (`buildExport`). A try that
 *   fails is retried with backoff; a record whose stored bytes cannot be read fails the export
 *   at once (retrying would not bring them back), and so does the last try, with a message the
 *   patient sees in the export's `error`.
 * - `export.expire {exportId}`: sent for an export's `expiresAt` when it becomes ready; sweeps
 *   every export past its time (`sweepExpiredExports`), so a missed turn is caught up by the next.
 */
import { z } from 'zod'
import type { Deps } from '../../app/deps.js'
import { buildExport, failExport, sweepExpiredExports } from './data-export.service.js'
import { ExportFileError } from './export-zip.js'

export const ExportJob = z.object({ exportId: z.uuid() }).strict()
export type ExportJob = z.infer<typeof ExportJob>

declare module '../../jobs/job-queue.js' {
  interface JobPayloads {
    'export.build': ExportJob
    'export.expire': ExportJob
  }
}

/** What the patient reads when the export failed for a reason other than a damaged file. */
const GAVE_UP = 'The export could not be made after several tries. Ask for a new one later; if it fails again, contact the operator of this CareLocker.'

/** Registers both handlers on `deps.jobs` (before `start()`). */
export async function registerDataExportJobs(deps: Deps): Promise<void> {
  await deps.jobs.work('export.build', async (payload, job) => {
    const { exportId } = ExportJob.parse(payload)
    try {
      return await buildExport(deps, exportId)
    } catch (err) {
      if (err instanceof ExportFileError) {
        await failExport(deps, exportId, err.message)
        return { exportId, failed: 'file-unreadable' }
      }
      if (job.attempt >= job.maxAttempts) await failExport(deps, exportId, GAVE_UP)
      throw err
    }
  })
  await deps.jobs.work('export.expire', async (payload) => {
    const { exportId } = ExportJob.parse(payload)
    return { exportId, removed: await sweepExpiredExports(deps) }
  })
}
