/** Server RSS around one scenario (a child process, measured apart from the load generator). */
import type { LoadTarget } from '../server-process.js'
import { MIB, type MemoryUse } from '../report.js'

const mb = (bytes: number) => Math.round((bytes / MIB) * 10) / 10

/**
 * Marks the server's memory (GC + peak reset), runs `fn`, then reads the peak. Returns
 * `fn`'s value with the server's RSS baseline, peak and growth in MiB.
 */
export async function withServerMemory<T>(server: LoadTarget, fn: () => Promise<T>): Promise<{ value: T; memory: MemoryUse }> {
  const before = await server.markMemory()
  const value = await fn()
  const after = await server.peakMemory()
  const memory = {
    baselineMb: mb(before.rssBytes),
    peakMb: mb(after.peakRssBytes),
    growthMb: mb(Math.max(0, after.peakRssBytes - before.rssBytes)),
  }
  return { value, memory }
}
