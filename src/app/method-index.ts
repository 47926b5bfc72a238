/**
 * Which methods a path answers to, so a known path called with another method is a 405
 * with `Allow` (SPEC §2) instead of Fastify's default 404. Built from the app's own routes
 * with find-my-way, the router Fastify itself uses.
 */
import FindMyWay, { type HTTPMethod } from 'find-my-way'

export interface MethodIndex {
  add(method: string | string[], url: string): void
  /** Methods registered for the concrete `path` (no query string). */
  allowed(path: string): string[]
}

const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

export function createMethodIndex(): MethodIndex {
  const router = FindMyWay({ ignoreTrailingSlash: true })
  const noop = () => undefined
  return {
    add(method, url) {
      for (const m of Array.isArray(method) ? method : [method]) {
        if (!METHODS.includes(m as HTTPMethod)) continue
        try {
          router.on(m as HTTPMethod, url, noop)
        } catch {
          // Already present (e.g. HEAD added alongside GET).
        }
      }
    },
    allowed(path) {
      return METHODS.filter((m) => router.find(m, path) !== null)
    },
  }
}
