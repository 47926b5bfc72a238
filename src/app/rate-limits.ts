/**
 * Rate limits of SPEC §6, through `rate-limiter-flexible`: in memory by default, in Redis
 * when `REDIS_URL` is set so several API nodes share the counts. A refused request is a
 * 429 problem with `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (IETF
 * draft-ietf-httpapi-ratelimit-headers) and `Retry-After`.
 *
 * Two kinds of limit:
 * - `hit` counts every request (login per IP and email, register, password reset, public
 *   routes, pharmacy lookup).
 * - `limitFailures` counts only failures (failed logins per account and IP, and per IP
 *   across accounts), after rate-limiter-flexible's "login endpoint protection" example:
 *   `get` first, so refusing costs only reads; failures count; a success clears the
 *   account-and-IP count. One difference: the point is taken before the attempt runs and
 *   given back unless it fails, so a burst of concurrent guesses cannot all pass the check
 *   before the first of them has failed.
 *
 * Redis down (SPEC §11): every Redis limiter has an in-memory `insuranceLimiter` with the
 * same window, used for any call Redis cannot answer (`rejectIfRedisNotReady`, no offline
 * queue: nothing waits for a reconnect), so the limits fall back to per-node counts; a
 * warning is logged when Redis goes away and an info line when it is back. Keys are
 * `${REDIS_KEY_PREFIX}rl:<limit>:<key>`.
 */
import type { FastifyReply } from 'fastify'
import { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import type { Config } from './config.js'
import { TooManyRequestsError } from './errors.js'

export type LimitName = 'login' | 'loginFailures' | 'loginFailuresPerIp' | 'register' | 'passwordReset' | 'public' | 'pharmacyLookup' | 'emailVerificationResend' | 'caregiverInvitation'

/** Verification emails an account may ask for again per hour (SPEC §8 resend; fixed: a user needs one or two). */
export const EMAIL_VERIFICATION_RESENDS_PER_HOUR = 5

/** Caregiver invitations a patient may send per hour (SPEC §10, §8: each one emails an address; fixed, a family needs a few). */
export const CAREGIVER_INVITATIONS_PER_HOUR = 10

/** One count: a limit, and whose count it is (an IP, an email, an email and IP). */
export interface LimitCounter {
  name: LimitName
  key: string
}

export interface FailureLimitOptions {
  /** True for an error that is a failure of the attempt (wrong credentials): it keeps its point. */
  isFailure(err: unknown): boolean
  /** Counts cleared after a success (a correct password forgets that account and IP's failures). */
  resetOnSuccess?: readonly LimitCounter[]
}

export interface RateLimiters {
  /** Counts one hit for `key` under `name`; throws TooManyRequestsError (429) when over the limit. */
  hit(name: LimitName, key: string, reply: FastifyReply): Promise<void>
  /**
   * Runs `attempt` under limits that count only failures (SPEC §6). Throws
   * TooManyRequestsError (429, carrying every RateLimit header) without running it when a
   * counter has no points left. Otherwise one point of each counter is held while it runs:
   * kept when it throws an error `isFailure` accepts, given back on any other outcome;
   * after a success, the counts of `resetOnSuccess` are cleared.
   */
  limitFailures<T>(counters: readonly LimitCounter[], attempt: () => Promise<T>, options: FailureLimitOptions): Promise<T>
  close(): Promise<void>
}

/** Where the Redis fallback is reported (a pino logger or the job logger fits). */
export interface RateLimitLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

/** Builds the limiters from the config's per-limit numbers. */
export function createRateLimiters(config: Pick<Config, 'rateLimits' | 'redisUrl' | 'redisKeyPrefix'>, log?: RateLimitLogger): RateLimiters {
  const r = config.rateLimits
  const windows: Record<LimitName, { points: number; duration: number }> = {
    login: { points: r.loginPerMinute, duration: 60 },
    loginFailures: { points: r.loginFailuresPer15MinutesPerAccountAndIp, duration: 15 * 60 },
    loginFailuresPerIp: { points: r.loginFailuresPerHourPerIp, duration: 3600 },
    register: { points: r.registerPerHour, duration: 3600 },
    passwordReset: { points: r.passwordResetPerHour, duration: 3600 },
    public: { points: r.publicPerMinute, duration: 60 },
    pharmacyLookup: { points: r.pharmacyLookupPerMinute, duration: 60 },
    emailVerificationResend: { points: EMAIL_VERIFICATION_RESENDS_PER_HOUR, duration: 3600 },
    caregiverInvitation: { points: CAREGIVER_INVITATIONS_PER_HOUR, duration: 3600 },
  }
  const redis = config.redisUrl ? connectRedis(config.redisUrl, log) : undefined
  const limiters = Object.fromEntries(
    Object.entries(windows).map(([name, w]) => [
      name,
      redis
        ? new RateLimiterRedis({
            storeClient: redis.client,
            keyPrefix: `${config.redisKeyPrefix}rl:${name}`,
            ...w,
            useRedisPackage: false,
            rejectIfRedisNotReady: true,
            insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, ...w }),
          })
        : new RateLimiterMemory({ keyPrefix: name, ...w }),
    ]),
  ) as unknown as Record<LimitName, RateLimiterAbstract>

  const refusal = (name: LimitName, msBeforeNext: number) =>
    new TooManyRequestsError(Math.max(1, Math.ceil(msBeforeNext / 1000)), windows[name].points)
  const giveBack = (counters: readonly LimitCounter[]) => Promise.all(counters.map((c) => limiters[c.name].reward(c.key, 1)))

  return {
    async hit(name, key, reply) {
      try {
        const res = await limiters[name].consume(key)
        reply.header('RateLimit-Limit', windows[name].points)
        reply.header('RateLimit-Remaining', res.remainingPoints)
        reply.header('RateLimit-Reset', Math.ceil(res.msBeforeNext / 1000))
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err
        throw refusal(name, err.msBeforeNext)
      }
    },

    async limitFailures(counters, attempt, { isFailure, resetOnSuccess = [] }) {
      const seen = await Promise.all(counters.map((c) => limiters[c.name].get(c.key)))
      const exhausted = counters
        .map((c, i) => ({ name: c.name, res: seen[i] }))
        .filter(({ name, res }) => res && res.consumedPoints >= windows[name].points)
        .sort((a, b) => (b.res?.msBeforeNext ?? 0) - (a.res?.msBeforeNext ?? 0))[0]
      if (exhausted) throw refusal(exhausted.name, exhausted.res?.msBeforeNext ?? 0)

      const held: LimitCounter[] = []
      for (const c of counters) {
        try {
          await limiters[c.name].consume(c.key)
          held.push(c)
        } catch (err) {
          // A refused consume still counted its point (a concurrent attempt took the last one).
          if (err instanceof RateLimiterRes) held.push(c)
          await giveBack(held)
          if (err instanceof RateLimiterRes) throw refusal(c.name, err.msBeforeNext)
          throw err
        }
      }

      let result: Awaited<ReturnType<typeof attempt>>
      try {
        result = await attempt()
      } catch (err) {
        if (!isFailure(err)) await giveBack(held)
        throw err
      }
      await giveBack(held)
      await Promise.all(resetOnSuccess.map((c) => limiters[c.name].delete(c.key)))
      return result
    },

    async close() {
      redis?.close()
    },
  }
}

/**
 * The Redis client of the limiters: commands fail at once while it is not connected (the
 * limiters then count in memory), it reconnects by itself (ioredis: every 0.05 s × tries, at
 * most 2 s), and the outage is logged once when it starts and once when it ends. The URL
 * (which may hold a password) is never logged.
 */
function connectRedis(url: string, log: RateLimitLogger | undefined): { client: Redis; close(): void } {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 50, 2_000),
  })
  let down = false
  let closing = false
  const lost = (err?: unknown) => {
    if (down || closing) return
    down = true
    const code = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined
    log?.warn({ component: 'rate-limits', ...(typeof code === 'string' ? { code } : {}) }, 'Redis is unreachable: rate limits fall back to per-node memory')
  }
  redis.on('error', lost)
  redis.on('close', () => lost())
  redis.on('ready', () => {
    if (!down) return
    down = false
    log?.info({ component: 'rate-limits' }, 'Redis is back: rate limits are shared again')
  })
  return {
    client: redis,
    close: () => {
      closing = true
      redis.disconnect()
    },
  }
}
