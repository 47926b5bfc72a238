/**
 * `Cache-Control: no-store` on every response that may carry personal data (SPEC §6):
 * everything under `/api/v1` (authenticated answers, the public share and emergency
 * routes, and their errors) and the share and emergency pages `/s/…` and `/e/…`. One
 * `onSend` hook, so no route can forget it. Static web-app assets keep their own caching.
 */
import type { FastifyInstance } from 'fastify'

const PERSONAL_DATA_PATHS = /^\/(api\/v1|s|e|setup)(\/|$|\?)/

/** True when the URL (path and query) may answer with personal data. */
export const mayCarryPersonalData = (url: string): boolean => PERSONAL_DATA_PATHS.test(url)

/** Registers the hook on `app` (and every plugin registered after it). */
export function registerNoStore(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply, payload) => {
    if (mayCarryPersonalData(req.url)) reply.header('cache-control', 'no-store')
    return payload
  })
}
