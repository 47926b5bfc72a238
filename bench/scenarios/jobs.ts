/**
 * Job throughput (SPEC §5): "a queued message starts within 2 s, and one worker process
 * drains at least 50 messages per second per queue to a local SMTP server". The bench
 * server's `SMTP_URL` points at a real SMTP listener in the bench process
 * (test/helpers/smtp-sink.ts). First, single emails on an idle queue, one at a time:
 * enqueue → arrival at the listener (the start latency, polling included). Then a burst:
 * `BENCH_JOBS` (500) emails inserted in one statement, timed from the insert to the last
 * arrival (messages/s), each address checked to arrive exactly once.
 *
 * Jobs are inserted straight into pg-boss's queue from the bench process (the same rows
 * `deps.jobs.send` writes, here without a request in front), so this scenario needs
 * PostgreSQL: PGlite's database lives inside the server process.
 */
import { randomBytes } from 'node:crypto'
import PgBoss from 'pg-boss'
import type { SmtpSink } from '../../test/helpers/smtp-sink.js'
import { waitUntil } from '../../test/helpers/wait.js'

export const JOBS_SCENARIO = 'email queue → SMTP'

export interface JobsResult {
  kind: 'jobs'
  name: typeof JOBS_SCENARIO
  /** Emails in the burst. */
  messages: number
  /** Insert of the burst → arrival of its last message. */
  seconds: number
  messagesPerSec: number
  /** Addresses that received more than one message of the burst (must be 0). */
  duplicates: number
  /** Enqueue → arrival of one email on an idle queue, per sample, and the worst. */
  startLatencyMs: { samples: number[]; max: number }
}

const START_SAMPLES = 5
const DRAIN_CAP_MS = 300_000

/** The payload of `notify.email` for a bare address (no account lookup; see notifications.jobs.ts). */
const emailJob = (email: string) => ({ name: 'notify.email', data: { template: 'emergency-access', to: { email }, data: { accessedAt: new Date().toISOString() } } })

/** Runs the scenario against the server on `databaseUrl` whose mail goes to `sink`. Throws when a message does not arrive. */
export async function runJobs(databaseUrl: string, sink: SmtpSink, messages: number): Promise<JobsResult> {
  const boss = new PgBoss({ connectionString: databaseUrl, schedule: false, supervise: false, migrate: false, max: 2 })
  boss.on('error', () => undefined)
  await boss.start()
  const run = randomBytes(4).toString('hex')
  try {
    const samples: number[] = []
    for (let i = 0; i < START_SAMPLES; i++) {
      const address = `start-${run}-${i}@bench.test`
      // Apart from the previous one, so each lands on an idle worker mid-sleep.
      await new Promise((r) => setTimeout(r, 700))
      const t0 = performance.now()
      await boss.insert([emailJob(address)])
      await sink.waitFor((m) => m.envelopeTo.includes(address), 30_000)
      samples.push(Math.round(performance.now() - t0))
    }

    const prefix = `burst-${run}-`
    const addresses = Array.from({ length: messages }, (_, i) => `${prefix}${i}@bench.test`)
    const ours = () => sink.messages.filter((m) => m.envelopeTo.some((to) => to.startsWith(prefix)))
    const t0 = performance.now()
    await boss.insert(addresses.map(emailJob))
    await waitUntil(() => ours().length >= messages, DRAIN_CAP_MS, `${messages} emails at the SMTP listener`)
    const seconds = (performance.now() - t0) / 1000
    const seen = new Map<string, number>()
    for (const to of ours().flatMap((m) => m.envelopeTo)) seen.set(to, (seen.get(to) ?? 0) + 1)
    return {
      kind: 'jobs',
      name: JOBS_SCENARIO,
      messages,
      seconds: Math.round(seconds * 100) / 100,
      messagesPerSec: Math.round(messages / seconds),
      duplicates: [...seen.values()].filter((n) => n > 1).length,
      startLatencyMs: { samples, max: Math.max(...samples) },
    }
  } finally {
    await boss.stop({ graceful: false, close: true })
  }
}
