/**
 * Rate limits of SPEC §6, through `rate-limiter-flexible`: in memory by default, in Redis
 * when `REDIS_URL` is set so several API nodes share the counts. A refused request is a
 * 429 problem with `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (IETF
 * draft-ietf-httpapi-ratelimit-headers) and `Retry-After`.
 */
import type { FastifyReply } from 'fastify'
import { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import type { Config } from './config.js'
import { TooManyRequestsError } from './errors.js'

export type LimitName = 'login' | 'loginAccount' | 'register' | 'passwordReset' | 'public' | 'pharmacyLookup'

export interface RateLimiters {
  /** Counts one hit for `key` under `name`; throws TooManyRequestsError (429) when over the limit. */
  hit(name: LimitName, key: string, reply: FastifyReply): Promise<void>
  close(): Promise<void>
}

/** Builds the limiters from the config's per-limit numbers. */
export function createRateLimiters(config: Pick<Config, 'rateLimits' | 'redisUrl'>): RateLimiters {
  const r = config.rateLimits
  const windows: Record<LimitName, { points: number; duration: number }> = {
    login: { points: r.loginPerMinute, duration: 60 },
    loginAccount: { points: r.loginPerHourPerAccount, duration: 3600 },
    register: { points: r.registerPerHour, duration: 3600 },
    passwordReset: { points: r.passwordResetPerHour, duration: 3600 },
    public: { points: r.publicPerMinute, duration: 60 },
    pharmacyLookup: { points: r.pharmacyLookupPerMinute, duration: 60 },
  }
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false }) : undefined
  const limiters = Object.fromEntries(
    Object.entries(windows).map(([name, w]) => [
      name,
      redis
        ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `rl:${name}`, ...w, useRedisPackage: false })
        : new RateLimiterMemory({ keyPrefix: name, ...w }),
    ]),
  ) as unknown as Record<LimitName, RateLimiterAbstract>

  return {
    async hit(name, key, reply) {
      const limiter = limiters[name]
      const points = windows[name].points
      try {
        const res = await limiter.consume(key)
        reply.header('RateLimit-Limit', points)
        reply.header('RateLimit-Remaining', res.remainingPoints)
        reply.header('RateLimit-Reset', Math.ceil(res.msBeforeNext / 1000))
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err
        const retryAfter = Math.max(1, Math.ceil(err.msBeforeNext / 1000))
        reply.header('RateLimit-Limit', points)
        reply.header('RateLimit-Remaining', 0)
        reply.header('RateLimit-Reset', retryAfter)
        throw new TooManyRequestsError(retryAfter)
      }
    },
    async close() {
      redis?.disconnect()
    },
  }
}
