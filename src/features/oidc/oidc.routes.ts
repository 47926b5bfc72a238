/**
 * HTTP routes of OpenID Connect sign-in (SPEC §8), all public:
 *
 * - `GET /auth/oidc` → `{enabled, name?}`: whether the sign-in form shows the button.
 * - `GET /auth/oidc/start` → 302 to the provider, with the login's `state` bound to this
 *   browser by the cookie `cl_oidc_state` (httpOnly, SameSite=Lax — the provider's redirect
 *   back is a top-level cross-site GET, which Strict would leave without it — `Path` the
 *   callback, 10 minutes).
 * - `GET /auth/oidc/callback` → on success 302 to the web app (`/`) with the refresh
 *   cookies of the cookie flow (refresh-cookie.ts), from which the web app resumes the
 *   session; on failure an HTML page (400/401/403/502) saying what happened, linking back
 *   to sign-in. The state cookie is cleared either way.
 *
 * Without OIDC settings `start` and `callback` answer 404 (problem+json) and
 * `GET /auth/oidc` says `{enabled: false}`. Nothing secret or personal goes into a URL or
 * the log: refusals are logged by their code and the library's error name and message.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { parse, serialize } from 'cookie'
import { z } from 'zod'
import type { Deps, FeatureRoutes } from '../../app/deps.js'
import { AppError } from '../../app/errors.js'
import { html, page } from '../../app/html.js'
import { Problem } from '../../app/schemas.js'
import { signInRequest } from '../accounts/sign-in.js'
import { setBrowserCookie, setRefreshCookie } from '../accounts/refresh-cookie.js'
import { CallbackQuery, OidcStatus, StartQuery } from './oidc.schema.js'
import { CALLBACK_PATH, completeOidcSignIn, createRelyingParty, LOGIN_TTL_MS, OidcSignInError, startOidcSignIn } from './oidc.service.js'

const STATE_COOKIE = 'cl_oidc_state'
const tags = ['accounts']

function stateCookie(deps: Deps, req: FastifyRequest, value: string, maxAgeSeconds: number): string {
  return serialize(STATE_COOKIE, value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: req.protocol === 'https' || deps.config.publicUrl.startsWith('https://'),
    path: CALLBACK_PATH,
    maxAge: maxAgeSeconds,
    ...(maxAgeSeconds === 0 ? { expires: new Date(0) } : {}),
  })
}

/** The page of a refused sign-in: what happened, in plain words, and the way back. */
function refusalPage(err: AppError): string {
  return page({
    title: `${err.title} — CareLocker`,
    body: html`<main>
<h1>${err.title}</h1>
<p class="alert" role="alert">${err.message}</p>
<p><a class="button" href="/login">Back to sign-in</a></p>
</main>`,
  })
}

/** Renders an OIDC refusal or a rate limit as a page (logged by code only); rethrows anything else. */
function sendRefusal(req: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  if (!(err instanceof OidcSignInError) && !(err instanceof AppError && err.status === 429)) throw err
  const cause = err.cause instanceof Error ? { name: err.cause.name, code: (err.cause as { code?: unknown }).code, message: err.cause.message } : undefined
  req.log.warn({ code: err.code, cause }, 'OpenID Connect sign-in refused')
  return reply.code(err.status).headers(err.headers ?? {}).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(refusalPage(err))
}

/** Mounts `/auth/oidc`, `/auth/oidc/start` and `/auth/oidc/callback` (SPEC §8). */
export const oidcRoutes: FeatureRoutes = async (app, { deps }) => {
  const rp = createRelyingParty(deps)

  app.get('/auth/oidc', {
    config: { access: 'public' },
    schema: { tags, summary: 'Whether sign-in with an OpenID Connect provider is offered', security: [], response: { 200: OidcStatus } },
  }, async () => (rp.settings ? { enabled: true, name: rp.settings.name } : { enabled: false }))

  app.get('/auth/oidc/start', {
    config: { access: 'public' },
    schema: {
      tags,
      summary: 'Begin sign-in at the OpenID Connect provider (302 there)',
      description: 'A browser navigation, not an API call: redirects to the provider (authorization code, PKCE S256, state, nonce); a provider that cannot be reached is a 502 page.',
      security: [],
      querystring: StartQuery,
      response: { 302: z.null().describe('To the provider'), 404: Problem, 429: Problem },
    },
  }, async (req, reply) => {
    try {
      await deps.rateLimits.hit('public', req.ip, reply)
      const { url, state } = await startOidcSignIn(deps, rp)
      return reply.header('set-cookie', stateCookie(deps, req, state, LOGIN_TTL_MS / 1000)).header('cache-control', 'no-store').redirect(url, 302)
    } catch (err) {
      return sendRefusal(req, reply, err)
    }
  })

  app.get('/auth/oidc/callback', {
    config: { access: 'public' },
    schema: {
      tags,
      summary: 'Complete sign-in from the OpenID Connect provider (302 to the web app)',
      description: 'The redirect URI to register at the provider: `$PUBLIC_URL/api/v1/auth/oidc/callback`. Success sets the web app\'s refresh cookie and redirects to `/`; every refusal is an HTML page.',
      security: [],
      querystring: CallbackQuery,
      response: { 302: z.null().describe('To the web app, signed in'), 404: Problem },
    },
  }, async (req, reply) => {
    reply.header('set-cookie', stateCookie(deps, req, '', 0)).header('cache-control', 'no-store')
    try {
      await deps.rateLimits.hit('public', req.ip, reply)
      const search = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : ''
      const cookieState = parse(req.headers.cookie ?? '')[STATE_COOKIE] || undefined
      // A browser navigation: known by its cl_browser cookie, which a new browser gets here.
      const session = await completeOidcSignIn(deps, rp, { search, cookieState }, signInRequest(req, { asBrowser: true }))
      if ('mfaRequired' in session) {
        // The account has a second factor (SPEC §8): the web app's second-factor step, the
        // token in the fragment (never sent to a server, never in a log).
        return reply.redirect(`/login#${new URLSearchParams({ mfa: session.mfaToken, methods: session.methods.join(',') })}`, 302)
      }
      setBrowserCookie(deps, req, reply, session)
      setRefreshCookie(deps, req, reply, session.refreshToken)
      return reply.redirect('/', 302)
    } catch (err) {
      return sendRefusal(req, reply, err)
    }
  })
}
