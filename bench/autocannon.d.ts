/**
 * The subset of autocannon@8's programmatic API the bench uses (the package ships no
 * types and @types/autocannon is not a dependency).
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  namespace autocannon {
    interface Options {
      url: string
      connections?: number
      /** Seconds. */
      duration?: number
      /** Seconds before a request counts as a timeout. */
      timeout?: number
      method?: string
      headers?: Record<string, string>
      title?: string
      /** Request body (with `method: 'POST'`). */
      body?: string
      /** A sequence of requests per connection; `setupRequest` may rewrite each one (e.g. its body). */
      requests?: { method?: string; path?: string; headers?: Record<string, string>; body?: string; setupRequest?: (req: Record<string, unknown>, context: Record<string, unknown>) => Record<string, unknown> }[]
      /** A shorter run before the measured one, on the same connections' settings. */
      warmup?: { connections?: number; duration?: number }
    }

    /** hdr-histogram-percentiles-obj */
    interface Histogram {
      average: number
      mean: number
      stddev: number
      min: number
      max: number
      total: number
      p50: number
      p90: number
      p99: number
      p99_9: number
    }

    interface Result {
      title?: string
      url: string
      /** Requests per second, sampled once a second. */
      requests: Histogram
      /** Milliseconds. */
      latency: Histogram
      /** Bytes per second. */
      throughput: Histogram
      /** Seconds. */
      duration: number
      errors: number
      timeouts: number
      non2xx: number
      mismatches: number
      statusCodeStats: Record<string, { count: number }>
    }

    interface Instance extends EventEmitter, PromiseLike<Result> {
      stop(): void
    }
  }

  function autocannon(opts: autocannon.Options): autocannon.Instance
  export = autocannon
}
