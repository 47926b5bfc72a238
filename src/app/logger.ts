/**
 * Logging without personal data (SPEC §6): request lines carry the method, a redacted
 * path (no query string, no link tokens) and the request id; headers that carry secrets
 * are never logged.
 */
import type { FastifyServerOptions } from 'fastify'

/**
 * Path segments after these prefixes are secrets: share and emergency tokens, SMART Health
 * Link manifest ids (`/api/v1/shl/{manifestId}`) and file-location tokens
 * (`/api/v1/shl-files/{token}`), caregiver invitation tokens (`/api/v1/caregiver-invitations/{token}/accept` and
 * the web app's accept page `/caregiver-invitations/{token}`). `/api/v1/patients/me/shl/{id}` is a database id, not a secret.
 */
const TOKEN_PATHS = /^(\/api\/v1\/shared|\/api\/v1\/emergency|\/api\/v1\/shl|\/api\/v1\/shl-files|\/api\/v1\/caregiver-invitations|\/caregiver-invitations|\/s|\/e)\/[^/?]+/

/** `/api/v1/shared/abc/content?x=1` → `/api/v1/shared/:token/content`. */
export function redactUrl(url: string): string {
  const pathOnly = url.split('?')[0] ?? ''
  return pathOnly.replace(TOKEN_PATHS, (_m, prefix: string) => `${prefix}/:token`)
}

export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({ method: req.method, url: redactUrl(req.url), reqId: req.id }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-share-passcode"]'],
      remove: true,
    },
  }
}
