/**
 * Peak-RSS tracking inside a bench child process (the product server and the bare
 * yardstick): the kernel's VmHWM on Linux, plus optional in-process samples for the
 * platforms without it.
 */
import { readFile, writeFile } from 'node:fs/promises'
import type { MemorySample } from './protocol.js'

export interface MemoryTracker {
  /** Runs a GC (with --expose-gc) and resets the peak; returns the baseline in bytes. */
  mark(): Promise<MemorySample>
  /** Current RSS and the peak since the last mark, in bytes. */
  peak(): Promise<MemorySample>
  stop(): void
}

async function kernelPeak(): Promise<number> {
  try {
    const status = await readFile('/proc/self/status', 'utf8')
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]
    return kb ? Number(kb) * 1024 : 0
  } catch {
    return 0
  }
}

/**
 * `sampleMs` > 0 also samples RSS on a timer (the product server: 20 ms). The bare
 * yardstick passes 0 so nothing but its one route runs in it; on Linux VmHWM alone is exact.
 */
export function createMemoryTracker(sampleMs: number): MemoryTracker {
  let peak = process.memoryUsage.rss()
  const timer =
    sampleMs > 0
      ? setInterval(() => {
          const rss = process.memoryUsage.rss()
          if (rss > peak) peak = rss
        }, sampleMs)
      : undefined
  timer?.unref()
  return {
    async mark() {
      const gc = (globalThis as { gc?: () => void }).gc
      gc?.()
      // "5" resets VmHWM to the current RSS (Linux ≥ 4.0); elsewhere the samples suffice.
      await writeFile('/proc/self/clear_refs', '5').catch(() => undefined)
      peak = process.memoryUsage.rss()
      return { rssBytes: peak, peakRssBytes: peak }
    },
    async peak() {
      const rss = process.memoryUsage.rss()
      return { rssBytes: rss, peakRssBytes: Math.max(peak, rss, await kernelPeak()) }
    },
    stop: () => clearInterval(timer),
  }
}
