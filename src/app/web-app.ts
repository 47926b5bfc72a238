/**
 * Serves the web app (issue 6) that Vite builds into `dist/web` (STYLE §1):
 *
 * - `/assets/*`: hashed, immutable files → `Cache-Control: public, max-age=31536000, immutable`,
 *   brotli or gzip from the files the build compressed ahead (`Vary: Accept-Encoding`).
 * - the client routes (`/`, `/login`, `/register`, `/reset-password`, `/setup`, and everything under
 *   `/patient`, `/doctor`, `/pharmacist`, `/admin`) → `index.html` with `Cache-Control: no-cache`,
 *   so a new build is picked up on the next load.
 *
 * Only those prefixes fall back to the app: `/api/*`, `/docs`, `/s/<token>`, `/e/<token>`,
 * `/health` and `/ready` keep their own routes, and any other unknown URL stays a
 * problem+json 404 (or 401) as before. Every route here is public: the page is a shell,
 * all data comes from the API with the user's token.
 *
 * When `dist/web` has not been built (server tests run without it) the client routes
 * answer 503 with a one-line hint instead of failing the boot.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'

/** Client-side route prefixes of the web app (web/src/routes). */
export const WEB_APP_PAGES = ['/', '/login', '/register', '/reset-password', '/setup', '/verify-email', '/shl'] as const
export const WEB_APP_SECTIONS = ['/patient', '/doctor', '/pharmacist', '/admin'] as const

/** `<repository>/dist/web`, found from this module whether it runs from `src/` (tsx) or `dist/src/`. */
export function defaultWebDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  return path.join(dir, 'dist', 'web')
}

/** Where the built web app is; defaults to `defaultWebDir()`. */
export interface WebAppOptions {
  dir?: string
}

/** The web app's routes as a plugin, registered outside `/api/v1`: `app.register(webAppRoutes, { dir })`. */
export const webAppRoutes: FastifyPluginAsyncZod<WebAppOptions> = async (app, opts) => {
  const dir = opts.dir ?? defaultWebDir()
  const hide = { hide: true }

  const sendIndex = async (_req: unknown, reply: import('fastify').FastifyReply) => {
    let index: string
    try {
      index = await readFile(path.join(dir, 'index.html'), 'utf8')
    } catch {
      return reply
        .code(503)
        .header('cache-control', 'no-store')
        .type('text/plain; charset=utf-8')
        .send('The web app is not built: run `npm run build` (or `npm start`, which builds it).\n')
    }
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(index)
  }

  for (const url of WEB_APP_PAGES) app.get(url, { config: { access: 'public' }, schema: hide }, sendIndex)
  // The page a caregiver invitation email links to (SPEC §10); its token is redacted from request logs (logger.ts).
  app.get('/caregiver-invitations/:token', { config: { access: 'public' }, schema: hide }, sendIndex)
  for (const section of WEB_APP_SECTIONS) {
    app.get(section, { config: { access: 'public' }, schema: hide }, sendIndex)
    app.get(`${section}/*`, { config: { access: 'public' }, schema: hide }, sendIndex)
  }

  // `serve: false`: @fastify/static only lends `reply.sendFile` (path checks, ETag, Range),
  // inside this plugin only; the route is ours so it carries an access declaration like every other.
  // preCompressed: the build writes .br/.gz next to each asset (web/vite.config.ts).
  await app.register(fastifyStatic, { root: path.join(dir, 'assets'), serve: false, preCompressed: true })
  app.get('/assets/*', { config: { access: 'public' }, schema: hide }, async (req, reply) => {
    const file = (req.params as { '*': string })['*']
    return reply.sendFile(file, { maxAge: '1y', immutable: true })
  })
}
